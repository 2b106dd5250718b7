"""The pilot tab of the Compare page, and satisfaction on the Map page (AppTest)."""

from __future__ import annotations

from app_driver import chart_specs, metric, no_exception, open_app


def text_of(at, kind: str = "markdown") -> str:
    return " ".join(str(element.value) for element in at.get(kind)).replace("\\", "")


class TestPilotTab:
    def test_pilot_against_everyone_else(self) -> None:
        """The pilot (department Sales) against everyone else: verdicts, the four-group table, the trend chart."""
        at = open_app("pages/compare.py", pilot="department=Sales", pilot_date="2026-06-01")
        no_exception(at)
        assert at.selectbox(key="jm_pilot_column").value == "department"
        assert at.selectbox(key="jm_pilot_value").value == "Sales"
        assert "beyond the others' change" in text_of(at)
        assert "department Sales:" in text_of(at) and "cases before 01 Jun 2026" in text_of(at)
        table = at.dataframe[-1].value
        assert list(table.columns) == ["Step", "Pilot median", "Everyone else", "Effect on the median (95% CI)",
                                       "Effect on p85 (95% CI)"]
        assert table["Step"].iloc[0] == "Lead time (end to end)"
        assert any("Did the pilot work?" in spec for spec in chart_specs(at))

    def test_choosing_a_value_goes_to_the_url(self) -> None:
        at = open_app("pages/compare.py")
        at.selectbox(key="jm_pilot_column").select("location").run()
        no_exception(at)
        assert at.query_params["pilot"] == "location="
        at.selectbox(key="jm_pilot_value").select("Warsaw").run()
        no_exception(at)
        assert at.query_params["pilot"] == "location=Warsaw"
        assert "location Warsaw:" in text_of(at)

    def test_a_bad_pilot_in_the_url_falls_back(self) -> None:
        at = open_app("pages/compare.py", pilot="nosuch=thing")
        no_exception(at)
        assert "pilot" not in at.query_params


class TestSatisfactionOnTheMap:
    def test_colour_by_satisfaction(self) -> None:
        """The sample log's survey column offers the satisfaction colour; the panel says what goes with waiting."""
        at = open_app("pages/map.py", color="satisfaction_mean")
        no_exception(at)
        assert at.selectbox(key="jm_w_color").value == "satisfaction_mean"
        assert "Mean satisfaction" in " ".join(at.selectbox(key="jm_w_color").options)
        assert "Cases that waited more than 5 d at Equipment shipped scored" in text_of(at)
        assert any("mean satisfaction at each step" in spec for spec in chart_specs(at))

    def test_flow_efficiency_needs_start_times(self) -> None:
        """The samples have no start times: a link colouring by flow efficiency falls back, with a caption."""
        at = open_app("pages/map.py", color="flow_efficiency")
        no_exception(at)
        assert at.selectbox(key="jm_w_color").value == "delay_share"
        assert "cannot colour steps by flow efficiency" in text_of(at, "caption")

    def test_step_details_show_satisfaction(self) -> None:
        at = open_app("pages/map.py", step="equipment_returned")
        no_exception(at)
        assert metric(at, "Satisfaction (CSAT 1–5)") == "3.1"  # returned laptops: the least satisfied step

    def test_panel_fills_when_opened(self) -> None:
        """Coloured by lead-time share, the panel is named but its figures wait until it is opened
        (on ten million events they take longer than the whole map)."""
        at = open_app("pages/map.py")
        no_exception(at)
        assert [e.label for e in at.expander if "frustrated" in e.label]
        assert "Cases that waited more than 5 d at Equipment shipped scored" not in text_of(at)
        at.session_state["jm_ops_panel"] = True  # what a click on the expander sends
        at.run()
        no_exception(at)
        assert "Cases that waited more than 5 d at Equipment shipped scored" in text_of(at)
