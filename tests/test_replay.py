"""The token replay's figures on a hand-made log: cases at each step per frame, totals, the sample's moves."""

from __future__ import annotations

import pytest

from journeymap.charts.replay import PATH_POINTS, REPLAY_PARAM, replay_chart
from journeymap.core.errors import JourneyError
from journeymap.core.moments import to_epoch_us
from journeymap.journey.definition import journey_from_yaml
from journeymap.measures.casetimes import case_step_times
from journeymap.measures.metrics import compute_metrics
from journeymap.measures.replay import default_speed_s, replay_frames, speed_text
from journeymap.testing import EPOCH, build_events

JOURNEY = """
id: tiny
name: Tiny
stages: [{id: s, label: S}]
steps:
  - {id: a, label: Asked, stage: s}
  - {id: b, label: Built, stage: s}
  - {id: c, label: Checked, stage: s}
  - {id: x, label: Cancelled, stage: s}
transitions: [{from: a, to: b}, {from: b, to: c}, {from: c, to: b}, {from: a, to: x}]
start: a
end: [c]
exit: [x]
stale_after: 10d
"""
HOUR_MS = 3_600_000


@pytest.fixture(scope="module")
def tiny():
    """Completed at 5 h (rework after it), exited at 1 h, dropped (silent from 4 h), and one starting at 300 h."""
    events = build_events({
        "done": [("a", 0), ("b", 2), ("c", 5), ("b", 6), ("c", 9)],
        "gone": [("a", 0), ("x", 1)],
        "open": [("a", 300), ("b", 310)],
        "lost": [("a", 0), ("b", 4)],
    })
    return events, journey_from_yaml(JOURNEY)


def first_ten_hours(tiny, **options):
    times = case_step_times(*tiny)
    start = to_epoch_us(EPOCH)
    return replay_frames(times, start_us=start, end_us=start + 10 * 3600 * 1_000_000, frames=11, **options)


class TestCasesHere:
    def test_counts_per_step_per_hour(self, tiny) -> None:
        """A case is at a step from its event there until its next event or its finish (completion, exit)."""
        replay = first_ten_hours(tiny)
        assert replay.bucket_ms == HOUR_MS and replay.frames == 11
        here = {(row.frame, row.step): row.cases for row in replay.here.itertuples()}
        expected = {(0, "a"): 3, (1, "a"): 2, (2, "a"): 1, (2, "b"): 1, (3, "a"): 1, (3, "b"): 1, (4, "b"): 2,
                    **{(k, "b"): 1 for k in range(5, 11)}}
        assert here == expected
        assert "c" not in set(replay.here["step"]), "a completed case leaves the map at completion"

    def test_totals_per_frame(self, tiny) -> None:
        """On the map, and completed / exited / dropped since the period began."""
        totals = first_ten_hours(tiny).totals.set_index("frame")
        assert list(totals["open"]) == [3, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1]
        assert list(totals["completed"]) == [0] * 5 + [1] * 6
        assert list(totals["exited"]) == [0] + [1] * 10
        assert set(totals["dropped"]) == {0}, "silent from 4 h, dropped only after stale_after (10 d)"

    def test_a_dropped_case_leaves_after_stale_after(self, tiny) -> None:
        """The silent case stays at its step until stale_after has passed, then counts as dropped."""
        times = case_step_times(*tiny)
        start = to_epoch_us(EPOCH)
        replay = replay_frames(times, start_us=start, end_us=start + 300 * 3600 * 1_000_000, frames=301)
        totals = replay.totals.set_index("frame")
        assert totals.at[243, "dropped"] == 0 and totals.at[244, "dropped"] == 1
        assert totals.at[243, "open"] == 1 and totals.at[245, "open"] == 0
        assert totals.at[300, "open"] == 1, "the in-flight case has started"

    def test_the_counts_agree_with_the_metrics(self, tiny) -> None:
        """At the last moment, the cases on the map are the in-flight cases plus the dropped ones not yet stale."""
        times = case_step_times(*tiny)
        replay = replay_frames(times)
        metrics = compute_metrics(*tiny)
        last = replay.totals.iloc[-1]
        assert last["open"] == metrics.status_counts["in_flight"]


class TestMoves:
    def test_moves_of_the_sample_stop_at_the_finish(self, tiny) -> None:
        """Every case in the period is a token here; moves after completion (rework) are not replayed."""
        replay = first_ten_hours(tiny, tokens=10)
        assert replay.sampled == replay.n_cases == 3
        moves = sorted((row.source, row.target, row.from_ms, row.to_ms) for row in replay.moves.itertuples())
        base = to_epoch_us(EPOCH) // 1000
        assert moves == sorted(
            [
                ("a", "b", base, base + 2 * HOUR_MS),
                ("b", "c", base + 2 * HOUR_MS, base + 5 * HOUR_MS),
                ("a", "x", base, base + HOUR_MS),
                ("a", "b", base, base + 4 * HOUR_MS),
            ]
        )

    def test_the_sample_is_seeded_and_bounded(self, tiny) -> None:
        """At most `tokens` cases become tokens, the same ones every time."""
        one, two = first_ten_hours(tiny, tokens=2), first_ten_hours(tiny, tokens=2)
        assert one.sampled == 2 and one.moves.equals(two.moves)

    def test_an_empty_period_is_an_error(self, tiny) -> None:
        times = case_step_times(*tiny)
        with pytest.raises(JourneyError, match="ends before it starts"):
            replay_frames(times, start_us=10, end_us=5)


class TestSpeed:
    def test_speeds_read_as_people_say_them(self) -> None:
        assert speed_text(86400) == "1 day per second" and speed_text(14 * 86400) == "2 weeks per second"
        assert speed_text(6 * 3600) == "6 hours per second"

    def test_the_default_plays_the_period_in_about_forty_seconds(self, tiny) -> None:
        """Ten hours played in about 40 s: of the speeds offered, an hour per second is the closest."""
        assert default_speed_s(first_ten_hours(tiny)) == 3600


class TestReplayChart:
    def test_the_chart_carries_the_moment_and_the_paths(self, tiny) -> None:
        """One parameter drives it; each drawn transition is PATH_POINTS points; the measure gives way to counts."""
        metrics = compute_metrics(*tiny)
        chart = replay_chart(metrics, first_ten_hours(tiny), width=800, height=500)
        spec = chart.to_dict()
        assert [p["name"] for p in spec["params"] if p["name"] == REPLAY_PARAM] == [REPLAY_PARAM]
        paths = spec["datasets"]["replay_paths"]
        for pair in ("a|b", "b|c", "a|x"):
            assert sum(row["key"].startswith(pair + "|") for row in paths) == PATH_POINTS
        assert {row["value_text"] for row in spec["datasets"]["journey_nodes"]} == {""}
        first, last = (next(r for r in paths if r["key"] == f"a|b|{j}") for j in (0, PATH_POINTS - 1))
        nodes = {row["step"]: row for row in spec["datasets"]["journey_nodes"]}
        assert abs(first["x"] - nodes["a"]["x"]) < 0.5 and abs(last["x"] - nodes["b"]["x"]) < 0.5
