"""User text shown through Markdown stays text: no links, images, icons or LaTeX."""

from __future__ import annotations

import re

_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|~<>$:=])")


def md(text: object) -> str:
    """`text` escaped for `st.markdown`; line breaks are kept as line breaks."""
    lines = str(text).splitlines() or [""]
    return "  \n".join(_MARKDOWN_SPECIALS.sub(r"\\\1", line) for line in lines)
