"""The convention selector shared by pages opened with `?convention=<id>`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import streamlit as st

from ctg_core.plan.queries import ConventionRef


def requested_id(name: str) -> int | None:
    """A numeric query parameter (`?convention=12`), or None when absent or not a number."""
    value = st.query_params.get(name, "")
    return int(value) if value.isdigit() else None


def pick_convention(
    refs: Sequence[ConventionRef],
    label_of: Callable[[ConventionRef], str],
    *,
    fallback: int,
    where: Any = st,
) -> int:
    """A selectbox starting on the convention of the URL (else `fallback`); the choice is
    written back to the URL so that the address can be shared."""
    by_id = {r.id: r for r in refs}
    wanted = requested_id("convention")
    start = wanted if wanted in by_id else fallback
    chosen = where.selectbox(
        "Convention",
        list(by_id),
        index=list(by_id).index(start),
        format_func=lambda cid: label_of(by_id[cid]),
    )
    st.query_params["convention"] = str(chosen)
    return chosen
