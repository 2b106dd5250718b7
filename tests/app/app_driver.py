"""Driving the app with Streamlit's AppTest (no browser): open it on a page with URL parameters."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

APP = Path(__file__).resolve().parents[2] / "app.py"
PAGES = ("pages/map.py", "pages/funnel.py", "pages/time.py", "pages/paths.py", "pages/data.py")
TIMEOUT = 120


def open_app(page: str | None = None, **query: str | list[str]) -> AppTest:
    """The app after its first run, with these URL query parameters, on this page."""
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    if page and page != "pages/map.py":
        at.switch_page(page).run()
    return at


def no_exception(at: AppTest) -> None:
    """Fail with the app's own traceback when a run raised."""
    if at.exception:
        error = at.exception[0]
        pytest.fail(f"{error.message}\n" + "\n".join(error.stack_trace))


def drafting(name: str, content: bytes) -> AppTest:
    """The Data page with a log uploaded and 'Draft a journey from the log' chosen."""
    at = open_app("pages/data.py")
    at.file_uploader(key="jm_upload_log").upload(name, content)
    at.run()
    at.radio(key="jm_journey_how").set_value("draft").run()
    no_exception(at)
    return at


def chart_specs(at: AppTest) -> list[str]:
    """The Vega-Lite specs (JSON text) of the charts on the page."""
    return [element.proto.spec for element in at.get("vega_lite_chart")]


def metric(at: AppTest, label: str) -> Any:
    """The shown value of the metric with this label."""
    found = [m.value for m in at.metric if m.label == label]
    assert found, f"no metric '{label}' among {[m.label for m in at.metric]}"
    return found[0]
