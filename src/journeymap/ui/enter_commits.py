"""Enter confirms a typed date: without it, a date typed into the sidebar's range and confirmed with Enter
would show in the field but never reach the figures.

Streamlit's date field opens its calendar when it gets the focus and commits what was typed when the
calendar closes: on a click elsewhere, Tab out of the field, or Escape; Enter does nothing. A small
script, added to the page once, makes Enter in a date field do what Escape does there (close the
calendar, commit the dates, keep the focus), so the user can go on typing. The browser test
(tests/e2e/test_filters_browser.py) checks it still works with the Streamlit in requirements.txt.
"""

from __future__ import annotations

import streamlit as st

__all__ = ["enable", "SCRIPT"]

FIELD = '[data-testid="stDateInputField"]'  # Streamlit's own test id of the typed part of a date input
SCRIPT = """<script>
(() => {
  if (window.journeymapEnterCommits) return;
  window.journeymapEnterCommits = true;
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || event.isComposing || !(event.target instanceof Element)) return;
    if (!event.target.closest('__FIELD__')) return;
    event.preventDefault();
    event.stopPropagation();
    event.target.dispatchEvent(new KeyboardEvent("keydown", {key: "Escape", code: "Escape", bubbles: true,
                                                             cancelable: true}));
  }, true);
})();
</script>""".replace("__FIELD__", FIELD)  # the script's braces rule out str.format


def enable() -> None:
    """Add the script to the page (it registers its key handler once per browser tab)."""
    st.html(SCRIPT, unsafe_allow_javascript=True)
