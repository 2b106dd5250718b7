"""One browser history entry a page: without it, Back after a page link could land on the same page
without its filters.

A click on a page in the sidebar makes Streamlit push the new page's address; at times (in two of four
runs, measured) it pushes it without the query, and a moment later the sidebar writes the applied
filters into the URL, which Streamlit pushes as a second entry. Back from there went to the first:
the same page, its filters gone. A small script, added to the page once, turns a push that only
adds the query to an entry a page change pushed without one a moment before (within the page's
first run) into a replace, so each page visit is one entry. Filter changes later on the page still get entries
of their own, so Back still undoes them. The browser test (tests/e2e/test_filters_browser.py)
checks Back after a page switch and a reload.
"""

from __future__ import annotations

import streamlit as st

__all__ = ["enable", "SCRIPT", "FIRST_RUN_MS"]

FIRST_RUN_MS = 15_000  # a page's first run writes its URL well within this, even on a loaded machine
SCRIPT = """<script>
(() => {
  if (window.journeymapPageHistory) return;
  window.journeymapPageHistory = true;
  const push = history.pushState.bind(history);
  const replace = history.replaceState.bind(history);
  let pageEntryAt = null;  // when a push that changed the page made the current entry
  history.pushState = (state, title, url) => {
    const target = new URL(url, location.href);
    const samePage = target.pathname === location.pathname;
    const bare = location.search === "";  // the page's entry was pushed without its query
    if (samePage && bare && pageEntryAt !== null && Date.now() - pageEntryAt < __FIRST_RUN_MS__) {
      pageEntryAt = null;
      return replace(state, title, url);
    }
    pageEntryAt = samePage ? null : Date.now();
    return push(state, title, url);
  };
  window.addEventListener("popstate", () => { pageEntryAt = null; });
})();
</script>""".replace("__FIRST_RUN_MS__", str(FIRST_RUN_MS))  # the script's braces rule out str.format


def enable() -> None:
    """Add the script to the page (it wraps the history once per browser tab)."""
    st.html(SCRIPT, unsafe_allow_javascript=True)
