"""Text from data (step labels, file names, sentences) shown in Markdown literally, never as markup."""

from __future__ import annotations

import re

__all__ = ["md"]

# Markdown, Streamlit directives (:red[...], :material/x:), LaTeX ($...$) and autolinks (http:, www.,
# name@host) all start with one of these.
_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|~<>$:^=@])")


def md(text: object) -> str:
    """`text` escaped for st.markdown: one line, every markup character backslashed."""
    return _SPECIALS.sub(r"\\\1", " ".join(str(text).split()))
