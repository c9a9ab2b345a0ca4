"""Closing a meeting while a quick update is still being saved (PostgreSQL, where writers run
side by side; SQLite write transactions are queued whole by BEGIN IMMEDIATE).

The closing must wait for the update and take its time after it: an update made in the
meeting never falls after the meeting's close, so it never reappears as « changed since
the last committee » at the next one.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine, event
from sqlmodel import Session, select

from ctg_core.committee import commands as committee
from ctg_core.committee import queries as committee_queries
from ctg_core.common import db
from ctg_core.common.models import ChangeLog, Meeting, Role
from tests.conftest import TODAY, _migrated_once, _wipe
from tests.factories import World

WAIT_S = 30


@pytest.fixture
def pg_engine(postgres_url: str) -> Iterator[Engine]:
    engine = db.engine_for(_migrated_once(postgres_url))
    yield engine
    _wipe(engine)


def blocked_on_a_lock(engine: Engine) -> bool:
    with engine.connect() as conn:
        return bool(
            conn.execute(
                sa.text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock'"
                )
            ).scalar()
        )


def eventually(condition, polls: int = int(WAIT_S / 0.02)) -> bool:  # type: ignore[no-untyped-def]
    """`condition()` became true within a bounded number of polls (a guard against a hang,
    not a measure of time)."""
    for _ in range(polls):
        if condition():
            return True
        time.sleep(0.02)
    return False


def test_closing_waits_for_an_update_in_flight_and_takes_its_time_after_it(pg_engine):
    with Session(pg_engine, expire_on_commit=False) as session:
        world = World(session)
        officer = world.user(Role.coop_officer, territories=[world.territory()])
        convention = world.convention()
        action = world.action(convention, "PE-01", due_on=date(2026, 1, 31), progress=20)
        meeting = committee.create_meeting(
            session, officer, convention.id, {"kind": "copil", "held_on": TODAY}, today=TODAY
        )

    holding, release = threading.Event(), threading.Event()

    def pause_once_the_meeting_is_held(conn, cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        if threading.current_thread().name == "update" and "FOR SHARE" in statement:
            holding.set()
            release.wait(WAIT_S)

    failures: list[BaseException] = []

    def run(write) -> None:  # type: ignore[no-untyped-def]
        try:
            with db.session(write=True, engine=pg_engine) as s:
                write(s)
        except BaseException as error:  # reported by the test below
            failures.append(error)

    event.listen(pg_engine, "after_cursor_execute", pause_once_the_meeting_is_held)
    try:
        update = threading.Thread(
            name="update",
            target=run,
            args=(
                lambda s: committee.quick_update(
                    s, officer, meeting.id, action.id, 1, {"progress": 60}
                ),
            ),
        )
        update.start()
        assert holding.wait(WAIT_S), "the update never reached the meeting"
        closing = threading.Thread(
            name="closing",
            target=run,
            args=(lambda s: committee.close_meeting(s, officer, meeting.id, 1),),
        )
        closing.start()
        assert eventually(lambda: blocked_on_a_lock(pg_engine)), (
            "the closing never waited for the update"
        )
        release.set()
        update.join(WAIT_S)
        closing.join(WAIT_S)
    finally:
        release.set()
        event.remove(pg_engine, "after_cursor_execute", pause_once_the_meeting_is_held)
    assert failures == []

    with Session(pg_engine) as session:
        closed = session.get(Meeting, meeting.id)
        entry = session.exec(
            select(ChangeLog).where(ChangeLog.entity == "action", ChangeLog.operation == "update")
        ).one()
        assert entry.meeting_id == meeting.id
        assert entry.at <= closed.closed_at
        following = committee.create_meeting(
            session,
            officer,
            convention.id,
            {"kind": "copil", "held_on": date(2027, 1, 12)},
            today=TODAY,
        )
        assert committee_queries.changes_since_previous(session, officer, following.id) == []
        reasons = committee_queries.agenda(session, officer, following.id, TODAY)[0].reasons
        assert "changed" not in reasons
