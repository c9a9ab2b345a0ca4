"""Comité, mode « Préparer »: the agenda (reorder, add, remove, refresh), what changed since
the last committee, and the plan now against the last closed meeting."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from ctg_core.committee import commands as committee
from ctg_core.committee import queries as committee_queries
from ctg_core.committee.queries import MeetingDetail
from ctg_core.common import db, formats, labels
from ctg_core.common.auth import CurrentUser
from ctg_core.common.errors import CtgError
from ui.committee_text import REASON_SYMBOLS
from ui.feedback import show_error
from ui.form_feedback import flash
from ui.plain_text import md
from ui.plan_labels import status_text

ERROR_KEY = "agenda-error"
FREE_POINT = 0


def _run(service: Callable[..., Any], *args: Any, done: str = "", **kwargs: Any) -> None:
    """Callback: run one service in a write session; keep its error for the next run."""
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


def show(user: CurrentUser, detail: MeetingDetail, today: date) -> None:
    with db.session() as session:
        items = committee_queries.agenda(session, user, detail.id, today)
        actions = committee_queries.convention_actions(session, user, detail.convention_id)
        changes = committee_queries.changes_since_previous(session, user, detail.id)
    error = st.session_state.pop(ERROR_KEY, None)
    if error is not None:
        show_error(error)

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
            kwargs={"today": today},
        )
    st.caption(
        "Construit automatiquement : actions en retard, avec un point de vigilance, à échéance "
        "dans les 3 mois, ou modifiées depuis le dernier comité clôturé. "
        "Réordonnez avec ↑ ↓, complétez avec « Ajouter un point »."
    )
    if not items:
        st.info("L'ordre du jour est vide.", icon=":material/inbox:")
    for n, item in enumerate(items):
        _agenda_row(user, item, n, len(items), detail.can_run)

    if detail.can_run:
        _add_point(user, detail, items, actions)
    _changes_since(detail, changes)
    _snapshot_comparison(user, detail)


def _agenda_row(
    user: CurrentUser, item: committee_queries.AgendaRow, n: int, total: int, can_run: bool
) -> None:
    with st.container(border=True):
        cols = st.columns(
            [0.5, 6, 4, 2.4] + ([0.9, 0.9, 0.9] if can_run else []), vertical_alignment="center"
        )
        cols[0].markdown(f"**{n + 1}.**")
        name = f"**{md(item.code)}** — {md(item.title)}" if item.code else f"**{md(item.title)}**"
        cols[1].markdown(name)
        cols[2].markdown(reasons_text(item.reasons) or "—")
        state = status_text(item.status) if item.status else "Point libre"
        if item.action_id is not None:
            state += f" · {item.progress} %"
        if item.reviewed:
            state += " · ✓ revu"
        cols[3].markdown(state)
        if not can_run:
            return
        cols[4].button(
            "",
            icon=":material/arrow_upward:",
            type="tertiary",
            key=f"agenda-up-{item.item_id}",
            help="Monter",
            disabled=n == 0,
            on_click=_run,
            args=(committee.move_agenda_item, user, item.item_id, -1),
        )
        cols[5].button(
            "",
            icon=":material/arrow_downward:",
            type="tertiary",
            key=f"agenda-down-{item.item_id}",
            help="Descendre",
            disabled=n == total - 1,
            on_click=_run,
            args=(committee.move_agenda_item, user, item.item_id, +1),
        )
        cols[6].button(
            "",
            icon=":material/close:",
            type="tertiary",
            key=f"agenda-remove-{item.item_id}",
            help="Retirer de l'ordre du jour",
            on_click=_run,
            args=(committee.remove_agenda_item, user, item.item_id),
            kwargs={"done": "Point retiré de l'ordre du jour."},
        )


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
        st.form("agenda-add", border=False),
    ):
        action_id = st.selectbox(
            "Action du plan",
            [FREE_POINT, *choices],
            format_func=lambda a: "Point libre (sans action)" if a == FREE_POINT else choices[a],
        )
        title = st.text_input(
            "Intitulé du point libre", max_chars=200, placeholder="Questions diverses"
        )
        if st.form_submit_button("Ajouter à la fin", icon=":material/add:"):
            _run(
                committee.add_agenda_item,
                user,
                detail.id,
                action_id=None if action_id == FREE_POINT else action_id,
                title=title,
                done="Point ajouté à l'ordre du jour.",
            )
            st.rerun()


def _changes_since(detail: MeetingDetail, changes: list[committee_queries.Evolution]) -> None:
    since = f" ({detail.previous_label})" if detail.previous_label else ""
    with st.expander(f"Ce qui a changé depuis le dernier comité{since}", icon=":material/update:"):
        if detail.previous_id is None:
            st.caption("Aucun comité clôturé avant celui-ci : pas de point de comparaison.")
            return
        if not changes:
            st.caption("Aucune action n'a été modifiée depuis.")
            return
        st.dataframe(evolution_frame(changes), hide_index=True, width="stretch")


def evolution_frame(changes: list[committee_queries.Evolution]) -> pd.DataFrame:
    def arrow(before: Any, after: Any, fmt: Callable[[Any], str]) -> str:
        return "" if after is None else f"{fmt(before)} → {fmt(after)}"

    return pd.DataFrame(
        [
            {
                "Action": f"{e.code} — {e.title}",
                "Statut": arrow(e.status_before, e.status_after, status_text),
                "Avancement": arrow(e.progress_before, e.progress_after, lambda p: f"{p} %"),
                "Commentaires": " / ".join(e.comments),
                "Par": ", ".join(e.people),
                "Modifications": e.updates,
            }
            for e in changes
        ]
    )


def _snapshot_comparison(user: CurrentUser, detail: MeetingDetail) -> None:
    with st.expander("Le plan maintenant et au dernier comité clôturé", icon=":material/compare:"):
        with db.session() as session:
            closed = committee_queries.closed_meetings(session, user, detail.convention_id)
        if not closed:
            st.caption("Aucun comité clôturé : la comparaison sera possible après une clôture.")
            return
        by_id = {m.id: m for m in closed}
        chosen = st.selectbox(
            "Comparer avec",
            list(by_id),
            format_func=lambda i: f"{by_id[i].kind.label} du {formats.day(by_id[i].held_on)}",
            key=f"snapshot-{detail.id}",
        )
        with db.session() as session:
            frame = committee_queries.compare_with_snapshot(
                session, user, detail.convention_id, chosen
            )
        st.dataframe(snapshot_frame(frame), hide_index=True, width="stretch")


def snapshot_frame(frame: pd.DataFrame) -> pd.DataFrame:
    def status(value: Any) -> str:
        return status_text(value) if isinstance(value, str) and value else "(nouvelle)"

    def progress(value: Any) -> str:
        return "" if pd.isna(value) else f"{int(value)} %"

    return pd.DataFrame(
        {
            "Action": frame["code"] + " — " + frame["title"],
            "Statut alors": frame["status_then"].map(status),
            "Statut maintenant": frame["status_now"].map(status),
            "Avancement alors": frame["progress_then"].map(progress),
            "Avancement maintenant": frame["progress_now"].map(progress),
            "Écart": frame["progress_delta"].map(
                lambda d: "" if pd.isna(d) else f"{int(d):+d} pts"
            ),
            "Vigilance alors": frame["vigilance_then"].fillna(""),
            "Vigilance maintenant": frame["vigilance_now"],
        }
    )
