"""The overview's territory rows, read once per state of the data and per reader, shared by
every session of the process.

At national scale the overview counts the actions, posts and phases of some 1,250
territories: that reading costs more than the rest of the page. Rows are read again only when
something they show changed (`overview_queries.overview_version`, in this process or any
other on the same database), when the day changes, or for other filters.
"""

from __future__ import annotations

from datetime import date

import streamlit as st

from ctg_core.common import config, db
from ctg_core.common.auth import CurrentUser
from ctg_core.overview import queries as overview
from ctg_core.overview.queries import OverviewFilters, TerritoryRow


def territory_rows(
    user: CurrentUser, today: date, filters: OverviewFilters, scope: str
) -> list[TerritoryRow]:
    """`overview.territory_rows` for `user`, from the cache when the data has not changed."""
    with db.session() as session:
        version = overview.overview_version(session)
    reader = (user.id, user.role.value, tuple(sorted(user.territory_ids)))
    cached = _cached_rows(reader, config.database_url(), version, today, filters, scope, user)
    return list(cached)  # the rows are frozen; the list is the caller's own


# A resource, not data: the rows are shared as they are (no pickling on each run). About
# 1 MB for the national list of an administrator: 32 lists (readers × filters) at the most.
@st.cache_resource(max_entries=32, show_spinner=False)
def _cached_rows(
    reader: tuple,
    database_url: str,
    version: str,
    today: date,
    filters: OverviewFilters,
    scope: str,
    _user: CurrentUser,
) -> tuple[TerritoryRow, ...]:
    """(`_user` is not part of the key: `reader` stands for it.)"""
    with db.session() as session:
        return tuple(overview.territory_rows(session, _user, today, filters, scope))


def forget_rows() -> None:
    """Drop every cached row list (the next run reads them again)."""
    _cached_rows.clear()
