"""The first administrator of a new installation, created from the command line (nobody
can sign in to add them): see `python -m ctg_core.setup users add --admin EMAIL NAME`.

Not a command (no signed-in user acts): it validates with the same input model as
`people.commands.add_user` and writes its own history entry, signed « Installation ».
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session, select

from ctg_core.common.errors import ValidationFailed
from ctg_core.common.history import diff
from ctg_core.common.models import ChangeLog, Role, User
from ctg_core.common.validation import validated
from ctg_core.people.commands import UserData

INSTALLER = "Installation (ligne de commande)"


def add_first_admin(session: Session, email: str, name: str) -> User:
    """Create the first active administrator; refused once one exists (the others are
    added from the Administration page, where every change is checked and recorded)."""
    data = validated(UserData, {"email": email, "name": name, "role": Role.admin})
    admin = session.exec(select(User).where(User.role == Role.admin, User.is_active)).first()
    if admin is not None:
        raise ValidationFailed(
            {
                "email": f"{admin.name} ({admin.email}) est déjà administrateur : ajoutez les "
                "autres utilisateurs depuis la page Administration."
            }
        )
    if session.exec(select(User.id).where(sa.func.lower(User.email) == data.email)).first():
        raise ValidationFailed({"email": f"{data.email} est déjà l'adresse d'un utilisateur."})
    user = User(email=data.email, name=data.name, role=Role.admin)
    session.add(user)
    session.flush()
    assert user.id is not None
    session.add(
        ChangeLog(
            user_id=None,
            user_name=INSTALLER,
            entity="user",
            entity_id=user.id,
            operation="create",
            changes=diff({}, {"email": data.email, "name": data.name, "role": Role.admin}),
        )
    )
    session.commit()
    return user


def user_lines(session: Session) -> list[str]:
    """One line per user, for `users list`."""
    return [
        f"{u.email}\t{u.name}\t{u.role.label}{'' if u.is_active else ' (désactivé)'}"
        for u in session.exec(select(User).where(~User.is_demo).order_by(User.email))  # type: ignore[arg-type]
    ]
