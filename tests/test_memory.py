"""The allocator setting of `journeymap.core.memory`: made where it can apply, and it does apply.

Each check runs in a fresh interpreter, as jemalloc reads its setting once, when Polars is loaded. That
it applies is read from jemalloc itself: asked to, it prints the options it runs with when the process
ends.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap

import polars  # noqa: F401  (loaded here, as in any process that starts the command line or the app)

from journeymap.core.memory import ALLOCATOR_SETTING, ALLOCATOR_VARIABLE


def _run(code: str, environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                            env=environment, timeout=120)
    assert result.returncode == 0, result.stderr
    return result


def _without_setting() -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if key != ALLOCATOR_VARIABLE}


PROBE = """
    import os
    {before}
    from journeymap.core.memory import return_freed_memory_promptly
    print(return_freed_memory_promptly(), os.environ.get("{variable}"))
"""


def test_the_setting_is_made_before_polars_loads_and_a_users_own_stands() -> None:
    made = _run(PROBE.format(before="", variable=ALLOCATOR_VARIABLE), _without_setting()).stdout.strip()
    assert made == f"True {ALLOCATOR_SETTING}"
    late = _run(PROBE.format(before="import polars", variable=ALLOCATOR_VARIABLE), _without_setting())
    answer, setting = late.stdout.strip().split(" ", 1)
    assert answer == "False" and ALLOCATOR_SETTING not in setting  # Polars' own setting: too late for ours
    own = _run(PROBE.format(before="", variable=ALLOCATOR_VARIABLE),
               {**_without_setting(), ALLOCATOR_VARIABLE: "narenas:2"})
    assert own.stdout.strip() == "False narenas:2"


def test_polars_defaults_left_by_a_parent_process_are_not_the_users() -> None:
    # This test process imported Polars, which wrote its defaults into the environment a child inherits.
    assert os.environ.get(ALLOCATOR_VARIABLE) and ALLOCATOR_SETTING not in os.environ[ALLOCATOR_VARIABLE]
    made = _run(PROBE.format(before="", variable=ALLOCATOR_VARIABLE), dict(os.environ)).stdout.strip()
    assert made == f"True {ALLOCATOR_SETTING}"


def test_the_command_line_and_the_app_make_it_before_they_load_polars() -> None:
    # The app's modules make it on their first import; the command line when it starts.
    shown = _run(f"""
        import os, sys
        import journeymap.ui
        print("polars" in sys.modules, os.environ.get("{ALLOCATOR_VARIABLE}"))
    """, dict(os.environ)).stdout.strip()
    assert shown == f"False {ALLOCATOR_SETTING}"
    shown = _run(f"""
        import os, sys
        from journeymap.cli.main import main
        code = main(["validate", "/nonexistent.yaml"])
        print(code, "polars" in sys.modules, os.environ.get("{ALLOCATOR_VARIABLE}"))
    """, dict(os.environ)).stdout.strip()
    assert shown == f"1 False {ALLOCATOR_SETTING}"


def test_jemalloc_runs_with_the_setting() -> None:
    # What Polars' jemalloc reports at exit: the setting reached it under the variable's name.
    def probe(set_it: bool) -> str:
        return f"""
            import os
            from journeymap.core.memory import return_freed_memory_promptly
            {"return_freed_memory_promptly()" if set_it else ""}
            os.environ["{ALLOCATOR_VARIABLE}"] = ",".join(filter(None, [os.environ.get("{ALLOCATOR_VARIABLE}"),
                                                                        "stats_print:true"]))
            import polars as pl
            pl.DataFrame({{"a": [1, 2]}}).sum()
        """
    options = {}
    for set_it in (True, False):
        report = _run(probe(set_it), _without_setting())
        options[set_it] = dict(re.findall(r"opt\.(background_thread|dirty_decay_ms|muzzy_decay_ms): (\S+)",
                                          report.stderr))
    assert options[True] == {"background_thread": "true", "dirty_decay_ms": "200", "muzzy_decay_ms": "0"}
    assert options[False]["muzzy_decay_ms"] != "0"  # without it, Polars' defaults: freed pages stay counted
