"""Workshop mode with AppTest: the facilitator's projector view and the participant's page, on a real store."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from app_driver import APP, TIMEOUT, chart_specs, no_exception
from streamlit import dataframe_util
from streamlit.testing.v1 import AppTest

from journeymap.core.errors import JourneyError
from journeymap.ui import workshop_state
from journeymap.ui.text import md
from journeymap.ui.workshop_backlog import apply_edits
from journeymap.ui.workshop_board import FACILITATOR_MARK
from journeymap.workshop.access import AccessDenied
from journeymap.workshop.backlog import IMPACT_SCALE, BacklogItem, Workshop
from journeymap.workshop.store import WorkshopStore

MARKUP = "<script>alert('x')</script> **bold** <img src=x onerror=alert(1)> [link](http://evil) :red[red]"


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[WorkshopStore]:
    """A workshop store in a fresh SQLite file, the same one the app under test opens."""
    monkeypatch.setenv("JOURNEYMAP_DB_PATH", str(tmp_path / "workshops.sqlite"))
    monkeypatch.delenv("JOURNEYMAP_DATABASE_URL", raising=False)
    with WorkshopStore() as opened:
        yield opened
    workshop_state.close_stores()  # the app's connections to this file


@pytest.fixture
def workshop(store: WorkshopStore) -> Workshop:
    """A workshop on the sample onboarding journey, two dots per participant."""
    return store.create_workshop("Onboarding retro", "onboarding", votes_per_participant=2)


def open_page(page: str, **query: str) -> AppTest:
    """The app on a page (run once), with these URL query parameters."""
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    for key, value in query.items():
        at.query_params[key] = value
    at.switch_page(page).run()
    no_exception(at)
    return at


def facilitator(workshop: Workshop, **query: str) -> AppTest:
    """The facilitator's projector view of a workshop."""
    return open_page("pages/workshop.py", w=workshop.facilitator_token or "", **query)


def participant(token: str) -> AppTest:
    """A participant's page, opened with their own key."""
    return open_page("pages/join.py", p=token)


def texts(at: AppTest) -> list[str]:
    """Every piece of text on the page: markdown, captions, plain text, headings, alerts."""
    found: list[str] = []
    for kind in ("markdown", "caption", "text", "title", "header", "subheader", "success", "error", "info", "warning"):
        found += [str(element.value) for element in at.get(kind)]
    return found


def joined(at: AppTest) -> str:
    return "\n".join(texts(at))


def click(at: AppTest, key: str) -> AppTest:
    """Click the button with this key and run the page again."""
    at.button(key=key).click().run()
    no_exception(at)
    return at


def choose_step(at: AppTest, step: str) -> AppTest:
    """On a participant's page, open a step (as a click on the map does) and run the page again."""
    at.selectbox(key="jm_join_note_step").select(step).run()
    no_exception(at)
    return at


def add_note(at: AppTest, prefix: str, step: str, kind: str, text: str) -> AppTest:
    """Fill in and send the note form whose widgets start with `prefix`."""
    at.selectbox(key=f"{prefix}_step").select(step)
    if prefix == "jm_join_note":  # the participant's form shows once a step is open
        at.run()
    at.radio(key=f"{prefix}_kind").set_value(kind)
    at.text_area(key=f"{prefix}_text").input(text)
    submit = next(button for button in at.button if button.key and f"{prefix}_form" in button.key)
    submit.click().run()
    no_exception(at)
    return at


def map_lanes(at: AppTest) -> list[str]:
    """The stage lanes drawn on the (narrow-screen) map, from the table Streamlit sends with it."""
    chart = at.get("vega_lite_chart")[0]
    lanes = next(dataset for dataset in chart.proto.datasets if dataset.name == "journey_lanes")
    return list(dataframe_util.convert_arrow_bytes_to_pandas_df(lanes.data.data)["full_label"])


class TestStartingAWorkshop:
    def test_start_puts_the_facilitator_key_in_the_url(self, store: WorkshopStore) -> None:
        """Starting a workshop on the sidebar's journey opens the projector view with the key in the URL."""
        at = open_page("pages/workshop.py")
        assert at.title[0].value == "Run a workshop"
        at.text_input(key="jm_ws_title").input("Day-1 retro")
        next(b for b in at.button if b.key and "jm_ws_create_form" in b.key).click().run()
        no_exception(at)
        token = at.query_params["w"]
        created = store.workshop(token)
        assert created.facilitator_token == token and created.journey_id == "onboarding"
        assert "Day\\-1 retro" in joined(at)
        assert workshop_state.pretty_code(created.join_code) in joined(at), "the join code is on the screen"

    def test_projector_view_has_no_sidebar(self, workshop: Workshop) -> None:
        """The workshop view draws nothing into the sidebar: no journey picker, no page menu."""
        at = facilitator(workshop)
        assert not at.sidebar.children, "the projector view has no sidebar"

    def test_a_participant_key_does_not_open_the_facilitator_view(self, store: WorkshopStore,
                                                                  workshop: Workshop) -> None:
        """A participant's key in the facilitator's URL shows an error and none of the controls."""
        ana = store.join(workshop.join_code, "Ana")
        at = open_page("pages/workshop.py", w=ana.token or "")
        assert any("participant's key" in message.value for message in at.error)
        assert not [button for button in at.button if button.key == "jm_ws_stage_next"]

    def test_an_unknown_key_opens_nothing(self, workshop: Workshop) -> None:
        """A made-up facilitator key says it belongs to no workshop and shows no workshop."""
        at = open_page("pages/workshop.py", w="not-a-real-key")
        assert any("belongs to no workshop" in message.value for message in at.error)
        assert "Onboarding retro" not in joined(at)


class TestPresenting:
    def test_next_and_previous_reveal_one_stage_at_a_time(self, workshop: Workshop) -> None:
        """Next reveals one more stage of the map, previous hides it again; the stage is kept in the URL."""
        at = facilitator(workshop)
        assert "**Stage 1 of 3** · Pre\\-boarding" in texts(at)
        assert map_lanes(at) == ["Pre-boarding"]
        assert at.button(key="jm_ws_stage_back").disabled
        click(at, "jm_ws_stage_next")
        assert at.query_params["stage"] == "2"
        assert map_lanes(at) == ["Pre-boarding", "Equipment & access"]
        click(at, "jm_ws_stage_next")
        assert at.button(key="jm_ws_stage_next").disabled, "no stage after the last"
        click(at, "jm_ws_stage_back")
        assert "**Stage 2 of 3** · Equipment & access" in texts(at)

    def test_spotlight_steps_through_the_top_hotspots(self, workshop: Workshop) -> None:
        """The spotlight shows one hotspot with its sentence, numbers and distribution; next moves on."""
        at = facilitator(workshop, view="spotlight")
        assert "## ① Equipment shipped" in texts(at)
        assert any("of time to first login" in text for text in texts(at))
        assert {metric.label for metric in at.metric} >= {"Share of lead time", "Median wait here", "p85 wait"}
        assert any("How long cases take to get here" in spec for spec in chart_specs(at))
        click(at, "jm_ws_spot_next")
        assert "## ② Background check" in texts(at)
        assert at.query_params["spot"] == "2"

    def test_sections_are_kept_in_the_url(self, workshop: Workshop) -> None:
        """Choosing another part of the workshop puts it in the URL, so a refresh stays there."""
        at = facilitator(workshop)
        at.selectbox(key="jm_ws_view").set_value("board").run()
        no_exception(at)
        assert at.query_params["view"] == "board"
        assert at.button(key="jm_ws_reveal").label == "Reveal the tally"

    def test_timer_counts_down(self, store: WorkshopStore, workshop: Workshop) -> None:
        """Starting the countdown from the facilitator's menu shows the minutes left."""
        at = facilitator(workshop)
        at.number_input(key="jm_ws_minutes").set_value(10)
        click(at, "jm_ws_timer_start")
        remaining = store.timer_remaining(workshop.facilitator_token or "")
        assert remaining is not None and 590 < remaining <= 600
        clocks = [str(element.proto.body) for element in at.get("html") if 'role="timer"' in str(element.proto.body)]
        assert len(clocks) == 1 and any(f">{shown}</div>" in clocks[0] for shown in ("10:00", "09:59", "09:58"))

    def test_a_participant_sees_a_timer_started_after_they_opened_the_page(self, store: WorkshopStore,
                                                                           workshop: Workshop) -> None:
        """The board's refresh notices the new countdown and redraws the page, clock included."""
        ana = store.join(workshop.join_code, "Ana")
        at = participant(ana.token or "")
        assert not [element for element in at.get("html") if 'role="timer"' in str(element.proto.body)]
        store.set_timer(workshop.facilitator_token or "", 300)
        at.run()  # the board's refresh; it asks for a full rerun, which AppTest runs next
        at.run()
        no_exception(at)
        assert [element for element in at.get("html") if 'role="timer"' in str(element.proto.body)]


class TestNotesAndVotes:
    def test_participant_note_reaches_the_board(self, store: WorkshopStore, workshop: Workshop) -> None:
        """A participant's note is saved, acknowledged, and shown on the facilitator's board."""
        ana = store.join(workshop.join_code, "Ana")
        at = participant(ana.token or "")
        add_note(at, "jm_join_note", "equipment_shipped", "pain", "Laptop comes after day 1")
        assert any("Pain point saved" in message.value for message in at.success)
        assert at.text_area(key="jm_join_note_text").value == "", "the box is emptied once the note is stored"
        assert [note.text for note in store.list_notes(ana.token or "")] == ["Laptop comes after day 1"]
        board = facilitator(workshop, view="board")
        assert "Laptop comes after day 1" in [text.value for text in board.text]

    def test_markup_in_a_note_shows_literally(self, store: WorkshopStore, workshop: Workshop) -> None:
        """Markup and script typed into a note are shown as the characters typed, never rendered."""
        ana = store.join(workshop.join_code, "Ana")
        at = participant(ana.token or "")
        add_note(at, "jm_join_note", "first_login", "idea", MARKUP)
        assert MARKUP in [text.value for text in at.text]
        board = facilitator(workshop, view="board")
        assert MARKUP in [text.value for text in board.text]
        for page in (at, board):
            rendered = [text for kind in ("markdown", "caption") for text in
                        (str(element.value) for element in page.get(kind))]
            assert not any("<script" in text or "<img" in text for text in rendered)
            assert not any(element.proto.allow_html for element in page.get("markdown")), "no unsafe HTML"

    def test_facilitator_adds_a_note(self, store: WorkshopStore, workshop: Workshop) -> None:
        """The facilitator can write a note too; it is signed 'Facilitator'."""
        at = facilitator(workshop, view="board")
        add_note(at, "jm_ws_note", "contract_signed", "question", "Who signs on holidays?")
        notes = store.list_notes(workshop.facilitator_token or "")
        assert [(note.author, note.text) for note in notes] == [("Facilitator", "Who signs on holidays?")]

    def test_participant_edits_and_deletes_only_their_own_notes(self, store: WorkshopStore,
                                                                workshop: Workshop) -> None:
        """'Your notes' lists one's own notes with edit and delete; others' notes are not there."""
        ana, ben = store.join(workshop.join_code, "Ana"), store.join(workshop.join_code, "Ben")
        mine = store.add_note(ana.token or "", "background_check", "pain", "Takes ages")
        theirs = store.add_note(ben.token or "", "background_check", "idea", "Start it earlier")
        at = participant(ana.token or "")
        assert not [b for b in at.button if b.key == f"jm_ws_mine_delete_{theirs.id}"]
        at.text_area(key=f"jm_ws_mine_text_{mine.id}").input("Takes two weeks")
        click(at, f"jm_ws_mine_save_{mine.id}")
        assert store.list_notes(ana.token or "", step_id="background_check")[0].text == "Takes two weeks"
        click(at, f"jm_ws_mine_delete_{mine.id}")
        assert [note.text for note in store.list_notes(ana.token or "")] == ["Start it earlier"]
        with pytest.raises(AccessDenied):
            store.delete_note(ana.token or "", theirs.id)

    def test_votes_stop_at_the_budget(self, store: WorkshopStore, workshop: Workshop) -> None:
        """Dots can go several on one step, the + turns off at the budget, and a stale page is refused."""
        ana = store.join(workshop.join_code, "Ana")
        at = participant(ana.token or "")
        stale = participant(ana.token or "")  # the same person in a second tab, opened now
        assert any(text.startswith("**2 of 2 dots left**") for text in texts(at))
        choose_step(at, "equipment_shipped")
        choose_step(stale, "laptop_setup")
        click(at, "jm_ws_vote_add_equipment_shipped")
        click(at, "jm_ws_vote_add_equipment_shipped")
        assert store.my_votes(ana.token or "") == {"equipment_shipped": 2}
        assert at.button(key="jm_ws_vote_add_equipment_shipped").disabled
        choose_step(at, "laptop_setup")
        assert at.button(key="jm_ws_vote_add_laptop_setup").disabled
        assert any("0 of 2 dots left" in text for text in texts(at))
        click(stale, "jm_ws_vote_add_laptop_setup")
        assert any("0 dots left" in message.value for message in stale.error), "the store refused the dot"
        assert store.votes_left(ana.token or "") == 0
        choose_step(at, "equipment_shipped")
        click(at, "jm_ws_vote_take_equipment_shipped")
        assert store.my_votes(ana.token or "") == {"equipment_shipped": 1}

    def test_tally_stays_hidden_until_revealed(self, store: WorkshopStore, workshop: Workshop) -> None:
        """Neither participants nor the shared screen show the tally until the facilitator reveals it."""
        ana = store.join(workshop.join_code, "Ana")
        store.cast_vote(ana.token or "", "equipment_shipped", 2)
        at = participant(ana.token or "")
        assert not any(text.startswith("**Votes:**") for text in texts(at))
        board = facilitator(workshop, view="board")
        assert any(text.startswith("**2 dots placed**") for text in texts(board))
        assert not any(text.startswith("**Votes:**") for text in texts(board))
        click(board, "jm_ws_reveal")
        assert any(text.startswith("**Votes:** **Equipment shipped** ●● 2") for text in texts(board))
        at.run()
        assert any(text.startswith("**Votes:** **Equipment shipped** ●● 2") for text in texts(at))


class TestJoining:
    def test_join_with_the_code_on_the_screen(self, store: WorkshopStore, workshop: Workshop) -> None:
        """The code from the link is filled in; joining puts the participant's own key in the URL."""
        at = open_page("pages/join.py", code=workshop.join_code)
        assert at.text_input(key="jm_join_code").value == workshop_state.pretty_code(workshop.join_code)
        assert "Onboarding retro" not in joined(at), "nothing of the workshop before joining"
        at.text_input(key="jm_join_name").input("Ana")
        next(b for b in at.button if b.key and "jm_join_form" in b.key).click().run()
        no_exception(at)
        token = at.query_params["p"]
        assert store.participant(token).name == "Ana"
        assert "code" not in at.query_params
        assert at.title[0].value == "Onboarding retro"
        page_text = joined(at) + json.dumps({key: at.query_params[key] for key in at.query_params})
        assert (workshop.facilitator_token or "") not in page_text, "the facilitator's key never reaches a participant"

    def test_a_wrong_code_shows_no_workshop(self, workshop: Workshop) -> None:
        """A wrong join code is refused with a message, and no workshop is shown."""
        at = open_page("pages/join.py")
        at.text_input(key="jm_join_code").input("WRONG-CODE")
        at.text_input(key="jm_join_name").input("Eve")
        next(b for b in at.button if b.key and "jm_join_form" in b.key).click().run()
        no_exception(at)
        assert at.error and "p" not in at.query_params
        assert "Onboarding retro" not in joined(at)


class TestBacklog:
    def test_suggest_then_score(self, store: WorkshopStore, workshop: Workshop) -> None:
        """Voted steps become opportunities with Reach and Impact from the data; typed C and E give RICE."""
        token = workshop.facilitator_token or ""
        ana = store.join(workshop.join_code, "Ana")
        store.cast_vote(ana.token or "", "equipment_shipped", 2)
        at = facilitator(workshop, view="backlog")
        click(at, "jm_ws_suggest")
        items = store.list_backlog(token)
        assert [item.step_id for item in items] == ["equipment_shipped"]
        assert items[0].reach and items[0].reach > 0 and items[0].impact in IMPACT_SCALE
        assert any("1 opportunity added" in message.value for message in at.success)
        assert list(at.data_editor[0].value["Opportunity"]) == ["Equipment shipped"]
        editor = f"jm_ws_backlog_{at.session_state['jm_ws_backlog_version']}"
        at.session_state[editor] = {"edited_rows": {0: {"Confidence": 80, "Effort": 2}}, "added_rows": [
            {"Opportunity": "Day-1 checklist", "Step": "First login", "Confidence": 50, "Effort": 1}],
            "deleted_rows": []}
        next(b for b in at.button if b.key and "jm_ws_backlog_form" in b.key).click().run()
        no_exception(at)
        saved = {item.title: item for item in store.list_backlog(token)}
        assert saved["Equipment shipped"].confidence == 0.8 and saved["Equipment shipped"].effort == 2
        shipped = saved["Equipment shipped"]
        assert shipped.rice == pytest.approx((shipped.reach or 0) * (shipped.impact or 0) * 0.8 / 2)
        assert saved["Day-1 checklist"].step_id == "first_login" and saved["Day-1 checklist"].reach
        shown = at.data_editor[0].value
        assert list(shown["RICE"]) == sorted(shown["RICE"], reverse=True), "highest RICE first"

    def test_exports_are_offered(self, store: WorkshopStore, workshop: Workshop) -> None:
        """The take-home part offers the Markdown summary, the backlog CSV and the annotated map PNG."""
        ana = store.join(workshop.join_code, "Ana")
        store.add_note(ana.token or "", "first_login", "pain", MARKUP)
        at = facilitator(workshop, view="export")
        labels = [button.label for button in at.get("download_button")]
        assert labels == ["Summary (Markdown)", "Backlog (CSV)", "Annotated map (PNG)"]
        summary = next(text for text in texts(at) if text.startswith("# Onboarding retro"))
        assert "<script>" not in summary and "&lt;script&gt;" in summary


class TestApplyEdits:
    ITEMS = [BacklogItem("Ship from stock", "equipment_shipped", 100.0, 2.0, 0.5, 1.0, id=7),
             BacklogItem("Checklist", "first_login", id=9)]
    LABELS = {"equipment_shipped": "Equipment shipped", "first_login": "First login"}

    def test_edited_added_and_deleted_rows(self) -> None:
        """Edited cells change their item, added rows become new items, deleted rows give ids to delete."""
        edits: dict[str, Any] = {"edited_rows": {"0": {"Confidence": 90.0, "Notes": "Ask IT"}},
                                 "added_rows": [{"Opportunity": "Self-service reset", "Effort": 0.5}],
                                 "deleted_rows": [1]}
        changed, gone = apply_edits(self.ITEMS, edits, self.LABELS)
        assert changed[0] == BacklogItem("Ship from stock", "equipment_shipped", 100.0, 2.0, 0.9, 1.0, "Ask IT", id=7)
        assert changed[1].title == "Self-service reset" and changed[1].id is None and changed[1].effort == 0.5
        assert gone == [9]

    def test_empty_added_rows_are_ignored(self) -> None:
        """A row added and left empty saves nothing."""
        assert apply_edits(self.ITEMS, {"added_rows": [{}], "edited_rows": {}, "deleted_rows": []},
                           self.LABELS) == ([], [])


# One of each kind of markup a renderer could act on; none may survive as markup.
HOSTILE = {"url": "http://evil.example/x", "www": "www.evil.example", "email": "ann@evil.example",
           "icon": ":material/home:", "maths": "$x^2$", "colour": ":red[red]", "html": "<b>bold</b>",
           "bold": "**bold**", "link": "[link](http://evil.example)"}


def rendered(at: AppTest) -> list[str]:
    """The Markdown source of every element Streamlit renders as Markdown, and every widget's label and tooltip."""
    found = [str(element.value) for kind in ("markdown", "caption", "title", "header", "subheader", "success",
                                             "error", "info", "warning") for element in at.get(kind)]
    for widget in list(at.button) + list(at.get("toggle")) + list(at.number_input):
        found += [str(getattr(widget, "label", "") or ""), str(getattr(widget, "help", "") or "")]
    return found


def assert_literal(at: AppTest, raw: str) -> None:
    """`raw` reaches the page only escaped (md), never as markup, and no element allows HTML."""
    sources = rendered(at)
    assert any(md(raw) in source for source in sources), f"{raw!r} is not on the page escaped"
    assert not any(raw in source for source in sources), f"{raw!r} reaches Markdown unescaped"
    assert not any(element.proto.allow_html for element in at.get("markdown"))


class TestTextIsText:
    @pytest.mark.parametrize("kind", sorted(HOSTILE))
    def test_titles_and_names_render_literally(self, store: WorkshopStore, kind: str) -> None:
        """A workshop title and a participant name with markup show as typed on both pages (no link, icon,
        maths, colour or HTML), and the facilitator's board carries the name escaped too."""
        raw = HOSTILE[kind]
        workshop = store.create_workshop(f"Retro {raw}", "onboarding")
        ana = store.join(workshop.join_code, f"Ana {raw}")
        store.add_note(ana.token or "", "first_login", "idea", f"note {raw}")
        laptop = participant(ana.token or "")
        assert_literal(laptop, f"Retro {raw}")
        assert_literal(laptop, f"Ana {raw}")
        assert f"note {raw}" in [text.value for text in laptop.text], "note text is drawn with st.text"
        for view in ("board", "people"):
            screen = facilitator(workshop, view=view)
            assert_literal(screen, f"Retro {raw}")
            assert_literal(screen, f"Ana {raw}")

    @pytest.mark.parametrize("kind", sorted(HOSTILE))
    def test_step_labels_render_literally(self, store: WorkshopStore, workshop: Workshop,
                                          monkeypatch: pytest.MonkeyPatch, kind: str) -> None:
        """A step label with markup shows as typed in the dots panel (label and tooltip) and on the board."""
        raw = f"Laptop {HOSTILE[kind]}"
        journey = workshop_state.journey_for(workshop)
        steps = tuple(replace(step, label=raw) if step.id == "laptop_setup" else step for step in journey.steps)
        monkeypatch.setattr(workshop_state, "journey_for", lambda _workshop: replace(journey, steps=steps))
        ana = store.join(workshop.join_code, "Ana")
        store.add_note(ana.token or "", "laptop_setup", "pain", "slow")
        laptop = choose_step(participant(ana.token or ""), "laptop_setup")
        assert_literal(laptop, raw)
        assert laptop.button(key="jm_ws_vote_add_laptop_setup").help == f"Put a dot on {md(raw)}"


class TestHonestRoom:
    def test_the_facilitators_notes_carry_a_mark_no_name_can_make(self, store: WorkshopStore,
                                                                   workshop: Workshop) -> None:
        """The facilitator's note shows the mark; a participant's never does, and 'Facilitator' cannot join."""
        store.add_note(workshop.facilitator_token or "", "first_login", "question", "From the front")
        ana = store.join(workshop.join_code, "Ana")
        store.add_note(ana.token or "", "first_login", "idea", "From Ana")
        at = participant(ana.token or "")
        captions = [str(c.value) for c in at.caption]
        assert sum(FACILITATOR_MARK in caption for caption in captions) == 1
        assert any(caption.endswith("Ana (you)") for caption in captions)
        join = open_page("pages/join.py", code=workshop.join_code)
        join.text_input(key="jm_join_name").input("Facilitator")
        next(b for b in join.button if b.key and "jm_join_form" in b.key).click().run()
        assert "p" not in join.query_params and any("kept for the people" in e.value for e in join.error)

    def test_the_facilitator_takes_someone_out_and_closes_the_door(self, store: WorkshopStore,
                                                                   workshop: Workshop) -> None:
        """The People part lists who joined; Take out removes one; closing joining refuses the next."""
        ana, ben = store.join(workshop.join_code, "Ana"), store.join(workshop.join_code, "Ben")
        store.cast_vote(ben.token or "", "first_login", 2)
        at = facilitator(workshop, view="people")
        assert any(text.startswith("**2 participants**") for text in texts(at))
        assert "2 dots" in texts(at)
        click(at, f"jm_ws_people_out_{ben.id}")
        assert [p.name for p in store.participants(workshop.facilitator_token or "")] == ["Ana"]
        assert any("Ben is out of the workshop" in message.value for message in at.success)
        at.toggle(key="jm_ws_people_open").set_value(False).run()
        no_exception(at)
        assert not store.workshop(workshop.facilitator_token or "").joining_open
        with pytest.raises(JourneyError, match="closed joining"):
            store.join(workshop.join_code, "Cem")
        assert store.participant(ana.token or "").name == "Ana"

    def test_the_same_browser_rejoins_as_the_same_participant(self, store: WorkshopStore, workshop: Workshop,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
        """Opening the join link again in a browser that kept the key (its cookie) brings back the same person,
        with no second participant and no fresh dots; typing a new name from it changes nothing either."""
        ana = store.join(workshop.join_code, "Ana")
        store.cast_vote(ana.token or "", "first_login", 2)
        monkeypatch.setattr(workshop_state, "kept_key", lambda code: ana.token if code else None)
        at = open_page("pages/join.py", code=workshop.join_code)
        assert at.query_params["p"] == ana.token and at.title[0].value == "Onboarding retro"
        assert any("0 of 2 dots left" in text for text in texts(at))
        at = open_page("pages/join.py")
        at.text_input(key="jm_join_code").input(workshop.join_code)
        at.text_input(key="jm_join_name").input("Ana Two")
        next(b for b in at.button if b.key and "jm_join_form" in b.key).click().run()
        assert at.query_params["p"] == ana.token
        assert [p.name for p in store.participants(workshop.facilitator_token or "")] == ["Ana"]

    def test_the_participant_page_keeps_the_key_in_the_browser(self, store: WorkshopStore,
                                                               workshop: Workshop) -> None:
        """After joining, the page sets the cookie that `kept_key` reads: jm_p_<code>, the participant's key."""
        ana = store.join(workshop.join_code, "Ana")
        at = participant(ana.token or "")
        scripts = [str(element.proto.body) for element in at.get("html") if "document.cookie" in
                   str(element.proto.body)]
        assert len(scripts) == 1 and f"jm_p_{workshop.join_code}={ana.token}; path=/" in scripts[0]
