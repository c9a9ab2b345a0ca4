"""Comité, mode « Préparer »: the timed agenda (reorder, time, add, park, remove, refresh),
the backlog of parked points, the participants and their presence, what changed since
the last committee, and any two closed meetings compared.

Every agenda write sends the agenda version this page showed: if someone changed the
agenda meanwhile, the core refuses and the page says so (nothing is silently lost).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from ctg_core.committee import commands as committee
from ctg_core.committee import queries as committee_queries
from ctg_core.committee.queries import MeetingDetail
from ctg_core.common import db, labels
from ctg_core.common.auth import CurrentUser
from ctg_core.common.errors import CtgError
from ctg_core.common.models import Attendance
from ui.committee_text import REASON_SYMBOLS
from ui.feedback import show_error
from ui.form_feedback import flash
from ui.plain_text import md
from ui.plan_labels import status_text

ERROR_KEY = "agenda-error"
FREE_POINT = 0
NOW = 0  # "maintenant" in the comparison of two meetings


def _run(service: Callable[..., Any], *args: Any, done: str = "", **kwargs: Any) -> None:
    """Callback: run one command in a write session; keep its error for the next run."""
    try:
        with db.session(write=True) as session:
            result = service(session, *args, **kwargs)
    except CtgError as error:
        st.session_state[ERROR_KEY] = error
        return
    st.session_state.pop(ERROR_KEY, None)
    if isinstance(result, committee.AgendaRefresh):
        done = (
            f"Ordre du jour actualisé : {result.added} ajout(s), {result.removed} retrait(s), "
            f"{result.updated} motif(s) mis à jour."
        )
    if done:
        flash(done)


def reasons_text(reasons: tuple[str, ...]) -> str:
    return " · ".join(
        f"{REASON_SYMBOLS.get(r, '')} {labels.AGENDA_REASON_LABELS.get(r, r)}" for r in reasons
    )


def duration_text(minutes: int) -> str:
    """« 45 min », « 1 h 05 », « 2 h »."""
    hours, rest = divmod(max(minutes, 0), 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h {rest:02d}" if rest else f"{hours} h"


def clock_text(minutes: int) -> str:
    """When a point starts, from the start of the meeting: « 0 h 00 », « 1 h 05 »."""
    hours, rest = divmod(max(minutes, 0), 60)
    return f"{hours} h {rest:02d}"


def show(user: CurrentUser, detail: MeetingDetail, today: date) -> None:
    with db.session() as session:
        items = committee_queries.agenda(session, user, detail.id, today)
        actions = committee_queries.convention_actions(session, user, detail.convention_id)
        changes = committee_queries.changes_since_previous(session, user, detail.id)
        parked = committee_queries.parked_points(session, user, detail.id)
        offered = committee_queries.backlog(session, user, detail.id) if detail.can_run else []
        suggestions = committee_queries.attendee_suggestions(session, user, detail.convention_id)
    error = st.session_state.pop(ERROR_KEY, None)
    if error is not None:
        show_error(error)

    timing = committee_queries.agenda_timing(items, detail)
    title, refresh = st.columns([3, 1], vertical_alignment="bottom")
    title.subheader(f"Ordre du jour · {len(items)} point(s)")
    if detail.can_run:
        refresh.button(
            "Actualiser depuis le plan",
            icon=":material/refresh:",
            key="agenda-refresh",
            width="stretch",
            help="Ajoute les actions qui le justifient désormais, retire celles qui ne le "
            "justifient plus (sauf si déjà revues), garde votre ordre.",
            on_click=_run,
            args=(committee.refresh_agenda, user, detail.id),
            kwargs={"today": today, "seen_version": detail.agenda_version},
        )
    total = (
        f"**{duration_text(timing.total)} prévues** pour une réunion de "
        f"{duration_text(timing.planned)}"
    )
    if timing.overrun:
        st.warning(
            f"{total} : **⚠ dépassement de {duration_text(timing.overrun)}**. Raccourcissez "
            "des points ou reportez-en à la prochaine réunion.",
            icon=":material/timer:",
        )
    else:
        st.markdown(f":material/timer: {total} : l'ordre du jour tient dans le temps prévu.")
    st.caption(
        "Construit automatiquement : actions en retard, avec un point de vigilance, à échéance "
        "dans les 3 mois, ou modifiées depuis le dernier comité clôturé. Réordonnez avec ↑ ↓, "
        "ajustez la durée et l'intervenant (:material/edit:), reportez un point à la prochaine "
        "réunion (:material/pause_circle:)."
    )
    if not items:
        st.info("L'ordre du jour est vide.", icon=":material/inbox:")
    for n, item in enumerate(items):
        _agenda_row(user, detail, item, n, len(items), timing.starts[n])

    if detail.can_run:
        _add_point(user, detail, items, actions)
    _backlog(user, detail, parked, offered)
    _participants(user, detail, suggestions)
    changes_since(detail, changes)
    _compare_meetings(user, detail)


def _agenda_row(
    user: CurrentUser,
    detail: MeetingDetail,
    item: committee_queries.AgendaRow,
    n: int,
    total: int,
    starts: int,
) -> None:
    can_run = detail.can_run
    version = {"seen_version": detail.agenda_version}
    with st.container(border=True):
        cols = st.columns(
            [0.55, 1.3, 6, 4, 2.4] + ([0.7, 0.7, 0.7, 0.7, 0.7] if can_run else []),
            vertical_alignment="center",
        )
        cols[0].markdown(f"**{n + 1}.**")
        cols[1].markdown(f"{clock_text(starts)}  \n**{item.planned_minutes} min**")
        name = f"**{md(item.code)}** — {md(item.title)}" if item.code else f"**{md(item.title)}**"
        if item.presenter:
            name += f"  \nprésenté par {md(item.presenter)}"
        cols[2].markdown(name)
        cols[3].markdown(reasons_text(item.reasons) or "—")
        state = status_text(item.status) if item.status else "Point libre"
        if item.action_id is not None:
            state += f" · {item.progress} %"
        if item.reviewed:
            state += " · ✓ revu"
        cols[4].markdown(state)
        if not can_run:
            return
        cols[5].button(
            "",
            icon=":material/arrow_upward:",
            type="tertiary",
            key=f"agenda-up-{item.item_id}",
            help="Monter",
            disabled=n == 0,
            on_click=_run,
            args=(committee.move_agenda_item, user, item.item_id, -1),
            kwargs=version,
        )
        cols[6].button(
            "",
            icon=":material/arrow_downward:",
            type="tertiary",
            key=f"agenda-down-{item.item_id}",
            help="Descendre",
            disabled=n == total - 1,
            on_click=_run,
            args=(committee.move_agenda_item, user, item.item_id, +1),
            kwargs=version,
        )
        with cols[7].popover("", icon=":material/edit:", help="Durée et intervenant"):
            _timing_form(user, detail, item)
        cols[8].button(
            "",
            icon=":material/pause_circle:",
            type="tertiary",
            key=f"agenda-park-{item.item_id}",
            help="Reporter à la prochaine réunion",
            on_click=_run,
            args=(committee.park_agenda_item, user, item.item_id),
            kwargs={**version, "done": "Point reporté : la prochaine réunion le proposera."},
        )
        cols[9].button(
            "",
            icon=":material/close:",
            type="tertiary",
            key=f"agenda-remove-{item.item_id}",
            help="Retirer de l'ordre du jour",
            on_click=_run,
            args=(committee.remove_agenda_item, user, item.item_id),
            kwargs={**version, "done": "Point retiré de l'ordre du jour."},
        )


def _timing_form(
    user: CurrentUser, detail: MeetingDetail, item: committee_queries.AgendaRow
) -> None:
    base = f"agenda-time-{item.item_id}-{detail.agenda_version}"
    with st.form(base, border=False, enter_to_submit=False):
        minutes = st.text_input(
            "Durée prévue (min)", value=str(item.planned_minutes), max_chars=4, key=f"{base}-m"
        )
        presenter = st.text_input(
            "Présenté par", value=item.presenter, max_chars=200, key=f"{base}-p"
        )
        if st.form_submit_button("Enregistrer", icon=":material/save:"):
            change = {}
            if minutes.strip() != str(item.planned_minutes):
                change["planned_minutes"] = minutes
            if presenter.strip() != item.presenter:
                change["presenter"] = presenter
            _run(
                committee.update_agenda_item,
                user,
                item.item_id,
                change,
                seen_version=detail.agenda_version,
                done="Point mis à jour.",
            )
            st.rerun()


def _add_point(
    user: CurrentUser,
    detail: MeetingDetail,
    items: list[committee_queries.AgendaRow],
    actions: list[tuple],
) -> None:
    listed = {i.action_id for i in items}
    choices = {a_id: f"{code} — {title}" for a_id, code, title in actions if a_id not in listed}
    with (
        st.expander("Ajouter un point", icon=":material/playlist_add:"),
        st.form("agenda-add", border=False, enter_to_submit=False),
    ):
        action_id = st.selectbox(
            "Action du plan",
            [FREE_POINT, *choices],
            format_func=lambda a: "Point libre (sans action)" if a == FREE_POINT else choices[a],
            filter_mode=None,
        )
        title = st.text_input(
            "Intitulé du point libre", max_chars=200, placeholder="Questions diverses"
        )
        minutes, presenter = st.columns(2)
        planned = minutes.text_input(
            "Durée prévue (min)", max_chars=4, placeholder="selon le motif"
        )
        by = presenter.text_input("Présenté par", max_chars=200)
        if st.form_submit_button("Ajouter à la fin", icon=":material/add:"):
            _run(
                committee.add_agenda_item,
                user,
                detail.id,
                action_id=None if action_id == FREE_POINT else action_id,
                title=title,
                planned_minutes=planned or None,
                presenter=by,
                seen_version=detail.agenda_version,
                done="Point ajouté à l'ordre du jour.",
            )
            st.rerun()


def _backlog(
    user: CurrentUser,
    detail: MeetingDetail,
    parked: list[committee_queries.ParkedPoint],
    offered: list[committee_queries.ParkedPoint],
) -> None:
    if not parked and not offered:
        return
    st.markdown("### Points reportés")
    version = {"seen_version": detail.agenda_version}
    for point in offered:
        text, action = st.columns([5, 1.4], vertical_alignment="center")
        name = f"{md(point.code)} — {md(point.title)}" if point.code else md(point.title)
        text.markdown(f"{name} · reporté au {md(point.meeting)} · {point.planned_minutes} min")
        action.button(
            "Reprendre",
            icon=":material/playlist_add:",
            key=f"agenda-take-{point.item_id}",
            width="stretch",
            on_click=_run,
            args=(committee.take_up_parked, user, detail.id, point.item_id),
            kwargs={**version, "done": "Point repris à l'ordre du jour."},
        )
    for point in parked:
        text, action = st.columns([5, 1.4], vertical_alignment="center")
        name = f"{md(point.code)} — {md(point.title)}" if point.code else md(point.title)
        text.markdown(f"{name} · reporté pendant cette réunion : la prochaine le proposera")
        if detail.can_run:
            action.button(
                "Remettre",
                icon=":material/undo:",
                key=f"agenda-unpark-{point.item_id}",
                width="stretch",
                on_click=_run,
                args=(committee.unpark_agenda_item, user, point.item_id),
                kwargs={**version, "done": "Point remis à l'ordre du jour."},
            )


# --- participants and presence ------------------------------------------------------------


def _participants(user: CurrentUser, detail: MeetingDetail, suggestions: list[str]) -> None:
    count = len(detail.attendees)
    present = sum(1 for a in detail.attendance.values() if a is Attendance.present)
    label = f"Participants · {count}" + (f" · {present} présent(s)" if detail.attendance else "")
    with st.expander(label, icon=":material/groups:"):
        if not detail.can_run:
            for name in detail.attendees:
                shown = detail.attendance.get(name)
                st.markdown(f"- {md(name)}" + (f" — {shown.label}" if shown else ""))
            if not detail.attendees:
                st.caption("Aucun participant renseigné.")
            return
        _attendance_form(user, detail)
        _invite_form(user, detail, suggestions)


def _attendance_form(user: CurrentUser, detail: MeetingDetail) -> None:
    if not detail.attendees:
        st.caption("Aucun participant : ajoutez-en ci-dessous.")
        return
    base = f"attendance-{detail.id}-{detail.version}"
    with st.form(base, border=False, enter_to_submit=False):
        st.markdown("**Présence**")
        chosen = {}
        for n, name in enumerate(detail.attendees):
            shown = detail.attendance.get(name)
            chosen[name] = st.segmented_control(
                md(name),
                [a.value for a in Attendance],
                format_func=lambda a: Attendance(a).label,
                default=shown.value if shown else None,
                key=f"{base}-{n}",
            )
        if st.form_submit_button("Enregistrer la présence", icon=":material/how_to_reg:"):
            marked = {name: value for name, value in chosen.items() if value}
            _run(
                committee.record_attendance,
                user,
                detail.id,
                detail.version,
                {"attendance": marked},
                done="Présence enregistrée.",
            )
            st.rerun()


def attendee_choices(key: str, suggestions: list[str], chosen: list[str]) -> list[str]:
    """Names picked one by one among the suggestions (no « select all »), plus names typed
    one per line."""
    picked = st.pills(
        "Choisir parmi les personnes connues",
        suggestions,
        format_func=md,  # a name is text, never Markdown
        selection_mode="multi",
        default=[s for s in suggestions if s in chosen],
        key=f"{key}-known",
    )
    typed = st.text_area(
        "Autres participants (un par ligne)",
        value="\n".join(c for c in chosen if c not in suggestions),
        height=80,
        key=f"{key}-typed",
    )
    return [*picked, *typed.splitlines()]


def _invite_form(user: CurrentUser, detail: MeetingDetail, suggestions: list[str]) -> None:
    base = f"invite-{detail.id}-{detail.version}"
    with st.form(base, border=False, enter_to_submit=False):
        st.markdown("**Liste des participants**")
        attendees = attendee_choices(base, suggestions, detail.attendees)
        if st.form_submit_button("Enregistrer la liste", icon=":material/group_add:"):
            _run(
                committee.update_meeting,
                user,
                detail.id,
                detail.version,
                {"attendees": attendees},
                done="Liste des participants enregistrée.",
            )
            st.rerun()


# --- what changed ---------------------------------------------------------------------------


def changes_since(detail: MeetingDetail, changes: list[committee_queries.Evolution]) -> None:
    """« Ce qui a changé depuis le dernier comité »: the empty message and the table come from
    the same list."""
    since = f" ({md(detail.previous_label)})" if detail.previous_label else ""
    with st.expander(f"Ce qui a changé depuis le dernier comité{since}", icon=":material/update:"):
        if detail.previous_id is None:
            st.caption("Aucun comité clôturé avant celui-ci : pas de point de comparaison.")
        if not changes:
            st.caption("Aucune action n'a été modifiée depuis.")
            return
        st.caption(f"{len(changes)} action(s) modifiée(s).")
        evolution_table(changes)


def evolution_frame(changes: list[committee_queries.Evolution]) -> pd.DataFrame:
    """One row per action, old → new; user text escaped (the cells are Markdown)."""

    def arrow(before: Any, after: Any, fmt: Callable[[Any], str]) -> str:
        if after is None:
            return ""
        return fmt(after) if before is None else f"{fmt(before)} → {fmt(after)}"

    return pd.DataFrame(
        [
            {
                "Action": f"{md(e.code)} — {md(e.title)}" + (" (nouvelle)" if e.new else ""),
                "Statut": arrow(e.status_before, e.status_after, status_text),
                "Avancement": arrow(e.progress_before, e.progress_after, lambda p: f"{p} %"),
                "Vigilance": "" if e.vigilance is None else (md(e.vigilance) or "levée"),
                "Commentaires": " / ".join(md(c) for c in e.comments),
                "Par": ", ".join(md(p) for p in e.people),
            }
            for e in changes
        ],
        columns=["Action", "Statut", "Avancement", "Vigilance", "Commentaires", "Par"],
    )


def evolution_table(changes: list[committee_queries.Evolution]) -> None:
    """A static table: no toolbar, so no English menu and no spreadsheet download."""
    st.table(evolution_frame(changes), hide_index=True, border="horizontal")


def _compare_meetings(user: CurrentUser, detail: MeetingDetail) -> None:
    with st.expander("Comparer deux comités clôturés", icon=":material/compare:"):
        with db.session() as session:
            closed = committee_queries.closed_meetings(session, user, detail.convention_id)
        if not closed:
            st.caption("Aucun comité clôturé : la comparaison sera possible après une clôture.")
            return
        by_id = {m.id: m for m in closed}
        earlier, later = st.columns(2)
        start = earlier.selectbox(
            "Depuis",
            list(by_id),
            format_func=lambda i: by_id[i].name,
            key=f"compare-from-{detail.id}",
            filter_mode=None,
        )
        end = later.selectbox(
            "Jusqu'à",
            [NOW, *[i for i in by_id if by_id[i].held_on >= by_id[start].held_on and i != start]],
            format_func=lambda i: "maintenant" if i == NOW else by_id[i].name,
            key=f"compare-to-{detail.id}",
            filter_mode=None,
        )
        with db.session() as session:
            moved = committee_queries.changes_between_meetings(
                session, user, start, None if end == NOW else end
            )
        if not moved:
            st.caption("Aucune action n'a changé entre ces deux moments.")
            return
        st.caption(f"{len(moved)} action(s) ont changé.")
        evolution_table(moved)
