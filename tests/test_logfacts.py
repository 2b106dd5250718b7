"""The draft's facts of a log: the same whether the log comes in case order, shuffled, or in another engine.

`logarrays.ordered_log` takes a Polars log in case order as it is and sends any other through
`engine.prepare_events`; `logfacts.log_facts` counts on its arrays. Hand-made logs pin the
figures and the tie rule; a property test holds every engine and row order to a plain-Python
count of the same facts.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from unittest import mock

import duckdb
import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from journeymap.engine import logarrays
from journeymap.engine.logarrays import ordered_log
from journeymap.log.columns import CASE_CODE
from journeymap.measures import logfacts
from journeymap.measures.logfacts import log_facts
from journeymap.testing import build_events

SETTINGS = settings(max_examples=80, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


def engines(frame: pl.DataFrame) -> dict[str, object]:
    """The same events as Polars (in the given row order), pandas, a Polars plan and DuckDB."""
    return {"polars": frame, "pandas": frame.to_pandas(), "lazy": frame.lazy(),
            "duckdb": duckdb.from_arrow(frame.to_arrow())}


def plain_paths(frame: pl.DataFrame) -> dict[str, list[str]]:
    """Each case's activities in DESIGN.md's order (timestamp, start with a missing one last, file order)."""
    cases: dict[str, list[tuple]] = defaultdict(list)
    for row in frame.iter_rows(named=True):
        start = row["start"] if row["start"] is not None else 2**63 - 1
        cases[row["case"]].append((row["ts"], start, row["row"], row["activity"]))
    return {case: [event[3] for event in sorted(events)] for case, events in cases.items()}


def plain_facts(frame: pl.DataFrame) -> dict[str, object]:
    """The facts counted in plain Python from the cases' paths: the reference the fast code is held to."""
    cases = plain_paths(frame)
    reached, starting, ending, positions, moves = Counter(), Counter(), Counter(), defaultdict(list), defaultdict(set)
    for case, path in cases.items():
        starting[path[0]] += 1
        ending[path[-1]] += 1
        for activity in set(path):
            reached[activity] += 1
            positions[activity].append(path.index(activity))
        for source, target in zip(path, path[1:]):
            moves[source, target].add(case)
    return {"n_cases": len(cases), "reached": dict(reached), "starting": dict(starting),
            "ending": dict(ending), "first_position": {a: sum(p) / len(p) for a, p in positions.items()},
            "transitions": {pair: len(c) for pair, c in moves.items()}}


def facts_of(events: object, by_position: bool | None = None) -> dict[str, object]:
    """The facts as plain dicts; `by_position` forces one way of finding first visits."""
    if by_position is None:
        facts = log_facts(events)
    else:
        with mock.patch.object(logfacts, "_by_position", lambda n_steps, lengths: by_position):
            facts = log_facts(events)
    return {"n_cases": facts.n_cases, "reached": facts.reached, "starting": facts.starting,
            "ending": {o.step: o.ending for o in facts.outcomes.last_steps},
            "first_position": facts.first_position,
            "transitions": {(f, t): n for f, t, n in facts.transitions.itertuples(index=False)}}


class TestHandMade:
    @pytest.mark.parametrize("by_position", [True, False])
    def test_counts_of_a_small_log(self, by_position: bool) -> None:
        """Cases reached, started and ended per activity, first positions and moves, counted by hand
        (first visits found position by position, and by sorting)."""
        events = build_events({"a": [("open", 0), ("fix", 1), ("fix", 2), ("close", 3)],
                               "b": [("open", 0), ("close", 1)],
                               "c": [("fix", 0), ("open", 1), ("fix", 2)]})
        with mock.patch.object(logfacts, "_by_position", lambda n_steps, lengths: by_position):
            facts = log_facts(events)
        assert facts.n_cases == 3
        assert facts.reached == {"open": 3, "fix": 2, "close": 2}
        assert facts.starting == {"open": 2, "fix": 1}
        assert facts.first_position == {"open": (0 + 0 + 1) / 3, "fix": (1 + 0) / 2, "close": (3 + 1) / 2}
        moves = {(f, t): n for f, t, n in facts.transitions.itertuples(index=False)}
        assert moves == {("open", "fix"): 2, ("fix", "fix"): 1, ("fix", "close"): 1, ("open", "close"): 1,
                         ("fix", "open"): 1}
        assert list(facts.transitions["cases"]) == sorted(facts.transitions["cases"], reverse=True)
        assert {o.step: o.ending for o in facts.outcomes.last_steps} == {"close": 2, "fix": 1}

    def test_ties_follow_start_then_file_order(self) -> None:
        """Two events at one moment come by start time (a missing one last), then by file order,
        even when the rows are written the other way round."""
        events = build_events([("a", "second", 1), ("a", "first", 1), ("a", "zero", 0)])
        assert facts_of(events)["transitions"] == {("zero", "second"): 1, ("second", "first"): 1}
        started = build_events([("a", "late start", 1), ("a", "early start", 1), ("a", "no start", 1)],
                               starts={("a", 0): 0.5, ("a", 1): 0.2})
        assert facts_of(started)["transitions"] == {("early start", "late start"): 1, ("late start", "no start"): 1}

    def test_a_case_in_two_runs_is_one_case(self) -> None:
        """A log not grouped by case (a, b, a) is sorted: case a reaches 'x' once, from its first event."""
        events = build_events([("a", "x", 0), ("b", "x", 0), ("a", "y", 1), ("a", "x", 2)])
        facts = facts_of(events)
        assert facts["n_cases"] == 2 and facts["reached"] == {"x": 2, "y": 1}
        assert facts["transitions"] == {("x", "y"): 1, ("y", "x"): 1}

    def test_the_order_is_taken_as_it_is_only_when_it_is_case_order(self) -> None:
        """The fast path takes a log in case order and refuses one that is not (the general path sorts it)."""
        grouped = build_events({"a": [("x", 0), ("y", 1)], "b": [("y", 0), ("x", 0)]})  # b's tie in file order
        assert logarrays._as_it_is(grouped) is not None
        for unordered in (build_events([("a", "x", 1), ("a", "y", 0)]),            # time goes back
                          build_events([("a", "x", 0), ("b", "x", 0), ("a", "y", 1)]),  # a case in two runs
                          grouped.reverse()):                                       # b's tie in reverse file order
            assert logarrays._as_it_is(unordered) is None
            assert facts_of(unordered) == plain_facts(unordered)

    def test_empty_log(self) -> None:
        """No events: no cases, no facts, an empty transition table."""
        facts = log_facts(build_events({}).head(0))
        assert facts.n_cases == 0 and facts.reached == {} and facts.transitions.empty and facts.timers == ()
        assert list(facts.transitions.columns) == ["from", "to", "cases"]

    def test_many_activities(self) -> None:
        """Past 64 activities (a word of bits), 256 (a byte) and 65,536 possible moves the codes
        outgrow the small keys; codes 64 apart share a bit and still count apart."""
        events = build_events({f"c{i}": [(f"a{i}", 0), (f"a{i + 1}", 1), (f"a{i}", 2), (f"a{i + 64}", 3)]
                               for i in range(300)})
        assert facts_of(events) == plain_facts(events)
        assert ordered_log(events).step.max() == 363  # 364 activities

    def test_which_way_first_visits_are_found(self) -> None:
        """Position by position while activities fit a word and cases are short beside the log."""
        assert logfacts._by_position(64, np.array([3] * 100))
        assert not logfacts._by_position(65, np.array([3] * 100))
        assert not logfacts._by_position(10, np.array([3] * 10 + [200]))


@st.composite
def event_logs(draw: st.DrawFn) -> pl.DataFrame:
    """A few cases of a few activities with tied times, some start times, in case or in any order."""
    activities = draw(st.lists(st.sampled_from(["a", "b", "c", "Dé", "e e", ""]), min_size=1, max_size=5,
                               unique=True))
    rows = []
    for case in range(draw(st.integers(1, 6))):
        for _ in range(draw(st.integers(1, 6))):
            rows.append((f"case {case}", draw(st.sampled_from(activities)), draw(st.integers(0, 4)),
                         draw(st.one_of(st.none(), st.integers(0, 4)))))
    if draw(st.booleans()):
        rows = draw(st.permutations(rows))
    elif draw(st.booleans()):  # grouped by case, in time order within each
        rows.sort(key=lambda event: (event[0], event[2]))
    frame = build_events([(case, activity, ts) for case, activity, ts, _ in rows])
    start = [None if s is None else frame["ts"][i] - s * 3_600_000_000 for i, (*_, s) in enumerate(rows)]
    return frame.with_columns(start=pl.Series(start, dtype=pl.Int64))


class TestEveryEngineAndOrder:
    @SETTINGS
    @given(event_logs())
    def test_facts_agree_with_a_plain_count(self, frame: pl.DataFrame) -> None:
        """Polars (in its row order), pandas, a Polars plan and DuckDB, first visits found position
        by position or by sorting, all give the plain count's facts."""
        expected = plain_facts(frame)
        for name, events in engines(frame).items():
            for by_position in (True, False):
                got = facts_of(events, by_position)
                assert got.pop("first_position") == pytest.approx(expected["first_position"]), (name, by_position)
                assert got == {k: v for k, v in expected.items() if k != "first_position"}, (name, by_position)

    @SETTINGS
    @given(event_logs())
    def test_arrays_are_in_case_order(self, frame: pl.DataFrame) -> None:
        """Each case's events are one run in the arrays, in time order."""
        log = ordered_log(frame)
        case = np.cumsum(log.first) - 1
        assert len(log.first) == len(log.step) == len(log.ts) == frame.height and log.first[:1].all()
        assert (log.starts == np.flatnonzero(log.first)).all()
        assert (log.waits(0, frame.height - 1)[~log.first[1:]] >= 0).all()
        assert sorted(Counter(case).values()) == sorted(Counter(frame["case"].to_list()).values())
        steps = {case: Counter(path) for case, path in plain_paths(frame).items()}
        by_code = Counter()
        for c, code in zip(case, log.step):
            by_code[c, log.names[code]] += 1
        assert sorted(by_code.values()) == sorted(n for counts in steps.values() for n in counts.values())


def plain_timers(frame: pl.DataFrame) -> tuple[str, ...]:
    """Timer steps by the rule itself: at least 20 arrivals, and a fifth of an activity's arrivals,
    after the same wait of an hour or more to within 1% (a 2% bin of the wait's logarithm)."""
    arrivals: Counter[str] = Counter()
    bins: dict[str, Counter[int]] = defaultdict(Counter)
    times: dict[str, list[tuple]] = defaultdict(list)
    for row in frame.iter_rows(named=True):
        start = row["start"] if row["start"] is not None else 2**63 - 1
        times[row["case"]].append((row["ts"], start, row["row"], row["activity"]))
    for events in times.values():
        events.sort()
        for (before, *_), (after, _, _, activity) in zip(events, events[1:]):
            arrivals[activity] += 1
            wait_s = (after - before) / 1_000_000
            if wait_s >= logfacts.TIMER_MIN_S:
                bins[activity][round(math.log(wait_s) / math.log(1.02))] += 1
    needed = {a: max(logfacts.TIMER_MIN_ARRIVALS, logfacts.TIMER_SHARE * n) for a, n in arrivals.items()}
    return tuple(sorted(a for a, counts in bins.items() if max(counts.values()) >= needed[a]))


class TestTimers:
    def test_a_timer_whose_waits_straddle_a_coarse_bin_edge(self) -> None:
        """Waits are first counted in coarse bins (float bits) that only bound a timer bin: 2**32 µs
        (about 71.6 min) is an edge of those, and 24 waits a tenth of a second either side of it are
        one 2% bin: a timer (beside 80 waits spread over days), though neither coarse bin holds 20 of them."""
        edge_h = 2**32 / 3_600_000_000
        cases = {f"c{i}": [("open", 0), ("wait", i), ("closed", i + edge_h + (0.1 if i % 2 else -0.1) / 3600)]
                 for i in range(24)}
        cases |= {f"s{i}": [("open", 0), ("wait", i), ("closed", i + 2 + 0.37 * i)] for i in range(80)}
        events = build_events(cases)
        assert plain_timers(events) == ("closed",)
        assert log_facts(events).timers == ("closed",)
        coarse = np.float32([2**32 - 100_000, 2**32 + 100_000]).view(np.int32) >> logfacts._COARSE_SHIFT
        assert coarse[1] == coarse[0] + 1  # the two halves do fall in neighbouring coarse bins

    @SETTINGS
    @given(st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), st.sampled_from([0.99, 1.0, 1.19, 26.0, 400.0]),
                              st.integers(0, 40), st.floats(0.0, 0.04)), min_size=1, max_size=4),
           st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), st.floats(0.5, 500.0)), max_size=60))
    def test_timers_agree_with_the_rule(self, clusters: list[tuple[str, float, int, float]],
                                        spread: list[tuple[str, float]]) -> None:
        """Waits into a few activities, some clustered (n waits within a few percent of a length near
        an hour, or longer), some spread: the fast count names the timers the rule names, in every engine."""
        waits = [(activity, hours * (1 + width * (k / max(n, 1) - 0.5)))
                 for activity, hours, n, width in clusters for k in range(n)] + spread
        frame = build_events({f"c{i}": [("open", 0.0), (activity, hours)] for i, (activity, hours) in enumerate(waits)})
        expected = plain_timers(frame)
        for name, events in engines(frame).items():
            assert log_facts(events).timers == expected, name


class TestIngestedColumns:
    @SETTINGS
    @given(event_logs())
    def test_case_codes_and_enum_activities_give_the_arrays_of_the_text(self, frame: pl.DataFrame) -> None:
        """A log with an ingested log's columns (an integer code per case, activities an Enum in another order
        than they appear) gives the very arrays of the same log as text: runs, codes, names and their order."""
        categories = sorted(set(frame["activity"].to_list()), reverse=True)
        coded = frame.with_columns(pl.col("case").rank("dense").cast(pl.Int32).alias(CASE_CODE),
                                   pl.col("activity").cast(pl.Enum(categories)))
        assert (logarrays._as_it_is(coded) is None) == (logarrays._as_it_is(frame) is None)
        got, expected = ordered_log(coded), ordered_log(frame)
        assert got.names == expected.names
        for field in ("first", "starts", "step", "ts"):
            assert np.array_equal(getattr(got, field), getattr(expected, field)), field
        assert got.step.dtype == expected.step.dtype
