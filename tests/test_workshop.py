"""Workshop logic without a database: RICE, backlog suggestions and the Markdown and CSV exports."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
from collections.abc import Sequence

import pytest

from journeymap.core.errors import JourneyError
from journeymap.journey.definition import journey_from_yaml
from journeymap.measures.hotspots import Hotspot
from journeymap.measures.metrics import JourneyMetrics, compute_metrics
from journeymap.testing import build_events
from journeymap.workshop.backlog import (
    BacklogItem,
    Note,
    Workshop,
    backlog_csv,
    escape_markdown,
    reach_per_quarter,
    rice_score,
    sort_backlog,
    suggest_backlog,
    suggest_impact,
    workshop_markdown,
)

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
SCRIPT = "<script>alert('x')</script>"
JOURNEY = """
id: approval
name: Approval
stages: [{id: all, label: All}]
steps:
  - {id: start, label: Request sent, stage: all}
  - {id: review, label: Manager review, stage: all}
  - {id: done, label: Approved, stage: all}
transitions: [{from: start, to: review}, {from: review, to: done}]
start: start
end: [done]
"""


@pytest.fixture(scope="module")
def metrics() -> JourneyMetrics:
    """14 finished cases starting every 14 days (a 182-day span) and 2 lost at review on day 0.

    Every finished case waits 5 h for review and 45 h more to be done: review holds 10% of the lead
    time and loses 2 of its 16 cases (12.5%); done holds 90%.
    """
    cases: dict[str, Sequence[tuple[str, float]]] = {
        f"c{i}": [("start", i * 14 * 24), ("review", i * 14 * 24 + 5), ("done", i * 14 * 24 + 50)] for i in range(14)}
    cases |= {"lost1": [("start", 0), ("review", 1)], "lost2": [("start", 0), ("review", 2)]}
    return compute_metrics(build_events(cases), journey_from_yaml(JOURNEY))


def note(step: str, kind: str, text: str, *, author: str = "Ann", deleted: bool = False, id: int = 1) -> Note:
    """A note as the store would return it."""
    return Note(id=id, workshop_id=1, step_id=step, kind=kind, text=text, author=author, participant_id=1,
                created_at=T0, updated_at=T0, deleted=deleted)


def workshop(**changes: object) -> Workshop:
    """A workshop value as the facilitator sees it."""
    values: dict[str, object] = dict(id=1, title="Onboarding retro", journey_id="onboarding", join_code="ABCD2345",
                                     votes_per_participant=5, tally_revealed=True, timer_ends_at=None,
                                     date_range="2026-01-01 to 2026-03-31", filters="", created_at=T0)
    return Workshop(**(values | changes))  # type: ignore[arg-type]


class TestRice:
    def test_score_is_reach_times_impact_times_confidence_over_effort(self) -> None:
        """RICE = R × I × C ÷ E with confidence as a 0–1 share."""
        assert rice_score(400, 2, 0.8, 2) == pytest.approx(320.0)

    @pytest.mark.parametrize("fields, word", [((100, 1, 80, 1), "Confidence"), ((100, 1, 0.5, 0), "Effort"),
                                             ((-1, 1, 0.5, 1), "Reach"), ((100, -2, 0.5, 1), "Impact")])
    def test_out_of_range_fields_are_refused_by_name(self, fields: tuple[float, ...], word: str) -> None:
        """Confidence given as a percentage, zero effort or negative numbers raise a JourneyError naming the field."""
        with pytest.raises(JourneyError, match=word):
            rice_score(*fields)

    def test_an_item_with_an_empty_field_has_no_score(self) -> None:
        """A backlog item is scored only once all four fields are filled in."""
        assert BacklogItem("a", reach=10, impact=1, confidence=None, effort=1).rice is None
        assert BacklogItem("a", reach=10, impact=1, confidence=0.5, effort=1).rice == 5.0

    def test_backlog_sorts_highest_score_first_and_unscored_last(self) -> None:
        """Sorting puts the highest RICE first and keeps unscored items at the end in their order."""
        items = [BacklogItem("unscored 1"), BacklogItem("low", reach=10, impact=1, confidence=1, effort=1),
                 BacklogItem("unscored 2"), BacklogItem("high", reach=100, impact=1, confidence=1, effort=1)]
        assert [item.title for item in sort_backlog(items)] == ["high", "low", "unscored 1", "unscored 2"]


class TestSuggestions:
    @pytest.mark.parametrize("delay_share, drop_off_rate, impact", [
        (0.0, 0.0, 0.25), (0.009, 0.0, 0.25), (0.01, 0.0, 0.5), (0.05, 0.0, 1.0), (0.15, 0.0, 2.0),
        (0.30, 0.0, 3.0), (0.0, 0.01, 0.5), (0.0, 0.05, 1.0), (0.0, 0.10, 2.0), (0.0, 0.20, 3.0),
        (0.06, 0.12, 2.0), (0.35, 0.02, 3.0), (float("nan"), 0.0, 0.25),
    ])
    def test_impact_is_the_higher_of_the_delay_and_drop_off_readings(
            self, delay_share: float, drop_off_rate: float, impact: float) -> None:
        """Impact follows the documented rungs and takes the higher of delay share and drop-off rate."""
        assert suggest_impact(delay_share, drop_off_rate) == impact

    def test_reach_scales_cases_through_a_step_to_a_quarter(self, metrics: JourneyMetrics) -> None:
        """16 cases over a 182-day span of case starts are 8 cases per 91-day quarter."""
        assert reach_per_quarter(metrics) == {"start": 8, "review": 8, "done": 7}

    def test_reach_of_a_log_from_one_day_counts_that_day_as_the_span(self) -> None:
        """Cases that all start on one day are scaled as one day's worth, not divided by zero."""
        cases: dict[str, Sequence[tuple[str, float]]] = {"a": [("x", 0), ("y", 1)], "b": [("x", 2), ("y", 3)]}
        one_day = compute_metrics(build_events(cases))
        assert reach_per_quarter(one_day) == {"x": 182, "y": 182}

    def test_voted_steps_and_pain_points_become_opportunities(self, metrics: JourneyMetrics) -> None:
        """Steps with votes or a pain point or idea are suggested, most votes first, with data-based R and I."""
        notes = [note("start", "idea", "Pre-fill the form"), note("done", "question", "Who signs?", id=2),
                 note("review", "pain", "Waits for a manager", id=3)]
        items = suggest_backlog(metrics, {"done": 4, "review": 1}, notes)
        assert [item.step_id for item in items] == ["done", "review", "start"]
        done, review, start = items
        assert (done.reach, done.impact) == (7.0, 3.0)        # 90% of lead time
        assert (review.reach, review.impact) == (8.0, 2.0)    # 10% delay → 1, 12.5% lost → 2
        assert (start.reach, start.impact) == (8.0, 0.25)
        # Named from the step's notes: its first idea, else its first pain point; a question names nothing.
        assert [item.title for item in items] == ["Approved", "Fix: waits for a manager (Manager review)",
                                                  "Pre-fill the form (Request sent)"]
        assert review.notes == "Pain point: Waits for a manager"
        assert done.notes == ""  # questions are not opportunities
        assert all(item.confidence is None and item.effort is None and item.id is None for item in items)

    def test_steps_without_data_and_deleted_notes(self, metrics: JourneyMetrics) -> None:
        """A voted step the data never reached has no Reach or Impact; deleted notes suggest nothing."""
        items = suggest_backlog(metrics, {"legal_check": 2, "start": 0},
                                [note("review", "pain", "gone", deleted=True)])
        assert [(item.step_id, item.reach, item.impact) for item in items] == [("legal_check", None, None)]

    def test_steps_already_on_the_backlog_are_skipped(self, metrics: JourneyMetrics) -> None:
        """Suggestions leave out steps that already have a backlog item."""
        items = suggest_backlog(metrics, {"done": 3, "review": 2}, [], existing=[BacklogItem("x", step_id="done")])
        assert [item.step_id for item in items] == ["review"]


class TestEscaping:
    def test_script_is_shown_as_text(self) -> None:
        """Markup in a note is HTML-escaped, so a Markdown renderer shows it instead of running it."""
        escaped = escape_markdown(SCRIPT)
        assert "<" not in escaped and ">" not in escaped
        assert escaped == "&lt;script&gt;alert('x')&lt;/script&gt;"

    def test_markdown_marks_are_backslashed_and_lines_joined(self) -> None:
        """Emphasis, links, code, table pipes and headings in a note stay literal; line breaks become spaces."""
        assert escape_markdown("*bold* _it_ [a](b) `c` | # h\n\n~x~ \\") == (
            r"\*bold\* \_it\_ \[a\](b) \`c\` \| \# h \~x\~ \\")

    def test_ampersands_stay_readable(self) -> None:
        """A plain ampersand becomes an entity that renders as itself."""
        assert escape_markdown("R&D") == "R&amp;D"


class TestMarkdown:
    def summary(self, **changes: object) -> str:
        """A summary of a small workshop with a script in a note and in a backlog title."""
        values: dict[str, object] = dict(
            journey_name="Employee onboarding",
            hotspots=[Hotspot("done", "Done", ("delay",), 0.9, "Done: 90% of lead time, median 1.9 d.")],
            notes=[note("review", "pain", f"Manager *never* answers {SCRIPT}"),
                   note("done", "idea", "Automate it", author="Bo", id=2),
                   note("review", "question", "Why?", id=3), note("review", "idea", "deleted", deleted=True, id=4)],
            tally={"review": 2, "done": 5, "start": 0},
            backlog=[BacklogItem(f"Unscored {SCRIPT}", step_id="review"),
                     BacklogItem("Faster review", step_id="review", reach=8, impact=2, confidence=0.5, effort=1),
                     BacklogItem("Automate done", step_id="done", reach=7, impact=3, confidence=0.8, effort=0.5)],
            step_labels={"review": "Manager review", "done": "Done"})
        return workshop_markdown(workshop(), **(values | changes))  # type: ignore[arg-type]

    def test_has_every_section_in_order(self) -> None:
        """Title, journey and date range come first, then hotspots, notes, votes and backlog."""
        text = self.summary()
        assert text.startswith("# Onboarding retro\n")
        assert "- Journey: Employee onboarding (onboarding)" in text
        assert "- Data: 2026-01-01 to 2026-03-31" in text and "- Workshop held: 2026-03-02" in text
        positions = [text.index(heading) for heading in ("## Hotspots", "## Notes", "## Votes", "## Backlog")]
        assert positions == sorted(positions)
        assert "1. Done: 90% of lead time, median 1.9 d." in text

    def test_notes_are_grouped_under_their_step(self) -> None:
        """Notes sit under their step's label with kind and author; deleted notes are left out."""
        text = self.summary()
        review = text[text.index("### Manager review"):text.index("### Done")]
        assert "- **Pain point** (Ann): Manager \\*never\\* answers" in review
        assert "- **Question** (Ann): Why?" in review
        assert "- **Idea** (Bo): Automate it" in text[text.index("### Done"):]
        assert "deleted" not in text

    def test_votes_and_backlog_are_ranked(self) -> None:
        """The tally lists most votes first without empty steps; the backlog lists highest RICE first."""
        text = self.summary()
        assert text.index("| Done | 5 |") < text.index("| Manager review | 2 |")
        assert "| Start" not in text
        rows = [line for line in text[text.index("## Backlog"):].splitlines() if line.startswith("| ")][1:]
        assert rows[0].startswith("| 1 | Automate done | Done | 7 | 3 | 80% | 0.5 | 33.6 |")
        assert rows[1].startswith("| 2 | Faster review | Manager review | 8 | 2 | 50% | 1 | 8.0 |")
        assert rows[2].startswith("| 3 | Unscored &lt;script&gt;") and "| – | – | – | – | – |" in rows[2]

    def test_no_markup_from_notes_or_titles_survives(self) -> None:
        """Nothing people typed can open an HTML tag in the summary."""
        text = self.summary()
        assert "<" not in text
        assert text.count("&lt;script&gt;") == 2

    def test_empty_workshop_says_so(self) -> None:
        """With no hotspots, notes, votes or backlog, each section says there is nothing yet."""
        text = self.summary(hotspots=[], notes=[], tally={}, backlog=[])
        assert "No hotspots." in text and "No notes." in text and "| no votes | 0 |" in text


class TestCsv:
    def rows(self, items: list[BacklogItem]) -> list[dict[str, str]]:
        """The CSV export read back as dictionaries."""
        data = backlog_csv(items, {"review": "Manager review"})
        assert data.startswith(codecs.BOM_UTF8)
        return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))

    def test_backlog_rows_sorted_with_scores(self) -> None:
        """One row per item, highest RICE first, with the step label and empty cells for missing fields."""
        rows = self.rows([BacklogItem("Later"),
                          BacklogItem("Review faster", step_id="review", reach=8, impact=2, confidence=0.5,
                                      effort=1, notes="Line one\nline two — ü")])
        assert [row["title"] for row in rows] == ["Review faster", "Later"]
        assert rows[0] == {"rank": "1", "title": "Review faster", "step_id": "review", "step": "Manager review",
                           "reach": "8", "impact": "2", "confidence": "0.5", "effort": "1", "rice": "8",
                           "notes": "Line one\nline two — ü"}
        assert rows[1]["rice"] == "" and rows[1]["reach"] == ""

    def test_numbers_are_written_plainly(self) -> None:
        """Large reach and long fractions are written without exponents, to four decimals."""
        [row] = self.rows([BacklogItem("Big", reach=12_345_678, impact=0.25, confidence=1 / 3, effort=3)])
        assert (row["reach"], row["impact"], row["confidence"], row["rice"]) == ("12345678", "0.25", "0.3333",
                                                                                  "342935.5")

    def test_formulas_are_kept_as_text(self) -> None:
        """A title starting with = or @ is prefixed with an apostrophe so a spreadsheet does not run it."""
        rows = self.rows([BacklogItem("=HYPERLINK(\"http://x\")"), BacklogItem("@SUM(A1)")])
        assert {row["title"] for row in rows} == {"'=HYPERLINK(\"http://x\")", "'@SUM(A1)"}


class TestTimer:
    def test_remaining_counts_down_and_stops_at_zero(self) -> None:
        """The countdown shows the seconds left, 0 once past, and None when no timer is set."""
        ends = T0 + dt.timedelta(minutes=5)
        assert workshop(timer_ends_at=ends).timer_remaining(now=T0) == 300.0
        assert workshop(timer_ends_at=ends).timer_remaining(now=ends + dt.timedelta(seconds=9)) == 0.0
        assert workshop().timer_remaining(now=T0) is None
