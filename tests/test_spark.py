"""Spark as an engine (local mode): the same figures as Polars, figure by figure, and only journey-sized
tables brought back to the driver.

One `local[2]` session serves the whole run (starting a JVM costs more than measuring a sample log),
and each log is measured once per engine (module fixtures), then compared table by table.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import polars as pl
import pytest
from pyspark.sql import DataFrame, SparkSession

from frames import comparable
from journeymap.cli.main import main
from journeymap.core.errors import JourneyError
from journeymap.engine import spark as spark_engine
from journeymap.engine.spark import spark_session, to_spark
from journeymap.journey.definition import load_journey
from journeymap.journey.samples import sample_events_path, sample_journey_path
from journeymap.log.readers import read_events
from journeymap.measures.metrics import JourneyMetrics, compute_metrics
from journeymap.measures.okr import okr_status
from journeymap.measures.opsmeasures import ops_measures
from journeymap.testing import build_events
from test_workingtime import JOURNEY as TICKET
from test_workingtime import H, ticket_log

SAMPLES = ("onboarding", "purchase_request", "service_desk")
REAL = ("helpdesk.xes.gz", "receipt.csv")
TABLES = ("transitions", "steps", "cases", "variants", "arrival_histogram", "okr_cases")


@pytest.fixture(scope="session")
def spark() -> Iterator[SparkSession]:
    """Spark in local mode on two cores, for the whole test run; its Python workers (working time) are this one."""
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    session = (SparkSession.builder.master("local[2]").appName("journeymap-tests")
               .config("spark.sql.shuffle.partitions", "4").config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false").getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="module", params=SAMPLES + REAL)
def both(request: pytest.FixtureRequest, spark: SparkSession, real_data: Path
         ) -> tuple[JourneyMetrics, JourneyMetrics]:
    """One log measured on Polars and on Spark (samples with their journey, real logs bare)."""
    name = request.param
    if name in SAMPLES:
        journey, frame = load_journey(sample_journey_path(name)), read_events(sample_events_path(name)).frame
    else:
        journey, frame = None, read_events(real_data / name).frame
    return compute_metrics(frame, journey), compute_metrics(to_spark(frame, spark), journey)


@pytest.mark.parametrize("table", TABLES)
def test_tables_are_polars_tables(both: tuple[JourneyMetrics, JourneyMetrics], table: str) -> None:
    """Transitions, steps, cases (lead times, statuses), variants, histogram and OKR times: equal on Spark."""
    polars, spark = both
    assert len(getattr(polars, table)) == len(getattr(spark, table))
    pd.testing.assert_frame_equal(comparable(getattr(spark, table)), comparable(getattr(polars, table)),
                                  check_dtype=False, rtol=1e-9)


def test_headline_figures_are_polars_figures(both: tuple[JourneyMetrics, JourneyMetrics]) -> None:
    """Case and event counts, statuses, lead time, variants, end and exit steps: equal on Spark."""
    polars, spark = both
    for name in ("n_cases", "n_events", "status_counts", "n_variants", "end_steps", "exit_steps",
                 "has_start_times", "as_of_us"):
        assert getattr(spark, name) == getattr(polars, name), name
    assert spark.lead_time == pytest.approx(polars.lead_time, rel=1e-12)  # a median may differ in its last bit
    assert polars.n_cases > 1000  # a real log, not an empty one agreeing with itself


def test_handoffs_are_polars_handoffs(spark: SparkSession) -> None:
    """Handoffs between the teams of a log column come out the same on Spark."""
    journey = load_journey(sample_journey_path("purchase_request"))
    frame = read_events(sample_events_path("purchase_request")).frame
    frame = frame.with_columns(team=pl.format("group {}", pl.col("row") % 3))  # a team per event, often changing
    polars = compute_metrics(frame, journey, team="team").handoffs
    on_spark = compute_metrics(to_spark(frame, spark), journey, team="team").handoffs
    assert polars is not None and on_spark is not None and polars.count > 0
    for name, value in vars(polars).items():
        if isinstance(value, pd.DataFrame):
            pd.testing.assert_frame_equal(comparable(getattr(on_spark, name)), comparable(value), check_dtype=False,
                                          rtol=1e-9)
        elif isinstance(value, float):
            assert getattr(on_spark, name) == pytest.approx(value, rel=1e-9), name
        else:
            assert getattr(on_spark, name) == value, name


def _long_cases() -> pl.DataFrame:
    """40 cases of 60 events each: any event-level result would be 60 times a case-level one."""
    path = [("apply", 0.0)] + [("review", 1.0 + i) for i in range(58)] + [("done", 80.0)]
    return build_events({f"c{i:02d}": [(a, h + i) for a, h in path] for i in range(40)})


def test_only_journey_sized_tables_reach_the_driver(spark: SparkSession, monkeypatch: pytest.MonkeyPatch) -> None:
    """Spark hands back tables per case, step or variant, never the events: they stay on the executors."""
    collected: list[int] = []

    def counted(method: Any, size: Any) -> Any:
        def run(self: DataFrame, *args: Any, **kwargs: Any) -> Any:
            result = method(self, *args, **kwargs)
            collected.append(size(result))
            return result
        return run

    events = _long_cases()
    frame = to_spark(events, spark)
    native = type(frame)  # PySpark's classic DataFrame, which defines its own methods
    original = native.toArrow, native.toPandas, native.collect
    monkeypatch.setattr(native, "toArrow", counted(original[0], lambda table: table.num_rows))
    monkeypatch.setattr(native, "toPandas", counted(original[1], len))
    monkeypatch.setattr(native, "collect", counted(original[2], len))
    metrics = compute_metrics(frame, None)
    assert metrics.n_events == len(events) == 2400 and metrics.n_cases == 40
    # Per case (40 rows), per step, per transition, and the events of the top variants' example
    # cases (here one path of 60 steps): all of it together is a fraction of the 2,400 events.
    assert collected and max(collected) <= 60 and sum(collected) < len(events) / 4, collected


def test_cached_events_are_given_back(spark: SparkSession) -> None:
    """The ordered events cached during a computation are unpersisted when it ends (the session keeps none)."""
    persisted: list[DataFrame] = []
    frame = to_spark(_long_cases(), spark)
    original = type(frame).persist

    def spy(self: DataFrame, *args: Any) -> DataFrame:
        persisted.append(self)
        return original(self, *args)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(type(frame), "persist", spy)
        compute_metrics(frame, None)
    assert persisted and all(not frame.is_cached for frame in persisted)


@pytest.fixture(scope="module")
def working(spark: SparkSession) -> tuple[JourneyMetrics, JourneyMetrics]:
    """The service desk sample in working time (two Berlin calendars with public holidays, the requester's
    steps on none) on Polars and on Spark, a third of its events given a start 20 minutes earlier (the
    start's working clock, waits)."""
    journey = load_journey(sample_journey_path("service_desk"))
    frame = read_events(sample_events_path("service_desk")).frame
    frame = frame.with_columns(start=pl.when(pl.col("row") % 3 == 0).then(pl.col("ts") - 20 * 60 * 1_000_000))
    return (compute_metrics(frame, journey, time="working"),
            compute_metrics(to_spark(frame, spark), journey, time="working"))


@pytest.mark.parametrize("table", TABLES)
def test_working_time_tables_are_polars_tables(working: tuple[JourneyMetrics, JourneyMetrics], table: str) -> None:
    """In working time too, every table is Polars' table on Spark, waits and OKR times included."""
    polars, spark = working
    assert polars.time == spark.time == "working" and polars.has_start_times
    assert len(getattr(polars, table)) == len(getattr(spark, table)) > 0
    pd.testing.assert_frame_equal(comparable(getattr(spark, table)), comparable(getattr(polars, table)),
                                  check_dtype=False, rtol=1e-9)
    assert spark.lead_time == pytest.approx(polars.lead_time, rel=1e-12)


@pytest.mark.parametrize("time", ["calendar", "working"])
def test_working_time_on_spark_is_counted_by_hand(spark: SparkSession, time: str) -> None:
    """The ticket log of test_workingtime on Spark: each transition counts the hours of the step it arrives
    at, and Fix's target and the OKR are judged in working time whichever clock the figures are on."""
    metrics = compute_metrics(to_spark(ticket_log(), spark), TICKET, time=time)
    durations = {(r["from"], r["to"]): r["median_s"] for r in metrics.transitions.to_dict("records")}
    in_working = {("open", "fix"): 3 * H, ("fix", "check"): 6 * H, ("check", "close"): 12 * H}
    in_calendar = {("open", "fix"): (66 + 4) / 2 * H, ("fix", "check"): 10 * H, ("check", "close"): 12 * H}
    assert durations == (in_working if time == "working" else in_calendar)
    assert metrics.steps.set_index("step").loc["fix", "target_actual_s"] == pytest.approx(2 * H + 0.85 * 2 * H)
    assert okr_status(metrics, TICKET.okrs[0]).current_s == 8 * H
    cases = metrics.cases.set_index("case")
    assert cases.loc["y", "age_s"] == (8 * H if time == "working" else 23 * H)


def test_workers_without_journeymap_are_one_sentence(spark: SparkSession, monkeypatch: pytest.MonkeyPatch) -> None:
    """Working time runs journeymap in Spark's Python workers: a worker Python that cannot run it is named."""
    monkeypatch.setattr(spark.sparkContext, "pythonExec", "/nonexistent/python3")
    frame = to_spark(ticket_log(), spark)
    with pytest.raises(JourneyError, match="PYSPARK_PYTHON=.*before the Spark session starts"):
        compute_metrics(frame, TICKET, time="working")


def test_flow_efficiency_and_satisfaction_are_one_sentence(spark: SparkSession) -> None:
    """They need every case's events on this machine: on Spark they are refused in one sentence."""
    frame = to_spark(read_events(sample_events_path("service_desk")).frame.head(50), spark)
    with pytest.raises(JourneyError, match="Flow efficiency and satisfaction is not available with --engine spark"):
        ops_measures(frame, None)


def test_cli_metrics_on_spark(spark: SparkSession, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`journeymap metrics LOG --engine spark` prints the default engine's figures, and says what it leaves out."""
    log = tmp_path / "events.csv"
    events = _long_cases().head(300).to_pandas()
    events["timestamp"] = pd.to_datetime(events["ts"], unit="us", utc=True).dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    events[["case", "activity", "timestamp"]].to_csv(log, index=False)
    assert main(["metrics", str(log)]) == 0
    default = json.loads(capsys.readouterr().out)
    assert main(["metrics", str(log), "--engine", "spark"]) == 0  # the active session: the test's own
    out, err = capsys.readouterr()
    on_spark = json.loads(out)
    assert "not available with --engine spark" in err
    for key in ("n_cases", "n_events", "cases", "lead_time", "steps", "transitions", "variants", "summary"):
        assert on_spark[key] == default[key], key


def test_cli_spark_master_needs_the_spark_engine(capsys: pytest.CaptureFixture[str]) -> None:
    """--spark-master without --engine spark is one sentence, exit 1."""
    code = main(["metrics", str(sample_events_path("onboarding")), "--spark-master", "spark://host:7077"])
    assert code == 1 and "--spark-master goes with --engine spark" in capsys.readouterr().err


def test_without_pyspark_the_sentence_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    """No PySpark installed: one sentence naming the extra to install."""
    monkeypatch.setitem(__import__("sys").modules, "pyspark.sql", None)
    with pytest.raises(JourneyError, match=r"pip install 'journeymap\[spark\]'"):
        spark_session()


def test_a_failed_start_names_java() -> None:
    """A JVM that does not start is told as a missing Java, with the Debian package to install."""
    message = spark_engine._start_failure(RuntimeError("[JAVA_GATEWAY_EXITED] Java gateway process exited"), None)
    assert "Java 17 or newer" in message and "default-jre-headless" in message


def test_local_cores_come_from_the_master() -> None:
    """Local mode's cores (which its shuffle partitions follow): N of local[N], every core for local and local[*]."""
    cores = os.cpu_count()
    masters = ("local[3]", "local[4,2]", "local", "local[*]")
    assert [spark_engine._local_cores(master) for master in masters] == [3, 4, cores, cores]


def test_quantiles_of_several_columns_in_one_aggregation(spark: SparkSession) -> None:
    """Exact, linearly interpolated quantiles per key, two of one column and one of another, each by its name."""
    frame = spark.createDataFrame([(1, 1.0, 10.0), (1, 2.0, 30.0), (1, 3.0, None), (1, 4.0, 20.0), (2, 5.0, None)],
                                  "key long, a double, b double")
    quantiles = [("a_median", "a", 0.5), ("b_median", "b", 0.5), ("a_p25", "a", 0.25)]
    table = spark_engine.quantile_frame(frame, "key", quantiles).toArrow().to_pandas().sort_values("key")
    assert list(table.columns) == ["key", "a_median", "a_p25", "b_median"]
    assert table["a_median"].tolist() == [2.5, 5.0] and table["a_p25"].tolist() == [1.75, 5.0]
    assert table["b_median"].iloc[0] == 20.0 and pd.isna(table["b_median"].iloc[1])  # nulls are left out
