"""The Financement page's data, read once per state of the funding tables and per reading
scope, shared by every session of the process.

At national scale the book holds thousands of yearly lines: reading them, computing their
alerts and the Caf view costs several times a bare page. The page draws a window at a time;
the book is read again only when a line, a post, a holder or a rule changed
(`funding_queries.funding_version`, in this process or any other on the same database) or
when the day changes.
"""

from __future__ import annotations

from datetime import date

import streamlit as st

from ctg_core.common import config, db
from ctg_core.common.auth import CurrentUser
from ctg_core.funding import queries as funding_queries
from ctg_core.funding.queries import FundingBook


def funding_book(user: CurrentUser, today: date) -> FundingBook:
    """The book of the lines `user` may read on `today` (never to be modified: it is
    shared)."""
    with db.session() as session:
        version = funding_queries.funding_version(session)
    # Who reads what: everything, or a set of territories (the same book for all of them).
    scope = ("all",) if user.reads_everything else tuple(sorted(user.territory_ids))
    return _cached_book(scope, config.database_url(), version, today, user)


# A resource, not data: the book is shared as it is (no copy on each run), and frozen.
@st.cache_resource(max_entries=32, show_spinner=False)
def _cached_book(
    scope: tuple, database_url: str, version: str, today: date, _user: CurrentUser
) -> FundingBook:
    with db.session() as session:
        # the first screen now, another year when first asked for (in a session of its own)
        return funding_queries.funding_book(session, _user, today, reopen=db.session)


def forget_books() -> None:
    """Drop every book (the next run reads it again, as after a funding write)."""
    _cached_book.clear()
