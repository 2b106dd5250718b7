"""How soon the process gives memory it has freed back to the system: set by the command line and the app.

Polars allocates through jemalloc and configures it, when it is imported, to keep freed pages for half
a second and then to mark them as reclaimable for another second (MADV_FREE): such pages still count
as the process's memory until the system runs short. numpy and pandas allocate through the C library
and cannot reuse them. The figures of ten million events pass from one to the other (Polars tables
become numpy arrays and pandas frames), so what Polars has let go of stays counted while pandas takes
new memory beside it: `journeymap metrics` on benchmarks/bench_scale.py's ingested log peaked at
2.1 GB. Handed back after 200 ms by jemalloc's own background thread, and at once rather than marked,
the peak is about 0.15 GB lower in the same time (README, "How fast"); the app gives the memory of
a computation back between requests.

jemalloc reads its settings once, when Polars is loaded (Polars adds a `_RJEM_MALLOC_CONF` found in
the environment to its own): entry points call `return_freed_memory_promptly` before anything imports
Polars. A setting the user made stands; Polars' own defaults, which a parent process that imported
Polars (a notebook, a script, the test runner) leaves in the environment, are not the user's.
"""

from __future__ import annotations

import os
import sys

__all__ = ["ALLOCATOR_SETTING", "ALLOCATOR_VARIABLE", "return_freed_memory_promptly"]

ALLOCATOR_VARIABLE = "_RJEM_MALLOC_CONF"  # Polars' jemalloc is built with the `_rjem_` prefix
ALLOCATOR_SETTING = "background_thread:true,dirty_decay_ms:200,muzzy_decay_ms:0"
# What Polars itself writes into the variable when it is imported (polars/__init__.py, with POLARS_THP=1 the
# second): found in a child process's environment, it is Polars' choice, not the user's.
_POLARS_DEFAULTS = ("dirty_decay_ms:500,muzzy_decay_ms:1000",
                    "dirty_decay_ms:500,muzzy_decay_ms:1000,thp:always,metadata_thp:always")


def return_freed_memory_promptly() -> bool:
    """Ask Polars' allocator to give freed memory back within 200 ms; True if the setting was made here
    (False when Polars is loaded already, where it could not apply, or the user chose their own)."""
    chosen = os.environ.get(ALLOCATOR_VARIABLE)
    if "polars" in sys.modules or (chosen is not None and chosen not in _POLARS_DEFAULTS):
        return False
    os.environ[ALLOCATOR_VARIABLE] = ALLOCATOR_SETTING
    return True
