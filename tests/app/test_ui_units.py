"""The app's pure parts: URL parsing and writing, Markdown escaping, the spec Streamlit is given."""

from __future__ import annotations

import datetime as dt
import json

import altair as alt
import pandas as pd

from journeymap.charts.map import map_chart
from journeymap.journey.definition import load_journey
from journeymap.journey.samples import sample_events_path, sample_journey_path
from journeymap.log.readers import read_events
from journeymap.measures.metrics import compute_metrics
from journeymap.ui import charting
from journeymap.ui.charting import streamlit_spec
from journeymap.ui.map_screen import map_height
from journeymap.ui.state import Selection, parse_query, to_query
from journeymap.ui.text import md

JOURNEYS = ["onboarding", "service_desk", "upload-1"]
MEASURES = ["arrival_median_s", "arrival_p85_s", "drop_off_rate", "delay_share"]


class TestParseQuery:
    def test_empty_query_is_the_default_view(self) -> None:
        """No parameters: the onboarding journey, all cases, median arrival colour, no step."""
        assert parse_query({}, JOURNEYS, MEASURES) == Selection()

    def test_round_trip(self) -> None:
        """A selection written to the URL reads back the same."""
        selection = Selection("service_desk", dt.date(2026, 1, 2), dt.date(2026, 3, 4), "priority", ("P1", "P2"),
                              "drop_off_rate", "assigned")
        query = to_query(selection)
        assert query == {"journey": "service_desk", "from": "2026-01-02", "to": "2026-03-04", "segment": "priority",
                         "value": ["P1", "P2"], "color": "drop_off_rate", "step": "assigned"}
        assert parse_query(query, JOURNEYS, MEASURES) == selection

    def test_defaults_stay_out_of_the_url(self) -> None:
        """The default view has an empty query, so a plain link stays plain."""
        assert to_query(Selection()) == {}

    def test_unknown_journey_is_never_a_path(self) -> None:
        """A journey id not in the known list falls back to the default, with a note."""
        selection = parse_query({"journey": "../../etc/passwd"}, JOURNEYS, MEASURES)
        assert selection.journey == "onboarding"
        assert "not available here" in selection.notes[0]

    def test_bad_values_fall_back_with_notes(self) -> None:
        """Dates that are not dates, a backwards range and an unknown colour each leave a note."""
        assert parse_query({"from": "soon"}, JOURNEYS, MEASURES).start is None
        backwards = parse_query({"from": "2026-05-01", "to": "2026-01-01"}, JOURNEYS, MEASURES)
        assert (backwards.start, backwards.end) == (None, None) and "backwards" in backwards.notes[0]
        colour = parse_query({"color": "__class__"}, JOURNEYS, MEASURES)
        assert colour.color_by == "delay_share" and colour.notes

    def test_values_need_a_segment_and_have_limits(self) -> None:
        """Values without a segment are dropped; very long or very many values are cut, with notes."""
        assert parse_query({"value": "Berlin"}, JOURNEYS, MEASURES).values == ()
        many = parse_query({"segment": "x", "value": [str(i) for i in range(80)]}, JOURNEYS, MEASURES)
        assert len(many.values) == 50 and many.notes
        long = parse_query({"segment": "x" * 500}, JOURNEYS, MEASURES)
        assert long.segment is None and "too long" in long.notes[0]

    def test_last_value_wins_for_single_parameters(self) -> None:
        """A repeated single-valued parameter takes its last value, like st.query_params."""
        assert parse_query({"journey": ["onboarding", "service_desk"]}, JOURNEYS, MEASURES).journey == "service_desk"

    def test_case_filter(self) -> None:
        """The selection's filter is the library's CaseFilter."""
        case_filter = Selection(start=dt.date(2026, 1, 1), segment="location", values=("Berlin",)).case_filter()
        assert case_filter.describe() == "cases started 2026-01-01 to …; location = Berlin"


class TestMarkdown:
    def test_markup_is_shown_literally(self) -> None:
        """Links, emphasis, HTML, LaTeX and Streamlit colour directives in data are escaped."""
        for text in ("[click](http://x)", "**bold**", "<b>x</b>", "$x^2$", ":red[alert]", "# heading", "a_b_c"):
            escaped = md(text)
            assert all(escaped[i - 1] == "\\" for i, ch in enumerate(escaped) if ch in "[]*<>$:#_" and i > 0)

    def test_one_line(self) -> None:
        """Newlines in data cannot start a new Markdown block."""
        assert "\n" not in md("a\n\n# b")


class TestStreamlitSpec:
    def test_padding_lists_and_right_anchored_marks(self) -> None:
        """Numeric padding becomes an object, list labels become lines, right-edge pixels follow the width."""
        data = pd.DataFrame({"x": [1], "lines": [["Equipment", "shipped"]]})
        text = alt.Chart(data).mark_text().encode(x="x:Q", text="lines:N")
        pinned = alt.Chart(data).mark_text().encode(x=alt.value(1190), text=alt.value("target"))
        spec = streamlit_spec(alt.layer(text, pinned).properties(width=1200, padding=12))
        assert spec["padding"] == {"left": 12, "top": 12, "right": 12, "bottom": 12}
        rows = next(iter(spec["datasets"].values()))
        assert rows[0]["lines"] == "Equipment\nshipped" and spec["config"]["text"]["lineBreak"] == "\n"
        assert spec["layer"][1]["encoding"]["x"] == {"value": {"expr": "width - 10"}}
        json.dumps(spec)

    def test_unchecked_spec_is_the_checked_one(self) -> None:
        """The map's spec, made without the schema check and its walk through the named datasets, is the checked
        `to_dict()` to the byte (the same keys in the same order), and the checked spec passes the schema."""
        journey = load_journey(sample_journey_path("onboarding"))
        metrics = compute_metrics(read_events(sample_events_path("onboarding")).frame, journey)
        chart = map_chart(metrics, width=820, height=420)
        checked = chart.to_dict()  # validates; raises on a spec the schema refuses
        assert json.dumps(charting._unchecked_dict(chart)) == json.dumps(checked)
        assert checked["datasets"] and json.dumps(streamlit_spec(chart)) == json.dumps(checked)
        plain = alt.Chart(pd.DataFrame({"x": [1, 2]})).mark_point().encode(x="x:Q")  # data Altair moves itself
        assert json.dumps(charting._unchecked_dict(plain)) == json.dumps(plain.to_dict())


class TestMapFirstScreen:
    SHORT = "40 cases finished in a median of 2.0 h."
    LONG = ("1,267 cases finished in a median of 2.6 h (p85 11.9 d); 74% of that time is spent waiting to reach T06 "
            "Determine necessity of stop advice (37%), T02 Check confirmation of receipt (22%) and T05 Print and send "
            "confirmation of receipt (15%).")

    def test_the_map_takes_what_the_header_leaves_of_720_pixels(self) -> None:
        """Under a one-line summary the map gets 720 px less the header (254 px) and a line (24 px); each further
        line of summary, and a message box of a log just loaded (72 px), takes its room from the map."""
        short, long = map_height(self.SHORT), map_height(self.LONG)
        assert short == 720 - 254 - 24 - 4
        assert long < short and (short - long) % 24 == 0
        assert map_height(self.SHORT, ["Loaded log.csv. All 200 rows read."]) == short - 72
