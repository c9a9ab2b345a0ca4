"""Nouns about the people who use the app: the user directory of the administration page."""

from __future__ import annotations

import pandas as pd
from sqlmodel import Session, select

from ctg_core.common.auth import CurrentUser
from ctg_core.common.errors import require
from ctg_core.common.models import Territory, User, UserTerritory


def user_directory(session: Session, user: CurrentUser) -> pd.DataFrame:
    """Users with their role and territories (read-only list for the administrator)."""
    require(user.is_admin, "consulter la liste des utilisateurs")
    scopes: dict[int, list[str]] = {}
    for user_id, name in session.exec(
        select(UserTerritory.user_id, Territory.name).join(
            Territory, Territory.id == UserTerritory.territory_id
        )
    ):
        scopes.setdefault(user_id, []).append(name)
    rows = [
        {
            "name": u.name,
            "email": u.email,
            "role": u.role.label,
            "territories": ", ".join(sorted(scopes.get(u.id, []), key=str.casefold)),  # type: ignore[arg-type]
            "active": u.is_active,
            "demo": u.is_demo,
        }
        for u in session.exec(select(User).order_by(User.name))
    ]
    return pd.DataFrame(rows, columns=["name", "email", "role", "territories", "active", "demo"])
