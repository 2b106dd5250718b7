"""The Map page's handoff toggle and the sidebar's calendar/working time choice, with AppTest."""

from __future__ import annotations

import pyarrow as pa
from app_driver import no_exception, open_app


def edge_kinds(at) -> set[str]:
    """The transition kinds the map on the page draws (Streamlit sends its datasets beside the spec, as Arrow)."""
    chart = at.get("vega_lite_chart")[0]
    edges = next(named for named in chart.proto.datasets if named.name == "journey_edges")
    return set(pa.ipc.open_stream(edges.data.data).read_all().to_pandas()["kind"])


class TestHandoffToggle:
    def test_highlights_handoffs_on_the_map(self) -> None:
        """Off by default; switched on, the onboarding map draws its transitions between teams as handoffs."""
        at = open_app()
        no_exception(at)
        toggle = at.toggle(key="jm_w_handoffs")
        assert not toggle.value and not toggle.disabled
        assert not any(kind.startswith("Handoff") for kind in edge_kinds(at))
        toggle.set_value(True).run()
        no_exception(at)
        assert "Handoff between teams" in edge_kinds(at)


class TestWorkingTime:
    def test_no_choice_without_calendars(self) -> None:
        """The onboarding sample has no calendars: the sidebar offers no working time."""
        at = open_app()
        assert not [radio for radio in at.sidebar.radio if radio.key == "jm_w_time"]

    def test_working_time_from_the_sidebar_and_the_link(self) -> None:
        """On the service desk (which has calendars) working time changes the headline, goes into the URL
        and opens again from a link."""
        at = open_app(journey="service_desk")
        no_exception(at)
        radio = at.sidebar.radio(key="jm_w_time")
        assert radio.value == "calendar"
        calendar_headline = at.markdown[0].value
        radio.set_value("working").run()
        no_exception(at)
        assert "of working time" in at.markdown[0].value and at.markdown[0].value != calendar_headline
        assert at.query_params["time"] in ("working", ["working"])
        again = open_app(journey="service_desk", time="working")
        no_exception(again)
        assert again.sidebar.radio(key="jm_w_time").value == "working"
        assert "of working time" in again.markdown[0].value

    def test_a_link_asking_working_time_without_calendars_says_so(self) -> None:
        """time=working on a journey without calendars shows calendar time and a note."""
        at = open_app(time="working")
        no_exception(at)
        assert "of working time" not in at.markdown[0].value
        assert any("no working calendars" in warning.value for warning in at.sidebar.warning)

    def test_compare_whatif_and_flow_follow_the_sidebar_clock(self) -> None:
        """Switched to working time, What if's lead times, Compare's lead-time verdict and Flow's stuck cases
        change, and each page's subtitle says "in working hours"."""
        figures = {"pages/whatif.py": lambda at: [metric.value for metric in at.metric],
                   "pages/compare.py": lambda at: at.markdown[1].value,
                   "pages/flow.py": lambda at: at.markdown[0].value}
        for page, figure in figures.items():
            at = open_app(page, journey="service_desk")
            no_exception(at)
            calendar = figure(at)
            assert "in working hours" not in at.caption[0].value
            at.sidebar.radio(key="jm_w_time").set_value("working").run()
            no_exception(at)
            assert figure(at) != calendar, page
            assert "in working hours" in at.caption[0].value, page
