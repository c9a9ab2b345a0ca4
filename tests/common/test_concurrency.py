"""No lost update under real concurrency: real threads, one session per request, on SQLite
and PostgreSQL.

Each writer does what a page does: read the action in one session (the version it shows),
then save in a write session from that version. A refused save is re-read and retried, as
a user would after the conflict message.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field

import pytest
from sqlalchemy.exc import OperationalError
from sqlmodel import select

from ctg_core.committee import commands as committee
from ctg_core.common import db
from ctg_core.common.errors import ConflictError
from ctg_core.common.models import Action, ChangeLog, Role
from ctg_core.plan import commands as plan_commands
from ctg_core.plan.commands import Outcome, RowChange
from tests.conftest import TODAY

WRITERS = 16
UPDATES = 100
MAX_ATTEMPTS = 5_000


def read_version(engine, action_id: int) -> int:
    with db.session(engine=engine) as s:
        return s.exec(select(Action.version).where(Action.id == action_id)).one()


def test_two_sessions_saving_from_the_same_version_exactly_one_wins(engine, world):
    officers = [
        world.user(Role.coop_officer, name=name, territories=[world.territory()])
        for name in ("Anne Premier", "Loïc Second")
    ]
    action = world.action(world.convention(), "PE-01", progress=10)
    rounds = 10
    barrier = threading.Barrier(2)
    outcomes: list[list[str]] = [[], []]
    errors: list[BaseException] = []

    def writer(index: int) -> None:
        try:
            for round_no in range(rounds):
                seen = read_version(engine, action.id)
                barrier.wait()
                try:
                    with db.session(write=True, engine=engine) as s:
                        plan_commands.update_action(
                            s,
                            officers[index],
                            action.id,
                            seen,
                            {"last_comment": f"r{round_no}-{index}"},
                        )
                    outcomes[index].append("saved")
                except ConflictError:
                    outcomes[index].append("conflict")
                barrier.wait()
        except BaseException as exc:  # surfaced below
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    for round_no in range(rounds):
        assert sorted(o[round_no] for o in outcomes) == ["conflict", "saved"]
    with db.session(engine=engine) as s:
        log = s.exec(
            select(ChangeLog.operation, ChangeLog.user_name)
            .where(ChangeLog.entity == "action", ChangeLog.entity_id == action.id)
            .order_by(ChangeLog.id)
        ).all()
        final = s.get(Action, action.id)
    assert Counter(op for op, _ in log) == {"update": rounds, "conflict": rounds}
    assert {name for _, name in log} == {"Anne Premier", "Loïc Second"}
    assert final.version == 1 + rounds


@dataclass
class WriterReport:
    accepted: list[tuple[int, str]] = field(default_factory=list)  # (action id, token)
    conflicts: int = 0
    errors: list[BaseException] = field(default_factory=list)


@pytest.mark.slow
def test_16_writers_x_100_updates_on_distinct_and_shared_actions_lose_nothing(engine, world):
    """Even updates go to the writer's own action, odd ones to one of two shared actions.

    Writers use the three write paths of the app in turn: the meeting's quick update, the
    officer's batch, and `plan_commands.update_action`.
    """
    territory = world.territory()
    convention = world.convention(territory)
    users = [
        world.user(Role.coop_officer, name=f"Writer {w:02d}", territories=[territory])
        for w in range(WRITERS)
    ]
    own = [world.action(convention, f"PE-{w + 1:02d}").id for w in range(WRITERS)]
    shared = [world.action(convention, f"EJ-{n + 1:02d}").id for n in range(2)]
    with db.session(write=True, engine=engine) as s:
        meeting = committee.create_meeting(
            s, users[0], convention.id, {"kind": "cotech", "held_on": TODAY}, today=TODAY
        )
    reports = [WriterReport() for _ in range(WRITERS)]
    start = threading.Barrier(WRITERS)

    def save(w: int, action_id: int, seen: int, token: str) -> bool:
        """True when saved, False on a conflict."""
        change = {"last_comment": token, "progress": 5 + int(token[-3:]) % 90}
        with db.session(write=True, engine=engine) as s:
            if w % 3 == 0:
                committee.quick_update(s, users[w], meeting.id, action_id, seen, change)
            elif w % 3 == 1:
                [row] = plan_commands.update_actions(
                    s, users[w], [RowChange(action_id, seen, change)]
                ).rows
                if row.outcome is Outcome.conflict:
                    return False
                assert row.outcome is Outcome.saved, row.message
            else:
                plan_commands.update_action(s, users[w], action_id, seen, change)
        return True

    def writer(w: int) -> None:
        report = reports[w]
        try:
            start.wait()
            for u in range(UPDATES):
                action_id = own[w] if u % 2 == 0 else shared[(u // 2) % 2]
                token = f"w{w:02d}-u{u:03d}"
                for _ in range(MAX_ATTEMPTS):
                    seen = read_version(engine, action_id)
                    try:
                        if save(w, action_id, seen, token):
                            break
                    except ConflictError:
                        pass
                    report.conflicts += 1
                else:
                    raise AssertionError(f"{token}: never accepted")
                report.accepted.append((action_id, token))
        except BaseException as exc:
            report.errors.append(exc)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    errors = [e for r in reports for e in r.errors]
    assert not [e for e in errors if isinstance(e, OperationalError)], "database is locked?"
    assert errors == []
    accepted = [a for r in reports for a in r.accepted]
    assert len(accepted) == WRITERS * UPDATES

    with db.session(engine=engine) as s:
        log = s.exec(
            select(ChangeLog).where(ChangeLog.entity == "action").order_by(ChangeLog.id)
        ).all()
        versions = {a.id: a.version for a in s.exec(select(Action))}
        finals = {a.id: a.last_comment for a in s.exec(select(Action))}
    updates = [e for e in log if e.operation == "update"]
    logged = [(e.entity_id, e.changes["last_comment"][1]) for e in updates]
    # 0 lost, 0 duplicated: the log holds exactly the accepted updates, once each.
    assert Counter(logged) == Counter(accepted)
    assert sum(v - 1 for v in versions.values()) == WRITERS * UPDATES
    assert sum(1 for e in log if e.operation == "conflict") == sum(r.conflicts for r in reports)
    # Each writer's own action ends on its last own update; shared ones on a logged update.
    for w in range(WRITERS):
        assert finals[own[w]] == f"w{w:02d}-u{UPDATES - 2:03d}"
        assert versions[own[w]] == 1 + UPDATES // 2
    for action_id in shared:
        last = [token for a, token in logged if a == action_id][-1]
        assert finals[action_id] == last
    # Updates by meeting writers are linked to the meeting; the others are not.
    by_meeting = Counter(e.meeting_id is not None for e in updates)
    meeting_writers = len(range(0, WRITERS, 3))
    assert by_meeting[True] == meeting_writers * UPDATES
