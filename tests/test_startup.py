"""Start-up cost: `import journeymap` loads nothing heavy, and each command imports only what it needs.

Each check runs in a fresh interpreter (this one has imported everything long ago) and looks at
`sys.modules` after the command ran; speed itself is measured by benchmarks/bench_cli.py.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from importlib import import_module
from pathlib import Path

import pytest

import journeymap
from journeymap.journey.samples import sample_events_path, sample_journey_path

DATAFRAMES = {"polars", "pandas", "pyarrow", "narwhals", "duckdb", "numpy"}
DRAWING_AND_STORAGE = {"altair", "vl_convert", "uharfbuzz", "sqlalchemy", "psycopg", "streamlit"}
JOURNEY, EVENTS = str(sample_journey_path("onboarding")), str(sample_events_path("onboarding"))


def modules_after(code: str, tmp_path: Path) -> set[str]:
    """The top-level module names a fresh interpreter holds after running `code` (which may print)."""
    out = tmp_path / "modules.json"
    script = f"{code}\nimport json, sys\nopen({str(out)!r}, 'w').write(json.dumps(sorted(sys.modules)))"
    subprocess.run([sys.executable, "-c", script], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return set(json.loads(out.read_text()))


def after_command(argv: list[str], tmp_path: Path) -> set[str]:
    """The modules loaded by running `journeymap ARGV` through journeymap.cli.main.main; it must exit 0."""
    return modules_after(f"from journeymap.cli.main import main\nassert main({argv!r}) == 0", tmp_path)


def roots(modules: set[str]) -> set[str]:
    return {name.split(".")[0] for name in modules}


class TestImportJourneymap:
    def test_import_loads_no_library(self, tmp_path: Path) -> None:
        """`import journeymap` runs the package's __init__ and nothing else: no library, no submodule."""
        loaded = modules_after("import journeymap", tmp_path)
        assert not roots(loaded) & (DATAFRAMES | DRAWING_AND_STORAGE | {"yaml", "jsonschema", "networkx"})
        assert {name for name in loaded if name.startswith("journeymap")} == {"journeymap"}

    def test_every_public_name_is_its_module_s_object(self) -> None:
        """Each name of __all__ resolves, on first use, to the very object its home module defines."""
        for name, module in journeymap._MODULE_OF.items():
            assert getattr(journeymap, name) is getattr(import_module(f"journeymap.{module}"), name)
        assert set(journeymap._MODULE_OF) == set(journeymap.__all__)
        assert set(journeymap.__all__) <= set(dir(journeymap))

    def test_unknown_name_is_an_attribute_error(self) -> None:
        with pytest.raises(AttributeError, match="module 'journeymap' has no attribute 'no_such_name'"):
            journeymap.no_such_name  # noqa: B018

    def test_star_import_gives_the_api(self, tmp_path: Path) -> None:
        """`from journeymap import *` binds every public name (it reads __all__, which resolves each)."""
        names = modules_after("from journeymap import *\nprint(compute_metrics, WorkshopStore, map_chart)", tmp_path)
        assert {"journeymap.measures.metrics", "journeymap.workshop.store", "journeymap.charts.map"} <= names

    def test_a_module_named_like_its_function_does_not_hide_it(self, tmp_path: Path) -> None:
        """The app imports the module journeymap.measures.conformance first; journeymap.conformance stays
        the function."""
        out = tmp_path / "kind.txt"
        script = ("import journeymap.measures.conformance, journeymap\nfrom journeymap import conformance\n"
                  f"open({str(out)!r}, 'w').write(type(journeymap.conformance).__name__ + ' ' + "
                  "type(conformance).__name__)")
        subprocess.run([sys.executable, "-c", script], check=True)
        assert out.read_text() == "function function"

    def test_type_checkers_see_the_same_names(self) -> None:
        """The `if TYPE_CHECKING:` imports of __init__ name exactly the lazy table, module by module."""
        tree = ast.parse(Path(journeymap.__file__).read_text(encoding="utf-8"))
        (block,) = [
            node for node in tree.body if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"
        ]
        imported = {
            node.module.removeprefix("journeymap."): tuple(alias.name for alias in node.names)
            for node in block.body
            if isinstance(node, ast.ImportFrom) and node.module
        }
        assert imported == journeymap._HOMES


class TestEachCommandImportsWhatItNeeds:
    def test_validate_loads_no_dataframe_library(self, tmp_path: Path) -> None:
        """`validate` reads YAML against the schema: no dataframe, chart, export or database library."""
        loaded = roots(after_command(["validate", JOURNEY], tmp_path))
        assert "yaml" in loaded and "jsonschema" in loaded
        assert not loaded & (DATAFRAMES | DRAWING_AND_STORAGE)

    @pytest.mark.parametrize("argv", [
        ["metrics", EVENTS, "--journey", JOURNEY],
        ["metrics", EVENTS, "--journey", JOURNEY, "--format", "table"],
        ["draft", EVENTS],
        ["whatif", EVENTS, "--journey", JOURNEY, "--impact"],
    ], ids=["metrics-json", "metrics-table", "draft", "whatif"])
    def test_measuring_loads_no_chart_export_or_database_library(self, argv: list[str], tmp_path: Path) -> None:
        """`metrics`, `draft` and `whatif` read and measure a log; they draw and store nothing."""
        loaded = roots(after_command(argv, tmp_path))
        assert {"polars", "pandas"} <= loaded  # it did read the log
        assert not loaded & DRAWING_AND_STORAGE

    def test_help_imports_no_command_module(self, tmp_path: Path) -> None:
        """`journeymap --help` lists every command from the table in journeymap.cli.main, importing none of them."""
        loaded = modules_after("from journeymap.cli.main import main\n"
                               "try:\n    main(['--help'])\nexcept SystemExit as done:\n    assert done.code == 0",
                               tmp_path)
        assert not roots(loaded) & (DATAFRAMES | DRAWING_AND_STORAGE | {"yaml", "jsonschema", "networkx"})
        assert {name for name in loaded if name.startswith("journeymap.")} == {
            "journeymap.cli",
            "journeymap.cli.main",
            "journeymap.cli.options",
            "journeymap.core",
            "journeymap.core.errors",
            "journeymap.core.memory",  # the allocator setting: os and sys only
        }

    def test_a_command_imports_only_its_own_module(self, tmp_path: Path) -> None:
        """`validate` builds the arguments of its own command only; the other command modules stay unread."""
        loaded = after_command(["validate", JOURNEY], tmp_path)
        assert {name for name in loaded if name.startswith("journeymap.cli.")} == {
            "journeymap.cli.main", "journeymap.cli.options", "journeymap.cli.validate"}
