"""The committee's decision, typed as it is taken: its nature (décision, information, action
à mener), its text, whether it is confidential, and for an « action à mener » the fiche it
creates (axis, pilot, due date). Shared by the presenter and the compte rendu; the fields
live inside the caller's form."""

from __future__ import annotations

from typing import Any

import streamlit as st

from ctg_core.common import db
from ctg_core.common.models import DecisionKind
from ctg_core.plan import queries as plan_queries

NO_AXIS = 0

DECISION_FIELDS = ("text", "kind", "confidential", "new_axis_id", "new_lead", "new_due_on")


def decision_fields(
    base: str,
    pending: dict[str, Any],
    errors: dict[str, str],
    *,
    open_: bool = False,
    expander: bool = True,
) -> None:
    """The committee's decision: its kind, its text, and for an « action à mener » the fiche
    it creates (axis, pilot, due date). `pending` fills the fields (input kept after a
    conflict); the widgets' values live in the session under `base`."""
    defaults = {
        "kind": pending.get("kind", DecisionKind.decision.value),
        "decision": pending.get("text", ""),
        "confidential": bool(pending.get("confidential", False)),
        "new_axis_id": pending.get("new_axis_id") or NO_AXIS,
        "new_lead": pending.get("new_lead", ""),
        "new_due_on": pending.get("new_due_on", ""),
    }
    for name, value in defaults.items():
        st.session_state.setdefault(f"{base}-{name}", value)
    decided = any(name in errors for name in DECISION_FIELDS)
    box = (
        st.expander("Décision du comité (facultatif)", expanded=open_ or decided)
        if expander
        else st.container()
    )
    with box:
        st.segmented_control(
            "Nature",
            [k.value for k in DecisionKind],
            format_func=lambda k: DecisionKind(k).label,
            required=True,
            key=f"{base}-kind",
        )
        st.text_area("Décision", height=80, key=f"{base}-decision")
        st.checkbox("Confidentielle (hors compte rendu diffusé)", key=f"{base}-confidential")
        st.caption("Pour une action à mener, la fiche est créée dans le plan :")
        with db.session() as session:
            axes = {a.id: a.label for a in plan_queries.axes(session)}
        axis, lead, due = st.columns(3)
        axis.selectbox(
            "Axe",
            [NO_AXIS, *axes],
            format_func=lambda a: "—" if a == NO_AXIS else axes.get(a, "—"),
            key=f"{base}-new_axis_id",
            filter_mode=None,
        )
        lead.text_input("Pilote", max_chars=200, key=f"{base}-new_lead")
        due.text_input("Échéance", placeholder="JJ/MM/AAAA", max_chars=10, key=f"{base}-new_due_on")
        for name in DECISION_FIELDS:
            if name in errors:
                st.error(errors[name], icon=":material/error:")


def clear_decision(base: str) -> None:
    """After a save, the decision form is empty again (the same widgets stay on screen when
    the point's action did not change)."""
    for name in ("kind", "decision", "confidential", "new_axis_id", "new_lead", "new_due_on"):
        st.session_state.pop(f"{base}-{name}", None)


def typed_decision(base: str) -> dict[str, Any]:
    text = (st.session_state.get(f"{base}-decision") or "").strip()
    if not text:
        return {}
    axis = st.session_state.get(f"{base}-new_axis_id", NO_AXIS)
    return {
        "text": text,
        "kind": st.session_state.get(f"{base}-kind") or DecisionKind.decision.value,
        "confidential": bool(st.session_state.get(f"{base}-confidential")),
        "new_axis_id": None if axis == NO_AXIS else axis,
        "new_lead": st.session_state.get(f"{base}-new_lead", ""),
        "new_due_on": st.session_state.get(f"{base}-new_due_on", ""),
    }
