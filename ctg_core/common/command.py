"""The boundary of every command (a use case that writes): one unit of work.

`@command` marks a verb. When the outermost command is called it

1. re-reads the acting user inside the transaction (`auth.acting_user`): a deactivated
   account, or one that lost a territory, is refused at its next action, whatever its
   page still shows;
2. runs the verb, which checks its guard, validates its input model, writes through
   `history.versioned_update` / `history.log_change` and never commits;
3. commits once — or rolls everything back on any error, so refused input changes
   nothing; a refused concurrent edit (`ConflictError`) is then recorded in the history
   in its own small transaction;
4. records a refused permission (who, when, what was refused) for the administrator's
   history viewer, also in its own small transaction;
5. turns a broken uniqueness rule of the schema (two people creating the same thing at
   the same moment) into the French `ValidationFailed` that the check before it would
   have given.

A command called by another command (a decision creating an action, a quick update in a
meeting) joins the caller's unit of work: one commit for both.

`COMMANDS` lists every command, for the permission matrix and the property-based tests.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

import sqlalchemy as sa
from sqlmodel import Session

from ctg_core.common.auth import CurrentUser, acting_user
from ctg_core.common.errors import ConflictError, PermissionDenied, ValidationFailed
from ctg_core.common.history import access_entry

P = ParamSpec("P")
R = TypeVar("R")

COMMANDS: dict[str, Callable[..., Any]] = {}
_RUNNING = "ctg_command_running"

# Unique rules of the schema: how each database names a broken one, and what the user is told.
UNIQUE_RULES: list[tuple[tuple[str, ...], str, str]] = []


def unique_rule(names: tuple[str, ...], field: str, message: str) -> None:
    """Declare the French refusal for a unique rule of the schema. `names` are the texts by
    which the databases report it: PostgreSQL gives the constraint or index name, SQLite
    the table and columns (« agenda_items.meeting_id, agenda_items.action_id »)."""
    UNIQUE_RULES.append((names, field, message))


def command(fn: Callable[P, R]) -> Callable[P, R]:
    """Make `fn(session, user, …)` a command (see the module's docstring)."""

    @functools.wraps(fn)
    def run(session: Session, user: CurrentUser, *args: Any, **kwargs: Any) -> Any:
        if session.info.get(_RUNNING):
            return fn(session, user, *args, **kwargs)  # type: ignore[arg-type]
        session.info[_RUNNING] = True
        try:
            actor = acting_user(session, user)
            result = fn(session, actor, *args, **kwargs)  # type: ignore[arg-type]
            session.commit()
            return result
        except ConflictError as error:
            session.rollback()
            if error.record is not None:
                session.add(error.record)
                session.commit()
            raise
        except PermissionDenied as error:
            session.rollback()
            _record_refusal(session, user, error)
            raise
        except sa.exc.IntegrityError as error:
            session.rollback()
            refusal = _unique_refusal(error)
            if refusal is None:
                raise
            raise refusal from None
        except BaseException:
            session.rollback()
            raise
        finally:
            session.info.pop(_RUNNING, None)

    COMMANDS[f"{fn.__module__.removeprefix('ctg_core.')}.{fn.__name__}"] = run
    return run  # type: ignore[return-value]


def _record_refusal(session: Session, user: CurrentUser, error: PermissionDenied) -> None:
    """Write the refusal in its own transaction; failing to record it never hides it."""
    try:
        session.add(
            access_entry(
                user_id=user.id,
                user_name=user.name,
                email=user.email,
                operation="refused",
                refused=error.message,
            )
        )
        session.commit()
    except sa.exc.SQLAlchemyError:
        session.rollback()


def _unique_refusal(error: sa.exc.IntegrityError) -> ValidationFailed | None:
    text = str(error.orig)
    for names, field, message in UNIQUE_RULES:
        if any(name in text for name in names):
            return ValidationFailed({field: message})
    return None
