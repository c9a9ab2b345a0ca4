"""What a URL asks for: record numbers in query parameters (`?convention=12&reunion=3`),
read so that a crafted address gets a French answer, never a crash."""

from __future__ import annotations

import re

import streamlit as st

from ctg_core.common.validation import MAX_ID

_DIGITS = re.compile("[0-9]{1,10}")


def parse_id(text: str) -> int | None:
    """A record number as written in a URL: ASCII digits within the database's range
    (« ² », « 2147483648 » or « 12abc » are no number), else None."""
    text = text.strip()
    if not _DIGITS.fullmatch(text):
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None


def requested_id(name: str) -> int | None:
    """A numeric query parameter (`?convention=12`), or None when absent or not a number."""
    return parse_id(st.query_params.get(name, ""))
