"""User text shown through Markdown stays text: no links, images, icons or LaTeX."""

from __future__ import annotations

from ctg_core.common.formats import markdown_text


def md(text: object) -> str:
    """`text` escaped for `st.markdown`; line breaks are kept as line breaks."""
    return markdown_text(text)
