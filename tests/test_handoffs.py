"""Handoffs between teams, pinned with hand-computed logs on every engine: per case, share of lead
time, team pairs, ping-pong, owners from a log column, the hotspot kind and the map's highlight."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import narwhals as nw
import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from journeymap.charts.map import map_chart
from journeymap.cli.main import main
from journeymap.journey.definition import journey_from_yaml
from journeymap.measures.handoffs import _ping_pong_cases, discrete_quantile, team_column
from journeymap.measures.hotspots import find_hotspots
from journeymap.measures.metrics import compute_metrics
from journeymap.measures.summary import metrics_summary
from journeymap.testing import build_events

H = 3600.0


def journey(steps: str, transitions: str, end: str) -> Any:
    return journey_from_yaml(f"""
id: relay
name: Relay
stages: [{{id: s, label: S}}]
steps:
{steps}
transitions: {transitions}
start: a
end: {end}
""", source="relay.yaml")


# Red owns a and d, Blue owns b and c; e has no owner.
RELAY = journey("""  - {id: a, label: A, stage: s, owner: Red}
  - {id: b, label: B, stage: s, owner: Blue}
  - {id: c, label: C, stage: s, owner: Blue}
  - {id: d, label: D, stage: s, owner: Red}
  - {id: e, label: E, stage: s}""",
                "[{from: a, to: b}, {from: b, to: c}, {from: c, to: d}, {from: b, to: a}, {from: a, to: e}, "
                "{from: e, to: a}]", "d")


def chain_log() -> pl.DataFrame:
    # c1: a -2h-> b -1h-> c -4h-> d: handoffs Red→Blue 2 h, Blue→Red 4 h; lead 7 h.
    # c2: a -1h-> b -1h-> a -2h-> b -1h-> c -1h-> d: Red→Blue 1 h and 2 h, Blue→Red 1 h and 1 h; lead 6 h.
    # c3: a -5h-> b, in flight: one Red→Blue handoff outside any lead time.
    return build_events({"c1": [("a", 0), ("b", 2), ("c", 3), ("d", 7)],
                         "c2": [("a", 0), ("b", 1), ("a", 2), ("b", 4), ("c", 5), ("d", 6)],
                         "c3": [("a", 0), ("b", 5)]})


class TestHandoffChain:
    def test_per_case_and_share_of_lead_time(self, engine: Callable[[pl.DataFrame], Any]) -> None:
        """Completed cases hand off 2 and 4 times (median 3, p85 3.7); 11 of their 13 hours are handoffs."""
        handoffs = compute_metrics(engine(chain_log()), RELAY).handoffs
        assert handoffs is not None and handoffs.owners.source == "journey"
        assert handoffs.count == 7
        assert handoffs.completed_cases == 2
        assert handoffs.per_case_median == pytest.approx(3.0)
        assert handoffs.per_case_p85 == pytest.approx(2 + 0.85 * 2)
        assert handoffs.per_case_mean == pytest.approx(3.0)
        assert handoffs.share_of_lead_time == pytest.approx(11 / 13)

    def test_team_pairs(self, engine: Callable[[pl.DataFrame], Any]) -> None:
        """Blue→Red holds 6 of 13 hours and comes first; Red→Blue counts the in-flight case too."""
        pairs = compute_metrics(engine(chain_log()), RELAY).handoffs.pairs
        assert list(zip(pairs["from_owner"], pairs["to_owner"])) == [("Blue", "Red"), ("Red", "Blue")]
        blue_red, red_blue = pairs.iloc[0], pairs.iloc[1]
        assert (blue_red["count"], blue_red["cases"]) == (3, 2)
        assert blue_red["median_s"] == pytest.approx(1 * H)  # 4 h, 1 h, 1 h
        assert blue_red["per_case"] == pytest.approx(1.5)
        assert blue_red["share_of_lead_time"] == pytest.approx(6 / 13)
        assert blue_red["step"] == "d"  # c→d holds 5 of its 6 hours, b→a one
        assert blue_red["step_share"] == pytest.approx(5 / 6)
        assert (red_blue["count"], red_blue["cases"]) == (4, 3)
        assert red_blue["median_s"] == pytest.approx(2 * H)  # 2 h, 1 h, 2 h, 5 h
        assert red_blue["share_of_lead_time"] == pytest.approx(5 / 13)  # c3's 5 h are in no lead time

    def test_edges_count_the_transitions_that_hand_off(self) -> None:
        """Each step-to-step transition between teams, with how often it was taken as a handoff."""
        edges = compute_metrics(chain_log(), RELAY).handoffs.edges
        assert dict(zip(zip(edges["from"], edges["to"]), edges["handoffs"])) == {
            ("a", "b"): 4, ("c", "d"): 2, ("b", "a"): 1}

    def test_a_step_without_owner_neither_hands_off_nor_receives(self) -> None:
        """a (Red) → e (no owner) → a: no handoff, however long; a case with none counts 0 per case."""
        log = build_events({"x": [("a", 0), ("e", 5), ("a", 6), ("b", 7), ("c", 8), ("d", 9)]})
        handoffs = compute_metrics(log, RELAY).handoffs
        assert handoffs.count == 2  # a→b, c→d
        assert handoffs.share_of_lead_time == pytest.approx(2 / 9)

    def test_no_owners_no_handoffs(self) -> None:
        """A journey whose steps name no owner, on a log without a team column, has no handoffs."""
        bare = journey("  - {id: a, label: A, stage: s}\n  - {id: d, label: D, stage: s}", "[{from: a, to: d}]", "d")
        assert compute_metrics(build_events({"x": [("a", 0), ("d", 1)]}), bare).handoffs is None
        assert metrics_summary(compute_metrics(build_events({"x": [("a", 0), ("d", 1)]}), bare))["handoffs"] is None


class TestPingPong:
    def test_cases_that_return_to_a_team_they_left(self, engine: Callable[[pl.DataFrame], Any]) -> None:
        """Back to the first team, back to a team met later, and back after a detour count; a straight
        relay and a return through an unowned step do not."""
        teams = journey("""  - {id: a, label: A, stage: s, owner: X}
  - {id: b, label: B, stage: s, owner: Y}
  - {id: c, label: C, stage: s, owner: Z}
  - {id: e, label: E, stage: s}""", "[{from: a, to: b}, {from: b, to: c}, {from: a, to: e}]", "c")
        log = build_events({
            "straight": [("a", 0), ("b", 1), ("c", 2)],
            "back": [("a", 0), ("b", 1), ("a", 2)],           # X → Y → X
            "round": [("a", 0), ("b", 1), ("c", 2), ("a", 3)],  # X → Y → Z → X
            "late": [("e", 0), ("b", 1), ("c", 2), ("b", 3)],  # Y → Z → Y
            "unowned": [("a", 0), ("e", 1), ("a", 2)],         # X → ? → X: no handoff at all
        })
        assert compute_metrics(engine(log), teams).handoffs.ping_pong_cases == 3


def team_log(column: str = "team") -> pl.DataFrame:
    """A bare log whose teams are per event: k1 goes L1 → L2 → L2 → L1, k2 stays with L1 then has
    an event of no team."""
    events = build_events({"k1": [("open", 0), ("fix", 2), ("fix", 3), ("close", 4)],
                           "k2": [("open", 0), ("fix", 1), ("close", 2)]})
    return events.with_columns(pl.Series(column, ["L1", "L2", "L2", "L1", "L1", "L1", None]))


def write_team_csv(path: Path, column: str) -> Path:
    """`team_log` as a CSV file with readable timestamps, as a user would have it."""
    team_log(column).with_columns(pl.from_epoch("ts", time_unit="us").alias("timestamp")).select(
        "case", "activity", "timestamp", column).write_csv(path)
    return path


class TestOwnersFromTheLog:
    @pytest.mark.parametrize("placeholder", ["EMPTY", "none", "N/A", "unassigned"])
    def test_a_placeholder_team_is_no_team(self, placeholder: str) -> None:
        """An export's word for 'nobody' (the receipt log writes EMPTY) hands nothing off: with k2's last
        event marked so instead of left blank, the handoffs are k1's two, as before."""
        log = team_log().with_columns(pl.col("team").fill_null(placeholder))
        handoffs = compute_metrics(log, None).handoffs
        assert handoffs.count == 2
        assert placeholder not in handoffs.owners.names
        pairs = {(row.from_owner, row.to_owner) for row in handoffs.pairs.itertuples()}
        assert pairs == {("L1", "L2"), ("L2", "L1")}

    def test_a_team_column_is_found_by_its_name(self, engine: Callable[[pl.DataFrame], Any]) -> None:
        """Without a journey, the `team` column says whose each event is: k1 hands off twice."""
        handoffs = compute_metrics(engine(team_log()), None).handoffs
        assert handoffs.owners.source == "column team"
        assert handoffs.count == 2
        assert handoffs.ping_pong_cases == 1
        assert list(zip(handoffs.pairs["from_owner"], handoffs.pairs["to_owner"], handoffs.pairs["median_s"])) == [
            ("L1", "L2", 2 * H), ("L2", "L1", 1 * H)]
        assert handoffs.per_case_median == pytest.approx(1.0)  # k1 2, k2 0

    def test_a_named_column_wins_over_the_journeys_owners(self) -> None:
        """`team=` takes the teams from that column even when the journey names owners."""
        owned = journey("""  - {id: a, label: A, stage: s, owner: Red}
  - {id: d, label: D, stage: s, owner: Blue}""", "[{from: a, to: d}]", "d")
        log = build_events({"x": [("a", 0), ("d", 1)]}).with_columns(pl.Series("group_name", ["G", "G"]))
        assert compute_metrics(log, owned).handoffs.count == 1
        assert compute_metrics(log, owned, team="group_name").handoffs.count == 0

    @pytest.mark.parametrize(("columns", "found"), [
        (["department", "org:resource", "org:group"], "org:group"),
        (["Resource", "priority"], "Resource"),
        (["Assignment Group"], "Assignment Group"),
        (["department", "priority"], None),
        (["Belegnummer", "Aktivität", "Sachbearbeiter"], "Sachbearbeiter"),  # a German ERP export
        (["Case ID", "Resource", "Role"], "Role"),  # Disco's purchasing example: the role is the team
        (["User", "Équipe"], "Équipe"),
        (["Handled by", "priority"], "Handled by"),
    ])
    def test_team_column_names(self, columns: list[str], found: str | None) -> None:
        """A team beats a person; a department (whose segment a case is) is no team."""
        assert team_column(columns) == found

    def test_an_unknown_team_column_is_one_sentence(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """`--team` naming a column the log lacks says so and lists the columns there are."""
        path = write_team_csv(tmp_path / "log.csv", "squad")
        assert main(["metrics", str(path), "--team", "crew"]) == 1
        error = capsys.readouterr().err
        assert "'crew'" in error and "squad" in error and "Traceback" not in error


class TestMetricsJson:
    def test_handoffs_in_the_metrics_json(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """`journeymap metrics --format json` gives the handoff figures and the pairs with their fields.

        k1 (4 h) hands off L1 → L2 after 2 h and back after 1 more; k2 (2 h) never: 3 of 6 hours.
        """
        path = write_team_csv(tmp_path / "log.csv", "squad")
        assert main(["metrics", str(path), "--team", "squad"]) == 0
        handoffs = json.loads(capsys.readouterr().out)["handoffs"]
        assert handoffs["owners"] == "column squad"
        assert (handoffs["per_case_median"], handoffs["per_case_p85"]) == (1.0, pytest.approx(1.7))
        assert handoffs["ping_pong_cases"] == 1
        assert handoffs["share_of_lead_time"] == pytest.approx(3 / 6)
        first = handoffs["pairs"][0]
        assert set(first) >= {"from_owner", "to_owner", "count", "cases", "median_s", "share_of_lead_time"}
        assert (first["from_owner"], first["to_owner"], first["count"], first["cases"]) == ("L1", "L2", 1, 1)
        assert first["share_of_lead_time"] == pytest.approx(2 / 6)


class TestHotspotKind:
    def spread(self) -> Any:
        """Five cases a(R) -3h-> b(B) -10h-> c(B) -0.5h-> d(R) -3h-> e(B) -10h-> f(B) -10h-> g(B): three
        10-hour steps lead; Red→Blue holds 6 of 36.5 hours, split over b and e."""
        steps = "\n".join(f"  - {{id: {s}, label: {s.upper()}, stage: s, owner: {o}}}"
                          for s, o in zip("abcdefg", ["Red", "Blue", "Blue", "Red", "Blue", "Blue", "Blue"]))
        path = "abcdefg"
        relay = journey(steps, "[" + ", ".join(f"{{from: {x}, to: {y}}}" for x, y in zip(path, path[1:])) + "]", "g")
        offsets = np.cumsum([0, 3, 10, 0.5, 3, 10, 10])
        log = build_events({f"c{i}": list(zip(path, offsets)) for i in range(5)})
        return compute_metrics(log, relay)

    def test_a_handoff_is_a_hotspot_with_its_sentence(self) -> None:
        """The worst pair is ranked by its share among the steps, placed at the step it arrives at."""
        hotspots = find_hotspots(self.spread())
        assert [h.step for h in hotspots] == ["c", "f", "g", "b"]
        handoff = hotspots[3]
        assert handoff.kinds == ("handoff",) and handoff.handoff == ("Red", "Blue")
        assert handoff.label == "Red → Blue"
        assert handoff.delay_share == pytest.approx(6 / 36.5)
        assert handoff.sentence == ("Red → Blue: 16% of lead time waits at this handoff, 2.0 handoffs per case, "
                                    "median 3.0 h, most of it before B.")

    def test_a_handoff_that_is_one_flagged_step_joins_it(self) -> None:
        """A handoff whose time is all the arrival at a step hotspot is that hotspot, listed once."""
        owned = journey("""  - {id: a, label: A, stage: s, owner: Red}
  - {id: b, label: B, stage: s, owner: Red}
  - {id: c, label: C, stage: s, owner: Blue}
  - {id: d, label: D, stage: s, owner: Blue}""", "[{from: a, to: b}, {from: b, to: c}, {from: c, to: d}]", "d")
        log = build_events({f"c{i}": [("a", 0), ("b", 1), ("c", 11), ("d", 12)] for i in range(5)})
        hotspots = find_hotspots(compute_metrics(log, owned))
        flagged = [h for h in hotspots if h.step == "c"]
        assert len(flagged) == 1
        assert flagged[0].kinds == ("delay", "handoff") and flagged[0].handoff == ("Red", "Blue")
        assert flagged[0].sentence.endswith(", at the handoff Red → Blue.")
        assert flagged[0].sentence.startswith("C: 83% of time to d")

    def test_no_handoff_hotspot_under_its_share(self) -> None:
        """A handoff holding under 10% of lead time is no hotspot."""
        owned = journey("""  - {id: a, label: A, stage: s, owner: Red}
  - {id: b, label: B, stage: s, owner: Blue}
  - {id: d, label: D, stage: s, owner: Blue}""", "[{from: a, to: b}, {from: b, to: d}]", "d")
        log = build_events({f"c{i}": [("a", 0), ("b", 0.5), ("d", 10)] for i in range(5)})
        assert all("handoff" not in h.kinds for h in find_hotspots(compute_metrics(log, owned)))


class TestMapHighlight:
    def edges(self, **options: Any) -> pd.DataFrame:
        chart = map_chart(compute_metrics(chain_log(), RELAY), **options)
        return pd.DataFrame(chart.datasets["journey_edges"]).drop_duplicates("edge")

    def test_handoff_edges_get_their_own_kind(self) -> None:
        """With `handoffs`, transitions between teams are drawn as handoffs, with the pair in the tooltip."""
        edges = self.edges(handoffs=True).set_index("name")
        assert edges.loc["A → B", "kind"] == "Handoff between teams"
        assert edges.loc["A → B", "handoff_text"] == "Red → Blue"
        assert edges.loc["B → C", "kind"] == "Designed transition"
        assert edges.loc["B → A", "kind"].startswith("Handoff")

    def test_a_step_with_two_hotspots_carries_both_numbers(self) -> None:
        """A handoff placed at a step that is a hotspot of its own: the step shows both numbers."""
        from journeymap.measures.hotspots import Hotspot

        hotspots = [Hotspot("b", "B", ("delay",), 0.5, "B: …"),
                    Hotspot("b", "Red → Blue", ("handoff",), 0.4, "Red → Blue: …", handoff=("Red", "Blue"))]
        chart = map_chart(compute_metrics(chain_log(), RELAY), hotspots=hotspots)
        nodes = pd.DataFrame(chart.datasets["journey_nodes"]).set_index("step")
        assert nodes.loc["b", "lines"].startswith("①\u00a0②\u00a0B")
        assert nodes.loc["b", "hotspot_text"] == "#1"

    def test_without_the_option_nothing_changes(self) -> None:
        """By default the map draws no handoff kind."""
        assert not self.edges()["kind"].str.startswith("Handoff").any()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 30), st.integers(0, 20)), min_size=1, max_size=12),
       st.sampled_from([0.0, 0.5, 0.85, 0.95, 1.0]))
def test_discrete_quantile_is_numpys_over_the_repeated_values(pairs: list[tuple[int, int]], q: float) -> None:
    """The quantile of a distribution of counts is numpy's linear quantile of the values repeated."""
    values, counts = np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs])
    repeated = np.repeat(values, counts)
    expected = float(np.quantile(repeated, q)) if len(repeated) else None
    assert discrete_quantile(values, counts, q) == (pytest.approx(expected) if expected is not None else None)


def test_ping_pong_in_memory_agrees_with_the_group_by() -> None:
    """The eager engines' slot count and the lazy engines' group-by and join count the same cases,
    on random handoffs between four teams (cases of 0 to 6 handoffs, in event order)."""
    rng = np.random.default_rng(5)
    for _ in range(20):
        sizes = rng.integers(0, 7, size=300)
        case = np.repeat(np.arange(len(sizes)), sizes)
        pair = rng.integers(0, 16, size=len(case))
        pair = pair[pair // 4 != pair % 4] if len(pair) else pair  # a handoff changes team
        case = case[:len(pair)]
        frame = pl.DataFrame({"case_code": case, "pair": pair}).with_row_index("idx").lazy()
        wrapped = nw.from_native(frame)
        assert _ping_pong_cases(wrapped, 4, eager=True) == _ping_pong_cases(wrapped, 4, eager=False)
