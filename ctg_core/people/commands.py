"""Verbs of user administration: add a user, change their role, name and territories,
deactivate and reactivate them. A user is never deleted: the history keeps their name.

Each is a `@command` (see `common.command`) reserved to the administrator. Two rules hold
whatever the screen shows:

- the last active administrator can be neither demoted nor deactivated (the active admins
  are read FOR UPDATE on PostgreSQL, so two admins demoting each other at the same moment
  cannot leave the Caf without one; SQLite write transactions are serialised already);
- an e-mail names one user (compared in lower case): a second account is refused in French.

A deactivated user is refused at their next action (`auth.acting_user` in the command
boundary) and at their next page (`ui.auth`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Annotated, Any

import sqlalchemy as sa
from pydantic import Field
from sqlmodel import Session, select

from ctg_core.common.auth import READ_ALL_ROLES, CurrentUser
from ctg_core.common.command import command, unique_rule
from ctg_core.common.errors import NotFound, ValidationFailed, require
from ctg_core.common.history import diff, log_change, versioned_update
from ctg_core.common.labels import field_label
from ctg_core.common.models import Role, Territory, User, UserTerritory
from ctg_core.common.validation import Email, Id, Input, Title, validated

MAX_TERRITORIES = 300  # more than the communes of any département

unique_rule(
    ("users_email_key", "users.email"),
    "email",
    "Cette adresse e-mail vient d'être enregistrée pour quelqu'un d'autre.",
)

Territories = Annotated[list[Id], Field(max_length=MAX_TERRITORIES)]


class UserData(Input):
    """A new user: who they are, what they do, where (for the territorial roles)."""

    email: Email
    name: Title
    role: Role
    territory_ids: Territories = Field(default_factory=list)


class UserChange(Input):
    """The fields of a user the administrator changed; only those set are applied."""

    name: Title | None = None
    role: Role | None = None
    territory_ids: Territories | None = None


# --- rules ---------------------------------------------------------------------------------


def _require_admin(user: CurrentUser) -> None:
    require(user.is_admin, "gérer les utilisateurs")


def _user(session: Session, user_id: int) -> User:
    row = session.get(User, user_id, populate_existing=True)
    if row is None:
        raise NotFound("utilisateur", user_id)
    return row


def _scope(session: Session, role: Role, territory_ids: Iterable[int]) -> list[Territory]:
    """The territories a user of `role` works on: none for the Caf roles (they read
    everything), at least one for a chargé de coopération or a committee member."""
    if role in READ_ALL_ROLES:
        return []
    ids = sorted(set(territory_ids))
    if not ids:
        raise ValidationFailed(
            {"territory_ids": f"Choisissez au moins un territoire pour un {role.label.lower()}."}
        )
    found = session.exec(select(Territory).where(Territory.id.in_(ids))).all()  # type: ignore[union-attr]
    unknown = sorted(set(ids) - {t.id for t in found})  # type: ignore[misc]
    if unknown:
        raise ValidationFailed({"territory_ids": f"Territoire inconnu (n° {unknown[0]})."})
    return sorted(found, key=lambda t: t.name.casefold())


def _territory_names(session: Session, user_id: int) -> list[str]:
    names = session.exec(
        select(Territory.name)
        .join(UserTerritory, UserTerritory.territory_id == Territory.id)  # type: ignore[arg-type]
        .where(UserTerritory.user_id == user_id)
    ).all()
    return sorted(names, key=str.casefold)


def _set_scope(session: Session, user_id: int, territories: list[Territory]) -> None:
    session.execute(sa.delete(UserTerritory).where(UserTerritory.user_id == user_id))  # type: ignore[arg-type]
    for territory in territories:
        session.add(UserTerritory(user_id=user_id, territory_id=territory.id))  # type: ignore[arg-type]


def _keep_one_admin(session: Session, target: User, field: str) -> None:
    """Refuse to remove the last active administrator (demotion or deactivation)."""
    if target.role is not Role.admin or not target.is_active:
        return
    admins = session.exec(
        select(User.id)
        .where(User.role == Role.admin, User.is_active)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    if set(admins) <= {target.id}:
        raise ValidationFailed(
            {
                field: f"{target.name} est le dernier administrateur actif : nommez d'abord "
                "un autre administrateur."
            }
        )


def _refuse_taken_email(session: Session, email: str) -> None:
    taken = session.exec(select(User).where(sa.func.lower(User.email) == email)).first()
    if taken is None:
        return
    if taken.is_active:
        message = f"{email} est déjà l'adresse de {taken.name} : un compte par personne."
    else:
        message = (
            f"{email} est l'adresse de {taken.name}, dont le compte est désactivé : "
            "réactivez-le plutôt que d'en créer un second."
        )
    raise ValidationFailed({"email": message})


# --- commands ------------------------------------------------------------------------------


@command
def add_user(session: Session, user: CurrentUser, data: UserData | Mapping[str, Any]) -> User:
    """Create an active user who can sign in with this e-mail."""
    _require_admin(user)
    data = validated(UserData, data)
    _refuse_taken_email(session, data.email)
    territories = _scope(session, data.role, data.territory_ids)
    row = User(email=data.email, name=data.name, role=data.role)
    session.add(row)
    session.flush()
    assert row.id is not None
    _set_scope(session, row.id, territories)
    log_change(
        session,
        user,
        "user",
        row.id,
        "create",
        diff(
            {},
            {
                "email": data.email,
                "name": data.name,
                "role": data.role,
                "territories": [t.name for t in territories],
            },
        ),
    )
    return row


@command
def change_user(
    session: Session,
    user: CurrentUser,
    user_id: int,
    seen_version: int,
    change: UserChange | Mapping[str, Any],
) -> User:
    """Change a user's name, role or territories if nobody changed them since `seen_version`.

    Becoming a Caf role clears the territories (those roles read everything).
    """
    _require_admin(user)
    target = _user(session, user_id)
    values = validated(UserChange, change).model_dump(exclude_unset=True)
    for name in ("name", "role"):
        if name in values and values[name] is None:
            raise ValidationFailed({name: f"{field_label(name)} est obligatoire."})
    role = values.get("role", target.role)
    if role is not Role.admin:
        _keep_one_admin(session, target, "role")
    before_names = _territory_names(session, user_id)
    wanted = values.pop("territory_ids", None)
    if wanted is None and role not in READ_ALL_ROLES:
        current_ids = session.exec(
            select(UserTerritory.territory_id).where(UserTerritory.user_id == user_id)
        ).all()
        wanted = list(current_ids)
    territories = _scope(session, role, wanted or [])
    changes = diff({name: getattr(target, name) for name in values}, values)
    after_names = [t.name for t in territories]
    if after_names != before_names:
        changes["territories"] = [before_names, after_names]
    if not changes:
        return target
    versioned_update(
        session, target, seen_version, values, user=user, entity="user", convention_id=None
    )
    _set_scope(session, user_id, territories)
    log_change(session, user, "user", user_id, "update", changes)
    return target


@command
def deactivate_user(session: Session, user: CurrentUser, user_id: int, seen_version: int) -> User:
    """Close a user's access: refused at sign-in and at their next action; kept in history."""
    _require_admin(user)
    target = _user(session, user_id)
    if not target.is_active:
        return target
    if target.id == user.id:
        raise ValidationFailed({"is_active": "Vous ne pouvez pas désactiver votre propre compte."})
    _keep_one_admin(session, target, "is_active")
    return _set_active(session, user, target, seen_version, active=False)


@command
def reactivate_user(session: Session, user: CurrentUser, user_id: int, seen_version: int) -> User:
    """Give a deactivated user their access back, with the role and territories they had."""
    _require_admin(user)
    target = _user(session, user_id)
    if target.is_active:
        return target
    return _set_active(session, user, target, seen_version, active=True)


def _set_active(
    session: Session, user: CurrentUser, target: User, seen_version: int, *, active: bool
) -> User:
    assert target.id is not None
    versioned_update(
        session,
        target,
        seen_version,
        {"is_active": active},
        user=user,
        entity="user",
        convention_id=None,
    )
    log_change(
        session,
        user,
        "user",
        target.id,
        "reactivate" if active else "deactivate",
        {"is_active": [not active, active]},
    )
    return target
