"""Sticky notes and dot votes: the note form, one's own notes, the dots, and the board that refreshes itself.

Every change goes through the store first; a message says "saved" only after the store call has
returned, and a refused change keeps what was typed. Note text is always drawn with `st.text`,
so markup or script in a note shows as the characters typed; names and labels go through `md`.
The facilitator's notes carry a badge and a dark edge that come from who wrote them (no
participant), never from a name, so a participant cannot look like the facilitator.
"""

from __future__ import annotations

from collections.abc import Mapping

import streamlit as st

from journeymap.core.errors import JourneyError
from journeymap.journey.model import Journey
from journeymap.ui import workshop_state as ws
from journeymap.ui.text import md
from journeymap.workshop.backlog import NOTE_KINDS, Note, Workshop

__all__ = ["REFRESH_S", "KIND_ICONS", "FACILITATOR_MARK", "step_choices", "stage_of", "say", "message", "note_form",
           "write_panel", "my_notes", "vote_panel",
           "live_board", "clock_drawn", "tally_lines", "remove_note", "vote_badges", "BADGE_KEY", "screen_signature",
           "screen_drawn", "vote", "add_note"]

REFRESH_S = 3  # notes and votes reach every screen within this many seconds
KIND_ICONS = {"pain": ":material/sentiment_dissatisfied:", "idea": ":material/lightbulb:",
              "question": ":material/help:"}  # a shape as well as a colour for each kind
FACILITATOR_MARK = ":material/verified: **Facilitator**"  # on the facilitator's notes only
_MSG = "jm_ws_msg_"
_MAX_DOTS_DRAWN = 15


def step_choices(journey: Journey) -> dict[str, str]:
    """The journey's designed steps, id -> label, in the order of the definition."""
    return {step.id: step.label for step in journey.steps}


def stage_of(journey: Journey) -> dict[str, str]:
    """Step id -> the label of its stage."""
    stages = {stage.id: stage.label for stage in journey.stages}
    return {step.id: stages.get(step.stage, step.stage) for step in journey.steps}


def say(key: str, kind: str, text: str) -> None:
    """Leave a message for `message(key)` to show on the next run."""
    st.session_state[_MSG + key] = (kind, text)


def message(key: str) -> None:
    """Show (once) what the last change made under `key` came to: saved, or why not."""
    found = st.session_state.pop(_MSG + key, None)
    if found:
        kind, text = found
        (st.success if kind == "success" else st.error)(md(text), icon=":material/check_circle:" if kind == "success"
                                                         else ":material/error:")


# The note form, one's own notes and the dots are fragments: pressing "Add note" or a dot reruns
# only that part, so its "saved" is drawn after the store call and a few widgets, not after the
# whole page (vote rows, the board, the map); with twenty laptops pressing at once the whole
# page's rerun was what kept confirmations waiting.
def _note_form(token: str, steps: Mapping[str, str], key: str) -> None:
    """Write a sticky note on a step: pain point, idea or question."""
    with st.form(f"{key}_form", border=True):
        st.selectbox("Step", list(steps), format_func=lambda step: steps.get(step, step), key=f"{key}_step")
        st.radio("Kind", list(NOTE_KINDS), format_func=NOTE_KINDS.get, horizontal=True, key=f"{key}_kind")
        st.text_area("Note", key=f"{key}_text", max_chars=2000, height=90,
                     placeholder="What hurts, what could be better, what you want to know…")
        st.form_submit_button("Add note", icon=":material/sticky_note_2:", type="primary",
                              on_click=_add_note, args=(token, key))
    message(key)


note_form = st.fragment(_note_form)


def _add_note(token: str, key: str) -> None:
    text = str(st.session_state.get(f"{key}_text") or "")
    try:
        note = ws.store().add_note(token, st.session_state[f"{key}_step"], st.session_state[f"{key}_kind"], text)
    except JourneyError as error:
        say(key, "error", str(error))  # the text stays in the box, to try again
        return
    st.session_state[f"{key}_text"] = ""
    say(key, "success", f"{note.kind_label} saved.")


add_note = _add_note  # the callback of a note form whose step is chosen elsewhere (`{key}_step`)


@st.fragment
def write_panel(token: str, steps: Mapping[str, str], key: str) -> None:
    """The participant's writing: the note form, then their own notes to edit or delete (one fragment)."""
    _note_form(token, steps, key)  # inside this fragment, not a fragment of its own
    with st.expander("Your notes: edit or delete", icon=":material/edit_note:"):
        my_notes(token, steps)


def my_notes(token: str, steps: Mapping[str, str], key: str = "jm_ws_mine") -> None:
    """The caller's own notes, each with Edit and Delete."""
    mine = [note for note in ws.store().list_notes(token) if note.mine]
    message(key)
    if not mine:
        st.caption("Your notes will be listed here, to edit or delete.")
        return
    for note in mine:
        with st.container(border=True):
            st.caption(
                f"{KIND_ICONS.get(note.kind, '')} {note.kind_label} on **{md(steps.get(note.step_id, note.step_id))}**"
            )
            st.text(note.text)
            edit, delete = st.columns(2)
            with edit.popover("Edit", icon=":material/edit:", width="stretch"):
                st.text_area("Note", value=note.text, key=f"{key}_text_{note.id}", max_chars=2000)
                st.radio("Kind", list(NOTE_KINDS), index=list(NOTE_KINDS).index(note.kind) if note.kind in NOTE_KINDS
                         else 0, format_func=NOTE_KINDS.get, horizontal=True, key=f"{key}_kind_{note.id}")
                st.button("Save", key=f"{key}_save_{note.id}", type="primary", on_click=_edit_note,
                          args=(token, note.id, key))
            delete.button("Delete", icon=":material/delete:", key=f"{key}_delete_{note.id}", width="stretch",
                          on_click=_delete_note, args=(token, note.id, key))


def _edit_note(token: str, note_id: int, key: str) -> None:
    try:
        ws.store().edit_note(token, note_id, text=str(st.session_state.get(f"{key}_text_{note_id}") or ""),
                             kind=st.session_state.get(f"{key}_kind_{note_id}"))
    except JourneyError as error:
        say(key, "error", str(error))
        return
    say(key, "success", "Note saved.")


def _delete_note(token: str, note_id: int, key: str) -> None:
    try:
        ws.store().delete_note(token, note_id)
    except JourneyError as error:
        say(key, "error", str(error))
        return
    say(key, "success", "Note deleted.")


def remove_note(token: str, key: str = "jm_ws_remove") -> None:
    """The facilitator takes any note off the board (for a note that should not be on a shared screen)."""
    notes = ws.store().list_notes(token)
    if not notes:
        st.caption("No notes yet.")
        return
    labels = {note.id: f"{note.kind_label} · {note.author}: {note.text[:60]}" for note in notes}
    st.selectbox("Note", list(labels), format_func=labels.__getitem__, key=f"{key}_which")
    st.button("Remove this note", icon=":material/delete:", key=f"{key}_go", on_click=_remove, args=(token, key))
    message(key)


def _remove(token: str, key: str) -> None:
    note_id = st.session_state.get(f"{key}_which")
    if note_id is not None:
        _delete_note(token, int(note_id), key)


@st.fragment
def vote_panel(token: str, steps: Mapping[str, str], budget: int, key: str = "jm_ws_vote") -> None:
    """The caller's dots: how many are left, and + / − beside every step."""
    store = ws.store()
    mine, left = store.my_votes(token), store.votes_left(token)
    st.markdown(f"**{left} of {budget} dot{'s' if budget != 1 else ''} left**" + ("" if left else " · all placed"))
    message(key)
    for step, label in steps.items():
        placed = mine.get(step, 0)
        name, dots, add, take = st.columns([6, 3, 1, 1], vertical_alignment="center")
        name.markdown(md(label))
        dots.markdown("●" * min(placed, _MAX_DOTS_DRAWN) + (f" {placed}" if placed else ""))
        add.button("", icon=":material/add:", key=f"{key}_add_{step}", help=f"Put a dot on {md(label)}",
                   disabled=left <= 0, on_click=_vote, args=(token, step, 1, key))
        take.button("", icon=":material/remove:", key=f"{key}_take_{step}", help=f"Take a dot off {md(label)}",
                    disabled=placed <= 0, on_click=_vote, args=(token, step, -1, key))


def _vote(token: str, step: str, n: int, key: str, exit_steps: tuple[str, ...] = ()) -> None:
    store = ws.store()
    try:
        left = (store.cast_vote(token, step, n, exit_steps=exit_steps) if n > 0
                else store.retract_vote(token, step, -n))
    except JourneyError as error:  # BudgetExceeded among them: the store refuses, the page says why
        say(key, "error", str(error))
        return
    say(key, "success", f"Dot {'placed' if n > 0 else 'taken back'}; {left} left.")


vote = _vote  # the callback the participant's step panel uses too


def tally_lines(tally: Mapping[str, int], steps: Mapping[str, str]) -> list[str]:
    """The tally as Markdown lines, most dots first: "**Equipment shipped** ●●●●● 5"."""
    ranked = sorted(((count, step) for step, count in tally.items() if count > 0), key=lambda cs: (-cs[0], cs[1]))
    return [f"**{md(steps.get(step, step))}** {'●' * min(count, _MAX_DOTS_DRAWN)} {count}" for count, step in ranked]


_CLOCK_SHOWN = "jm_ws_clock_ends"
_SCREEN_SHOWN = "jm_ws_screen_shown"


def screen_signature(workshop: Workshop) -> tuple[object, ...]:
    """What a participant's page follows of the shared screen: part, stage, spotlight, tally, exit steps."""
    return (workshop.on_screen, workshop.stage_shown, workshop.spotlight, workshop.tally_revealed,
            workshop.exit_votes, workshop.votes_per_participant)


def screen_drawn(workshop: Workshop) -> None:
    """Note what of the shared screen this page follows, so the board's refresh can tell when it moves."""
    st.session_state[_SCREEN_SHOWN] = screen_signature(workshop)


def clock_drawn(workshop: Workshop) -> None:
    """Note which countdown the page's header shows, so the board's refresh can tell when it changes."""
    st.session_state[_CLOCK_SHOWN] = workshop.timer_ends_at


@st.fragment(run_every=REFRESH_S)
def live_board(token: str, steps: Mapping[str, str], stages: Mapping[str, str], *, facilitator: bool) -> None:
    """Everyone's notes by stage and step, and the tally once revealed; redrawn every few seconds.

    It is the page's only poll: a countdown started or stopped since the header was drawn, or (on
    a participant's page) the shared screen moved on, reruns the whole page once, so the clock and
    the participant's map follow within REFRESH_S.
    """
    store = ws.store()
    try:
        workshop, notes, tally = store.workshop(token), store.list_notes(token), store.tally(token)
    except JourneyError as error:
        st.error(md(str(error)))
        return
    if _CLOCK_SHOWN in st.session_state and st.session_state[_CLOCK_SHOWN] != workshop.timer_ends_at:
        st.rerun(scope="app")
    if _SCREEN_SHOWN in st.session_state and st.session_state[_SCREEN_SHOWN] != screen_signature(workshop):
        st.rerun(scope="app")  # the facilitator moved on (a stage, a hotspot, the reveal): follow
    placed = sum((tally or {}).values())
    if tally is not None and (workshop.tally_revealed or not facilitator):
        lines = tally_lines(tally, steps)
        st.markdown("**Votes:** " + (" · ".join(lines) if lines else "no dots placed yet"))
    elif facilitator:
        people = len(store.participants(token))
        st.markdown(f"**{placed} dot{'s' if placed != 1 else ''} placed** · {people} "
                    f"participant{'s' if people != 1 else ''} joined · the tally stays hidden until you reveal it")
    else:
        st.caption("The facilitator reveals the votes when everyone has placed their dots.")
    _notes_by_stage(notes, steps, stages)


def _notes_by_stage(notes: list[Note], steps: Mapping[str, str], stages: Mapping[str, str]) -> None:
    if not notes:
        st.caption("No notes yet. Add one with the form; it shows up here for everyone within seconds.")
        return
    by_stage: dict[str, dict[str, list[Note]]] = {stage: {} for stage in dict.fromkeys(stages.values())}
    for note in notes:
        by_stage.setdefault(stages.get(note.step_id, "Other"), {}).setdefault(note.step_id, []).append(note)
    for column, (stage, by_step) in zip(st.columns(len(by_stage)), by_stage.items()):
        with column:
            st.markdown(f"#### {md(stage)}")
            if not by_step:
                st.caption("No notes on this stage yet.")
            for step in sorted(by_step, key=lambda s: list(steps).index(s) if s in steps else len(steps)):
                st.markdown(f"**{md(steps.get(step, step))}**")
                for note in by_step[step]:
                    _sticky(note)


def _sticky(note: Note) -> None:
    """One note: kind, who wrote it (the facilitator's mark from the author, not the name), the text as typed."""
    sticky = "facnote" if note.by_facilitator else "sticky"
    with st.container(key=f"jm_{sticky}_{note.kind}_{note.id}"):
        who = FACILITATOR_MARK if note.by_facilitator else f"{md(note.author)}{' (you)' if note.mine else ''}"
        st.caption(f"{KIND_ICONS.get(note.kind, '')} {note.kind_label} · {who}")
        st.text(note.text)


BADGE_KEY = "● dots · ✎ notes"


def vote_badges(token: str, *, with_votes: bool) -> dict[str, str]:
    """Step -> "●5 ✎2" (five dots, two notes) for the annotated map; dots only once the tally may be shown."""
    store = ws.store()
    notes: dict[str, int] = {}
    for note in store.list_notes(token):
        notes[note.step_id] = notes.get(note.step_id, 0) + 1
    dots = (store.tally(token) or {}) if with_votes else {}
    steps = set(notes) | {step for step, count in dots.items() if count}
    return {step: " ".join(([f"●{dots[step]}"] if dots.get(step) else []) + ([f"✎{notes[step]}"] if notes.get(step)
                                                                               else [])) for step in steps}
