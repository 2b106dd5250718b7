"""The app's pages with AppTest: every page on every sample journey, filters, the URL, step details."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from app_driver import PAGES, chart_specs, metric, no_exception, open_app

from journeymap.journey.samples import SAMPLE_JOURNEYS

TITLES = {"pages/funnel.py": "Funnel", "pages/time.py": "Time", "pages/paths.py": "Paths",
          "pages/data.py": "Your data"}


class TestEveryPage:
    @pytest.mark.parametrize("journey", SAMPLE_JOURNEYS)
    @pytest.mark.parametrize("page", PAGES)
    def test_renders(self, journey: str, page: str) -> None:
        """Each page draws without an exception on each sample journey, with its title and charts."""
        at = open_app(page, journey=journey)
        no_exception(at)
        assert not at.error, [e.value for e in at.error]
        assert at.selectbox(key="jm_w_journey").value == journey
        title = at.title[0].value
        if page == "pages/map.py":
            assert title and "Drafted" not in title
            assert len(at.get("vega_lite_chart")) >= 1
        else:
            assert title == TITLES[page]
        if page != "pages/data.py":
            assert chart_specs(at), "the page shows no chart"
            assert at.get("download_button"), "charts come with downloads"


class TestMapPage:
    def test_opens_on_onboarding_with_sentence_and_three_hotspots(self) -> None:
        """Without parameters the map of the onboarding journey opens with where the time goes and 3 hotspots."""
        at = open_app()
        no_exception(at)
        assert at.title[0].value == "Employee onboarding"
        text = " ".join(m.value for m in at.markdown)
        assert "of that time is spent waiting to reach" in text
        assert all(symbol in text for symbol in ("①", "②", "③"))
        spec = json.loads(chart_specs(at)[0])
        assert spec["params"][0]["name"] == "step", "map nodes carry the 'step' selection"

    def test_hotspots_are_folded_above_the_map_and_named(self) -> None:
        """The hotspot cards fold into one line that names the three (so the map shows in the first screen at
        1280 x 720); opened, it holds the cards."""
        at = open_app()
        no_exception(at)
        folded = at.expander[0]
        assert folded.proto.expanded is False
        assert folded.label.replace("\\", "") == ("The top 3 hotspots, marked on the map: ① Equipment shipped · "
                                                   "② Background check · ③ Laptop set up")
        cards = [m.value for m in folded.markdown]
        assert len(cards) == 3 and cards[0].startswith("**① Equipment shipped**")

    def test_step_details(self) -> None:
        """Choosing a step opens its details: arrival times, drop-off, rework, owner and the cases waiting there."""
        at = open_app()
        at.selectbox(key="jm_w_step").select("equipment_shipped").run()
        no_exception(at)
        assert [s.value for s in at.subheader] == ["Equipment shipped"]
        captions = [c.value.replace("\\", "") for c in at.caption]  # data text is shown escaped (literal)
        assert any("Owner: IT Procurement" in c for c in captions)
        assert any("Target: p85 within 7.0 d" in c for c in captions)
        for label in ("Cases reached", "Median arrival", "p85 arrival", "Went silent here", "Did it twice or more"):
            assert metric(at, label)
        assert metric(at, "Median arrival").endswith((" d", " h"))
        assert any('"Time to arrive at Equipment shipped"' in spec for spec in chart_specs(at))
        waiting = at.dataframe[-1].value
        assert list(waiting.columns) == ["Case", "Waiting here", "Age of the case"]
        assert len(waiting) > 0 and waiting["Waiting here"].str.match(r"^\d").all()
        assert at.query_params["step"] == "equipment_shipped"

    def test_map_detail_holds_across_pages(self) -> None:
        """The Steps and Transitions sliders come back as they were after another page: Streamlit drops a
        widget's value on a page without it, and the map came back showing one step and no transition."""
        at = open_app()
        fitting = (at.slider(key="jm_w_steps").value, at.slider(key="jm_w_transitions").value)
        assert fitting[0] > 1 and fitting[1] > 0
        at.switch_page("pages/funnel.py").run()
        at.switch_page("pages/map.py").run()
        no_exception(at)
        assert (at.slider(key="jm_w_steps").value, at.slider(key="jm_w_transitions").value) == fitting
        at.slider(key="jm_w_steps").set_value(5).run()
        chosen_map = chart_specs(at)[0]
        assert "5 of 12 steps and 11 of 16 transitions are hidden" in chosen_map
        at.switch_page("pages/whatif.py").run()
        at.switch_page("pages/map.py").run()
        no_exception(at)
        assert at.slider(key="jm_w_steps").value == 5
        assert chart_specs(at)[0] == chosen_map

    def test_colour_measure_goes_to_url_and_chart(self) -> None:
        """Picking what colours the nodes changes the map legend and is kept in the URL."""
        at = open_app()
        at.selectbox(key="jm_w_color").select("drop_off_rate").run()
        no_exception(at)
        assert at.query_params["color"] == "drop_off_rate"
        assert "Drop-off rate" in chart_specs(at)[0]


class TestFilters:
    def test_segment_filter_changes_the_figures(self) -> None:
        """Filtering on a segment value changes the counts shown, the subtitle and the URL."""
        at = open_app("pages/funnel.py")
        before = metric(at, "Completed")
        at.selectbox(key="jm_w_segment").select("location").run()
        at.multiselect(key="jm_w_values").select("Berlin").run()
        no_exception(at)
        after = metric(at, "Completed")
        assert int(after.replace(",", "")) < int(before.replace(",", ""))
        assert "location = Berlin" in chart_specs(at)[0]
        assert at.query_params["segment"] == "location" and at.query_params["value"] == "Berlin"

    def test_date_range_changes_the_figures(self) -> None:
        """Narrowing the start dates keeps fewer cases, and the dates go into the URL."""
        at = open_app("pages/time.py")
        before = metric(at, "Completed cases")
        at.date_input(key="jm_w_dates").set_value((dt.date(2026, 3, 1), dt.date(2026, 5, 31))).run()
        no_exception(at)
        assert metric(at, "Completed cases") != before
        assert (at.query_params["from"], at.query_params["to"]) == ("2026-03-01", "2026-05-31")
        assert "cases started 2026-03-01 to 2026-05-31" in chart_specs(at)[0]

    @pytest.mark.parametrize("page", PAGES[:4])
    def test_a_filter_that_keeps_nothing_says_so(self, page: str) -> None:
        """A filter no case passes (a Saturday: no onboarding starts) gives a plain message, not an error."""
        at = open_app(page, **{"from": "2025-12-06", "to": "2025-12-06"})
        no_exception(at)
        assert "No case matches these filters" in " ".join(i.value for i in at.info)
        assert not chart_specs(at)

    def test_a_filter_with_few_cases_still_draws(self) -> None:
        """A filter that keeps two one-event cases (no transitions at all) draws every page."""
        for page in PAGES[:4]:
            at = open_app(page, segment="location", value="Berlin", **{"from": "2026-10-30"})
            no_exception(at)
            assert chart_specs(at)

    def test_switching_journey_clears_the_filter(self) -> None:
        """A new journey starts unfiltered: its columns and dates differ from the last one's."""
        at = open_app(segment="location", value="Berlin")
        at.selectbox(key="jm_w_journey").select("service_desk").run()
        no_exception(at)
        assert at.query_params == {"journey": "service_desk"}
        assert at.selectbox(key="jm_w_segment").value == ""


class TestUrl:
    def test_query_parameters_restore_the_view(self) -> None:
        """A link with journey, dates, segment, colour and step reopens exactly that view."""
        query = {"journey": "service_desk", "from": "2026-02-01", "to": "2026-06-30", "segment": "priority",
                 "value": ["P1", "P2"], "color": "arrival_p85_s", "step": "assigned"}
        at = open_app(**query)
        no_exception(at)
        assert at.selectbox(key="jm_w_journey").value == "service_desk"
        assert at.date_input(key="jm_w_dates").value == (dt.date(2026, 2, 1), dt.date(2026, 6, 30))
        assert at.selectbox(key="jm_w_segment").value == "priority"
        assert at.multiselect(key="jm_w_values").value == ["P1", "P2"]
        assert at.selectbox(key="jm_w_color").value == "arrival_p85_s"
        assert [s.value for s in at.subheader] == ["Assigned"]
        assert "priority = P1 or P2" in chart_specs(at)[0]
        assert at.query_params == query, "the URL keeps the view as given"

    def test_the_view_survives_a_page_switch(self) -> None:
        """The filter chosen on one page holds on the next, and stays in the URL."""
        at = open_app(segment="channel", value="agency")
        at.switch_page("pages/funnel.py").run()
        no_exception(at)
        assert at.multiselect(key="jm_w_values").value == ["agency"]
        assert at.query_params["value"] == "agency"

    def test_a_changed_url_in_the_same_session_is_followed(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """When the browser's back or forward button changes the URL under a running session, the view follows it."""
        from journeymap.ui import state

        at = open_app(segment="location", value="Berlin")
        monkeypatch.setattr(state, "history_navigation", lambda: True)  # AppTest cannot press the back button
        at.query_params.clear()
        at.query_params.update({"journey": "purchase_request", "color": "delay_share"})
        at.run()
        no_exception(at)
        assert at.selectbox(key="jm_w_journey").value == "purchase_request"
        assert at.selectbox(key="jm_w_color").value == "delay_share"
        assert at.selectbox(key="jm_w_segment").value == ""

    def test_clear_filters(self) -> None:
        """'Clear filters' drops dates and segment values, in the widgets and the URL."""
        at = open_app(segment="location", value="Berlin", **{"from": "2026-02-01"})
        clear = [button for button in at.button if button.label == "Clear filters"]
        assert clear, "the sidebar offers to clear an active filter"
        clear[0].click().run()
        no_exception(at)
        assert at.query_params == {}
        assert at.selectbox(key="jm_w_segment").value == ""

    def test_p85_impact_colouring_survives_a_link(self) -> None:
        """A link that colours the map by p85 impact reopens that colouring, without a fallback note."""
        at = open_app(color="p85_impact_s")
        no_exception(at)
        assert at.selectbox(key="jm_w_color").value == "p85_impact_s"
        shown = [*at.warning, *at.info, *at.caption]
        assert not any("not a measure" in str(w.value) for w in shown)

    @pytest.mark.parametrize("query, note", [
        ({"journey": "../../etc/passwd"}, "not available here"),
        ({"from": "yesterday"}, "is not a date"),
        ({"from": "2026-09-01", "to": "2026-01-01"}, "runs backwards"),
        ({"color": "<script>"}, "not a measure"),
        ({"segment": "no_such_column", "value": "x"}, "no column 'no_such_column'"),
        ({"segment": "location", "value": "Atlantis"}, "No case has location = Atlantis"),
        ({"from": "1999-01-01"}, "was moved inside"),
        ({"step": "no_such_step"}, "does not have"),
    ])
    def test_bad_parameters_fall_back_with_a_note(self, query: dict[str, str], note: str) -> None:
        """A link with a value that does not fit opens the default view and says what was ignored."""
        at = open_app(**query)
        no_exception(at)
        assert at.title[0].value == "Employee onboarding"
        notes = " ".join(w.value for w in at.warning) + " " + " ".join(c.value for c in at.caption)
        assert note.replace(" ", "") in notes.replace("\\", "").replace(" ", ""), notes
