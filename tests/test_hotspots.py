"""Hotspots: ranked by delay share, flagged for targets, drop-off and rework, with a sentence."""

from __future__ import annotations

from journeymap.journey.definition import journey_from_yaml, load_journey
from journeymap.journey.samples import sample_events_path, sample_journey_path
from journeymap.log.readers import read_events
from journeymap.measures.hotspots import find_hotspots, where_time_goes
from journeymap.measures.metrics import compute_metrics
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


def drafted(cases: dict[str, list[tuple[str, float]]], automatic: tuple[str, ...] = ()):
    """Metrics of a hand-made log against its own draft, with some steps marked automatic."""
    from dataclasses import replace

    from journeymap.measures.draft import draft_journey

    events = build_events(cases)
    journey = draft_journey(events)
    steps = tuple(replace(s, automatic=s.label in automatic) for s in journey.steps)
    return compute_metrics(events, replace(journey, steps=steps))


class TestSentencesThatHold:
    def test_many_short_visits_say_so(self) -> None:
        """A share built from many short repeats says how many visits and how short most are."""
        cases = {}
        for i in range(10):
            # 20 one-minute visits to "check" and one 10-hour visit, then a 2-hour wait for "done"
            visits = [("check", 1 / 60 * (k + 1)) for k in range(20)] + [("check", 10 + 20 / 60)]
            cases[f"c{i}"] = [("open", 0), *visits, ("done", 12.5)]
        metrics = drafted(cases)
        check = next(h for h in find_hotspots(metrics) if h.label == "check")
        assert check.sentence.startswith("check: 83% of lead time over 210 visits (21.0 per case), half of them within")
        assert "within 1 min, the longest 10.0 h" in check.sentence

    def test_a_few_long_waits_say_so(self) -> None:
        """A big share with a short median comes from a long tail, and the sentence names it."""
        cases = {f"c{i}": [("open", 0), ("review", 0.01), ("done", 0.02)] for i in range(18)}
        cases.update({f"slow{i}": [("open", 0), ("review", 100), ("done", 100.01)] for i in range(2)})
        metrics = drafted(cases)
        review = next(h for h in find_hotspots(metrics) if h.label == "review")
        assert "mostly from a few long waits: median 36 s, p95" in review.sentence

    def test_automatic_wait_is_not_a_hotspot(self) -> None:
        """A step reached by a timer holds lead time but is never ranked; the headline says it is automatic."""
        cases = {f"c{i}": [("open", 0), ("resolve", 2 + i), ("closed", 2 + i + 15 * 24)] for i in range(30)}
        metrics = drafted(cases, automatic=("closed",))
        hotspots = find_hotspots(metrics)
        assert hotspots and hotspots[0].label == "resolve"
        assert "closed" not in [h.label for h in hotspots]
        assert "is the automatic wait for closed" in where_time_goes(metrics)

    def test_ranking_follows_delay_share(self) -> None:
        """The first marker goes to the step with the largest share of lead time (the map's default colour)."""
        metrics = compute_metrics(shipping_log(), JOURNEY)
        top = find_hotspots(metrics)[0]
        assert top.step == metrics.steps.loc[metrics.steps["delay_share"].idxmax(), "step"]


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

    def test_nothing_completed(self) -> None:
        """With no completed case the summary says so instead of dividing by zero."""
        metrics = compute_metrics(build_events({"a": [("order", 0)]}), JOURNEY)
        assert "No case has reached an end step yet" in where_time_goes(metrics)
