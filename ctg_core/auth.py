"""Who is using the app (`CurrentUser`) and what each role may read or change (DESIGN §2)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session, select

from ctg_core.models import Convention, Role, User, UserTerritory

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
