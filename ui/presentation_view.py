"""Comité, mode « Présenter »: one agenda point at a time, for a shared screen.

Built for a 1366×768 laptop on a projector and for 200 % zoom (683×384 CSS pixels): the
page's chrome is hidden (sidebar, header; the demo banner becomes a thin line), a compact
bar says where the meeting stands (point n/N, time on the point and in the meeting), the
point's code and title come first in large type, and the quick-update form starts with
what a committee does most — set the progress, save — on the first screen.

The whole view is a fragment: moving between points and saving a quick update rerun this
view only, not the page. Saves happen in the submit button's callback (before the fragment
reruns) so that the toast and the move to the next point survive the rerun. A refused save
keeps the typed values (the widgets keep their keys) and shows the French reason next to
the field, or above the form when it concerns the whole save (a conflict, a deactivated
account).

Keyboard: Page suivante / Page précédente (what presentation clickers send) move between
points; Ctrl+Entrée saves.
"""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta
from typing import Any

import streamlit as st

from ctg_core.committee import commands as committee
from ctg_core.committee import queries as committee_queries
from ctg_core.common import db, formats
from ctg_core.common.auth import CurrentUser
from ctg_core.common.errors import ConflictError, CtgError, ValidationFailed
from ctg_core.common.history import change_text
from ctg_core.common.models import ActionStatus
from ctg_core.indicators import charts as indicator_charts
from ctg_core.indicators import queries as indicator_queries
from ctg_core.plan.table_edits import EDITABLE_FIELDS
from ui.agenda_view import duration_text, reasons_text
from ui.chart_specs import spec_of
from ui.decision_form import DECISION_FIELDS, clear_decision, decision_fields, typed_decision
from ui.feedback import show_error
from ui.form_feedback import flash, show_flash
from ui.plain_text import md
from ui.plan_labels import LATE_TEXT, status_text

PENDING_KEY = "presentation-pending"  # (meeting, action) -> the user's input after a conflict
PROBLEM_KEY = "presentation-problem"  # (meeting, item) -> the error of the last save

# Static: no user text ever goes into this stylesheet.
PRESENTER_CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stExpandSidebarButton"], [data-testid="stHeader"],
[data-testid="stToolbar"], [data-testid="stDecoration"] { display: none !important; }
[data-testid="stMain"] { margin-left: 0 !important; }
[data-testid="stMainBlockContainer"] {
  padding: 0.25rem 1.25rem 1rem !important; max-width: none !important;
}
[data-testid="stMainBlockContainer"] [data-testid="stVerticalBlock"] { gap: 0.45rem; }
/* The demo banner (ui/auth.py) as one thin line. */
.st-key-demo-banner [data-testid="stAlertContainer"] {
  padding: 0.05rem 0.6rem; min-height: 0;
}
.st-key-demo-banner [data-testid="stAlertContainer"] p {
  font-size: 0.78rem; line-height: 1.3; white-space: nowrap; overflow: hidden;
  text-overflow: ellipsis;
}
.st-key-demo-banner [data-testid="stAlertContainer"] svg,
.st-key-demo-banner [data-testid="stAlertContainer"]
  [data-testid="stIconMaterial"] { display: none; }
.st-key-presenter-bar p { font-size: 0.98rem; margin: 0; }
div:has(> .st-key-presenter-name) { flex: 1 1 0 !important; min-width: 12rem; }
.st-key-presenter-name p { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.st-key-presenter-point h1 {
  font-size: 2.6rem; line-height: 1.15; padding: 0.1rem 0 0.2rem; overflow-wrap: anywhere;
}
.st-key-presenter-point p, .st-key-presenter-point li { font-size: 1.35rem; }
.st-key-presenter-details p, .st-key-presenter-details li { font-size: 1.3rem; }
.st-key-presenter-form label p { font-size: 1.1rem; font-weight: 600; }
.st-key-presenter-form [data-testid="stButtonGroup"] button p { font-size: 1.1rem; }
.st-key-presenter-form input, .st-key-presenter-form textarea { font-size: 1.15rem; }
.st-key-presenter-form button p { font-size: 1.05rem; }
/* Shortcut hints are key names in English, pale on the buttons (axe: 3.4:1 on the primary
   blue), and Streamlit keeps unkeyed copies of its buttons for measuring: every hint of the
   presenter is hidden; the buttons' help says the keys in French. */
[data-testid="stMain"] kbd { display: none; }
@media (max-width: 800px) {
  div:has(> .st-key-presenter-name) { flex-basis: 100% !important; }
  [data-testid="stMainBlockContainer"] { padding: 0.2rem 0.6rem 1rem !important; }
  .st-key-presenter-bar p { font-size: 0.95rem; }
  .st-key-presenter-point h1 { font-size: 1.55rem; }
  .st-key-presenter-point p, .st-key-presenter-point li { font-size: 1.05rem; }
  .st-key-presenter-details p, .st-key-presenter-details li { font-size: 1.1rem; }
}
</style>
"""


def point_key(meeting_id: int) -> str:
    return f"presentation-point-{meeting_id}"


def clock_key(meeting_id: int) -> str:
    return f"presentation-clock-{meeting_id}"


def _go(key: str, index: int) -> None:
    st.session_state[key] = index


def _same(a: Any, b: Any) -> bool:
    if a in (None, "") and b in (None, ""):
        return True
    return a == b or str(a).strip() == str(b).strip()


def full_screen() -> None:
    """Hide the page's chrome: the meeting takes the whole screen."""
    st.html(PRESENTER_CSS)


@st.fragment
def show(user: CurrentUser, meeting_id: int, today: date) -> None:
    show_flash()
    with db.session() as session:
        detail = committee_queries.meeting_detail(session, user, meeting_id)
        items = committee_queries.agenda(session, user, meeting_id, today)
    key = point_key(meeting_id)
    index = min(st.session_state.get(key, 0), max(len(items) - 1, 0))
    st.session_state[key] = index
    item = items[index] if items else None
    _bar(user, detail, items, index)
    if item is None:
        st.info("L'ordre du jour est vide : ajoutez des points en mode Préparer.")
        return
    with st.container(key="presenter-point"):
        heading = f"{md(item.code)} · {md(item.title)}" if item.code else md(item.title)
        st.markdown(f"# {heading}")
        st.markdown(_facts(item))
    if item.action_id is None:
        _free_point(user, detail, item, index, len(items))
    else:
        _action_point(user, detail, item, index, len(items))


# --- the bar: where the meeting stands ------------------------------------------------------


def _bar(
    user: CurrentUser,
    detail: committee_queries.MeetingDetail,
    items: list[committee_queries.AgendaRow],
    index: int,
) -> None:
    point = items[index] if items else None
    key = point_key(detail.id)
    with st.container(
        key="presenter-bar", horizontal=True, vertical_alignment="center", gap="small"
    ):
        with st.container(key="presenter-name"):
            st.markdown(f"**{md(detail.name)}** · {md(detail.territory_name)}")
        with st.container(key="presenter-clock", width="content"):
            _clock(detail.id, detail.started_at, detail.planned_minutes, point)
        if detail.can_run and detail.started_at is None:
            st.button(
                "Démarrer",
                icon=":material/play_arrow:",
                key="presentation-start",
                help="Démarrer la séance : le temps de la réunion est compté à partir de là.",
                on_click=_start,
                args=(user, detail.id, detail.version),
            )
        st.button(
            "Précédent",
            icon=":material/arrow_back:",
            key="presentation-previous",
            disabled=index == 0,
            on_click=_go,
            args=(key, index - 1),
            shortcut="PageUp",
            help="Point précédent (touche Page précédente)",
        )
        if items:
            st.selectbox(
                "Point de l'ordre du jour",
                list(range(len(items))),
                index=index,
                format_func=lambda i: (
                    f"Point {i + 1} / {len(items)} · " + (items[i].code or items[i].title)
                ),
                key=f"{key}-picker-{index}",
                on_change=lambda: _go(key, st.session_state[f"{key}-picker-{index}"]),
                label_visibility="collapsed",
                filter_mode=None,
                width=175,
            )
        st.button(
            "Suivant",
            icon=":material/arrow_forward:",
            icon_position="right",
            key="presentation-next",
            disabled=index >= len(items) - 1,
            on_click=_go,
            args=(key, index + 1),
            shortcut="PageDown",
            help="Point suivant (touche Page suivante)",
        )
        st.page_link(
            "pages/comite.py",
            label="Préparer",
            icon=":material/checklist:",
            query_params={"reunion": str(detail.id), "mode": "prepare"},
            help="Quitter la présentation : ordre du jour, participants, compte rendu.",
        )


def _start(user: CurrentUser, meeting_id: int, version: int) -> None:
    try:
        with db.session(write=True) as session:
            committee.start_meeting(session, user, meeting_id, version)
    except CtgError as error:
        st.session_state.setdefault(PROBLEM_KEY, {})[(meeting_id, "meeting")] = error
        return
    flash("Séance démarrée : le temps de la réunion est compté à partir de maintenant.")


@st.fragment(run_every=timedelta(seconds=30))
def _clock(
    meeting_id: int,
    started_at: datetime | None,
    planned: int,
    point: committee_queries.AgendaRow | None,
) -> None:
    """Time on the point and in the meeting, against what was planned; ticks by itself."""
    said = []
    if point is not None:
        spent = _time_on_point(meeting_id, point.item_id)
        over = " **⚠ dépassé**" if spent > point.planned_minutes else ""
        said.append(f"point {spent} / {point.planned_minutes} min{over}")
    if started_at is None:
        said.append(f"{duration_text(planned)} prévues")
    else:
        elapsed = int((datetime.now(started_at.tzinfo) - started_at).total_seconds() // 60)
        over = " **⚠ dépassement**" if elapsed > planned else ""
        said.append(f"séance {duration_text(elapsed)} / {duration_text(planned)}{over}")
    st.markdown(":material/timer: " + " · ".join(said), width="content")


def _time_on_point(meeting_id: int, item_id: int) -> int:
    """Minutes spent on this point by this screen (time on earlier visits included)."""
    clock = st.session_state.setdefault(clock_key(meeting_id), {"item": None, "spent": {}})
    now = time.monotonic()
    if clock["item"] != item_id:
        if clock["item"] is not None:
            previous = clock["item"]
            clock["spent"][previous] = clock["spent"].get(previous, 0) + now - clock["since"]
        clock["item"], clock["since"] = item_id, now
    return int((clock["spent"].get(item_id, 0) + now - clock["since"]) // 60)


def _facts(item: committee_queries.AgendaRow) -> str:
    facts = []
    if item.status is not None:
        facts.append(f"**{status_text(item.status)} · {item.progress} %**")
    if item.due_on is not None:
        facts.append(f"échéance {formats.day(item.due_on)}")
    if item.late:
        facts.append(f"**{LATE_TEXT}**")
    reasons = tuple(r for r in item.reasons if not (r == "late" and item.late))
    if reasons:
        facts.append(reasons_text(reasons))
    if item.lead:
        facts.append(f"pilote : {md(item.lead)}")
    if item.presenter:
        facts.append(f"présenté par {md(item.presenter)}")
    facts.append(f"{item.planned_minutes} min prévues")
    if item.reviewed:
        facts.append("✓ revu en séance")
    return " · ".join(facts)


# --- a point about an action ------------------------------------------------------------------


def _action_point(
    user: CurrentUser,
    detail: committee_queries.MeetingDetail,
    item: committee_queries.AgendaRow,
    index: int,
    total: int,
) -> None:
    problem = st.session_state.get(PROBLEM_KEY, {}).get((detail.id, "meeting"))
    if problem is not None:
        show_error(problem)
    if detail.can_run:
        _quick_form(user, detail, item, index, total)
    elif detail.closed:
        st.caption("Réunion clôturée : consultation seule.")
        _details(user, detail, item)
    else:
        st.caption("Consultation seule : l'animation est réservée aux pilotes de la convention.")
        _details(user, detail, item)


def _details(
    user: CurrentUser, detail: committee_queries.MeetingDetail, item: committee_queries.AgendaRow
) -> None:
    """What the room reads about the point: vigilance, last word, what changed, indicators."""
    with st.container(key="presenter-details"):
        if item.vigilance:
            st.warning(f"**⚑ Point de vigilance :** {md(item.vigilance)}")
        if item.last_comment:
            st.markdown(f"**Dernier commentaire :** {md(item.last_comment)}")
        _changes(user, detail, item.action_id)  # type: ignore[arg-type]
        _indicators(user, item.action_id)  # type: ignore[arg-type]
        if item.objective:
            st.markdown(f"**Objectif :** {md(item.objective)}")
        if item.partners:
            st.markdown(f"**Partenaires :** {md(item.partners)} · **Axe :** {md(item.axis)}")


def _changes(user: CurrentUser, detail: committee_queries.MeetingDetail, action_id: int) -> None:
    with db.session() as session:
        changes = committee_queries.point_changes(session, user, detail.id, action_id)
    if not changes.previous:
        title = "**Évolution** (aucun comité clôturé avant celui-ci)"
    else:
        title = f"**Depuis le {md(changes.previous)}**"
    if changes.then is not None:
        title += f" — alors {status_text(changes.then.status)} · {changes.then.progress} %"
    lines = [
        f"- {formats.day(line.at)}, {md(line.user_name)}"
        + (" (en séance)" if line.meeting_id == detail.id else "")
        + " : "
        + " ; ".join(md(str(change)) for change in line.changes)
        for line in changes.lines[:4]
    ]
    if not lines:
        lines = ["- Aucune modification depuis."]
    if len(changes.lines) > 4:
        lines.append(f"- … et {len(changes.lines) - 4} modification(s) plus ancienne(s).")
    st.markdown(title + "\n" + "\n".join(lines))


def _indicators(user: CurrentUser, action_id: int) -> None:
    with db.session() as session:
        shown = indicator_queries.action_indicators(session, user, action_id)
    measured = [s for s in shown.series if not s.points.empty]
    if not measured:
        return
    scope = "" if shown.of_action else " (de l'axe)"
    for series in measured[:2]:
        unit = f" ({md(series.unit)})" if series.unit else ""
        st.markdown(f"**Indicateur{scope} : {md(series.name)}**{unit}")
        st.vega_lite_chart(
            spec=spec_of(indicator_charts.sparkline, series, height=60),
            width="stretch",
            alt=indicator_charts.describe(series),
        )
        st.caption(md(indicator_charts.describe(series)))


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
        "progress": str(item.progress),
        "last_comment": item.last_comment,
        "vigilance": item.vigilance,
    }
    pending = st.session_state.get(PENDING_KEY, {}).get((detail.id, action_id), {})
    shown = {**stored, **{k: v for k, v in pending.items() if k in stored}}
    # Widgets are keyed by the stored version: a save (or a conflict) shows fresh widgets,
    # a refused input keeps the same widgets and so the user's text.
    base = f"quick-{detail.id}-{action_id}-{item.version}"
    problem = st.session_state.get(PROBLEM_KEY, {}).get((detail.id, item.item_id))
    errors = problem.errors if isinstance(problem, ValidationFailed) else {}
    last = index == total - 1
    with (
        st.form(f"{base}-form", border=False, enter_to_submit=False),
        st.container(key="presenter-form"),
    ):
        if problem is not None and not errors:
            show_error(problem)
            if isinstance(problem, ConflictError):
                st.caption(
                    "Vos saisies sont ci-dessous : enregistrez-les à nouveau pour les appliquer."
                )
        with st.container(horizontal=True, vertical_alignment="bottom", gap="small"):
            st.text_input(
                "Avancement (%)",
                value=shown["progress"],
                max_chars=12,
                key=f"{base}-progress",
                placeholder="0 à 100",
                help="Un nombre entier de 0 à 100, avec ou sans « % ».",
                width=150,
            )
            st.form_submit_button(
                "Enregistrer" if last else "Enregistrer ▸ suivant",
                type="primary",
                icon=":material/save:",
                shortcut="Ctrl+Enter",
                on_click=_save,
                args=(user, detail.id, detail.agenda_version, item, base, stored, index, total),
                help="Enregistre la mise à jour (ou marque le point comme revu si rien n'a "
                "changé) puis passe au point suivant. Raccourci : Ctrl + Entrée.",
            )
            # The reason of a refusal comes right after the field and the button, before
            # anything else, on the first screen even at 200 % zoom.
            for name in ("progress", "status"):
                if name in errors:
                    st.error(errors[name], icon=":material/error:", width="stretch")
            st.pills(
                "Statut",
                [s.value for s in ActionStatus],
                format_func=status_text,
                default=shown["status"],
                required=True,
                key=f"{base}-status",
                wrap=True,
            )
        left, right = st.columns([3, 2], gap="medium")
        with left:
            _details(user, detail, item)
        with right:
            st.text_area(
                "Commentaire", value=shown["last_comment"], height=80, key=f"{base}-last_comment"
            )
            if "last_comment" in errors:
                st.error(errors["last_comment"], icon=":material/error:")
            st.text_area(
                "Point de vigilance (vide s'il est levé)",
                value=shown["vigilance"],
                height=80,
                key=f"{base}-vigilance",
            )
            if "vigilance" in errors:
                st.error(errors["vigilance"], icon=":material/error:")
            decision_fields(base, pending, errors, open_=bool(pending.get("text")))
        for name, message in errors.items():
            if name not in {*EDITABLE_FIELDS, *DECISION_FIELDS}:
                st.error(message, icon=":material/error:")


def _save(
    user: CurrentUser,
    meeting_id: int,
    agenda_version: int,
    item: committee_queries.AgendaRow,
    base: str,
    stored: dict[str, Any],
    index: int,
    total: int,
) -> None:
    """Submit callback: one command, then toast and move on — or keep the input."""
    action_id = item.action_id
    assert action_id is not None
    values = {name: st.session_state.get(f"{base}-{name}") for name in EDITABLE_FIELDS}
    change = {k: v for k, v in values.items() if v is not None and not _same(v, stored[k])}
    decision = typed_decision(base)
    problems = st.session_state.setdefault(PROBLEM_KEY, {})
    pending = st.session_state.setdefault(PENDING_KEY, {})
    try:
        with db.session(write=True) as session:
            if change or decision:
                result = committee.quick_update(
                    session, user, meeting_id, action_id, item.version, change, decision=decision
                )
                written, created = result.changes, result.created_action_id
            else:
                committee.mark_reviewed(session, user, item.item_id, seen_version=agenda_version)
                written, created = {}, None
    except ConflictError as error:
        # Only what this user changed: fields others saved meanwhile show their new value.
        pending[(meeting_id, action_id)] = {**change, **decision}
        problems[(meeting_id, item.item_id)] = error
        return
    except CtgError as error:
        problems[(meeting_id, item.item_id)] = error
        return
    pending.pop((meeting_id, action_id), None)
    problems.pop((meeting_id, item.item_id), None)
    clear_decision(base)
    said = [md(change_text(f, old, new)) for f, (old, new) in written.items()]
    if decision:
        said.append("fiche créée" if created else "décision enregistrée")
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
    errors = problem.errors if isinstance(problem, ValidationFailed) else {}
    if problem is not None and not errors:
        show_error(problem)
    base = f"free-{detail.id}-{item.item_id}"
    last = index == total - 1
    with (
        st.form(f"{base}-form", border=False, enter_to_submit=False),
        st.container(key="presenter-form"),
    ):
        st.form_submit_button(
            "Enregistrer" if last else "Enregistrer ▸ suivant",
            type="primary",
            icon=":material/save:",
            shortcut="Ctrl+Enter",
            on_click=_save_free,
            args=(user, detail.id, detail.agenda_version, item, base, index, total),
            help="Enregistre la décision (ou marque le point comme revu) puis passe au point "
            "suivant.",
        )
        decision_fields(base, {}, errors, open_=True)


def _save_free(
    user: CurrentUser,
    meeting_id: int,
    agenda_version: int,
    item: committee_queries.AgendaRow,
    base: str,
    index: int,
    total: int,
) -> None:
    decision = typed_decision(base)
    problems = st.session_state.setdefault(PROBLEM_KEY, {})
    try:
        with db.session(write=True) as session:
            if decision:
                committee.record_decision(
                    session, user, meeting_id, decision, reviewed_item_id=item.item_id
                )
            else:
                committee.mark_reviewed(session, user, item.item_id, seen_version=agenda_version)
    except CtgError as error:
        problems[(meeting_id, item.item_id)] = error
        return
    problems.pop((meeting_id, item.item_id), None)
    clear_decision(base)
    flash(f"{md(item.title)} : " + ("décision enregistrée." if decision else "point revu."))
    if index < total - 1:
        st.session_state[point_key(meeting_id)] = index + 1
