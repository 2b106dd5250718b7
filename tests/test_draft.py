"""Drafting a journey from a log: trusted ends and exits, every observed move on the map, timers marked."""

from __future__ import annotations

import polars as pl
import pytest

from journeymap.core.errors import JourneyError
from journeymap.journey.definition import journey_from_yaml, journey_to_yaml
from journeymap.measures.conformance import conformance
from journeymap.measures.draft import draft_journey, propose_draft, timer_steps
from journeymap.measures.metrics import compute_metrics
from journeymap.testing import build_events


def loan_log():
    """Applications: most approved, some rejected, some cancelled after an offer, a few reopened."""
    cases = {}
    for i in range(20):
        cases[f"ok{i}"] = [("submitted", 0), ("checked", 2 + i % 3), ("offer sent", 30), ("approved", 80 + i)]
    for i in range(8):
        cases[f"no{i}"] = [("submitted", 0), ("checked", 3), ("Application rejected", 5 + i)]
    for i in range(5):
        cases[f"cx{i}"] = [("submitted", 0), ("checked", 2), ("offer sent", 20), ("Offer cancelled", 200)]
    for i in range(3):  # checked twice: a loop
        cases[f"re{i}"] = [("submitted", 0), ("checked", 2), ("checked", 4), ("offer sent", 9), ("approved", 50)]
    cases["odd"] = [("submitted", 0), ("escalated to board", 1), ("approved", 400)]
    return build_events(cases)


class TestProposal:
    def test_ends_and_exits_with_counts(self) -> None:
        """Approvals are proposed as the end, rejections and cancellations as exits, each with its cases."""
        proposal = propose_draft(loan_log())
        assert proposal.start == "submitted" and proposal.starts[0] == ("submitted", 37)
        assert [(o.step, o.ending) for o in proposal.outcomes.end] == [("approved", 24)]
        assert [(o.step, o.ending) for o in proposal.outcomes.exit] == [("Application rejected", 8),
                                                                        ("Offer cancelled", 5)]

    def test_draft_uses_the_proposal(self) -> None:
        """The draft ends where cases end, exits where they fail, and measures case duration."""
        journey = draft_journey(loan_log())
        labels = {s.id: s.label for s in journey.steps}
        assert [labels[e] for e in journey.end] == ["approved"]
        assert sorted(labels[e] for e in journey.exit) == ["Application rejected", "Offer cancelled"]
        assert journey.completion == "last_event"
        metrics = compute_metrics(loan_log(), journey)
        assert metrics.status_counts == {"completed": 24, "exited": 13, "in_flight": 0, "dropped": 0}
        cases = metrics.cases.set_index("case")
        assert cases.loc["ok0", "lead_time_s"] == 80 * 3600

    def test_user_choice_wins(self) -> None:
        """Ends and exits the user confirms replace the proposal; an unknown name is a readable error."""
        journey = draft_journey(loan_log(), end=["approved", "Offer cancelled"], exit=[])
        labels = {s.id: s.label for s in journey.steps}
        assert sorted(labels[e] for e in journey.end) == ["Offer cancelled", "approved"] and not journey.exit
        with pytest.raises(JourneyError, match="at least one end step"):  # the only proposed end made an exit
            draft_journey(loan_log(), exit=["approved"])
        with pytest.raises(JourneyError, match="'closed' is no activity of the log"):
            draft_journey(loan_log(), end=["closed"])


class TestNoOffMapOnItsOwnLog:
    def test_every_observed_transition_is_designed(self) -> None:
        """A drafted journey on its own log has no off-map transitions (loops included)."""
        events = loan_log()
        journey = draft_journey(events)
        assert conformance(compute_metrics(events, journey)).off_map_transitions.empty
        assert journey_from_yaml(journey_to_yaml(journey)) == journey

    def test_hidden_rare_steps_show_off_map(self) -> None:
        """Leaving rare activities out (the user's choice) is the only way to get off-map traffic."""
        events = loan_log()
        journey = draft_journey(events, min_case_share=0.05)
        assert "escalated to board" not in [s.label for s in journey.steps]
        off = conformance(compute_metrics(events, journey)).off_map_transitions
        assert not off.empty

    def test_steps_in_typical_order_and_all_reachable(self) -> None:
        """Steps come in the order cases meet them, and a definition loads (every step reachable)."""
        journey = draft_journey(loan_log())
        labels = [s.label for s in journey.steps]
        assert labels.index("submitted") < labels.index("checked") < labels.index("offer sent") < labels.index(
            "approved")

    def test_empty_log_is_a_readable_error(self) -> None:
        """Nothing to draft from gives one sentence."""
        with pytest.raises(JourneyError, match="no events"):
            draft_journey(build_events({}).head(0))


class TestTimers:
    def test_a_fixed_wait_is_a_timer(self) -> None:
        """Closing exactly 15 days after resolution is a timer; human work spread over days is not."""
        cases = {f"c{i}": [("open", 0), ("resolve", 3 + 7 * i % 50), ("closed", 3 + 7 * i % 50 + 15 * 24)]
                 for i in range(40)}
        events = build_events(cases)
        assert timer_steps(events) == ("closed",)
        journey = draft_journey(events)
        assert [s.label for s in journey.steps if s.automatic] == ["closed"]

    def test_dates_without_a_time_have_no_timers(self) -> None:
        """In a log of dates only, every wait is whole days: the many "next day" steps are work, not timers.
        The same waits at 09:00 and one day apart still read as a timer, so the rule is what differs."""
        cases = {f"c{i}": [("open", i), ("checked", i + 1 + (i % 3 == 0) * (i % 7)), ("closed", 2 * i + 30)]
                 for i in range(40)}
        midnight = {case: [(activity, day * 24 - 9) for activity, day in events] for case, events in cases.items()}
        assert timer_steps(build_events(midnight)) == ()  # EPOCH is 09:00: nine hours back is midnight
        assert "checked" in timer_steps(build_events(cases, unit="d"))

    def test_short_fixed_gaps_are_not_timers(self) -> None:
        """Events a few seconds apart (one system writing two rows) are under the hour a timer needs."""
        cases = {f"c{i}": [("open", i), ("logged", i + 0.001)] for i in range(40)}
        assert timer_steps(build_events(cases)) == ()


def loan_log_spelled_apart() -> pl.DataFrame:
    """The loans, with a quarter of the approvals and checks written in capitals or with a trailing space, as
    two systems feeding one log write them."""
    events = loan_log()
    odd = pl.int_range(pl.len()) % 4 == 0
    return events.with_columns(activity=pl.when(odd & (pl.col("activity") == "approved")).then(pl.lit("APPROVED"))
                               .when(odd & (pl.col("activity") == "checked")).then(pl.lit("checked "))
                               .otherwise(pl.col("activity")))


class TestOneSpelling:
    def test_activities_alike_but_for_case_are_one_step(self) -> None:
        """"APPROVED" and "approved", "checked " and "checked" make one step each, written as most events write
        it; measured against its own log the draft has every approval at its end step and no step unreached."""
        events = loan_log_spelled_apart()
        assert set(events["activity"]) >= {"APPROVED", "approved", "checked ", "checked"}
        proposal = propose_draft(events)
        assert sorted(proposal.activities) == sorted(propose_draft(loan_log()).activities)
        journey = draft_journey(events)
        assert [s.label for s in journey.steps] == [s.label for s in draft_journey(loan_log()).steps]
        assert journey.name_clashes() == []
        metrics = compute_metrics(events, journey)
        assert metrics.status_counts == {"completed": 24, "exited": 13, "in_flight": 0, "dropped": 0}
        assert (metrics.steps["reached"] > 0).all()

    def test_a_choice_in_another_spelling_is_that_step(self) -> None:
        """"APPROVED" chosen as the end is the step "approved" (as most events write it), not an unknown name."""
        journey = draft_journey(loan_log_spelled_apart(), end=["APPROVED"], exit=["offer cancelled "])
        labels = {s.id: s.label for s in journey.steps}
        assert [labels[e] for e in journey.end] == ["approved"] and [labels[e] for e in journey.exit] == [
            "Offer cancelled"]

    def test_an_ingested_log_is_coded_anew(self, tmp_path) -> None:
        """An ingested folder's activity codes are of the spellings as they were; its draft merges them too."""
        from journeymap.cli.main import main
        from journeymap.log.ingest import read_ingested

        log = tmp_path / "loans.csv"
        loan_log_spelled_apart().with_columns(
            timestamp=pl.from_epoch("ts", time_unit="us").dt.strftime("%Y-%m-%dT%H:%M:%S")
        ).select("case", "activity", "timestamp").write_csv(log)
        assert main(["ingest", str(log), "--out", str(tmp_path / "loans.ingested")]) == 0
        frame = read_ingested(tmp_path / "loans.ingested").frame
        assert [s.label for s in draft_journey(frame).steps] == [s.label for s in draft_journey(loan_log()).steps]

    def test_validate_names_two_steps_that_answer_to_one_name(self, tmp_path, capsys) -> None:
        """A journey whose steps 'checked' (relabelled "Approved") and 'approved' both match "approved" is valid,
        and `validate` says which step the events count for; the draft as written draws no such note."""
        from journeymap.cli.main import main

        text = journey_to_yaml(draft_journey(loan_log()))
        path = tmp_path / "loans.yaml"
        path.write_text(text.replace("label: checked", "label: Approved"))
        assert main(["validate", str(path)]) == 0
        err = capsys.readouterr().err
        assert ("the steps 'checked' and 'approved' both answer to the activity name 'approved', so its events "
                "count for 'checked' only") in err
        assert main(["validate", str(tmp_path / "own.yaml")] if (tmp_path / "own.yaml").write_text(text) else []) == 0
        assert "answer to" not in capsys.readouterr().err


class TestCommandLine:
    def test_draft_header_and_choices(self, tmp_path, capsys) -> None:
        """`journeymap draft` names its start, ends and exits with case counts, and takes the user's choice."""
        from journeymap.cli.main import main

        log = tmp_path / "loans.csv"
        frame = loan_log().with_columns(timestamp=pl.from_epoch("ts", time_unit="us").dt.strftime("%Y-%m-%dT%H:%M:%S"))
        frame.select("case", "activity", "timestamp").write_csv(log)
        assert main(["draft", str(log), "--exit", "Offer cancelled"]) == 0
        out = capsys.readouterr().out
        assert out.startswith("# Drafted by journeymap from loans.csv: 37 cases")
        assert "# end: approved (24 cases end here)" in out
        assert "# exit: Offer cancelled (5 cases end here)" in out
        journey = journey_from_yaml(out)
        assert [journey.step(e).label for e in journey.exit] == ["Offer cancelled"]
