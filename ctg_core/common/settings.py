"""Small facts about this database, kept in the `settings` table."""

from __future__ import annotations

from sqlmodel import Session

from ctg_core.common.models import Setting


def holds_demo_data(session: Session) -> bool:
    """True when the database was filled by the demo generator (fictitious data)."""
    setting = session.get(Setting, "demo_data")
    return setting is not None and setting.value == "1"
