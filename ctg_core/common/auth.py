"""Who is using the app (`CurrentUser`), what each role may read or change (DESIGN §2), and
the guards every command and query goes through.

The guards are written once: `acting_user` (re-reads the user inside the transaction: a
screen drawn an hour ago is not a permission), `readable_convention` and
`editable_convention` (the same NotFound / PermissionDenied everywhere).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlmodel import Session, select

from ctg_core.common.errors import NotFound, PermissionDenied
from ctg_core.common.models import Convention, Role, User, UserTerritory

READ_ALL_ROLES = frozenset({Role.admin, Role.caf_manager, Role.caf_advisor})


@dataclass(frozen=True)
class CurrentUser:
    """The signed-in person, detached from any session; passed to every service and query."""

    id: int
    email: str
    name: str
    role: Role
    territory_ids: frozenset[int] = field(default_factory=frozenset)
    is_demo: bool = False

    @property
    def reads_everything(self) -> bool:
        return self.role in READ_ALL_ROLES

    def can_read(self, convention: Convention) -> bool:
        return self.reads_everything or convention.territory_id in self.territory_ids

    def can_edit_plan(self, convention: Convention) -> bool:
        """Create, update and archive actions; run committees of this convention."""
        if self.role is Role.admin:
            return True
        if self.role is Role.caf_advisor:
            return convention.advisor_id == self.id
        if self.role is Role.coop_officer:
            return convention.territory_id in self.territory_ids
        return False

    def can_manage_convention(self, convention: Convention | None = None) -> bool:
        """Create a convention, change its title, dates, advisor or phase."""
        if self.role is Role.admin:
            return True
        if self.role is Role.caf_advisor:
            return convention is None or convention.advisor_id == self.id
        return False

    @property
    def decides_funding(self) -> bool:
        return self.role in {Role.admin, Role.caf_manager}

    @property
    def is_admin(self) -> bool:
        return self.role is Role.admin


def editable_plan_clause(user: CurrentUser) -> sa.ColumnElement[bool]:
    """`CurrentUser.can_edit_plan` as a SQL condition on `Convention`, for queries over many
    conventions (the two must say the same: a test checks them against each other)."""
    if user.role is Role.admin:
        return sa.true()
    if user.role is Role.caf_advisor:
        return Convention.advisor_id == user.id  # type: ignore[return-value]
    if user.role is Role.coop_officer:
        return Convention.territory_id.in_(user.territory_ids or {-1})  # type: ignore[attr-defined]
    return sa.false()


def readable_clause(user: CurrentUser) -> sa.ColumnElement[bool]:
    """`CurrentUser.can_read` as a SQL condition on `Convention`."""
    if user.reads_everything:
        return sa.true()
    return Convention.territory_id.in_(user.territory_ids or {-1})  # type: ignore[attr-defined]


# --- pages: who may open which page, and where each role lands ------------------------------
#
# Keys are the page ids of `app.py` (the file names in pages/). Pages ask `can_open`; the
# navigation lists `pages_for(role)`; hiding a page is not security (commands and queries
# check their own rights), but a page opened by URL without the right shows nothing of its
# content.

EVERYONE = frozenset(Role)
PAGE_ROLES: dict[str, frozenset[Role]] = {
    "vue_ensemble": frozenset({Role.admin, Role.caf_manager, Role.caf_advisor}),
    "convention": EVERYONE,
    "comite": EVERYONE,
    "mes_actions": frozenset({Role.admin, Role.caf_advisor, Role.coop_officer}),
    "indicateurs": EVERYONE,
    "financement": frozenset({Role.admin, Role.caf_manager, Role.caf_advisor, Role.coop_officer}),
    "historique": frozenset({Role.admin, Role.caf_manager, Role.caf_advisor}),
    "administration": frozenset({Role.admin}),
}
# Where each role's work is: Caf management on the overview, the conseiller on its own
# conventions, the chargé de coopération on « Mes actions », the committee on its convention.
LANDING: dict[Role, str] = {
    Role.admin: "vue_ensemble",
    Role.caf_manager: "vue_ensemble",
    Role.caf_advisor: "convention",
    Role.coop_officer: "mes_actions",
    Role.committee: "convention",
}
_WHO: dict[str, str] = {
    "vue_ensemble": "à la Caf (administration, direction, conseillers)",
    "mes_actions": "aux personnes qui mettent à jour un plan d'actions",
    "financement": "à la Caf et aux chargés de coopération",
    "historique": "à l'administrateur, à la direction Caf et aux conseillers",
    "administration": "à l'administrateur de l'application",
}


def can_open(role: Role, page: str) -> bool:
    """True if `role` may open `page` (an unknown page is open to nobody)."""
    return role in PAGE_ROLES.get(page, frozenset())


def pages_for(role: Role) -> list[str]:
    """The pages of `role`'s menu, in the menu's order."""
    return [page for page, roles in PAGE_ROLES.items() if role in roles]


def landing_page(role: Role) -> str:
    return LANDING[role]


def page_refusal(page: str, role: Role) -> str:
    """The French sentence shown instead of a page the role may not open."""
    who = _WHO.get(page, "à d'autres profils")
    return (
        f"Cette page est réservée {who}. Votre profil ({role.label}) n'y a pas accès : "
        "utilisez le menu pour retrouver vos pages, ou adressez-vous à l'administrateur "
        "de la Caf."
    )


class AccountDisabled(PermissionDenied):
    """The acting user was deactivated (or removed) after their screen was drawn."""

    def __init__(self) -> None:
        super().__init__("agir : votre compte a été désactivé")
        self.message = (
            "Votre compte a été désactivé : vos modifications ne sont plus enregistrées. "
            "Contactez l'administrateur de la Caf."
        )
        self.args = (self.message,)


def acting_user(session: Session, user: CurrentUser) -> CurrentUser:
    """The user as stored now, in the caller's transaction: still active, with the role and
    territories they have now (which may be fewer than when their page was drawn)."""
    row = session.get(User, user.id, populate_existing=True)
    if row is None or not row.is_active:
        raise AccountDisabled()
    return current_user_from(session, row)


def readable_convention(
    session: Session, user: CurrentUser, convention_id: int, *, archived: bool = False
) -> Convention:
    """The convention if the user may read it: NotFound when it does not exist (or is
    archived, unless `archived`), PermissionDenied when it is outside their scope."""
    convention = session.get(Convention, convention_id)
    if convention is None or (convention.archived_at is not None and not archived):
        raise NotFound("convention", convention_id)
    if not user.can_read(convention):
        raise PermissionDenied("consulter cette convention")
    return convention


def editable_convention(
    session: Session, user: CurrentUser, convention_id: int, doing: str
) -> Convention:
    """The convention if the user may edit its plan (actions, indicators, committees):
    NotFound as `readable_convention`, PermissionDenied naming what was refused."""
    convention = session.get(Convention, convention_id)
    if convention is None or convention.archived_at is not None:
        raise NotFound("convention", convention_id)
    if not user.can_edit_plan(convention):
        raise PermissionDenied(doing)
    return convention


def current_user_from(session: Session, user: User) -> CurrentUser:
    ids = session.exec(select(UserTerritory.territory_id).where(UserTerritory.user_id == user.id))
    assert user.id is not None
    return CurrentUser(
        id=user.id,
        email=user.email,
        name=user.name,
        role=user.role,
        territory_ids=frozenset(ids),
        is_demo=user.is_demo,
    )


def user_by_email(session: Session, email: str) -> CurrentUser | None:
    """The active user with this e-mail (case-insensitive), or None if unknown."""
    user = session.exec(
        select(User).where(User.email == email.strip().lower(), User.is_active)
    ).first()
    return current_user_from(session, user) if user else None


def demo_personas(session: Session) -> list[CurrentUser]:
    """One demo user per role, in the order of `Role`, for the mode démonstration."""
    users = session.exec(select(User).where(User.is_demo, User.is_active).order_by(User.id)).all()
    by_role: dict[Role, User] = {}
    for user in users:
        by_role.setdefault(user.role, user)
    chosen = [by_role[r] for r in Role if r in by_role]
    scopes: dict[int, set[int]] = {}
    for user_id, territory_id in session.exec(
        select(UserTerritory.user_id, UserTerritory.territory_id).where(
            UserTerritory.user_id.in_([u.id for u in chosen] or [-1])  # type: ignore[attr-defined]
        )
    ):
        scopes.setdefault(user_id, set()).add(territory_id)
    return [
        CurrentUser(u.id, u.email, u.name, u.role, frozenset(scopes.get(u.id, ())), u.is_demo)  # type: ignore[arg-type]
        for u in chosen
    ]
