"""The room follows the screen: what the store keeps of the shared screen, dots on exit steps, the join link."""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import re
from pathlib import Path
from typing import Any

import pytest

from journeymap.core.errors import JourneyError
from journeymap.workshop import joinlink
from journeymap.workshop.access import AccessDenied
from journeymap.workshop.backlog import Note, opportunity_title
from journeymap.workshop.reveal import StepMark, mark_rows, place_names, ranked_votes, step_marks
from journeymap.workshop.store import ExitVoteRefused, WorkshopStore


@pytest.fixture
def store(tmp_path: Path) -> WorkshopStore:
    with WorkshopStore(f"sqlite:///{tmp_path / 'room.sqlite'}") as opened:
        yield opened


class TestTheScreenIsKept:
    def test_a_new_workshop_shows_nothing_yet_and_keeps_exit_steps_closed(self, store: WorkshopStore) -> None:
        """Until the facilitator presents, nothing is on screen; exit steps take no dots; no address is set."""
        room = store.create_workshop("Retro", "onboarding")
        assert (room.on_screen, room.stage_shown, room.spotlight, room.exit_votes, room.public_url) == (
            None, None, None, False, None)

    def test_the_facilitator_records_the_part_stage_and_spotlight(self, store: WorkshopStore) -> None:
        """What the facilitator shows is what a participant's copy of the workshop says."""
        room = store.create_workshop("Retro", "onboarding")
        ana = store.join(room.join_code, "Ana")
        store.show_on_screen(room.facilitator_token or "", part="map", stage=2)
        store.show_on_screen(room.facilitator_token or "", part="spotlight", spotlight=3)
        seen = store.workshop(ana.token or "")
        assert (seen.on_screen, seen.stage_shown, seen.spotlight) == ("spotlight", 2, 3)

    def test_participants_cannot_move_the_screen(self, store: WorkshopStore) -> None:
        """Only the facilitator's key changes what is on screen."""
        room = store.create_workshop("Retro", "onboarding")
        ana = store.join(room.join_code, "Ana")
        with pytest.raises(AccessDenied):
            store.show_on_screen(ana.token or "", stage=3)

    @pytest.mark.parametrize("stage", [0, -1, 1001, True])
    def test_a_stage_out_of_range_is_refused(self, store: WorkshopStore, stage: int) -> None:
        """A stage is a whole number from 1; anything else is an error, not a stored value."""
        room = store.create_workshop("Retro", "onboarding")
        with pytest.raises(JourneyError, match="whole number"):
            store.show_on_screen(room.facilitator_token or "", stage=stage)


class TestDotsOnExitSteps:
    EXITS = ("offer_withdrawn",)

    def test_an_exit_step_takes_no_dot_until_opened(self, store: WorkshopStore) -> None:
        """A dot on an exit step is refused (and not counted) until the facilitator opens exit steps."""
        room = store.create_workshop("Retro", "onboarding", votes_per_participant=3)
        ana = store.join(room.join_code, "Ana")
        with pytest.raises(ExitVoteRefused, match="exit steps"):
            store.cast_vote(ana.token or "", "offer_withdrawn", exit_steps=self.EXITS)
        assert store.votes_left(ana.token or "") == 3
        assert store.cast_vote(ana.token or "", "first_login", exit_steps=self.EXITS) == 2
        store.update_workshop(room.facilitator_token or "", exit_votes=True)
        assert store.cast_vote(ana.token or "", "offer_withdrawn", exit_steps=self.EXITS) == 1
        assert store.my_votes(ana.token or "") == {"first_login": 1, "offer_withdrawn": 1}


class TestThePublicAddress:
    def test_the_facilitator_sets_and_clears_it(self, store: WorkshopStore) -> None:
        """A typed address is kept canonical; an empty one goes back to the address found for the machine."""
        room = store.create_workshop("Retro", "onboarding")
        saved = store.update_workshop(room.facilitator_token or "", public_url=" 10.0.0.7:8501/join ")
        assert saved.public_url == "http://10.0.0.7:8501"
        assert store.update_workshop(room.facilitator_token or "", public_url="").public_url is None

    @pytest.mark.parametrize("typed, problem", [("ftp://10.0.0.7", "not a web address"),
                                                ("http://ann:secret@10.0.0.7", "user name or password"),
                                                ("http://10.0.0.7:80x", "port")])
    def test_a_bad_address_says_what_is_wrong(self, typed: str, problem: str) -> None:
        """A scheme that is not the web, credentials (they would be projected) or a broken port are refused."""
        with pytest.raises(JourneyError, match=problem) as raised:
            joinlink.checked_public_url(typed)
        assert "secret" not in str(raised.value)


class TestParticipantAddress:
    def test_loopback_is_never_the_answer_when_the_machine_has_a_network_address(
            self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Opened as localhost, the address shown is the machine's network address with the same port."""
        monkeypatch.delenv(joinlink.PUBLIC_URL, raising=False)
        monkeypatch.setattr(joinlink, "lan_address", lambda: "192.168.1.20")
        for seen in ("http://localhost:8501/workshop", "http://127.0.0.1:8501/workshop", "http://[::1]:8501/join"):
            assert joinlink.participant_address(browser_url=seen) == "http://192.168.1.20:8501"

    def test_an_address_others_can_reach_is_kept(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Opened through the machine's own name or address, that is what participants get."""
        monkeypatch.delenv(joinlink.PUBLIC_URL, raising=False)
        assert joinlink.participant_address(browser_url="http://room-pc.local:8501/workshop") == \
            "http://room-pc.local:8501"

    def test_the_workshop_setting_comes_before_the_server_setting(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """The facilitator's address wins over JOURNEYMAP_PUBLIC_URL, which wins over what was found."""
        monkeypatch.setenv(joinlink.PUBLIC_URL, "https://journeys.example.org/")
        assert joinlink.participant_address(browser_url="http://localhost:8501") == "https://journeys.example.org"
        assert joinlink.participant_address(workshop_url="http://10.0.0.7:8501",
                                            browser_url="http://localhost:8501") == "http://10.0.0.7:8501"

    def test_a_server_listening_on_loopback_only_gets_no_network_address(
            self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Started with --server.address 127.0.0.1, other machines cannot connect: the loopback URL stays."""
        monkeypatch.delenv(joinlink.PUBLIC_URL, raising=False)
        monkeypatch.setattr(joinlink, "lan_address", lambda: "192.168.1.20")
        assert joinlink.participant_address(browser_url="http://127.0.0.1:8501", listening="127.0.0.1") == \
            "http://127.0.0.1:8501"

    def test_the_found_network_address_is_not_loopback(self) -> None:
        """On this machine, the address found (if any) is one another machine could connect to."""
        found = joinlink.lan_address()
        assert found is None or not joinlink.is_loopback(f"http://{found}")

    @pytest.mark.parametrize("url, loopback", [("http://localhost:1", True), ("http://127.0.0.2", True),
                                               ("http://[::1]:8501", True), ("http://0.0.0.0:8501", True),
                                               ("http://app.localhost", True), ("http://10.0.0.7", False),
                                               ("http://room-pc:8501", False)])
    def test_loopback_names(self, url: str, loopback: bool) -> None:
        assert joinlink.is_loopback(url) is loopback


class TestJoinLink:
    def test_link_and_short_address(self) -> None:
        """The QR code carries the code; the address to type is short and has no scheme."""
        assert joinlink.join_link("http://10.0.0.7:8501/", "ABCDEFGH") == "http://10.0.0.7:8501/join?code=ABCDEFGH"
        assert joinlink.short_address("http://10.0.0.7:8501") == "10.0.0.7:8501/join"

    def test_the_qr_code_decodes_to_the_link(self) -> None:
        """The SVG, rasterised, reads back as the join link (decoded with zxing-cpp)."""
        zxingcpp = pytest.importorskip("zxingcpp")
        vl_convert = pytest.importorskip("vl_convert")
        from PIL import Image

        link = "http://192.168.1.20:8501/join?code=ABCDEFGH"
        svg = joinlink.qr_svg(link).replace('style="width:100%;height:100%;display:block" ',
                                           'xmlns="http://www.w3.org/2000/svg" width="330" height="330" ')
        png = vl_convert.svg_to_png(svg, scale=1)
        decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)).convert("L"))
        assert [result.text for result in decoded] == [link]


def _note(step: str, kind: str, text: str, *, id: int = 1, deleted: bool = False) -> Note:
    moment = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)
    return Note(id=id, workshop_id=1, step_id=step, kind=kind, text=text, author="Ana", participant_id=1,
                created_at=moment, updated_at=moment, deleted=deleted)


class TestTheReveal:
    def test_ranking_puts_most_dots_first_and_ties_in_journey_order(self) -> None:
        """Steps without dots are left out; a tie keeps the journey's order."""
        tally = {"c": 2, "a": 5, "b": 2, "d": 0}
        assert ranked_votes(tally, order=["a", "b", "c", "d"]) == [("a", 5), ("b", 2), ("c", 2)]
        assert ranked_votes(tally, order=["c", "b", "a"]) == [("a", 5), ("c", 2), ("b", 2)]

    def test_the_top_three_share_a_place_when_tied(self) -> None:
        """Two steps with as many dots are both 2nd; the next is 4th, so not called out."""
        ranked = [("a", 5), ("b", 3), ("c", 3), ("d", 1)]
        assert place_names(ranked) == {"a": "1st", "b": "2nd", "c": "2nd"}
        assert place_names([("a", 2), ("b", 2), ("c", 2), ("d", 2)]) == {s: "1st" for s in "abcd"}

    def test_marks_hide_dots_before_the_reveal(self) -> None:
        """Before the reveal a step carries its notes only; after it, its dots and its place too."""
        notes = [_note("a", "pain", "slow"), _note("a", "idea", "faster", id=2), _note("b", "idea", "x", id=3,
                                                                                      deleted=True)]
        hidden = step_marks(notes, None, order=["a", "b"])
        assert hidden == [StepMark("a", None, 2, "")]
        shown = step_marks(notes, {"b": 3, "a": 1}, order=["a", "b"])
        assert shown == [StepMark("b", 3, 0, "1st"), StepMark("a", 1, 2, "2nd")]

    def test_dot_area_grows_with_the_dots(self) -> None:
        """The step with the most dots gets the largest dot; one with a quarter as many, half its growth."""
        rows = mark_rows([StepMark("a", 4, 0), StepMark("b", 1, 3)], large=False)
        by_step = {row["step"]: row for row in rows}
        assert by_step[""]["dot_px"] == 0.0, "one empty row keeps the dataset from being empty"
        assert by_step["a"]["dot_px"] == 42.0 and by_step["b"]["dot_px"] == 24 + 18 * 0.5
        own = {row["step"]: row for row in mark_rows([StepMark("b", 1, 0)], large=False, most=4)}
        assert own["b"]["dot_px"] == 24 + 18 * 0.5, "scaled to the budget, one dot of four is not the largest"
        assert (by_step["b"]["dot_text"], by_step["b"]["note_text"]) == ("1", "✎3")


class TestOpportunityNames:
    def test_named_from_the_first_idea_then_the_first_pain_point(self) -> None:
        """An idea names the opportunity; without one, a pain point says what to fix; else the step's name."""
        notes = [_note("a", "pain", "Laptop arrives after day 1. Every time!"), _note("a", "idea", "Ship from stock",
                                                                                      id=2)]
        assert opportunity_title("Equipment shipped", notes) == "Ship from stock (Equipment shipped)"
        assert opportunity_title("Equipment shipped", notes[:1]) == \
            "Fix: laptop arrives after day 1 (Equipment shipped)"
        assert opportunity_title("Equipment shipped", [_note("a", "pain", "IT loses the ticket")]) == \
            "Fix: IT loses the ticket (Equipment shipped)"
        assert opportunity_title("Equipment shipped", [_note("a", "question", "Why?")]) == "Equipment shipped"

    def test_a_long_note_is_cut_to_fit(self) -> None:
        """A long idea is shortened with an ellipsis; the step's name stays whole."""
        title = opportunity_title("Equipment shipped", [_note("a", "idea", "word " * 60)])
        assert len(title) <= 90 and title.endswith("… (Equipment shipped)")



_VOTE_FILL = "#5b2a86"  # votechart.VOTE: the reveal's dots


def _dots_drawn(svg: str) -> list[tuple[float, float, float]]:
    """(x, y, radius) in page pixels of each purple dot in the SVG (Vega draws a circle as a path of arcs)."""
    import xml.etree.ElementTree as ET

    from svg_labels import IDENTITY, _apply, _multiply, _parse_transform

    found: list[tuple[float, float, float]] = []

    def walk(node: ET.Element, matrix: tuple[float, ...]) -> None:
        matrix = _multiply(matrix, _parse_transform(node.get("transform")))
        if node.tag.endswith("path") and (node.get("fill") or "").lower() == _VOTE_FILL:
            first = re.match(r"M(-?[\d.]+),", node.get("d") or "")
            if first:
                x, y = _apply(matrix, 0.0, 0.0)
                found.append((x, y, float(first.group(1))))
        for child in node:
            walk(child, matrix)

    walk(ET.fromstring(svg), IDENTITY)
    return found


class TestTheRevealNamesTheSteps:
    """The reveal at 1280x720 and 1920x1080: dots on Documents requested, Background check and Contract signed
    (Documents requested and Contract signed share a column, four rows in the map)."""

    VOTES = {"documents_requested": 3, "background_check": 2, "contract_signed": 1}

    @pytest.mark.parametrize("name", ["REVEAL_SMALL", "REVEAL_BIG"])
    def test_every_name_whole_apart_and_clear_of_the_dots(self, onboarding_view: Any, name: str) -> None:
        """Each step's name whole (no "…", on up to two lines), no two texts overlapping, no dot over a name, a
        place or a note's ✎ count, every dot inside the map; and the most dots still make the biggest dot."""
        from journeymap.export.render import export_chart
        from journeymap.ui import workshop_maps as maps
        from svg_labels import overlapping, text_boxes

        size = getattr(maps, name)
        hotspots = list(onboarding_view.story.marked)
        spec = maps.map_spec(onboarding_view, hotspots, size, keep=list(self.VOTES), legends=False, reveal=True)
        notes = [_note("documents_requested", "pain", "Chasing the same papers twice")]  # its ✎1 clear of the dot
        marks = step_marks(notes, self.VOTES, order=list(onboarding_view.metrics.steps["step"]))
        rows = mark_rows(marks, scale=size.scale, largest=maps.dot_room(spec))
        drawn = {**spec, "datasets": {**spec["datasets"], "workshop_marks": rows}}
        svg = export_chart(drawn, "svg", width=size.width, height=size.height).decode("utf-8")
        boxes = text_boxes(svg)
        names = [box.text for box in boxes]
        assert not [text for text in names if "…" in text], f"names cut: {names}"
        assert {"Documents", "requested", "Background", "check", "Contract", "signed"} <= set(" ".join(names).split())
        # A place is drawn twice, its white outline under it: the same box, not two labels.
        clashes = [(a.text, b.text) for a, b in overlapping(boxes)
                   if (a.text, a.left, a.top) != (b.text, b.left, b.top)]
        assert not clashes, f"texts overlap: {clashes}"
        dots = _dots_drawn(svg)
        assert len(dots) == 3
        for x, y, radius in dots:
            assert radius <= 42 * size.scale / 2 + 0.5
            assert radius <= x <= size.width - radius and radius <= y <= size.height - radius, "a dot off the map"
            covered = [box.text for box in boxes
                       if box.left - radius < x < box.right + radius and box.top - radius < y < box.bottom + radius
                       and math.dist((x, y), (min(max(x, box.left), box.right), min(max(y, box.top), box.bottom)))
                       < radius - 0.5]
            assert not covered, f"the dot at ({x:.0f}, {y:.0f}) covers {covered}"
        by_votes = {row["step"]: row["dot_px"] for row in rows if row["step"]}
        assert by_votes["documents_requested"] > by_votes["background_check"] > by_votes["contract_signed"] > 0


    def test_a_smaller_room_makes_every_dot_smaller_in_the_same_order(self) -> None:
        """`largest` bounds the biggest dot; the others keep their order and their share of it (24:42)."""
        marks = [StepMark("a", 4, 0), StepMark("b", 1, 0)]
        free = {row["step"]: row["dot_px"] for row in mark_rows(marks, scale=1.5)}
        bounded = {row["step"]: row["dot_px"] for row in mark_rows(marks, scale=1.5, largest=42.0)}
        assert (free["a"], free["b"]) == (63.0, 49.5)  # 36 + 27 * sqrt(1 / 4)
        assert (bounded["a"], bounded["b"]) == (42.0, 33.0)  # 24 + 18 * sqrt(1 / 4)
        assert mark_rows(marks, scale=1.5, largest=100.0)[1]["dot_px"] == 63.0, "never bigger than unbounded"


class TestTheRankingBesideTheMap:
    LABELS = {"a": "Documents requested", "b": "Background check", "c": "Contract signed", "d": "Day-1 orientation"}

    def test_names_whole_most_first_places_on_the_top_three(self) -> None:
        """Most dots first from the top, each name whole (wrapped, never cut) in the narrow column, "3 · 1st"
        at the end of the top three's bars, a plain count after them."""
        from journeymap.export.render import export_chart
        from journeymap.workshop.votechart import vote_ranking
        from svg_labels import overlapping, text_boxes

        ranked = [("a", 5), ("b", 3), ("c", 2), ("d", 1)]
        chart, shown = vote_ranking(ranked, self.LABELS, width=270, height=600, scale=1.5)
        assert shown == 4
        svg = export_chart(chart, "svg", width=270, height=600).decode("utf-8")
        boxes = text_boxes(svg)
        texts = [box.text for box in boxes]
        assert not [text for text in texts if "…" in text]
        assert [text for text in texts if "·" in text or text.isdigit()] == ["5 · 1st", "3 · 2nd", "2 · 3rd", "1"]
        tops = {box.text: box.top for box in boxes}
        assert tops["5 · 1st"] < tops["3 · 2nd"] < tops["2 · 3rd"] < tops["1"]
        assert not overlapping(boxes)
        assert all(0 <= box.left and box.right <= 270 for box in boxes), "a name or count past the column"

    def test_only_as_many_as_the_height_holds(self) -> None:
        """Eight steps in a column with room for fewer: the first ones are ranked, the caller counts the rest."""
        from journeymap.workshop.votechart import vote_ranking

        ranked = [(f"s{i}", 9 - i) for i in range(8)]
        _chart, all_of_them = vote_ranking(ranked, {}, width=270, height=2000, scale=1.5)
        _chart, some = vote_ranking(ranked, {}, width=270, height=300, scale=1.5)
        assert all_of_them == 8 and 1 <= some < 8


@pytest.fixture(scope="module")
def onboarding_view() -> Any:
    """The onboarding sample's figures as the workshop pages get them (no Streamlit session needed)."""
    from journeymap.engine.filters import CaseFilter
    from journeymap.journey.definition import load_journey
    from journeymap.journey.samples import sample_events_path, sample_journey_path
    from journeymap.log.readers import read_events
    from journeymap.measures.metrics import compute_metrics
    from journeymap.ui import data

    journey = load_journey(sample_journey_path("onboarding"))
    log = read_events(sample_events_path("onboarding"))
    source = data.Source("onboarding", journey.name, journey, log, key="test:onboarding")
    return data.View(source, CaseFilter(), compute_metrics(log.frame, journey))


def _text_sizes(spec: dict[str, Any]) -> list[float]:
    """Every fixed font size of the spec's text marks and of its legends."""
    sizes = [float(layer["mark"]["fontSize"]) for layer in spec["layer"]
             if isinstance(layer.get("mark"), dict) and layer["mark"].get("type") == "text"
             and isinstance(layer["mark"].get("fontSize"), (int, float))]
    legend = spec.get("config", {}).get("legend", {})
    return sizes + [float(legend[name]) for name in ("labelFontSize", "titleFontSize") if name in legend]


def _nodes(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return list(spec["datasets"]["journey_nodes"])


def _layers_drawn(spec: dict[str, Any]) -> float:
    """How many layers (columns) the map's x scale spans."""
    nodes_layer = next(layer for layer in spec["layer"] if layer.get("name") == "journey_nodes")
    return float(nodes_layer["encoding"]["x"]["scale"]["domain"][1]) + 0.5


class TestTheWorkshopMapsRead:
    def test_projector_type_is_18_px_at_1280_and_one_and_a_half_times_that_at_1920(self, onboarding_view: Any) -> None:
        """Every label, figure and legend of the projector map: 18 px or more at 1280×720, 27 px or more at 1920
        (the same look on a screen 1.5 times as wide)."""
        from journeymap.ui import workshop_maps as maps

        hotspots = list(onboarding_view.story.marked)
        small = _text_sizes(maps.map_spec(onboarding_view, hotspots, maps.PROJECTOR_SMALL))
        big = _text_sizes(maps.map_spec(onboarding_view, hotspots, maps.PROJECTOR_BIG))
        assert small and min(small) >= 18
        assert big and min(big) >= 27

    def test_the_laptop_lays_out_only_the_stages_shown(self, onboarding_view: Any) -> None:
        """With one stage revealed, the laptop's map spans that stage's few layers, not the whole journey's
        width (the projector keeps the room of the stages to come)."""
        from journeymap.ui import workshop_maps as maps

        hotspots = list(onboarding_view.story.marked)
        laptop = maps.map_spec(onboarding_view, hotspots, maps.LAPTOP, stages=1, fit=True)
        kept_room = maps.map_spec(onboarding_view, hotspots, maps.LAPTOP, stages=1)
        stage_one = {step.id for step in onboarding_view.source.journey.steps if step.stage == "preboarding"}
        assert {node["step"] for node in _nodes(laptop)} <= stage_one
        assert _layers_drawn(laptop) < _layers_drawn(kept_room)
        assert _layers_drawn(laptop) == max(node["x"] for node in _nodes(laptop)) + 1

    def test_the_reveal_map_beside_the_bars_keeps_legible_columns(self, onboarding_view: Any) -> None:
        """The narrower map beside the ranked bars draws the voted steps, with columns as wide as a legible
        map needs (it hides unvoted steps behind dotted lines rather than squeezing eight into it)."""
        from journeymap.charts.mapdetail import MIN_COLUMN_PX, map_plot_size
        from journeymap.ui import workshop_maps as maps

        hotspots = list(onboarding_view.story.marked)
        size = maps.REVEAL_SMALL
        spec = maps.map_spec(onboarding_view, hotspots, size, keep=["equipment_ordered", "contract_signed"])
        assert {"equipment_ordered", "contract_signed"} <= {node["step"] for node in _nodes(spec)}
        plot_width, _ = map_plot_size(size.width, size.height, True, False, 1, size.scale)
        assert plot_width / _layers_drawn(spec) >= MIN_COLUMN_PX * size.scale

    def test_at_the_reveal_the_dots_cover_their_steps_and_the_figures_give_way(self, onboarding_view: Any) -> None:
        """The reveal's map carries no figure above the steps (their places stand there) and puts each dot on
        its step, so a dot never reaches into the next column; the board's map keeps figures and side dots."""
        from journeymap.ui import workshop_maps as maps

        hotspots = list(onboarding_view.story.marked)
        reveal = maps.map_spec(onboarding_view, hotspots, maps.REVEAL_SMALL, keep=["contract_signed"],
                               legends=False, reveal=True)
        board = maps.map_spec(onboarding_view, hotspots, maps.BOARD_SMALL)
        assert {node["value_text"] for node in _nodes(reveal)} == {""}
        assert any(node["value_text"] for node in _nodes(board))
        dot_at = {json.dumps(layer.get("transform", [])) for layer in reveal["layer"]} - {
            json.dumps(layer.get("transform", [])) for layer in board["layer"]}
        assert any('"datum.x + 0 *' in found for found in dot_at), "the reveal's dots sit at their step's x"
