"""The Streamlit front end: the only part of journeymap that imports streamlit.

Pages under ``pages/`` stay thin; they read the shared selection (:mod:`.state`), the sidebar
(:mod:`.sidebar`) and the cached figures (:mod:`.data`), and render with the widgets here.
"""

from __future__ import annotations

from journeymap.core.memory import return_freed_memory_promptly

__all__: list[str] = []

# The app's first import of its own modules, before any of them loads Polars (`journeymap.core.memory`).
return_freed_memory_promptly()
