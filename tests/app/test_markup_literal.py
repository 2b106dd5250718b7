"""Text from the data is text: activity names, step and stage labels, the journey's name, OKR names and
change titles carrying Markdown, Streamlit directives, LaTeX or HTML render literally on every explorer page.

A log whose activities carry each kind of markup, measured against a journey whose labels carry it
too, is loaded through the Data page; on the Map, Funnel, Time, Paths and Data pages no element that
Streamlit renders as Markdown (texts, captions, titles, alerts, widget labels and help, table cells)
holds the markup as markup, and the labels appear escaped (`journeymap.ui.text.md`).
"""

from __future__ import annotations

import pytest
from app_driver import no_exception, open_app
from streamlit.testing.v1 import AppTest

from journeymap.ui.text import md

LINK = "[docs](http://evil.example/a)"
AUTOLINK = "http://evil.example/b"
ICON = ":material/home:"
MATHS = "$x^2$"
COLOUR = ":red[hot]"
HTML = "<b>bold</b>"
MARKUP = (LINK, AUTOLINK, ICON, MATHS, COLOUR, HTML)

OPEN, CHECK, CLOSE = f"Open {LINK}", f"Check {ICON} {MATHS}", f"Close {COLOUR} {HTML} {AUTOLINK}"
JOURNEY = f"Journey {COLOUR} {LINK}"
OKR = f"OKR {ICON} {MATHS}"
CHANGE = f"Change {COLOUR} {HTML}"
LOG_NAME = "log [x](mailto:evil) $y$ :red[z].csv"
SEGMENT = f"team {COLOUR}"


def _yaml() -> bytes:
    def q(text: str) -> str:
        return '"' + text.replace('"', '\\"') + '"'
    return f"""id: markup
name: {q(JOURNEY)}
stages:
  - {{id: s1, label: {q("Stage " + MATHS)}}}
steps:
  - {{id: open, label: {q(OPEN)}, stage: s1, aliases: [{q(OPEN)}], owner: {q("Team " + LINK)}}}
  - {{id: check, label: {q(CHECK)}, stage: s1, aliases: [{q(CHECK)}], target: {{p85: 1h}}}}
  - {{id: close, label: {q(CLOSE)}, stage: s1, aliases: [{q(CLOSE)}]}}
transitions:
  - {{from: open, to: check}}
  - {{from: check, to: close}}
start: open
end: [close]
okrs:
  - {{name: {q(OKR)}, from: open, to: close, statistic: p85, baseline: 5d, target: 2d}}
changes:
  - {{date: 2024-01-15, title: {q(CHANGE)}, steps: [check]}}
""".encode()


def _log() -> bytes:
    lines = [f"case,activity,timestamp,{SEGMENT}"]
    for case in range(40):
        day = 1 + case % 27
        for hour, activity in ((8, OPEN), (9 + case % 5, CHECK), (20, CLOSE)):
            lines.append(f'c{case},"{activity}",2024-01-{day:02d} {hour:02d}:00,{"ab"[case % 2]}')
    return ("\n".join(lines) + "\n").encode()


def _rendered(at: AppTest) -> list[str]:
    """Every text on the page that Streamlit renders as Markdown, sidebar included."""
    texts: list[str] = []
    for kind in ("markdown", "caption", "title", "header", "subheader", "info", "warning", "success", "error",
                 "toast"):
        texts += [str(element.value) for element in getattr(at, kind)]
    for kind in ("selectbox", "multiselect", "radio", "toggle", "checkbox", "slider", "select_slider",
                 "text_input", "button", "metric", "expander", "tabs"):
        for element in getattr(at, kind, []):
            texts += [str(getattr(element, attr, "") or "") for attr in ("label", "help")]
    for radio in at.radio:
        texts += [str(option) for option in radio.options]
    for table in at.table:
        texts += [str(cell) for cell in table.value.to_numpy().ravel()]
    return texts


def _check(at: AppTest, *expected: str) -> None:
    texts = _rendered(at)
    for text in texts:
        for markup in MARKUP:
            assert markup not in text, f"markup {markup!r} rendered as markup in {text!r}"
    joined = "\n".join(texts)
    for label in expected:
        assert md(label) in joined, f"{label!r} not shown literally; texts: {texts}"


@pytest.fixture(scope="module")
def loaded() -> AppTest:
    at = open_app("pages/data.py")
    at.file_uploader(key="jm_upload_log").upload(LOG_NAME, _log())
    at.run()
    at.radio(key="jm_journey_how").set_value("yaml").run()
    at.file_uploader(key="jm_upload_yaml").upload("markup.yaml", _yaml())
    at.run()
    at.button(key="jm_load").click().run()
    no_exception(at)
    assert not at.error, [e.value for e in at.error]
    return at


def test_map_page(loaded: AppTest) -> None:
    """The journey's name as the title, hotspot labels, the log's name in the sidebar: literal."""
    loaded.switch_page("pages/map.py").run()
    no_exception(loaded)
    assert loaded.title[0].value == md(JOURNEY)
    _check(loaded, JOURNEY, "Events: " + LOG_NAME)


def test_step_details_on_the_map_page(loaded: AppTest) -> None:
    """A step's details: its label as the subheader, its stage and owner in the caption, literally."""
    loaded.switch_page("pages/map.py").run()
    loaded.selectbox(key="jm_w_step").set_value("open").run()
    no_exception(loaded)
    _check(loaded, OPEN, f"Stage: Stage {MATHS} · Owner: Team {LINK}")


@pytest.mark.parametrize("page, expected", [
    ("pages/funnel.py", ()), ("pages/time.py", (OKR, CHANGE)), ("pages/paths.py", (f"{OPEN} → {CHECK} → {CLOSE}",)),
    ("pages/data.py", (JOURNEY,)),
])
def test_other_pages(loaded: AppTest, page: str, expected: tuple[str, ...]) -> None:
    loaded.switch_page(page).run()
    no_exception(loaded)
    _check(loaded, "Events: " + LOG_NAME, *expected)


def test_segment_filter_label_is_literal(loaded: AppTest) -> None:
    """A segment column named with markup labels the values picker literally."""
    loaded.switch_page("pages/map.py").run()
    loaded.selectbox(key="jm_w_segment").set_value(SEGMENT).run()
    no_exception(loaded)
    _check(loaded, f"{SEGMENT} is any of")
