"""The Data page's draft step: the proposed start, end and exit steps with case counts, changed before drafting."""

from __future__ import annotations

from pathlib import Path

from app_driver import drafting, no_exception
from streamlit.testing.v1 import AppTest

from journeymap.ui.data import SOURCES_KEY

REAL = Path(__file__).resolve().parents[1] / "data" / "real"
LOANS = "\n".join(["case,activity,timestamp"] + [
    f"{kind}{i},{activity},2026-01-{day:02d}T{9 + i % 5}:00:00"
    for i in range(6) for kind, path in (("ok", ("submitted", "checked", "approved")),
                                         ("no", ("submitted", "checked", "Application rejected")))
    for day, activity in enumerate(path, start=1)]).encode()




def picker(at: AppTest, role: str):
    return next(w for w in (*at.selectbox, *at.multiselect) if w.key and w.key.endswith(f"_{role}"))


class TestDraftStep:
    def test_proposal_is_shown_with_case_counts(self) -> None:
        """Start, end and exit pickers are preset to the proposal and each option says how many cases."""
        at = drafting("loans.csv", LOANS)
        assert picker(at, "start").value == "submitted"
        assert picker(at, "end").value == ["approved"]
        assert picker(at, "exit").value == ["Application rejected"]
        assert "approved · 6 end here" in picker(at, "end").options

    def test_chosen_steps_wrap_whole(self) -> None:
        """End and exit pickers take the page's width and wrap their chips onto more lines: a third of a
        1280 x 720 page cut a chip's name and hid the next chip."""
        at = drafting("loans.csv", LOANS)
        for role in ("end", "exit"):
            assert picker(at, role).proto.wrap is True, role

    def test_changed_choice_is_drafted(self) -> None:
        """Moving the rejection from exit to end drafts a journey with two end steps and no exit."""
        at = drafting("loans.csv", LOANS)
        picker(at, "exit").set_value([]).run()
        picker(at, "end").set_value(["approved", "Application rejected"]).run()
        at.button(key="jm_load").click().run()
        no_exception(at)
        journey = at.session_state[SOURCES_KEY]["upload-1"].journey
        assert sorted(journey.step(e).label for e in journey.end) == ["Application rejected", "approved"]
        assert journey.exit == () and journey.completion == "last_event"

    def test_timer_step_is_named(self) -> None:
        """On the helpdesk log the automatic close is named as a timer before drafting."""
        at = drafting("helpdesk.xes.gz", (REAL / "helpdesk.xes.gz").read_bytes())
        assert picker(at, "end").value == ["Closed"]
        assert any("Reached by a timer" in c.value for c in at.caption)
