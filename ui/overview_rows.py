"""The overview's territory rows, read once per state of the data and per reader, shared by
every session of the process.

At national scale the overview reads some 1,250 territories with their conventions, posts
and phases, counts tens of thousands of actions and the funding lines with an alert: that
reading costs more than the rest of the page. It is kept in three parts, each under its own
fingerprint (a write in this process or in any other on the same database changes it):

- the territories with their convention and phase (`overview.territory_facts`), read again
  after a write to a convention, a user or a territory;
- their posts (`overview.post_facts`: officer, renewals pending, funding lines with an
  alert), read again after a funding write — which then no longer costs the territories;
- the action counts (`overview.action_counts`), read again after a write to an action — the
  frequent one (quick updates in committee, the officers' table), which then costs only the
  counting.

All are also read again when the day changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from types import MappingProxyType

import streamlit as st

from ctg_core.common import config, db
from ctg_core.common.auth import CurrentUser
from ctg_core.overview import queries as overview
from ctg_core.overview.queries import ActionCounts, OverviewFilters, PostFacts, TerritoryRow


def territory_rows(
    user: CurrentUser, today: date, filters: OverviewFilters, scope: str
) -> list[TerritoryRow]:
    """`overview.territory_rows` for `user`, from the caches when the data has not changed."""
    with db.session() as session:
        versions = (
            overview.facts_version(session),
            overview.posts_version(session),
            overview.actions_version(session),
        )
    reader = (user.id, user.role.value, tuple(sorted(user.territory_ids)))
    where = (reader, config.database_url(), today, scope)
    rows = _cached_rows(where, versions, filters, user)
    return list(rows)  # the rows are frozen; the list is the caller's own


# Resources, not data: shared as they are (no pickling on each run). About 1 MB for the
# national rows of an administrator: a few dozen lists at the most.
@st.cache_resource(max_entries=32, show_spinner=False)
def _cached_rows(
    where: tuple,
    versions: tuple[str, str, str],
    filters: OverviewFilters,
    _user: CurrentUser,
) -> tuple[TerritoryRow, ...]:
    """(`_user` is not part of the keys: `where` holds the reader that stands for it.)"""
    facts_version, posts_version, actions_version = versions
    rows = overview.completed(
        _cached_facts(where, facts_version, _user),
        _cached_posts(where, posts_version, _user),
        _cached_counts(where, actions_version, filters.axes, _user),
    )
    _, _, today, _ = where
    with db.session() as session:
        return tuple(overview.apply_filters(session, rows, filters, today))


@st.cache_resource(max_entries=16, show_spinner=False)
def _cached_facts(where: tuple, facts_version: str, _user: CurrentUser) -> tuple[TerritoryRow, ...]:
    _, _, today, scope = where
    with db.session() as session:
        return tuple(overview.territory_facts(session, _user, today, scope))


@st.cache_resource(max_entries=16, show_spinner=False)
def _cached_posts(where: tuple, posts_version: str, _user: CurrentUser) -> Mapping[int, PostFacts]:
    _, _, today, scope = where
    with db.session() as session:
        return MappingProxyType(overview.post_facts(session, _user, today, scope))


@st.cache_resource(max_entries=32, show_spinner=False)
def _cached_counts(
    where: tuple, actions_version: str, axes: tuple[str, ...], _user: CurrentUser
) -> Mapping[int, ActionCounts]:
    _, _, today, scope = where
    with db.session() as session:
        return MappingProxyType(overview.action_counts(session, _user, scope, axes, today))


_PARTS = {"facts": _cached_facts, "posts": _cached_posts, "counts": _cached_counts}


def forget_rows(*parts: str) -> None:
    """Drop the cached rows (the next run reads them again): every part, or only the `parts`
    named (« facts », « posts », « counts »), as after a write that changes only their
    fingerprint — to a convention, to the funding, to an action."""
    _cached_rows.clear()
    for name in parts or _PARTS:
        _PARTS[name].clear()
