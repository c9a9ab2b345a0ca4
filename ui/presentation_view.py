"""Comité, mode « Présenter »: one agenda point at a time in large type, for a shared screen.

The whole view is a fragment: moving between points and saving a quick update rerun this
view only, not the page. Saves happen in the submit button's callback (before the
fragment reruns) so that the toast and the move to the next point survive the rerun.

Keyboard: Page suivante / Page précédente (also what presentation clickers send) move
between points; Ctrl+Entrée saves the form.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import streamlit as st

from ctg_core.committee import commands as committee
from ctg_core.committee import queries as committee_queries
from ctg_core.common import db, formats
from ctg_core.common.auth import CurrentUser
from ctg_core.common.errors import ConflictError, CtgError
from ctg_core.common.history import change_text
from ctg_core.common.models import ActionStatus
from ctg_core.indicators import charts as indicator_charts
from ctg_core.indicators import queries as indicator_queries
from ctg_core.plan.table_edits import EDITABLE_FIELDS
from ui.agenda_view import reasons_text
from ui.feedback import show_error
from ui.form_feedback import flash, show_flash
from ui.plain_text import md
from ui.plan_labels import LATE_TEXT, status_text

PENDING_KEY = "presentation-pending"  # (meeting, action) -> the user's input after a conflict
PROBLEM_KEY = "presentation-problem"  # (meeting, item) -> the error of the last save


def point_key(meeting_id: int) -> str:
    return f"presentation-point-{meeting_id}"


def _go(key: str, index: int) -> None:
    st.session_state[key] = index


def _same(a: Any, b: Any) -> bool:
    if a in (None, "") and b in (None, ""):
        return True
    return a == b


@st.fragment
def show(user: CurrentUser, meeting_id: int, today: date) -> None:
    show_flash()
    with db.session() as session:
        detail = committee_queries.meeting_detail(session, user, meeting_id)
        items = committee_queries.agenda(session, user, meeting_id, today)
    if not items:
        st.info("L'ordre du jour est vide : ajoutez des points en mode Préparer.")
        return
    key = point_key(meeting_id)
    index = min(st.session_state.get(key, 0), len(items) - 1)
    st.session_state[key] = index
    # The picker's own state is dropped whenever the view is not shown: the position lives
    # under `key`, the picker mirrors it.
    st.session_state[f"{key}-picker"] = index
    item = items[index]

    previous, position, following = st.columns([1.4, 3, 1.4], vertical_alignment="center")
    previous.button(
        "Précédent",
        icon=":material/arrow_back:",
        key="presentation-previous",
        disabled=index == 0,
        on_click=_go,
        args=(key, index - 1),
        shortcut="PageUp",
        width="stretch",
    )
    position.selectbox(
        "Point de l'ordre du jour",
        list(range(len(items))),
        format_func=lambda i: f"{i + 1}/{len(items)} · {items[i].code or items[i].title}",
        key=f"{key}-picker",
        on_change=lambda: _go(key, st.session_state[f"{key}-picker"]),
        label_visibility="collapsed",
    )
    following.button(
        "Suivant",
        icon=":material/arrow_forward:",
        icon_position="right",
        key="presentation-next",
        disabled=index == len(items) - 1,
        on_click=_go,
        args=(key, index + 1),
        shortcut="PageDown",
        width="stretch",
    )

    st.caption(detail.title)
    heading = f"{md(item.code)} · {md(item.title)}" if item.code else md(item.title)
    st.markdown(f"# {index + 1}. {heading}")
    if item.reasons:
        st.markdown(f"### {reasons_text(item.reasons)}")
    if item.reviewed:
        st.caption("✓ Point déjà revu pendant cette séance.")

    if item.action_id is None:
        _free_point(user, detail, item, index, len(items))
    else:
        _action_point(user, detail, item, index, len(items))


def _action_point(
    user: CurrentUser,
    detail: committee_queries.MeetingDetail,
    item: committee_queries.AgendaRow,
    index: int,
    total: int,
) -> None:
    status, progress, due = st.columns(3)
    status.metric("Statut", status_text(item.status))
    progress.metric("Avancement", f"{item.progress} %")
    due.metric(
        "Échéance",
        formats.day(item.due_on) or "—",
        delta=LATE_TEXT if item.late else None,
        delta_color="red" if item.late else "off",
        delta_arrow="off",
    )
    st.progress(item.progress / 100)

    fiche, context = st.columns([3, 2], gap="large")
    with fiche:
        if item.vigilance:
            st.warning(f"**⚑ Point de vigilance :** {md(item.vigilance)}")
        if item.last_comment:
            st.info(f"**Dernier commentaire :** {md(item.last_comment)}")
        facts = [
            ("Axe", item.axis),
            ("Pilote", item.lead),
            ("Partenaires", item.partners),
            ("Objectif", item.objective),
        ]
        for label, value in facts:
            if value:
                st.markdown(f"**{label} :** {md(value)}")
        if detail.can_run:
            _quick_form(user, detail, item, index, total)
    with context:
        _indicators(user, item.action_id)  # type: ignore[arg-type]
        _history(user, item.action_id, detail)  # type: ignore[arg-type]


def _indicators(user: CurrentUser, action_id: int) -> None:
    with db.session() as session:
        shown = indicator_queries.action_indicators(session, user, action_id)
    st.markdown("### Indicateurs")
    if not shown.series:
        st.caption("Aucun indicateur suivi pour cette action ni pour son axe.")
        return
    if not shown.of_action:
        st.caption("Indicateurs de l'axe (aucun n'est rattaché à l'action elle-même).")
    for series in shown.series:
        unit = f" ({md(series.unit)})" if series.unit else ""
        st.markdown(f"**{md(series.name)}**{unit}")
        if series.points.empty:
            st.caption("Aucune valeur mesurée.")
            continue
        st.altair_chart(
            indicator_charts.sparkline(series),
            width="stretch",
            alt=indicator_charts.describe(series),
        )
        st.caption(md(indicator_charts.describe(series)))


def _history(user: CurrentUser, action_id: int, detail: committee_queries.MeetingDetail) -> None:
    with db.session() as session:
        lines = committee_queries.action_history_since(session, user, action_id, detail.since)
    since = f"depuis le {detail.previous_label}" if detail.previous_label else "historique"
    st.markdown(f"### Évolution ({md(since)})")
    shown = [h for h in lines if h.operation in {"update", "create", "archive"}]
    if not shown:
        st.caption("Aucune modification depuis le dernier comité.")
        return
    for line in shown[:8]:
        where = " · en séance" if line.meeting_id == detail.id else ""
        changes = "  \n".join(md(str(change)) for change in line.changes)
        st.markdown(f"**{formats.moment(line.at)}** — {md(line.user_name)}{where}  \n{changes}")
    if len(shown) > 8:
        st.caption(f"… et {len(shown) - 8} modification(s) plus ancienne(s).")


# --- the quick update form -----------------------------------------------------------------


def _quick_form(
    user: CurrentUser,
    detail: committee_queries.MeetingDetail,
    item: committee_queries.AgendaRow,
    index: int,
    total: int,
) -> None:
    action_id = item.action_id
    assert action_id is not None and item.status is not None
    stored = {
        "status": item.status.value,
        "progress": item.progress,
        "last_comment": item.last_comment,
        "vigilance": item.vigilance,
    }
    pending = st.session_state.get(PENDING_KEY, {}).get((detail.id, action_id), {})
    shown = {**stored, **pending}
    # Widgets are keyed by the stored version: a save (or a conflict) shows fresh widgets,
    # a refused input keeps the same widgets and so the user's text.
    base = f"quick-{detail.id}-{action_id}-{item.version}"
    problem = st.session_state.get(PROBLEM_KEY, {}).get((detail.id, item.item_id))
    if problem is not None:
        show_error(problem)
        if isinstance(problem, ConflictError):
            st.caption(
                "Vos saisies sont ci-dessous : enregistrez-les à nouveau pour les appliquer."
            )
    statuses = [s.value for s in ActionStatus]
    with st.form(f"{base}-form"):
        st.markdown("### Mise à jour en séance")
        left, right = st.columns(2)
        left.selectbox(
            "Statut",
            statuses,
            index=statuses.index(shown["status"]),
            format_func=status_text,
            key=f"{base}-status",
        )
        right.number_input(
            "Avancement (%)",
            min_value=0,
            max_value=100,
            step=5,
            value=int(shown["progress"]),
            key=f"{base}-progress",
        )
        st.text_area(
            "Commentaire", value=shown["last_comment"], height=90, key=f"{base}-last_comment"
        )
        st.text_area(
            "Point de vigilance (laisser vide s'il est levé)",
            value=shown["vigilance"],
            height=90,
            key=f"{base}-vigilance",
        )
        st.text_area(
            "Décision du comité (facultatif)",
            value=pending.get("decision", ""),
            height=90,
            key=f"{base}-decision",
        )
        last = index == total - 1
        st.form_submit_button(
            "Enregistrer" if last else "Enregistrer et passer au point suivant",
            type="primary",
            icon=":material/save:",
            shortcut="Ctrl+Enter",
            on_click=_save,
            args=(user, detail.id, item, base, stored, index, total),
        )


def _save(
    user: CurrentUser,
    meeting_id: int,
    item: committee_queries.AgendaRow,
    base: str,
    stored: dict[str, Any],
    index: int,
    total: int,
) -> None:
    """Submit callback: one service call, then toast and move on — or keep the input."""
    action_id = item.action_id
    assert action_id is not None
    values = {name: st.session_state[f"{base}-{name}"] for name in EDITABLE_FIELDS}
    decision = st.session_state[f"{base}-decision"] or ""
    change = {k: v for k, v in values.items() if not _same(v, stored[k])}
    problems = st.session_state.setdefault(PROBLEM_KEY, {})
    pending = st.session_state.setdefault(PENDING_KEY, {})
    try:
        with db.session(write=True) as session:
            if change or decision.strip():
                result = committee.quick_update(
                    session, user, meeting_id, action_id, item.version, change, decision=decision
                )
                written = result.changes
            else:
                committee.mark_reviewed(session, user, item.item_id)
                written = {}
    except ConflictError as error:
        # Only what this user changed: fields others saved meanwhile show their new value.
        pending[(meeting_id, action_id)] = {**change, "decision": decision}
        problems[(meeting_id, item.item_id)] = error
        return
    except CtgError as error:
        problems[(meeting_id, item.item_id)] = error
        return
    pending.pop((meeting_id, action_id), None)
    problems.pop((meeting_id, item.item_id), None)
    st.session_state[f"{base}-decision"] = ""
    said = [md(change_text(f, old, new)) for f, (old, new) in written.items()]
    if decision.strip():
        said.append("décision enregistrée")
    flash(f"{md(item.code)} : " + (" ; ".join(said) if said else "point revu, sans changement."))
    if index < total - 1:
        st.session_state[point_key(meeting_id)] = index + 1


# --- a point without an action ----------------------------------------------------------------


def _free_point(
    user: CurrentUser,
    detail: committee_queries.MeetingDetail,
    item: committee_queries.AgendaRow,
    index: int,
    total: int,
) -> None:
    if not detail.can_run:
        return
    problem = st.session_state.get(PROBLEM_KEY, {}).get((detail.id, item.item_id))
    if problem is not None:
        show_error(problem)
    base = f"free-{detail.id}-{item.item_id}"
    with st.form(f"{base}-form"):
        st.text_area("Décision du comité (facultatif)", height=120, key=f"{base}-decision")
        st.form_submit_button(
            "Enregistrer et passer au point suivant",
            type="primary",
            icon=":material/save:",
            shortcut="Ctrl+Enter",
            on_click=_save_free,
            args=(user, detail.id, item, base, index, total),
        )


def _save_free(
    user: CurrentUser,
    meeting_id: int,
    item: committee_queries.AgendaRow,
    base: str,
    index: int,
    total: int,
) -> None:
    decision = (st.session_state[f"{base}-decision"] or "").strip()
    problems = st.session_state.setdefault(PROBLEM_KEY, {})
    try:
        with db.session(write=True) as session:
            if decision:
                committee.record_decision(
                    session, user, meeting_id, decision, reviewed_item_id=item.item_id
                )
            else:
                committee.mark_reviewed(session, user, item.item_id)
    except CtgError as error:
        problems[(meeting_id, item.item_id)] = error
        return
    problems.pop((meeting_id, item.item_id), None)
    st.session_state[f"{base}-decision"] = ""
    flash(f"{md(item.title)} : " + ("décision enregistrée." if decision else "point revu."))
    if index < total - 1:
        st.session_state[point_key(meeting_id)] = index + 1
