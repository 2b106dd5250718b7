"""The Compare, What if and Flow & stuck pages with AppTest, and p85 impact on the Map page."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pyarrow as pa
import pytest
from app_driver import chart_specs, metric, no_exception, open_app

from journeymap.decide.flow import stuck_cases
from journeymap.journey.definition import load_journey
from journeymap.journey.samples import SAMPLE_JOURNEYS, sample_events_path, sample_journey_path
from journeymap.log.readers import read_events
from journeymap.measures.casetimes import case_step_times
from journeymap.measures.metrics import compute_metrics

DECIDE_PAGES = {"pages/compare.py": "Compare", "pages/whatif.py": "What if we fixed it?",
                "pages/flow.py": "Flow & stuck"}


def text_of(at, kind: str = "markdown") -> str:
    """Every element of a kind (markdown, caption ...) as one text, Markdown escapes removed."""
    return " ".join(str(element.value) for element in at.get(kind)).replace("\\", "")


def chart_data(at) -> dict[str, pd.DataFrame]:
    """The named datasets of every chart on the page (Streamlit sends them beside the spec, as Arrow)."""
    found = {}
    for element in at.get("vega_lite_chart"):
        for named in element.proto.datasets:
            found[named.name] = pa.ipc.open_stream(named.data.data).read_all().to_pandas()
    return found


class TestEveryPage:
    @pytest.mark.parametrize("journey", SAMPLE_JOURNEYS)
    @pytest.mark.parametrize("page", DECIDE_PAGES)
    def test_renders(self, journey: str, page: str) -> None:
        """Each page draws on each sample journey without an exception, with charts and their downloads."""
        at = open_app(page, journey=journey)
        no_exception(at)
        assert not at.error, [e.value for e in at.error]
        assert at.title[0].value == DECIDE_PAGES[page]
        assert at.selectbox(key="jm_w_journey").value == journey
        assert len(chart_specs(at)) >= 2
        assert len(at.get("download_button")) >= 4 * len(chart_specs(at)), "every chart has its downloads"

    @pytest.mark.parametrize("page", DECIDE_PAGES)
    def test_a_filter_that_keeps_nothing_says_so(self, page: str) -> None:
        """A filter no case passes gives a plain message, not an error."""
        at = open_app(page, **{"from": "2025-12-06", "to": "2025-12-06"})
        no_exception(at)
        assert "No case matches these filters" in text_of(at, "info")

    @pytest.mark.parametrize("page", DECIDE_PAGES)
    def test_a_filter_with_few_cases_still_works(self, page: str) -> None:
        """Two one-event cases (nothing completed, nothing to compare) give sentences, not tracebacks."""
        at = open_app(page, segment="location", value="Berlin", **{"from": "2026-10-30"})
        no_exception(at)
        assert not at.error, [e.value for e in at.error]


class TestDidItWork:
    def test_one_start_day_leaves_the_second_tab_working(self) -> None:
        """With every case started on one day the first tab says so, and the segment tab still renders."""
        at = open_app("pages/compare.py", **{"from": "2026-06-01", "to": "2026-06-01"})
        no_exception(at)
        assert "no before and after" in " ".join(i.value for i in at.info)
        assert at.selectbox(key="jm_cmp_by").value  # the second tab's picker is there (st.stop blanked it)

    def test_equipment_shipped_is_faster_after_the_june_change(self) -> None:
        """Onboarding opens on its 1 June change: Equipment shipped is clearly faster after, verdicts first."""
        at = open_app("pages/compare.py")
        no_exception(at)
        assert at.date_input(key="jm_cmp_change").value == dt.date(2026, 6, 1)
        markdown = [m.value.replace("\\", "") for m in at.markdown]
        verdicts = next(m for m in markdown if m.startswith("- Lead time"))
        shipped = next(line for line in verdicts.splitlines() if line.startswith("- Equipment shipped"))
        assert "median fell from 6.8 d to 4.0 d" in shipped and "p85 fell from 13.2 d to 7.2 d" in shipped
        assert "no clear difference" not in shipped
        steps = at.dataframe[0].value.set_index("Step")
        assert steps.loc["Equipment shipped", "p85 change (95% CI)"].endswith("◆")
        assert steps.loc["Contract signed", "Median change (95% CI)"].endswith(")"), "no ◆ without a clear change"
        spec = chart_specs(at)[0]
        assert "What changed, step by step" in spec and "before 2026-06-01" in spec

    def test_another_date_goes_to_the_url_and_back(self) -> None:
        """Picking a date compares around it and keeps it in the URL; a link with it reopens it."""
        at = open_app("pages/compare.py")
        at.date_input(key="jm_cmp_change").set_value(dt.date(2026, 3, 2)).run()
        no_exception(at)
        assert at.query_params["change"] == "2026-03-02"
        assert "before 02 Mar 2026" in text_of(at)
        again = open_app("pages/compare.py", change="2026-03-02", window="60")
        assert again.date_input(key="jm_cmp_change").value == dt.date(2026, 3, 2)
        assert again.selectbox(key="jm_cmp_window").value == 60
        assert "before 02 Mar 2026" in text_of(again)

    def test_a_bad_date_in_the_link_falls_back(self) -> None:
        """A change date that is not a date, or outside the cases' start dates, gives the recorded change."""
        for bad in ("soon", "1999-01-01"):
            at = open_app("pages/compare.py", change=bad)
            no_exception(at)
            assert at.date_input(key="jm_cmp_change").value == dt.date(2026, 6, 1)
            assert "change" not in at.query_params

    def test_a_date_of_another_journey_is_forgotten(self) -> None:
        """Switching journey drops the page's date: each journey opens on its own latest change."""
        at = open_app("pages/compare.py", change="2026-03-02")
        at.selectbox(key="jm_w_journey").select("service_desk").run()
        no_exception(at)
        assert at.date_input(key="jm_cmp_change").value == dt.date(2026, 5, 18)
        assert "change" not in at.query_params


class TestWhoIsItWorseFor:
    def test_segment_values_side_by_side(self) -> None:
        """Choosing a segment column compares each of its values with the rest, ranked, and goes to the URL."""
        at = open_app("pages/compare.py")
        at.selectbox(key="jm_cmp_by").select("location").run()
        no_exception(at)
        assert at.query_params["by"] == "location"
        values = at.dataframe[1].value
        assert "location" in values.columns and len(values) >= 3
        assert any('"Who is it worse for? By location"' in spec for spec in chart_specs(at))

    def test_department_ranking_puts_accounts_created_first(self) -> None:
        """For departments, Accounts created (slower for Engineering) is where the values differ most."""
        at = open_app("pages/compare.py", by="department")
        ranked = next(m.value.replace("\\", "") for m in at.markdown if m.value.startswith("1. "))
        assert ranked.startswith("1. Accounts created (department Engineering)")


class TestWhatIf:
    def test_a_zero_cut_changes_nothing(self) -> None:
        """Cutting a step by 0% gives the measured lead times back: no change at p50, p85 or p95."""
        at = open_app("pages/whatif.py")
        at.slider(key="jm_wi_pct").set_value(0).run()
        no_exception(at)
        for name in ("p50", "p85", "p95"):
            found = [m for m in at.metric if m.label == f"{name} lead time"][0]
            assert found.delta.startswith("no change from ") and found.delta.endswith(found.value)
        assert "p85 lead time 34.9 d → 34.9 d" in text_of(at)
        assert at.query_params["pct"] == "0"

    def test_defaults_to_the_step_worth_fixing_most(self) -> None:
        """The page opens on the step whose halving saves most p85 lead time, cut by 50%."""
        at = open_app("pages/whatif.py")
        assert at.selectbox(key="jm_wi_step").value == "equipment_shipped"
        assert metric(at, "p85 lead time") == "29.7 d"
        assert "Equipment shipped 50% faster" in text_of(at)
        impact = at.dataframe[0].value
        assert impact["Step"].iloc[0] == "Equipment shipped"

    def test_cap_is_offered_only_with_a_target(self) -> None:
        """Capping needs a target: offered for Equipment shipped (p85 7 d), and it closes part of the OKR gap."""
        at = open_app("pages/whatif.py", fix="equipment_shipped", how="cap")
        no_exception(at)
        assert "Cap it at its target" in at.selectbox(key="jm_wi_change").options
        assert at.selectbox(key="jm_wi_change").value == "cap"
        assert "capped at its target of 7.0 d" in text_of(at)
        assert "OKR Time from offer accepted to first login" in text_of(at)
        without = open_app("pages/whatif.py", fix="laptop_setup", how="cap")
        assert without.selectbox(key="jm_wi_change").value == "cut"
        assert "Cap it at its target" not in without.selectbox(key="jm_wi_change").options

    def test_remove_a_step(self) -> None:
        """Removing a step replays the cases without its arrival times: p85 lead time falls."""
        at = open_app("pages/whatif.py")
        at.selectbox(key="jm_wi_change").select("remove").run()
        no_exception(at)
        assert "Equipment shipped removed" in text_of(at)
        assert at.query_params["how"] == "remove"


class TestFlowAndStuck:
    def test_stuck_cases_oldest_first_with_a_csv(self) -> None:
        """Cases in flight are listed longest waiting first, with case ids, and offered as CSV."""
        at = open_app("pages/flow.py")
        no_exception(at)
        journey = load_journey(sample_journey_path("onboarding"))
        events = read_events(sample_events_path("onboarding")).frame
        expected = stuck_cases(compute_metrics(events, journey), case_step_times(events, journey))
        table = at.dataframe[1].value
        assert list(table["Case"]) == list(expected["case"][:len(table)])
        assert expected["waiting_s"].is_monotonic_decreasing
        assert table["Waiting for"].iloc[0] == "29.2 d"
        assert f"{len(expected):,} cases are in flight" in text_of(at)
        labels = [button.label for button in at.get("download_button")]
        assert "Download the cases in flight (CSV)" in labels

    def test_flow_and_okr_sections(self) -> None:
        """Throughput, cumulative flow and forecast charts, then OKR progress and budget with the steps over it."""
        at = open_app("pages/flow.py")
        specs = chart_specs(at)
        for title in ("Throughput", "Cumulative flow", "When will today's work in progress be done?",
                      "Time from offer accepted to first login", "Budget: Time from offer accepted to first login"):
            assert any(title in spec for spec in specs), title
        assert chart_data(at)["flow_labels"]["text"].str.startswith("Done by ").all()
        assert "should be done by" in text_of(at)
        assert "- **Equipment shipped**: cases at the p85 spend 10.6 d here" in text_of(at)

    def test_the_sidebar_filter_applies(self) -> None:
        """A segment filter from the URL narrows the cases on every decide page."""
        full = open_app("pages/flow.py")
        berlin = open_app("pages/flow.py", segment="location", value="Berlin")
        no_exception(berlin)
        count = lambda at: int(text_of(at).split(" cases are in flight")[0].split()[-1].replace(",", ""))  # noqa: E731
        assert 0 < count(berlin) < count(full)
        assert "location = Berlin" in chart_specs(berlin)[0]
        compare = open_app("pages/compare.py", segment="location", value="Berlin")
        assert "location = Berlin" in text_of(compare, "caption")
        whatif = open_app("pages/whatif.py", segment="location", value="Berlin")
        assert metric(whatif, "p85 lead time") != metric(open_app("pages/whatif.py"), "p85 lead time")


class TestMapPage:
    def test_colour_by_p85_impact(self) -> None:
        """The map can be coloured by p85 impact: the nodes then carry each step's impact in human time."""
        at = open_app()
        assert "Colour steps by: p85 impact (time saved if halved)" in at.selectbox(
            key="jm_w_color").options
        at.selectbox(key="jm_w_color").select("p85_impact_s").run()
        no_exception(at)
        nodes = chart_data(at)["journey_nodes"].set_index("step")
        # At the page's 820 pixels the hotspot number goes above the step, before the value.
        assert nodes.loc["equipment_shipped", "value_text"].removeprefix("①\u00a0") == "5.2 d"
        assert "P85 impact" in chart_specs(at)[0]
        assert at.query_params["color"] == "p85_impact_s"

    def test_hotspots_are_ranked_without_p85_impact(self) -> None:
        """The Map page's hotspots are DESIGN.md's ranking, as on every other surface: p85 impact is a colour
        and the What-if page's ranking, not a reason in a hotspot's sentence."""
        at = open_app()
        no_exception(at)
        assert "halving it would cut p85 lead time by" not in text_of(at)
        assert "① Equipment shipped" in text_of(at)

    def test_the_what_if_page_leads_to_the_map_coloured_by_impact(self) -> None:
        """'Colour the map by p85 impact' opens the map with that colouring."""
        at = open_app("pages/whatif.py")
        [button for button in at.button if button.label == "Colour the map by p85 impact"][0].click().run()
        no_exception(at)
        assert at.selectbox(key="jm_w_color").value == "p85_impact_s"


class TestPageOptionsFollowWhatIsApplied:
    """The Compare, What-if and Flow options are applied in the session and written to the URL from there, as the
    sidebar's filters are: a rerun that brings an older URL from the browser does not undo a choice."""

    def test_a_stale_url_does_not_undo_a_change_date(self) -> None:
        """A date picked, then a rerun whose URL still has the date before: the new date stays, URL rewritten."""
        at = open_app("pages/compare.py")
        at.date_input(key="jm_cmp_change").set_value(dt.date(2026, 3, 2)).run()
        at.date_input(key="jm_cmp_change").set_value(dt.date(2026, 4, 6)).run()
        at.query_params["change"] = "2026-03-02"  # the browser had not yet shown the newer URL
        at.run()
        no_exception(at)
        assert at.date_input(key="jm_cmp_change").value == dt.date(2026, 4, 6)
        assert "before 06 Apr 2026" in text_of(at)
        assert at.query_params["change"] == "2026-04-06"

    def test_a_stale_url_does_not_undo_a_cut(self) -> None:
        """What if: a cut chosen survives a rerun with the URL of the cut before, and a page switch and back."""
        at = open_app("pages/whatif.py")
        at.slider(key="jm_wi_pct").set_value(20).run()
        at.slider(key="jm_wi_pct").set_value(70).run()
        at.query_params["pct"] = "20"
        at.switch_page("pages/funnel.py").run()
        at.switch_page("pages/whatif.py").run()
        no_exception(at)
        assert at.slider(key="jm_wi_pct").value == 70
        assert at.query_params["pct"] == "70"

    def test_the_back_button_brings_the_option_back(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """After Back (a history navigation) the URL speaks again: its date is applied."""
        from journeymap.ui import state

        at = open_app("pages/compare.py")
        at.date_input(key="jm_cmp_change").set_value(dt.date(2026, 4, 6)).run()
        monkeypatch.setattr(state, "history_navigation", lambda: True)  # AppTest cannot press the back button
        at.query_params["change"] = "2026-03-02"
        at.run()
        no_exception(at)
        assert at.date_input(key="jm_cmp_change").value == dt.date(2026, 3, 2)
        assert "before 02 Mar 2026" in text_of(at)
