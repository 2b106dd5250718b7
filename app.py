"""journeymap's app: the router. Page config, the pages, and the sidebar every explorer page shares."""

from __future__ import annotations

import streamlit as st

from journeymap.core.errors import JourneyError
from journeymap.ui import sidebar, workshop_state
from journeymap.ui.text import md

st.set_page_config(page_title="journeymap", page_icon=":material/route:", layout="wide")

PAGES = [
    st.Page("pages/map.py", title="Map", icon=":material/account_tree:", default=True),
    st.Page("pages/funnel.py", title="Funnel", icon=":material/filter_alt:"),
    st.Page("pages/time.py", title="Time", icon=":material/schedule:"),
    st.Page("pages/paths.py", title="Paths", icon=":material/alt_route:"),
    st.Page("pages/compare.py", title="Compare", icon=":material/compare_arrows:"),
    st.Page("pages/whatif.py", title="What if", icon=":material/science:"),
    st.Page("pages/flow.py", title="Flow & stuck", icon=":material/hourglass_top:"),
    st.Page("pages/data.py", title="Data", icon=":material/upload_file:"),
    st.Page("pages/workshop.py", title="Workshop", icon=":material/groups:"),
    st.Page("pages/join.py", title="Join a workshop", icon=":material/login:", url_path="join"),
]

# A workshop view (a facilitator's or participant's key in the URL) goes without menu and sidebar.
chrome_free = workshop_state.chrome_free()
page = st.navigation(PAGES, position="hidden" if chrome_free else "sidebar")
if not chrome_free:
    try:
        sidebar.show()
    except JourneyError as error:
        st.error(md(str(error)))
        st.stop()
page.run()
