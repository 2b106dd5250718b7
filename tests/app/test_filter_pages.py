"""The sidebar's filters with AppTest: what is applied is what the widgets, the URL and the figures show.

The browser half (a date typed and confirmed with Enter, page switches, reloads) is
tests/e2e/test_filters_browser.py.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from app_driver import chart_specs, metric, no_exception, open_app

from journeymap.ui import enter_commits, page_history, state

DATES = "jm_w_dates"


def _first_chart(at) -> str:
    """The first chart's spec as text, non-ASCII characters as themselves ("…")."""
    return json.dumps(json.loads(chart_specs(at)[0]), ensure_ascii=False)


def _completed(at) -> int:
    return int(metric(at, "Completed cases").replace(",", ""))


class TestTypedDates:
    def test_a_date_outside_the_log_is_applied_moved_inside_with_a_note(self) -> None:
        """A typed end date after the last case is accepted by the field and applied as the log's last day, said in a
        note: the field no longer refuses it while still showing it (widget and figures disagreeing)."""
        at = open_app("pages/time.py")
        everything = _completed(at)
        field = at.date_input(key=DATES)
        assert field.min < dt.date(2025, 12, 5) and field.max > dt.date(2026, 10, 30), "the field takes any date"
        field.set_value((dt.date(2026, 3, 1), dt.date(2027, 1, 31))).run()
        no_exception(at)
        assert at.date_input(key=DATES).value == (dt.date(2026, 3, 1), dt.date(2026, 10, 30))
        assert dict(at.query_params) == {"from": "2026-03-01"}
        assert "cases started 2026-03-01 to …" in _first_chart(at)
        assert 0 < _completed(at) < everything
        assert any("2027-01-31 was moved inside" in w.value.replace("\\", "") for w in at.warning)

    def test_a_range_typed_backwards_is_the_range_meant(self) -> None:
        """A start after the end keeps the cases between the two days, not none and not all."""
        at = open_app("pages/time.py")
        at.date_input(key=DATES).set_value((dt.date(2026, 5, 31), dt.date(2026, 3, 1))).run()
        no_exception(at)
        assert dict(at.query_params) == {"from": "2026-03-01", "to": "2026-05-31"}
        assert "cases started 2026-03-01 to 2026-05-31" in _first_chart(at)

    def test_enter_confirms_a_typed_date(self) -> None:
        """Every explorer page carries the script that makes Enter confirm a date typed in the sidebar."""
        for page in ("pages/map.py", "pages/time.py", "pages/flow.py"):
            at = open_app(page)
            no_exception(at)
            bodies = [element.proto.body for element in at.get("html")]
            assert enter_commits.SCRIPT in bodies, page
            assert page_history.SCRIPT in bodies, page  # one history entry a page visit: Back leaves the page
            assert enter_commits.FIELD in enter_commits.SCRIPT


class TestUrlFollowsWhatIsApplied:
    def test_a_stale_url_from_the_browser_does_not_undo_a_choice(self) -> None:
        """The URL a rerun brings can predate the one just written (a page link clicked while a typed date was being
        committed): the dates chosen stay, in the widget, the figures and the URL."""
        at = open_app("pages/time.py")
        at.date_input(key=DATES).set_value((dt.date(2026, 3, 1), dt.date(2026, 10, 30))).run()
        at.date_input(key=DATES).set_value((dt.date(2026, 4, 1), dt.date(2026, 10, 30))).run()
        chosen = _completed(at)
        at.query_params.clear()
        at.query_params["from"] = "2026-03-01"  # the browser had not yet shown the newer URL
        at.switch_page("pages/funnel.py").run()
        no_exception(at)
        assert at.date_input(key=DATES).value == (dt.date(2026, 4, 1), dt.date(2026, 10, 30))
        assert dict(at.query_params) == {"from": "2026-04-01"}
        assert "cases started 2026-04-01 to …" in _first_chart(at)
        assert int(metric(at, "Completed").replace(",", "")) == chosen

    def test_the_back_button_restores_the_view_it_returns_to(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Back to a URL without filters shows all cases again (the history entry is the truth)."""
        at = open_app("pages/time.py", **{"from": "2026-04-01"})
        filtered = _completed(at)
        monkeypatch.setattr(state, "history_navigation", lambda: True)
        at.query_params.clear()
        at.run()
        no_exception(at)
        assert _completed(at) > filtered
        assert at.date_input(key=DATES).value == (dt.date(2025, 12, 5), dt.date(2026, 10, 30))
        assert "all cases" in _first_chart(at)

    def test_a_segment_chosen_is_written_once_checked(self) -> None:
        """A segment value chosen in the sidebar is in the URL with its column, and survives a page switch."""
        at = open_app("pages/funnel.py")
        at.selectbox(key="jm_w_segment").select("location").run()
        at.multiselect(key="jm_w_values").select("Berlin").run()
        at.switch_page("pages/paths.py").run()
        no_exception(at)
        assert dict(at.query_params) == {"segment": "location", "value": "Berlin"}
        assert "location = Berlin" in _first_chart(at)
