"""Spark as an engine: a session (local mode on this machine, or a cluster's master), a log handed to it.

PySpark is an optional extra (`pip install 'journeymap[spark]'`) and needs Java 17 or newer; both are
imported or started only here, and a missing one is one sentence that says what to install. The
metrics themselves are the engine-neutral Narwhals code (`journeymap.measures.metrics`): on Spark
the events stay on the executors, cached once after they are ordered (`prepare.materialise`), and
only aggregated tables (per step, per transition, per variant, per case) come back to the driver.
Working time alone runs Python on the executors (`engine.workingtime`), so their Python needs journeymap.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from journeymap.core.errors import JourneyError

__all__ = ["ENGINES", "spark_session", "to_spark", "is_spark", "not_on_spark", "check_workers", "quantile_frame"]

ENGINES = ("polars", "spark")  # what `--engine` chooses between; Polars is the embedded default
# Local mode on a laptop: Spark's default of 200 shuffle partitions makes hundreds of near-empty tasks
# for a log that fits in memory; two per core keep both busy (a cluster keeps its own settings).
# Adaptive execution (on by default since Spark 3.2, said here so a site default cannot turn it off)
# merges small shuffle partitions and turns joins of small tables into broadcasts, at run time.
_PARTITIONS_PER_CORE = 2
_LOCAL_SETTINGS = {
    "spark.sql.adaptive.enabled": "true",
    "spark.sql.adaptive.coalescePartitions.enabled": "true",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
}
_INSTALL = "pip install 'journeymap[spark]'"


def spark_session(master: str | None = None) -> Any:
    """The active SparkSession, or a new one: on `master` (spark://host:7077, yarn, local[4], ...) or in
    local mode on every core of this machine. Errors are one sentence naming what to install or fix."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise JourneyError(f"--engine spark needs PySpark: {_INSTALL} (and Java 17 or newer).") from None
    active = SparkSession.getActiveSession()
    if active is not None and master is None:
        return active
    builder = SparkSession.builder.appName("journeymap").master(master or "local[*]")
    if (master or "local").startswith("local"):
        # Working time runs Python on the executors; in local mode they are this machine, and this
        # interpreter is the one with journeymap (PySpark would start a bare `python3`).
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        partitions = _PARTITIONS_PER_CORE * _local_cores(master or "local[*]")
        for key, value in {**_LOCAL_SETTINGS, "spark.sql.shuffle.partitions": str(partitions)}.items():
            builder = builder.config(key, value)
    try:
        session = builder.getOrCreate()
    except Exception as error:  # PySpark raises its own runtime errors when the JVM does not start
        raise JourneyError(_start_failure(error, master)) from None
    if not os.environ.get("JOURNEYMAP_DEBUG"):
        session.sparkContext.setLogLevel("ERROR")
    return session


def _local_cores(master: str) -> int:
    """The cores a local master runs on: N of local[N] or local[N,F], this machine's for local and local[*]."""
    inside = master.partition("[")[2].partition("]")[0].split(",")[0].strip()
    return int(inside) if inside.isdigit() and int(inside) > 0 else os.cpu_count() or 1


def _start_failure(error: Exception, master: str | None) -> str:
    text = " ".join(str(error).split())
    if "JAVA_GATEWAY_EXITED" in text or "JAVA_HOME" in text or ("java" in text.lower() and "not found" in text.lower()):
        return ("Spark could not start: it needs Java 17 or newer (on Debian: apt-get install default-jre-headless; "
                "or set JAVA_HOME).")
    where = f" on {master}" if master else " in local mode"
    return f"Spark could not start{where}: {text[:300]}"


def to_spark(frame: Any, session: Any) -> Any:
    """A canonical Polars event frame as a Spark DataFrame (through Arrow, columns and types kept)."""
    return session.createDataFrame(frame.to_arrow())


def is_spark(frame: Any) -> bool:
    """Whether `frame` is a PySpark DataFrame (checked by its module, so PySpark is never imported here)."""
    return type(frame).__module__.startswith("pyspark.")


def not_on_spark(frame: Any, what: str) -> None:
    """Refuse, in one sentence, a figure that needs every case's events on this machine when they live on Spark."""
    if is_spark(frame):
        raise JourneyError(f"{what} is not available with --engine spark: it reads every case's events on this "
                           "machine. Run it without --engine spark (the default engine, Polars).")


def check_workers(frame: Any, what: str) -> None:
    """Refuse in one sentence, in local mode, a figure that runs journeymap in Spark's Python workers when
    their Python cannot import it (PySpark starts a bare `python3` unless PYSPARK_PYTHON says otherwise);
    a cluster's executors cannot be looked at from here (the README says to install journeymap there)."""
    try:
        context = frame.sparkSession.sparkContext
        local, python = context.master.startswith("local"), context.pythonExec
    except Exception:  # Spark Connect and Spark-like engines have no SparkContext to ask
        return
    if local and not _imports_journeymap(python):
        raise JourneyError(f"{what} on Spark runs journeymap in Spark's Python workers, and their Python "
                           f"('{python}', from PYSPARK_PYTHON) cannot import it: set PYSPARK_PYTHON={sys.executable} "
                           "before the Spark session starts.")


@lru_cache(maxsize=8)
def _imports_journeymap(python: str) -> bool:
    if python == sys.executable:
        return True
    try:
        probe = subprocess.run([python, "-c", "import journeymap, numpy, pyarrow"], capture_output=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return probe.returncode == 0


def quantile_frame(frame: Any, key: str, quantiles: Sequence[tuple[str, str, float]]) -> Any:
    """Exact, linearly interpolated quantiles of a PySpark DataFrame per `key`: (name, column, q) each.

    One `percentile` per column with an array of its quantiles, in one aggregation: Spark keeps a
    buffer of every value per percentile expression, so three of them over one column cost three
    buffers, and beside a distinct count (the transition table's cases) Spark would build those
    buffers per (key, case) first, a million of them. `median` is `percentile(x, 0.5)` in Spark.
    """
    from pyspark.sql import functions as F

    by_column: dict[str, list[tuple[str, float]]] = {}
    for name, column, q in quantiles:
        by_column.setdefault(column, []).append((name, q))
    buffers = [F.percentile(F.col(column), F.array(*(F.lit(q) for _, q in wanted))).alias(f"_q{i}")
               for i, (column, wanted) in enumerate(by_column.items())]
    picked = [F.col(f"_q{i}")[j].alias(name)
              for i, wanted in enumerate(by_column.values()) for j, (name, _) in enumerate(wanted)]
    return frame.groupBy(key).agg(*buffers).select(key, *picked)
