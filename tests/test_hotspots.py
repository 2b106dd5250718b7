"""Hotspots: ranked by delay share, flagged for targets, drop-off and rework, with a sentence."""

from __future__ import annotations

from journeymap.definition import journey_from_yaml, load_journey
from journeymap.events import read_events
from journeymap.hotspots import find_hotspots, where_time_goes
from journeymap.metrics import compute_metrics
from journeymap.samples import sample_events_path, sample_journey_path
from journeymap.testing import build_events

JOURNEY = journey_from_yaml("""
id: ship
name: Shipping
stages: [{id: s, label: S}]
steps:
  - {id: order, label: Order, stage: s}
  - {id: pack, label: Pack, stage: s, target: {p85: 2h}}
  - {id: ship, label: Hardware shipping, stage: s}
  - {id: arrive, label: First login, stage: s}
transitions:
  - {from: order, to: pack}
  - {from: pack, to: pack}
  - {from: pack, to: ship}
  - {from: ship, to: arrive}
start: order
end: [arrive]
""")


def shipping_log():
    cases = {}
    # Arrivals into pack: 19 of 1 h and 5 of 6 h, so p85 is 6 h (target 2 h). Into ship: 68 h x4,
    # 74 h x5, 79 h x5, so the median is 74 h = 3.1 d.
    for i in range(10):
        cases[f"c{i}"] = [("order", 0), ("pack", 1 + (5 if i >= 5 else 0)), ("ship", 80), ("arrive", 81)]
    for i in range(4):
        cases[f"re{i}"] = [("order", 0), ("pack", 1), ("pack", 2), ("ship", 70), ("arrive", 71)]
    for i in range(6):
        cases[f"lost{i}"] = [("order", 0), ("pack", 1)]
    cases["anchor"] = [("order", 2000)]
    return build_events(cases)


class TestFindHotspots:
    def test_ranked_by_delay_share_with_sentence(self) -> None:
        """The step holding most of the lead time comes first, its sentence in the user's words."""
        hotspots = find_hotspots(compute_metrics(shipping_log(), JOURNEY))
        first = hotspots[0]
        assert first.step == "ship" and "delay" in first.kinds
        assert first.sentence.startswith("Hardware shipping: ") and "of time to first login" in first.sentence
        assert "median 3.1 d" in first.sentence
        assert [h.delay_share for h in hotspots] == sorted((h.delay_share for h in hotspots), reverse=True)

    def test_target_drop_off_and_rework_flags(self) -> None:
        """Pack breaks its p85 target, loses six cases and is redone by four: all three flags."""
        pack = next(h for h in find_hotspots(compute_metrics(shipping_log(), JOURNEY)) if h.step == "pack")
        assert set(pack.kinds) >= {"target", "drop_off", "rework"}
        assert "p85 6.0 h against a target of 2.0 h" in pack.sentence and "6 cases" in pack.sentence
        assert "4 cases" in pack.sentence and "more than once" in pack.sentence

    def test_sample_onboarding_points_at_shipping(self) -> None:
        """On the onboarding sample the top hotspot is equipment shipping, as built into the data."""
        metrics = compute_metrics(read_events(sample_events_path("onboarding")).frame,
                                  load_journey(sample_journey_path("onboarding")))
        assert find_hotspots(metrics, top=3)[0].step == "equipment_shipped"
        assert "Equipment shipped" in where_time_goes(metrics)

    def test_p85_impact_kind(self) -> None:
        """With p85 impact given, the step whose halving cuts p85 lead time most is flagged and says so."""
        from journeymap.casetimes import case_step_times
        from journeymap.whatif import p85_impact

        events = shipping_log()
        impact = p85_impact(case_step_times(events, JOURNEY))
        ship = next(h for h in find_hotspots(compute_metrics(events, JOURNEY), impact=impact) if h.step == "ship")
        assert "p85_impact" in ship.kinds
        assert "halving it would cut p85 lead time by" in ship.sentence

    def test_nothing_completed(self) -> None:
        """With no completed case the summary says so instead of dividing by zero."""
        metrics = compute_metrics(build_events({"a": [("order", 0)]}), JOURNEY)
        assert "No case has reached an end step yet" in where_time_goes(metrics)
