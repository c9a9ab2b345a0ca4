"""A long list shown a page at a time: only the rows of the page are formatted and sent.

shown = paged(rows, paging_key("funding-lines", search), label="Lignes")
st.dataframe(frame_of(shown))
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from typing import Any, TypeVar

import streamlit as st

from ctg_core.common import formats

PAGE_SIZE = 50
T = TypeVar("T")


def paged(rows: Sequence[T], key: str, *, label: str, size: int = PAGE_SIZE) -> Sequence[T]:
    """The rows of the page chosen (the first one at first); past one page, the page
    numbers and « {label} 51 à 100 sur 1 108. » (`label` in the plural: « Lignes »). Give a
    `key` that changes with the filters (`paging_key`), so that a new filter starts on its
    first page."""
    pages = max(math.ceil(len(rows) / size), 1)
    if pages == 1:
        return rows
    page = st.pagination(pages, key=key, max_visible_pages=7)
    page = min(max(int(page or 1), 1), pages)
    start = (page - 1) * size
    shown = rows[start : start + size]
    st.caption(
        f"{label} {formats.number(start + 1)} à {formats.number(start + len(shown))} "
        f"sur {formats.number(len(rows))}."
    )
    return shown


def paging_key(name: str, *filters: Any) -> str:
    """The key of a list's page numbers under these filters: another filter, another key,
    so the list starts again on its first page."""
    digest = hashlib.blake2s(repr(filters).encode(), digest_size=6).hexdigest()
    return f"{name}-page-{digest}"
