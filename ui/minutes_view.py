"""Comité, mode « Compte rendu »: decisions, updates made in session, what changed since the
last committee, the minutes text, the documents (Markdown, DOCX, PDF) and the closing."""

from __future__ import annotations

from datetime import date, datetime

import streamlit as st

from ctg_core.committee import commands as committee
from ctg_core.committee import minutes
from ctg_core.committee import queries as committee_queries
from ctg_core.committee.queries import MeetingDetail
from ctg_core.common import db, formats
from ctg_core.common.auth import CurrentUser
from ctg_core.common.models import MeetingStatus
from ui.agenda_view import evolution_frame
from ui.confirm import ask, confirmation
from ui.form_feedback import save
from ui.plain_text import md

NO_ACTION = 0


def documents_key(meeting_id: int) -> str:
    return f"compte-rendu-{meeting_id}"


def show(user: CurrentUser, detail: MeetingDetail, today: date, *, fictitious: bool) -> None:
    with db.session() as session:
        updates = committee_queries.updates_during(session, user, detail.id)
        changes = committee_queries.changes_since_previous(session, user, detail.id)
        actions = committee_queries.convention_actions(session, user, detail.convention_id)

    st.subheader("Participants")
    st.markdown(", ".join(md(a) for a in detail.attendees) or "Aucun participant renseigné.")

    st.subheader(f"Décisions · {len(detail.decisions)}")
    for decision in detail.decisions:
        about = f" *(action {md(decision.action_code)})*" if decision.action_code else ""
        st.markdown(f"- {md(decision.text)}{about}")
    if not detail.decisions:
        st.caption("Aucune décision enregistrée.")
    if detail.can_run:
        _decision_form(user, detail, actions)

    st.subheader(f"Mises à jour pendant la séance · {len(updates)}")
    if updates:
        st.dataframe(evolution_frame(updates), hide_index=True, width="stretch")
    else:
        st.caption("Aucune action mise à jour pendant la séance.")
    with st.expander("Ce qui a changé depuis le dernier comité", icon=":material/update:"):
        if changes:
            st.dataframe(evolution_frame(changes), hide_index=True, width="stretch")
        else:
            st.caption("Aucune modification sur la période.")

    st.subheader("Compte rendu et suite")
    if detail.can_run:
        _minutes_form(user, detail)
    else:
        st.markdown(md(detail.minutes) if detail.minutes else "*Pas de compte rendu rédigé.*")
        st.markdown(f"**Prochaines étapes :** {md(detail.next_steps) or '—'}")
        if detail.next_meeting_on:
            st.markdown(f"**Prochaine réunion :** {formats.long_day(detail.next_meeting_on)}")

    _documents(user, detail, today, fictitious)
    if detail.can_run:
        _closing(user, detail)
    elif detail.status is MeetingStatus.closed and detail.closed_at:
        st.success(
            f"Réunion clôturée le {formats.moment(detail.closed_at)} : l'état du plan à "
            "cette date est conservé pour comparaison.",
            icon=":material/lock:",
        )


def _decision_form(user: CurrentUser, detail: MeetingDetail, actions: list[tuple]) -> None:
    choices = {a_id: f"{code} — {title}" for a_id, code, title in actions}
    with st.form(f"decision-{detail.id}", clear_on_submit=True):
        text = st.text_area("Nouvelle décision", height=80)
        action_id = st.selectbox(
            "Action concernée (facultatif)",
            [NO_ACTION, *choices],
            format_func=lambda a: "Aucune" if a == NO_ACTION else choices[a],
        )
        submitted = st.form_submit_button("Enregistrer la décision", icon=":material/gavel:")
    if submitted:
        save(
            lambda session: committee.record_decision(
                session,
                user,
                detail.id,
                text,
                action_id=None if action_id == NO_ACTION else action_id,
            ),
            done="Décision enregistrée.",
        )


def _minutes_form(user: CurrentUser, detail: MeetingDetail) -> None:
    base = f"minutes-{detail.id}-{detail.version}"
    with st.form(base):
        minutes_text = st.text_area(
            "Compte rendu des échanges", value=detail.minutes, height=160, key=f"{base}-minutes"
        )
        next_steps = st.text_area(
            "Prochaines étapes", value=detail.next_steps, height=100, key=f"{base}-next"
        )
        next_on = st.date_input(
            "Prochaine réunion",
            value=detail.next_meeting_on,
            format="DD/MM/YYYY",
            key=f"{base}-next-on",
        )
        submitted = st.form_submit_button("Enregistrer le compte rendu", icon=":material/save:")
    if submitted:
        change = {"minutes": minutes_text, "next_steps": next_steps, "next_meeting_on": next_on}
        save(
            lambda session: committee.update_meeting(
                session, user, detail.id, detail.version, change
            ),
            done="Compte rendu enregistré.",
        )


def _documents(user: CurrentUser, detail: MeetingDetail, today: date, fictitious: bool) -> None:
    st.subheader("Documents")
    key = documents_key(detail.id)
    if st.button("Générer le compte rendu", icon=":material/article:", key=f"{key}-make"):
        with db.session() as session:
            model = minutes.build_minutes(
                session,
                user,
                detail.id,
                today=today,
                now=datetime.now(formats.PARIS),
                fictitious=fictitious,
            )
        st.session_state[key] = {
            "stem": model.file_stem,
            "at": model.generated_at,
            "markdown": minutes.to_markdown(model),
            "docx": minutes.to_docx(model),
            "pdf": minutes.to_pdf(model),
        }
    made = st.session_state.get(key)
    if made is None:
        st.caption("Générez le compte rendu pour le télécharger en PDF, Word ou Markdown.")
        return
    st.caption(f"Généré le {formats.moment(made['at'])}. Régénérez-le après de nouvelles saisies.")
    pdf, word, markdown = st.columns(3)
    pdf.download_button(
        "PDF",
        made["pdf"],
        file_name=f"{made['stem']}.pdf",
        mime="application/pdf",
        icon=":material/picture_as_pdf:",
        on_click="ignore",
        key=f"{key}-pdf",
    )
    word.download_button(
        "Word (DOCX)",
        made["docx"],
        file_name=f"{made['stem']}.docx",
        mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        icon=":material/description:",
        on_click="ignore",
        key=f"{key}-docx",
    )
    markdown.download_button(
        "Markdown",
        made["markdown"],
        file_name=f"{made['stem']}.md",
        mime="text/markdown",
        icon=":material/code:",
        on_click="ignore",
        key=f"{key}-md",
    )


def _closing(user: CurrentUser, detail: MeetingDetail) -> None:
    st.divider()
    key = f"close-{detail.id}"
    st.button("Clôturer la réunion…", icon=":material/lock:", key=key, on_click=ask, args=(key,))
    st.caption(
        "La clôture fige l'état du plan d'actions à cette date : toute vue ultérieure pourra "
        "comparer « maintenant » avec ce comité."
    )
    confirmation(
        key,
        title="Clôturer la réunion",
        question=(
            f"Clôturer le **{md(detail.title)}** ? L'état de chaque action est figé à cette "
            "date, et plus aucune mise à jour ne pourra être rattachée à cette réunion."
        ),
        confirm_label="Clôturer",
        icon=":material/lock:",
        write=lambda session: committee.close_meeting(session, user, detail.id, detail.version),
        done="Réunion clôturée : l'état du plan est conservé.",
    )
