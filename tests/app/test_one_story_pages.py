"""One story on the pages: the Map, Time, Flow and What-if pages and the workshop's spotlight show each
sample journey's hotspots and OKRs as `journeymap metrics --format json` gives them (tests/test_one_story.py
pins the JSON to `journey_story` and checks the report and export)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from app_driver import no_exception, open_app

from journeymap.cli.main import main
from journeymap.core.durations import format_seconds_as_text as human
from journeymap.core.numbers import format_share
from journeymap.journey.samples import SAMPLE_JOURNEYS, sample_events_path, sample_journey_path
from journeymap.measures.hotspots import hotspot_marker
from journeymap.ui import workshop_state
from journeymap.ui.text import md
from journeymap.workshop.store import WorkshopStore

MARKED = 3


@pytest.fixture(scope="module")
def stories() -> dict[str, dict[str, Any]]:
    """Each sample journey's metrics JSON, as the CLI prints it."""
    found = {}
    for journey in SAMPLE_JOURNEYS:
        from contextlib import redirect_stdout
        from io import StringIO

        out = StringIO()
        with redirect_stdout(out):
            assert main(["metrics", str(sample_events_path(journey)), "--journey", str(sample_journey_path(journey)),
                         "--format", "json"]) == 0
        found[journey] = json.loads(out.getvalue())
    return found


def markdown(at: Any) -> list[str]:
    return [m.value for m in at.markdown]


def detail(hotspot: dict[str, Any]) -> str:
    """A hotspot's sentence without its leading label, capitalised, as a card under the label shows it."""
    rest = hotspot["sentence"].removeprefix(f"{hotspot['label']}: ")
    return rest[:1].upper() + rest[1:]


@pytest.mark.parametrize("journey", SAMPLE_JOURNEYS)
class TestPagesTellOneStory:
    def test_map_cards_are_the_top_hotspots(self, journey: str, stories) -> None:
        """The Map page's three cards are the JSON's first three hotspots, in order, with their sentences."""
        at = open_app(journey=journey)
        no_exception(at)
        cards = [text for text in markdown(at) if text.startswith("**") and "  \n" in text]
        expected = [f"**{hotspot_marker(rank)} {md(h['label'])}**  \n{md(detail(h))}"
                    for rank, h in enumerate(stories[journey]["hotspots"][:MARKED], start=1)]
        assert cards == expected

    def test_time_page_gives_each_okr_its_value(self, journey: str, stories) -> None:
        """The Time page's OKR line says the OKR's current value and sentence."""
        at = open_app("pages/time.py", journey=journey)
        no_exception(at)
        text = " ".join(markdown(at)) + " ".join(c.value for c in at.caption)
        for okr in stories[journey]["okrs"]:
            assert f"now **{human(okr['current_s'])}**" in text
            assert md(okr["sentence"]) in text

    def test_flow_page_gives_the_latest_week(self, journey: str, stories) -> None:
        """The Flow page's on-track headline is the OKR's latest week with enough cases."""
        at = open_app("pages/flow.py", journey=journey)
        no_exception(at)
        okr = stories[journey]["okrs"][0]
        week = okr["latest_week"]
        headline = (f"{okr['statistic']} {human(week['value_s'])}, {format_share(week['progress'])} of the way from "
                    "baseline to target.")
        assert any(text.startswith("##### Week of") and text.endswith(headline) for text in markdown(at))
        assert any(md(okr["sentence"]) in text for text in markdown(at))

    def test_what_if_page_starts_from_the_okr_value(self, journey: str, stories) -> None:
        """The What-if page's "now" for each OKR is the OKR's current value."""
        at = open_app("pages/whatif.py", journey=journey)
        no_exception(at)
        for okr in stories[journey]["okrs"]:
            line = next(text for text in markdown(at) if text.startswith(f"**OKR {md(okr['name'])}**"))
            assert f": {human(okr['current_s'])} now →" in line


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[WorkshopStore]:
    """A workshop store in a fresh SQLite file, the one the app under test opens."""
    monkeypatch.setenv("JOURNEYMAP_DB_PATH", str(tmp_path / "workshops.sqlite"))
    monkeypatch.delenv("JOURNEYMAP_DATABASE_URL", raising=False)
    with WorkshopStore() as opened:
        yield opened
    workshop_state.close_stores()


@pytest.mark.parametrize("journey", SAMPLE_JOURNEYS)
def test_workshop_spotlight_shows_the_top_hotspots(journey: str, stories, store: WorkshopStore) -> None:
    """The facilitator's spotlight steps through the JSON's first three hotspots, in order, with their sentences."""
    from app_driver import APP, TIMEOUT
    from streamlit.testing.v1 import AppTest

    workshop = store.create_workshop("Retro", journey)
    for rank, hotspot in enumerate(stories[journey]["hotspots"][:MARKED], start=1):
        at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
        at.query_params["w"] = workshop.facilitator_token or ""
        at.query_params["view"] = "spotlight"
        at.query_params["spot"] = str(rank)
        at.switch_page("pages/workshop.py").run()
        no_exception(at)
        shown = markdown(at)
        assert f"## {hotspot_marker(rank)} {md(hotspot['label'])}" in shown
        sentence = md(hotspot["sentence"].removeprefix(f"{hotspot['label']}: "))
        assert any(sentence in text for text in shown)
