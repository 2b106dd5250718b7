"""How a log's cases end: the end and exit steps proposed from the data (journeymap.measures.outcomes)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from journeymap.measures.draft import propose_draft
from journeymap.measures.metrics import compute_metrics
from journeymap.measures.outcomes import looks_like_exit, proposed_outcomes
from journeymap.testing import build_events


def log(pattern: dict[tuple[str, ...], int]) -> object:
    """A log with `count` cases following each path, one hour between events."""
    cases = {}
    for path, count in pattern.items():
        for i in range(count):
            cases[f"{'-'.join(path)}-{i}"] = [(activity, hour) for hour, activity in enumerate(path)]
    return build_events(cases)


class TestExitWords:
    @pytest.mark.parametrize("name", ["Application rejected", "A_DECLINED", "Order Cancelled", "Offer withdrawn",
                                      "Aanvraag afgewezen", "Antrag abgelehnt", "INVALID", "Payment failed",
                                      "Request canceled by customer", "no-show", "Delete Purchase Order Item",
                                      "Position gelöscht"])
    def test_negative_outcomes_are_exits(self, name: str) -> None:
        """Rejections, cancellations and withdrawals, in several languages and spellings, read as exits."""
        assert looks_like_exit(name)

    @pytest.mark.parametrize("name", ["Closed", "Resolve ticket", "Approved", "First login", "Dispatched",
                                      "Payment received", "Validate", "Remove Payment Block"])
    def test_ordinary_steps_are_not(self, name: str) -> None:
        """Words inside other words do not count (a 'fail' must start a word)."""
        assert not looks_like_exit(name)


class TestProposedEnds:
    def test_an_end_really_ends_cases(self) -> None:
        """An activity that often comes last but is mostly followed by more work is not an end step."""
        events = log({("open", "fix", "close"): 14, ("open", "close", "fix", "close"): 3, ("open", "fix"): 2,
                      ("open", "close", "fix"): 1})
        metrics = compute_metrics(events)
        # fix ends 3 of 20 cases (15%) but is followed by more in 17 of the 20 that reach it
        assert metrics.end_steps == ("close",)
        assert metrics.status_counts["completed"] == 17

    def test_an_activity_ending_a_fifth_of_cases_is_an_end(self) -> None:
        """Whatever follows it elsewhere, an activity that ends 20% of all cases ends cases."""
        events = log({("open", "send", "decide"): 6, ("open", "send"): 3, ("open", "decide"): 1})
        # send ends 3 of 10 cases, though 6 of the 9 that reach it go on
        assert compute_metrics(events).end_steps == ("decide", "send")

    def test_rejections_are_exits_not_ends(self) -> None:
        """Cases ending in a rejection are exited, and their time is not lead time."""
        events = log({("apply", "review", "approved"): 6, ("apply", "review", "rejected"): 4})
        metrics = compute_metrics(events)
        assert metrics.end_steps == ("approved",) and metrics.exit_steps == ("rejected",)
        assert metrics.status_counts == {"completed": 6, "exited": 4, "in_flight": 0, "dropped": 0}

    def test_rare_last_activities_are_not_ends(self) -> None:
        """An activity that ends under 2% of cases is not proposed as an end, though it always ends them."""
        events = log({("a", "b", "done"): 60, ("a", "odd"): 1})
        assert compute_metrics(events).end_steps == ("done",)

    def test_only_exits_end_the_log(self) -> None:
        """When every case ends in an exit-named activity, the commonest one is still the end (something must be)."""
        events = log({("a", "cancelled"): 3, ("a", "b", "rejected"): 2})
        metrics = compute_metrics(events)
        assert metrics.end_steps == ("cancelled",) and metrics.exit_steps == ("rejected",)

    def test_cases_of_one_event_do_not_make_an_end(self) -> None:
        """A quarter of the tickets were only created: they have not moved, so "created" is no end (they were
        "finished" in 0 s); they are in flight or dropped, and the draft proposes the same ends."""
        events = log({("created", "assigned", "closed"): 30, ("created",): 10})
        metrics = compute_metrics(events)
        assert metrics.end_steps == ("closed",)
        assert metrics.status_counts["completed"] == 30 and metrics.lead_time["count"] == 30
        assert [o.step for o in propose_draft(events).outcomes.end] == ["closed"]
        assert [(o.step, o.ending) for o in propose_draft(events).outcomes.last_steps] == [("closed", 30),
                                                                                           ("created", 10)]

    def test_cases_of_one_event_count_on_neither_side(self) -> None:
        """Closed ends every case that reaches it; that 60 of them were closed-only (a windowed export) takes them
        from both counts, and Closed stays an end."""
        outcomes = proposed_outcomes({"Closed": 100, "Escalated": 300, "Created": 50},
                                     {"Closed": 100, "Escalated": 300, "Created": 1000}, {"Closed": 60, "Created": 50})
        assert [o.step for o in outcomes.end] == ["Escalated", "Closed"]

    def test_a_log_of_one_event_cases_still_has_an_end(self) -> None:
        """Where no case has two events, their activity is what the log has to end at."""
        events = log({("visit",): 8, ("signup",): 3})
        assert compute_metrics(events).end_steps == ("visit", "signup")


DAY = 86_400.0


class TestStaleAfter:
    @pytest.mark.parametrize(("wait_days", "stale_days"), [(3, 30), (30, 30), (31, 35), (49, 49), (52.2, 56)])
    def test_thirty_days_or_the_usual_longest_wait_in_whole_weeks(self, wait_days, stale_days) -> None:
        from journeymap.measures.outcomes import stale_after_of_waits

        assert stale_after_of_waits(1000, 1000, lambda: wait_days * DAY) == stale_days * DAY
        assert stale_after_of_waits(0, 0, lambda: wait_days * DAY) == 30 * DAY  # no waits at all

    def test_a_few_waits_say_nothing_usual(self) -> None:
        """Of 199 waits the 99th percentile is near the longest one: 30 days stay; of 200 it counts."""
        from journeymap.measures.outcomes import MIN_WAITS, stale_after_of_waits

        assert MIN_WAITS == 200
        assert stale_after_of_waits(199, 199, lambda: 400 * DAY) == 30 * DAY
        assert stale_after_of_waits(200, 200, lambda: 400 * DAY) == 406 * DAY
        few = build_events({**{f"c{i}": [("A", 0), ("B", 5)] for i in range(29)}, "slow": [("A", 0), ("B", 400)],
                            "quiet": [("A", 200)]}, unit="d")
        assert compute_metrics(few).cases.set_index("case")["status"]["quiet"] == "dropped"

    def test_the_quantile_is_only_computed_where_it_can_matter(self) -> None:
        """Of 1,000 waits the linear 99th percentile lies between the 990th and 991st: with 9 longer than
        30 days it cannot pass 30 days (not computed); with 10 it can."""
        from journeymap.measures.outcomes import stale_after_of_waits

        def never() -> float:
            raise AssertionError("the quantile was computed")

        assert stale_after_of_waits(1000, 9, never) == 30 * DAY
        assert stale_after_of_waits(1000, 10, lambda: 40 * DAY) == 42 * DAY

    def test_a_slow_log_calls_a_case_in_a_usual_wait_in_flight(self) -> None:
        """Hand-made: 300 cases wait 40 days from Order to Invoice, so 99% of waits are 40 days and a case
        is dropped after 6 weeks (42 d), not 30. At the last event (day 100): 'mid' has been silent 35 days
        (in flight; 30 days would have dropped it), 'gone' 50 days (dropped). The draft writes the same."""
        from journeymap.measures.casetimes import case_step_times
        from journeymap.measures.draft import draft_journey

        cases = {f"c{i}": [("Order", i * 0.15), ("Invoice", i * 0.15 + 40)] for i in range(300)}
        cases |= {"mid": [("Order", 65)], "gone": [("Order", 50)], "late": [("Order", 59.5), ("Invoice", 100)]}
        events = build_events(cases, unit="d")
        metrics = compute_metrics(events)
        statuses = metrics.cases.set_index("case")["status"]
        assert (statuses["mid"], statuses["gone"]) == ("in_flight", "dropped")
        assert case_step_times(events).stale_after_s == 42 * DAY
        assert draft_journey(events).stale_after_s == 42 * DAY
        assert compute_metrics(events, stale_after_s=30 * DAY).cases.set_index("case")["status"]["mid"] == "dropped"

    def test_the_draft_and_the_bare_log_agree_on_a_real_log(self, real_data) -> None:
        """helpdesk: the 99th percentile wait, computed here apart (sort, a case's next event, linear
        quantile), is 52.2 days: 8 weeks for the bare log's statuses and the drafted journey alike."""
        import polars as pl

        from journeymap import read_events
        from journeymap.measures.casetimes import case_step_times
        from journeymap.measures.draft import draft_journey

        events = read_events(real_data / "helpdesk.xes.gz").frame
        waits = (events.sort("case", "ts", "row").select(wait=pl.col("ts").diff().over("case")).drop_nulls()
                 .get_column("wait").quantile(0.99, "linear") / 1e6 / DAY)
        assert 52 < waits < 53
        assert case_step_times(events).stale_after_s == draft_journey(events).stale_after_s == 56 * DAY


@settings(max_examples=25, deadline=None)
@given(short=st.lists(st.floats(0, 29), min_size=190, max_size=420), long=st.lists(st.floats(31, 90), max_size=12))
def test_the_bare_logs_rule_is_the_quantile_of_its_waits(short, long) -> None:
    """Whatever the waits (around the 1% of them over 30 days where the rule skips the quantile), the
    statuses' threshold is the rule applied by hand to the linear 99th percentile computed apart, and the
    draft's is the same."""
    import polars as pl

    waits = short + long  # 0 to 12 waits over 30 days among 190 or more: either side of 1% of them

    from journeymap.measures.casetimes import case_step_times
    from journeymap.measures.draft import draft_journey

    events = build_events({f"c{i}": [("A", 0.0), ("B", wait)] for i, wait in enumerate(waits)}, unit="d")
    usual = pl.Series(waits).quantile(0.99, "linear")
    expected = math.ceil(usual / 7) * 7 * DAY if len(waits) >= 200 and usual > 30 else 30 * DAY
    assert case_step_times(events).stale_after_s == expected
    assert draft_journey(events).stale_after_s == expected
