"""Nouns of the exchange: what the exports hold that no page table already gives (the whole
history of a convention, its indicators' measured values), scoped to the user."""

from __future__ import annotations

import pandas as pd
from sqlmodel import Session, select

from ctg_core.common.auth import CurrentUser, readable_convention
from ctg_core.common.history import lines_of, meeting_labels
from ctg_core.common.models import Action, ChangeLog, Indicator, IndicatorValue
from ctg_core.indicators.queries import convention_indicators

HISTORY_COLUMNS = ["at", "user_name", "record", "operation", "meeting", "changes"]
VALUE_COLUMNS = ["indicator", "unit", "year", "value", "measured_on", "source"]


def convention_history(session: Session, user: CurrentUser, convention_id: int) -> pd.DataFrame:
    """Every change recorded for the convention — itself, its fiches, its indicator values,
    its meetings, its imports — oldest first, in French (one row per history entry)."""
    readable_convention(session, user, convention_id)
    entries = session.exec(
        select(ChangeLog).where(ChangeLog.convention_id == convention_id).order_by(ChangeLog.id)  # type: ignore[arg-type]
    ).all()
    names = _record_names(session, entries)
    rows = [
        {
            "at": line.at.replace(tzinfo=None),
            "user_name": line.user_name,
            "record": names.get((entry.entity, entry.entity_id), entry.entity),
            "operation": line.operation_label,
            "meeting": line.meeting,
            "changes": line.summary,
        }
        for entry, line in zip(entries, lines_of(session, entries), strict=True)
    ]
    return pd.DataFrame(rows, columns=HISTORY_COLUMNS)


def _record_names(session: Session, entries: list[ChangeLog]) -> dict[tuple[str, int], str]:
    """« Fiche PE-02 », « Convention », « Valeur : Places en crèche »… for each entry's record."""
    ids: dict[str, set[int]] = {}
    for entry in entries:
        ids.setdefault(entry.entity, set()).add(entry.entity_id)
    names: dict[tuple[str, int], str] = {}
    for ident in ids.get("convention", ()):
        names[("convention", ident)] = "Convention"
    for ident, code in session.exec(
        select(Action.id, Action.code).where(Action.id.in_(ids.get("action", set()) or {-1}))  # type: ignore[union-attr]
    ):
        names[("action", ident)] = f"Fiche {code}"
    for ident, name in session.exec(
        select(IndicatorValue.id, Indicator.name)
        .join(Indicator, Indicator.id == IndicatorValue.indicator_id)  # type: ignore[arg-type]
        .where(IndicatorValue.id.in_(ids.get("indicator_value", set()) or {-1}))  # type: ignore[union-attr]
    ):
        names[("indicator_value", ident)] = f"Valeur : {name}"
    for ident, label in meeting_labels(session, ids.get("meeting", ())).items():
        names[("meeting", ident)] = label
    for ident in ids.get("decision", ()):
        names[("decision", ident)] = "Décision"
    return names


def indicator_values(session: Session, user: CurrentUser, convention_id: int) -> pd.DataFrame:
    """The measured values of the convention's live indicators, by indicator then year."""
    rows = [
        {
            "indicator": series.name,
            "unit": series.unit,
            "year": int(point.year),
            "value": float(point.value),
            "measured_on": point.measured_on,
            "source": point.source,
        }
        for series in convention_indicators(session, user, convention_id)
        for point in series.points.itertuples(index=False)
    ]
    return pd.DataFrame(rows, columns=VALUE_COLUMNS)
