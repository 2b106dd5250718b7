"""The room with AppTest: participants follow the shared screen and work on its map; the door; the
reveal; the replay."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from app_driver import APP, TIMEOUT, no_exception, open_app
from streamlit import dataframe_util
from streamlit.testing.v1 import AppTest

from journeymap.ui import workshop_state
from journeymap.ui.text import md
from journeymap.workshop import joinlink
from journeymap.workshop.backlog import Workshop
from journeymap.workshop.store import WorkshopStore


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[WorkshopStore]:
    """A workshop store in a fresh SQLite file, the same one the app under test opens."""
    monkeypatch.setenv("JOURNEYMAP_DB_PATH", str(tmp_path / "workshops.sqlite"))
    monkeypatch.delenv("JOURNEYMAP_DATABASE_URL", raising=False)
    monkeypatch.delenv(joinlink.PUBLIC_URL, raising=False)
    monkeypatch.setattr(joinlink, "lan_address", lambda: "192.168.1.20")  # the machine's network address
    with WorkshopStore() as opened:
        yield opened
    workshop_state.close_stores()


@pytest.fixture
def workshop(store: WorkshopStore) -> Workshop:
    return store.create_workshop("Onboarding retro", "onboarding", votes_per_participant=3)


def open_page(page: str, **query: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    for key, value in query.items():
        at.query_params[key] = value
    at.switch_page(page).run()
    no_exception(at)
    return at


def facilitator(workshop: Workshop, **query: str) -> AppTest:
    return open_page("pages/workshop.py", w=workshop.facilitator_token or "", **query)


def participant(token: str) -> AppTest:
    return open_page("pages/join.py", p=token)


def texts(at: AppTest) -> str:
    return "\n".join(str(element.value) for kind in ("markdown", "caption", "text", "title", "success", "error",
                                                     "warning", "info") for element in at.get(kind))


def inside(at: AppTest, key: str, kind: str = "vega_lite_chart") -> list[Any]:
    """The elements of a kind inside the container with this key (charts without selections carry no id)."""
    def walk(node: Any, within: bool) -> Iterator[Any]:
        for child in (node.children.values() if isinstance(getattr(node, "children", None), dict) else []):
            here = within or getattr(child, "key", None) == key
            if here and getattr(child, "type", None) == kind:
                yield child
            yield from walk(child, here)
    return list(walk(at._tree, False))


def dataset(at: AppTest, key: str, name: str) -> pd.DataFrame:
    """A named dataset of the chart in the container with this key (or with this key), as Streamlit sent it."""
    charts = inside(at, key) or [e for e in at.get("vega_lite_chart") if e.proto.id and key in e.proto.id]
    found = next(data for data in charts[0].proto.datasets if data.name == name)
    return dataframe_util.convert_arrow_bytes_to_pandas_df(found.data.data)


def lanes(at: AppTest, key: str) -> list[str]:
    return list(dataset(at, key, "journey_lanes")["full_label"])


def step_options(at: AppTest) -> list[str]:
    """The steps offered on a participant's laptop, by label."""
    return list(at.selectbox(key="jm_join_note_step").options)[1:]


class TestFollowingTheScreen:
    def test_the_laptop_shows_the_stages_the_screen_reveals(self, store: WorkshopStore, workshop: Workshop) -> None:
        """At stage 1 the laptop's map and its steps are stage 1's; Next on the screen brings stage 2 to it."""
        screen = facilitator(workshop)
        assert store.workshop(workshop.facilitator_token or "").stage_shown == 1
        ana = store.join(workshop.join_code, "Ana")
        laptop = participant(ana.token or "")
        assert lanes(laptop, "jm_room_map") == ["Pre-boarding"]
        assert "Equipment shipped" not in step_options(laptop) and "Background check" in step_options(laptop)
        one_stage = json.loads(inside(laptop, "jm_room_map")[0].proto.spec)
        assert one_stage["height"] < 520, "one stage is a strip, not a corner of the full journey's frame"
        screen.button(key="jm_ws_stage_next").click().run()
        no_exception(screen)
        laptop.run()  # the board's refresh sees the screen moved and reruns the page
        laptop.run()
        no_exception(laptop)
        assert lanes(laptop, "jm_room_map") == ["Pre-boarding", "Equipment & access"]
        assert "Equipment shipped" in step_options(laptop)
        two_stages = json.loads(inside(laptop, "jm_room_map")[0].proto.spec)
        assert two_stages["height"] > one_stage["height"]

    def test_the_spotlight_reaches_the_laptop(self, store: WorkshopStore, workshop: Workshop) -> None:
        """The hotspot on the screen is named on the laptop with its numbers, and its step is open there."""
        facilitator(workshop, view="spotlight", stage="3")
        ana = store.join(workshop.join_code, "Ana")
        laptop = participant(ana.token or "")
        shown = texts(laptop)
        assert "On the shared screen · hotspot 1 of 3" in shown and "Equipment shipped" in shown
        assert "cases reached it" in shown
        assert laptop.selectbox(key="jm_join_note_step").value == "equipment_shipped"

    def test_the_part_on_screen_is_kept_in_the_store(self, store: WorkshopStore, workshop: Workshop) -> None:
        """Choosing a part of the workshop records it, so laptops (and a new tab of the screen) follow."""
        screen = facilitator(workshop)
        screen.selectbox(key="jm_ws_view").set_value("board").run()
        no_exception(screen)
        assert store.workshop(workshop.facilitator_token or "").on_screen == "board"
        again = facilitator(workshop)  # no ?view= in the URL: where the facilitator was
        assert again.selectbox(key="jm_ws_view").value == "board"


class TestWorkingOnTheMap:
    def test_the_laptop_map_takes_clicks_and_a_dot_shows_on_it(self, store: WorkshopStore,
                                                                workshop: Workshop) -> None:
        """The laptop's map sends clicks on steps (the browser test clicks one); a dot placed shows on it."""
        ana = store.join(workshop.join_code, "Ana")
        laptop = participant(ana.token or "")
        chart = next(e for e in laptop.get("vega_lite_chart") if "jm_room_map" in e.proto.id)
        assert list(chart.proto.selection_mode) == ["step"], "a click on a step reruns with the step selected"
        laptop.selectbox(key="jm_join_note_step").select("background_check").run()
        laptop.button(key="jm_ws_vote_add_background_check").click().run()
        assert store.my_votes(ana.token or "") == {"background_check": 1}
        marks = dataset(laptop, "jm_room_map", "workshop_marks")
        assert marks.set_index("step").at["background_check", "dot_text"] == "1", "the laptop's map shows the dot"

    def test_a_note_goes_on_the_open_step(self, store: WorkshopStore, workshop: Workshop) -> None:
        """The note form writes on the step that is open, and the laptop's map counts it."""
        ana = store.join(workshop.join_code, "Ana")
        laptop = participant(ana.token or "")
        laptop.selectbox(key="jm_join_note_step").select("contract_signed").run()
        laptop.radio(key="jm_join_note_kind").set_value("idea")
        laptop.text_area(key="jm_join_note_text").input("Sign online")
        next(b for b in laptop.button if b.key and "jm_join_note_form" in b.key).click().run()
        no_exception(laptop)
        assert [(n.step_id, n.kind, n.text) for n in store.list_notes(ana.token or "")] == [
            ("contract_signed", "idea", "Sign online")]
        marks = dataset(laptop, "jm_room_map", "workshop_marks").set_index("step")
        assert marks.at["contract_signed", "note_text"] == "✎1"

    def test_the_dots_left_stay_in_view(self, store: WorkshopStore, workshop: Workshop) -> None:
        """The laptop says how many dots are left, with no step open."""
        ana = store.join(workshop.join_code, "Ana")
        store.cast_vote(ana.token or "", "first_login", 2)
        assert "**1 of 3 dots left** ●○○" in texts(participant(ana.token or ""))

    def test_exit_steps_take_dots_only_when_the_facilitator_opens_them(self, store: WorkshopStore,
                                                                       workshop: Workshop) -> None:
        """An exit step offers no dot button until the facilitator's toggle opens exit steps."""
        ana = store.join(workshop.join_code, "Ana")
        laptop = participant(ana.token or "")
        laptop.selectbox(key="jm_join_note_step").select("offer_withdrawn").run()
        assert not [b for b in laptop.button if b.key == "jm_ws_vote_add_offer_withdrawn"]
        assert "exit steps take no dots" in texts(laptop)
        screen = facilitator(workshop)
        screen.toggle(key="jm_ws_exit_votes").set_value(True).run()
        no_exception(screen)
        assert store.workshop(workshop.facilitator_token or "").exit_votes
        laptop.run()
        laptop.run()
        laptop.button(key="jm_ws_vote_add_offer_withdrawn").click().run()
        assert store.my_votes(ana.token or "") == {"offer_withdrawn": 1}


class TestTheDoor:
    def test_the_header_shows_the_network_address_and_a_qr_code(self, workshop: Workshop) -> None:
        """The join address is the machine's network address, never localhost; a QR code is beside it."""
        screen = facilitator(workshop)
        shown = texts(screen)
        assert f"Join at **{md('192.168.1.20:8501/join')}**" in shown
        assert "127.0.0.1" not in shown and "localhost" not in shown
        assert inside(screen, "jm_ws_qr", "image"), "the QR code is on the screen"

    def test_the_facilitator_sets_the_public_address(self, store: WorkshopStore, workshop: Workshop) -> None:
        """A typed address is saved for the workshop and shown; a broken one is refused with a reason."""
        screen = facilitator(workshop)
        screen.text_input(key="jm_ws_address").input("journeys.example.org").run()
        no_exception(screen)
        assert store.workshop(workshop.facilitator_token or "").public_url == "http://journeys.example.org"
        assert f"Join at **{md('journeys.example.org/join')}**" in texts(screen)
        screen.text_input(key="jm_ws_address").input("ftp://x").run()
        assert any("not a web address" in e.value for e in screen.error)
        assert store.workshop(workshop.facilitator_token or "").public_url == "http://journeys.example.org"

    def test_the_people_part_shows_the_door_large(self, workshop: Workshop) -> None:
        """People & joining shows the code large with the address to type, for the start of the workshop."""
        screen = facilitator(workshop, view="people")
        shown = texts(screen)
        assert workshop_state.pretty_code(workshop.join_code) in shown and md("192.168.1.20:8501/join") in shown
        assert inside(screen, "jm_ws_qr", "image") and inside(screen, "jm_ws_door_qr", "image"), \
            "the header's QR code and the door's"


class TestTheReveal:
    def test_revealing_draws_the_dots_and_ranks_them(self, store: WorkshopStore, workshop: Workshop) -> None:
        """After the reveal the map carries each step's dots with the top three placed, and a bar chart ranks them."""
        ana, ben = store.join(workshop.join_code, "Ana"), store.join(workshop.join_code, "Ben")
        store.cast_vote(ana.token or "", "equipment_shipped", 3)
        store.cast_vote(ben.token or "", "background_check", 2)
        store.cast_vote(ben.token or "", "first_login", 1)
        screen = facilitator(workshop, view="board")
        marks = dataset(screen, "jm_ws_small_board", "workshop_marks").set_index("step")
        assert set(marks["dots"]) == {0}, "no dots before the reveal"
        screen.button(key="jm_ws_reveal").click().run()
        no_exception(screen)
        charts = inside(screen, "jm_ws_small_reveal")
        assert len(charts) == 2, "the map and the ranked bars"
        marks = dataset(screen, "jm_ws_small_reveal", "workshop_marks").set_index("step")
        assert marks.loc[["equipment_shipped", "background_check", "first_login"], "place"].to_list() == [
            "1st", "2nd", "3rd"]
        assert marks.at["equipment_shipped", "dot_px"] > marks.at["first_login", "dot_px"]
        legends = [channel.get("legend", "default") for layer in json.loads(charts[0].proto.spec)["layer"]
                   for channel in (layer.get("encoding") or {}).values()
                   if isinstance(channel, dict) and ("field" in channel or "condition" in channel)]
        assert legends and set(legends) == {None}, "the reveal's map leaves its legends out, for the ranking"
        bars = dataframe_util.convert_arrow_bytes_to_pandas_df(charts[1].proto.datasets[0].data.data)
        assert list(bars.sort_values("rank")["label"]) == ["Equipment shipped", "Background check", "First login"]

    def test_the_backlog_starts_from_the_ranking(self, store: WorkshopStore, workshop: Workshop) -> None:
        """Voted steps come first, named from their notes, with their dots beside RICE."""
        ana = store.join(workshop.join_code, "Ana")
        store.cast_vote(ana.token or "", "background_check", 1)
        store.cast_vote(ana.token or "", "equipment_shipped", 2)
        store.add_note(ana.token or "", "equipment_shipped", "idea", "Ship laptops from stock")
        store.add_note(ana.token or "", "laptop_setup", "pain", "Setup takes a day")
        screen = facilitator(workshop, view="backlog")
        screen.button(key="jm_ws_suggest").click().run()
        no_exception(screen)
        table = screen.data_editor[0].value
        assert list(table["Opportunity"]) == ["Ship laptops from stock (Equipment shipped)", "Background check",
                                              "Fix: setup takes a day (Laptop set up)"]
        assert list(table["Dots"]) == [2, 1, 0]
        assert list(table.columns).index("Dots") == list(table.columns).index("RICE") + 1


class TestReplay:
    def test_the_workshop_replay_is_one_chart_with_its_controls(self, workshop: Workshop) -> None:
        """The replay part draws the map with the moment parameter and the in-browser play controls."""
        screen = facilitator(workshop, view="replay")
        spec = inside(screen, "jm_ws_small_jm_ws_replay_chart")[0].proto.spec
        assert '"replay_t"' in spec and "replay_moves" in spec
        controls = [str(e.proto.body) for e in screen.get("html") if 'data-testid="jm-replay"' in str(e.proto.body)]
        assert len(controls) == 1 and 'aria-label="Play"' in controls[0] and 'aria-label="Step forward"' in controls[0]

    def test_choosing_a_period_replays_that_period(self, workshop: Workshop) -> None:
        """A new period sends a replay of those dates: its moment starts there."""
        screen = facilitator(workshop, view="replay")
        screen.date_input(key="jm_ws_replay_period").set_value((dt.date(2026, 3, 1), dt.date(2026, 3, 31))).run()
        no_exception(screen)
        controls = next(str(e.proto.body) for e in screen.get("html") if 'data-testid="jm-replay"' in str(e.proto.body))
        start_ms = int(dt.datetime(2026, 3, 1, tzinfo=dt.UTC).timestamp() * 1000)
        assert f'"start": {start_ms}' in controls

    def test_the_map_page_replays_on_demand(self) -> None:
        """The Map page computes nothing for the replay until its toggle is on."""
        at = open_app()
        assert not [e for e in at.get("html") if 'data-testid="jm-replay"' in str(e.proto.body)]
        at.toggle(key="jm_map_replay_on").set_value(True).run()
        no_exception(at)
        assert [e for e in at.get("html") if 'data-testid="jm-replay"' in str(e.proto.body)]
        assert any('"replay_t"' in e.proto.spec for e in at.get("vega_lite_chart"))
