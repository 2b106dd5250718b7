"""Tests for journeymap.journey.samples: the sample journeys and their seeded event logs."""

from __future__ import annotations

import re
import tomllib
from collections import deque
from datetime import UTC, date, datetime, timedelta
from fnmatch import fnmatch
from pathlib import Path

import polars as pl
import pytest
import yaml

import journeymap
from journeymap.journey.samples import (
    COLUMNS,
    SAMPLE_JOURNEYS,
    generate_events,
    journeys_dir,
    off_map_activities,
    sample_events_path,
    sample_journey_path,
    sample_log_bytes,
)

KNOWN_OFF_MAP = {
    "onboarding": {"Manager pinged HR", "Buddy assigned", "Security exception requested"},
    "service_desk": {"Customer called for update", "Priority changed", "Escalated to vendor"},
    "purchase_request": {"Requester chased approval", "Vendor quote attached", "Budget owner changed"},
}
REQUIRED_KEYS = {"id", "name", "description", "owner", "stale_after", "stages", "steps", "transitions", "start", "end"}
_UNIT_SECONDS = {"m": 60, "h": 3_600, "d": 86_400, "w": 604_800}
ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


def seconds(text: str) -> float:
    """'30d' -> seconds."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([mhdw])\s*", text)
    assert match, text
    return float(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def definition(journey_id: str) -> dict:
    """The parsed YAML definition of a sample journey."""
    return yaml.safe_load(sample_journey_path(journey_id).read_text(encoding="utf-8"))


def step_of(spec: dict) -> dict[str, str]:
    """Lower-cased id, label and aliases -> step id."""
    return {name.lower(): step["id"] for step in spec["steps"]
            for name in (step["id"], step["label"], *step.get("aliases", []))}


def as_list(value: str | list[str] | None) -> list[str]:
    """A step or list of steps as a list."""
    return [] if value is None else [value] if isinstance(value, str) else list(value)


def with_steps(frame: pl.DataFrame, spec: dict) -> pl.DataFrame:
    """Events in case/time/file order with their step (null if off-map) and arrival time in seconds."""
    ts = pl.col("timestamp")
    if frame.schema["timestamp"] == pl.String:
        ts = ts.str.to_datetime("%Y-%m-%dT%H:%M:%SZ", time_zone="UTC")
    return (
        frame.with_row_index("row")
        .with_columns(
            ts.alias("ts"),
            pl.col("activity").str.to_lowercase().replace_strict(step_of(spec), default=None).alias("step"),
        )
        .sort("case_id", "ts", "row")
        .with_columns(
            (pl.col("ts") - pl.col("ts").shift().over("case_id")).dt.total_seconds().alias("arrival_s"),
            pl.col("ts").min().over("case_id").alias("case_start"),
        )
    )


def case_summary(events: pl.DataFrame, spec: dict) -> pl.DataFrame:
    """One row per case: last event, whether it ended or exited, whether any step repeated."""
    final = as_list(spec["end"]) + as_list(spec.get("exit"))
    return events.group_by("case_id").agg(
        last=pl.col("ts").max(),
        finished=pl.col("step").is_in(final).any(),
        rework=pl.col("step").drop_nulls().is_duplicated().any(),
    )


@pytest.fixture(scope="module", params=SAMPLE_JOURNEYS)
def sample(request: pytest.FixtureRequest) -> tuple[str, dict, pl.DataFrame]:
    """(journey id, definition, events with steps) of each shipped sample."""
    journey_id = request.param
    spec = definition(journey_id)
    return journey_id, spec, with_steps(pl.read_csv(sample_events_path(journey_id)), spec)


class TestPaths:
    def test_journeys_dir_is_package_data(self) -> None:
        """journeys_dir() is the journeys/ folder inside the imported package (not a folder of the
        repository), it holds the sample files and nothing else, and the package data the wheel ships
        names every one of them (tests/test_wheel.py installs a wheel and reads them from there)."""
        assert journeys_dir() == Path(journeymap.__file__).parent / "journeys"
        names = {path.name for path in journeys_dir().iterdir()}
        assert names == {f"{journey_id}{suffix}" for journey_id in SAMPLE_JOURNEYS
                         for suffix in (".yaml", ".events.csv.gz")}
        pyproject = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text(encoding="utf-8"))
        shipped = pyproject["tool"]["setuptools"]["package-data"]["journeymap"]
        assert all(any(fnmatch(f"journeys/{name}", pattern) for pattern in shipped) for name in names)

    @pytest.mark.parametrize("journey_id", SAMPLE_JOURNEYS)
    def test_sample_files_exist(self, journey_id: str) -> None:
        """Each sample journey has its YAML definition and a gzipped event log under 2 MB."""
        assert sample_journey_path(journey_id) == journeys_dir() / f"{journey_id}.yaml"
        assert sample_journey_path(journey_id).is_file()
        log = sample_events_path(journey_id)
        assert log.name == f"{journey_id}.events.csv.gz" and log.is_file()
        assert log.read_bytes()[:2] == b"\x1f\x8b"
        assert log.stat().st_size < 2_000_000


class TestDefinitions:
    @pytest.mark.parametrize("journey_id", SAMPLE_JOURNEYS)
    def test_required_keys(self, journey_id: str) -> None:
        """A definition parses with yaml.safe_load, has the required keys, and its id is its file stem."""
        spec = definition(journey_id)
        assert REQUIRED_KEYS <= set(spec)
        assert spec["id"] == journey_id
        seconds(spec["stale_after"])

    @pytest.mark.parametrize("journey_id", SAMPLE_JOURNEYS)
    def test_graph_is_consistent(self, journey_id: str) -> None:
        """Ids are unique, stages and transition ends exist, and every step is reachable from start."""
        spec = definition(journey_id)
        ids = [s["id"] for s in spec["steps"]]
        assert len(ids) == len(set(ids))
        assert {s["stage"] for s in spec["steps"]} <= {g["id"] for g in spec["stages"]}
        nexts: dict[str, list[str]] = {i: [] for i in ids}
        for t in spec["transitions"]:
            assert t["from"] in nexts and t["to"] in nexts, t
            nexts[t["from"]].append(t["to"])
        seen, todo = {spec["start"]}, deque([spec["start"]])
        while todo:
            for nxt in nexts[todo.popleft()]:
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        assert seen == set(ids)
        assert set(as_list(spec["end"]) + as_list(spec.get("exit"))) <= set(ids)

    @pytest.mark.parametrize("journey_id", SAMPLE_JOURNEYS)
    def test_durations_and_change(self, journey_id: str) -> None:
        """Targets and OKR durations are well formed, and one dated change names known steps."""
        spec = definition(journey_id)
        targets = [s["target"] for s in spec["steps"] if "target" in s]
        targets += [t["target"] for t in spec["transitions"] if "target" in t]
        assert targets
        for target in targets:
            assert set(target) <= {"median", "p85", "p95"}
            for value in target.values():
                seconds(value)
        for okr in spec.get("okrs", []):
            assert seconds(okr["target"]) < seconds(okr["baseline"])
        (change,) = spec["changes"]
        assert isinstance(change["date"], date)
        assert set(change["steps"]) <= {s["id"] for s in spec["steps"]}


class TestGenerateEvents:
    def test_deterministic_for_seed(self) -> None:
        """The same seed gives the same frame; another seed gives another one."""
        first = generate_events("service_desk", 300, seed=7)
        assert first.equals(generate_events("service_desk", 300, seed=7))
        assert not first.equals(generate_events("service_desk", 300, seed=8))

    def test_columns_and_formats(self) -> None:
        """Columns come in the documented order; timestamps are ISO-8601 UTC strings; ids are unique per case."""
        frame = generate_events("onboarding", 200, seed=1)
        assert tuple(frame.columns) == COLUMNS
        assert frame.schema["timestamp"] == pl.String
        assert frame["timestamp"].str.contains(ISO_UTC.pattern).all()
        assert frame["case_id"].n_unique() == 200

    def test_as_datetime(self) -> None:
        """as_datetime=True gives a UTC Datetime column with the same instants as the string form."""
        text = generate_events("purchase_request", 150, seed=3)
        stamped = generate_events("purchase_request", 150, seed=3, as_datetime=True)
        assert stamped.schema["timestamp"] == pl.Datetime("us", "UTC")
        parsed = text["timestamp"].str.to_datetime("%Y-%m-%dT%H:%M:%SZ", time_zone="UTC", time_unit="us")
        assert parsed.equals(stamped["timestamp"], check_names=False)

    def test_end_cuts_the_log(self) -> None:
        """No event lies after `end`; cases start within the journey's span before it."""
        end = datetime(2025, 3, 1, tzinfo=UTC)
        frame = generate_events("onboarding", 500, seed=2, end=end, as_datetime=True)
        assert frame["timestamp"].max() <= end
        assert frame["timestamp"].min() >= end - timedelta(days=366)

    @pytest.mark.parametrize("journey_id", SAMPLE_JOURNEYS)
    def test_only_designed_transitions(self, journey_id: str) -> None:
        """Apart from off-map activities, consecutive events follow transitions of the definition."""
        spec = definition(journey_id)
        events = with_steps(generate_events(journey_id, 2_000, seed=5), spec).filter(pl.col("step").is_not_null())
        pairs = events.with_columns(prev=pl.col("step").shift().over("case_id")).drop_nulls("prev")
        observed = set(pairs.select("prev", "step").unique().iter_rows())
        assert observed <= {(t["from"], t["to"]) for t in spec["transitions"]}

    def test_empty_and_unknown(self) -> None:
        """Zero cases give an empty frame with the columns; an unknown journey is a ValueError."""
        assert generate_events("onboarding", 0).columns == list(COLUMNS)
        with pytest.raises(ValueError, match="Unknown sample journey"):
            generate_events("payroll", 10)


class TestSampleLogs:
    @pytest.mark.parametrize("journey_id", SAMPLE_JOURNEYS)
    def test_files_are_current(self, journey_id: str) -> None:
        """The shipped .csv.gz files are byte-for-byte what write_sample_logs() produces."""
        assert sample_events_path(journey_id).read_bytes() == sample_log_bytes(journey_id)

    def test_size_and_window(self, sample) -> None:
        """2,000-4,000 cases over 9-12 months, ending within days of 2026-10-31."""
        _, _, events = sample
        assert 2_000 <= events["case_id"].n_unique() <= 4_000
        first, last = events["ts"].min(), events["ts"].max()
        assert 270 <= (last - first).days <= 366
        assert datetime(2026, 10, 27, tzinfo=UTC) <= last <= datetime(2026, 10, 31, tzinfo=UTC)

    def test_every_activity_maps_or_is_known_off_map(self, sample) -> None:
        """Each activity is a step's id/label/alias (case-insensitive) or one of the known off-map activities."""
        journey_id, _, events = sample
        unmapped = set(events.filter(pl.col("step").is_null())["activity"].unique())
        assert unmapped == KNOWN_OFF_MAP[journey_id] == set(off_map_activities(journey_id))

    def test_aliases_matter(self, sample) -> None:
        """Some activities are not a step's label verbatim, so alias/case mapping is needed."""
        _, spec, events = sample
        labels = {s["label"] for s in spec["steps"]}
        mapped = events.filter(pl.col("step").is_not_null())
        assert mapped.filter(~pl.col("activity").is_in(labels)).height > 0.1 * mapped.height

    def test_in_flight_cases(self, sample) -> None:
        """Some cases have their last event within 3 days of the log's end and no end or exit step."""
        _, spec, events = sample
        cases = case_summary(events, spec)
        end = events["ts"].max()
        assert cases.filter(~pl.col("finished") & (pl.col("last") >= end - timedelta(days=3))).height >= 20

    def test_drop_offs(self, sample) -> None:
        """Some unfinished cases are silent for longer than stale_after before the log's end."""
        _, spec, events = sample
        cases = case_summary(events, spec)
        cutoff = events["ts"].max() - timedelta(seconds=seconds(spec["stale_after"]))
        assert cases.filter(~pl.col("finished") & (pl.col("last") < cutoff)).height >= 30

    def test_exits_and_completions(self, sample) -> None:
        """Cases reach end steps, and some reach exit steps."""
        _, spec, events = sample
        assert events.filter(pl.col("step").is_in(as_list(spec["end"])))["case_id"].n_unique() > 1_000
        assert events.filter(pl.col("step").is_in(as_list(spec["exit"])))["case_id"].n_unique() >= 30

    def test_rework(self, sample) -> None:
        """Some cases visit a step more than once."""
        _, spec, events = sample
        assert case_summary(events, spec)["rework"].sum() >= 50

    def test_few_exact_ties(self, sample) -> None:
        """A few consecutive events of a case share a timestamp, but under 2% of them."""
        _, _, events = sample
        ties = events.filter(pl.col("arrival_s") == 0).height
        assert 0 < ties < 0.02 * events.height

    def test_durations_are_skewed(self, sample) -> None:
        """Arrival times are right-skewed: at the slowest step, mean > median and p95 > 2x median."""
        _, _, events = sample
        arrival = pl.col("arrival_s")
        by_step = events.drop_nulls(["step", "arrival_s"]).group_by("step").agg(
            total=arrival.sum(), mean=arrival.mean(), median=arrival.median(), p95=arrival.quantile(0.95, "linear"))
        top = by_step.sort("total", descending=True).row(0, named=True)
        assert top["mean"] > top["median"]
        assert top["p95"] > 2 * top["median"]

    def test_change_shrinks_bottleneck(self, sample) -> None:
        """Cases starting after the dated change reach the changed step at least 25% faster (median)."""
        _, spec, events = sample
        change = spec["changes"][0]
        when = datetime.combine(change["date"], datetime.min.time(), tzinfo=UTC)
        arrivals = events.filter(pl.col("step").is_in(change["steps"])).drop_nulls("arrival_s")
        pre = arrivals.filter(pl.col("case_start") < when)["arrival_s"]
        post = arrivals.filter(pl.col("case_start") >= when)["arrival_s"]
        assert pre.len() >= 100 and post.len() >= 100
        assert post.median() <= 0.75 * pre.median()

    @pytest.mark.parametrize(("journey_id", "column", "value", "step"), [
        ("onboarding", "location", "Warsaw", "equipment_shipped"),
        ("service_desk", "location", "Singapore", "assigned"),
        ("purchase_request", "channel", "email", "procurement_review"),
    ])
    def test_segment_is_slower_at_one_step(self, journey_id: str, column: str, value: str, step: str) -> None:
        """One segment value is clearly slower (median arrival x1.4 or more) at one step."""
        spec = definition(journey_id)
        events = with_steps(pl.read_csv(sample_events_path(journey_id)), spec)
        at = events.filter(pl.col("step") == step).drop_nulls("arrival_s")
        slow = at.filter(pl.col(column) == value)["arrival_s"].median()
        rest = at.filter(pl.col(column) != value)["arrival_s"].median()
        assert slow >= 1.4 * rest
