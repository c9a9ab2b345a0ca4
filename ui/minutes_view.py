"""Comité, mode « Compte rendu »: participants and their presence, typed decisions, updates
made in session, what changed since the last committee, the minutes text, the documents
(Markdown, DOCX, PDF, with options) and the closing, confirmed with the points not reviewed."""

from __future__ import annotations

from datetime import date, datetime

import streamlit as st

from ctg_core.committee import commands as committee
from ctg_core.committee import minutes
from ctg_core.committee import queries as committee_queries
from ctg_core.committee.queries import MeetingDetail
from ctg_core.common import db, formats
from ctg_core.common.auth import CurrentUser
from ctg_core.common.models import DecisionKind, MeetingStatus
from ui.agenda_view import changes_since, evolution_table
from ui.confirm import ask, confirmation
from ui.decision_form import decision_fields, typed_decision
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
        items = committee_queries.agenda(session, user, detail.id, today)

    st.subheader("Participants")
    _attendees(detail)

    st.subheader(f"Décisions · {len(detail.decisions)}")
    for decision in detail.decisions:
        st.markdown(f"- {decision_text(decision)}")
    if not detail.decisions:
        st.caption("Aucune décision enregistrée.")
    if detail.can_run:
        _decision_form(user, detail, actions)

    st.subheader(f"Mises à jour pendant la séance · {len(updates)}")
    if updates:
        evolution_table(updates)
    else:
        st.caption("Aucune action mise à jour pendant la séance.")
    changes_since(detail, changes)

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
        _closing(user, detail, items)
    elif detail.status is MeetingStatus.closed and detail.closed_at:
        st.success(
            f"Réunion clôturée le {formats.moment(detail.closed_at)} : l'état du plan à "
            "cette date est conservé pour comparaison ; elle ne se modifie plus.",
            icon=":material/lock:",
        )


def _attendees(detail: MeetingDetail) -> None:
    if not detail.attendees:
        st.caption("Aucun participant renseigné.")
        return
    if not detail.attendance:
        st.markdown(", ".join(md(a) for a in detail.attendees))
        return
    groups: dict[str, list[str]] = {}
    for name in detail.attendees:
        shown = detail.attendance.get(name)
        groups.setdefault(shown.label if shown else "Présence non renseignée", []).append(md(name))
    st.markdown("  \n".join(f"**{label} :** {', '.join(names)}" for label, names in groups.items()))


def decision_text(decision: committee_queries.DecisionRow) -> str:
    """« **Action à mener :** text *(action PE-01)* → fiche créée : PE-07 — … » (escaped)."""
    text = f"**{decision.kind.label} :** {md(decision.text)}"
    if decision.action_code:
        text += f" *(action {md(decision.action_code)})*"
    if decision.created_action:
        text += f" → fiche créée : {md(decision.created_action)}"
    if decision.confidential:
        text += " · 🔒 confidentielle"
    return text


def _decision_form(user: CurrentUser, detail: MeetingDetail, actions: list[tuple]) -> None:
    choices = {a_id: f"{code} — {title}" for a_id, code, title in actions}
    # Keyed by the number of decisions: once one is saved, the form is empty again.
    base = f"decision-{detail.id}-{len(detail.decisions)}"
    with st.form(base, border=True, enter_to_submit=False):
        st.markdown("**Nouvelle décision**")
        action_id = st.selectbox(
            "Action concernée (facultatif)",
            [NO_ACTION, *choices],
            format_func=lambda a: "Aucune" if a == NO_ACTION else choices[a],
            filter_mode=None,
            key=f"{base}-about",
        )
        decision_fields(base, {"kind": DecisionKind.decision.value}, {}, expander=False)
        submitted = st.form_submit_button("Enregistrer la décision", icon=":material/gavel:")
    if submitted:
        typed = typed_decision(base) or {"text": ""}
        save(
            lambda session: committee.record_decision(
                session,
                user,
                detail.id,
                typed,
                action_id=None if action_id == NO_ACTION else action_id,
            ),
            done=lambda row: (
                "Décision enregistrée : fiche action créée dans le plan."
                if row.created_action_id
                else "Décision enregistrée."
            ),
        )


def _minutes_form(user: CurrentUser, detail: MeetingDetail) -> None:
    base = f"minutes-{detail.id}-{detail.version}"
    with st.form(base, enter_to_submit=False):
        minutes_text = st.text_area(
            "Compte rendu des échanges", value=detail.minutes, height=160, key=f"{base}-minutes"
        )
        next_steps = st.text_area(
            "Prochaines étapes", value=detail.next_steps, height=100, key=f"{base}-next"
        )
        next_on = st.text_input(
            "Prochaine réunion",
            value=formats.day(detail.next_meeting_on),
            placeholder="JJ/MM/AAAA",
            max_chars=10,
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
    with st.container(horizontal=True, gap="medium"):
        attendees = st.checkbox("Liste des participants", value=True, key=f"{key}-attendees")
        evolutions = st.checkbox(
            "Évolutions depuis le dernier comité", value=True, key=f"{key}-evolutions"
        )
        confidential = st.checkbox(
            "Décisions confidentielles", value=False, key=f"{key}-confidential"
        )
    if st.button("Générer le compte rendu", icon=":material/article:", key=f"{key}-make"):
        options = minutes.MinutesOptions(attendees, evolutions, confidential)
        with db.session() as session:
            model = minutes.build_minutes(
                session,
                user,
                detail.id,
                today=today,
                now=datetime.now(formats.PARIS),
                fictitious=fictitious,
                options=options,
            )
        st.session_state[key] = {
            "stem": model.file_stem,
            "at": model.generated_at,
            "options": options,
            "markdown": minutes.to_markdown(model),
            "docx": minutes.to_docx(model),
            "pdf": minutes.to_pdf(model),
        }
    made = st.session_state.get(key)
    if made is None:
        st.caption("Générez le compte rendu pour le télécharger en PDF, Word ou Markdown.")
        return
    left_out = [
        label
        for label, included in (
            ("participants", made["options"].attendees),
            ("évolutions", made["options"].evolutions),
        )
        if not included
    ]
    note = (
        " Décisions confidentielles incluses."
        if made["options"].confidential
        else " Décisions confidentielles exclues."
    )
    if left_out:
        note += f" Sans : {', '.join(left_out)}."
    st.caption(
        f"Généré le {formats.moment(made['at'])}.{note} Régénérez-le après de nouvelles saisies."
    )
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


def _closing(
    user: CurrentUser, detail: MeetingDetail, items: list[committee_queries.AgendaRow]
) -> None:
    st.divider()
    key = f"close-{detail.id}"
    st.button("Clôturer la réunion…", icon=":material/lock:", key=key, on_click=ask, args=(key,))
    st.caption(
        "La clôture fige l'état du plan d'actions à cette date : toute vue ultérieure pourra "
        "comparer « maintenant » avec ce comité. Une réunion clôturée ne se modifie plus."
    )
    pending = [i for i in items if not i.reviewed]

    def not_reviewed() -> None:
        if not pending:
            st.caption("Tous les points de l'ordre du jour ont été revus.")
            return
        st.warning(f"{len(pending)} point(s) non revu(s) en séance :", icon=":material/warning:")
        st.markdown(
            "\n".join(
                f"- {md(i.code)} — {md(i.title)}" if i.code else f"- {md(i.title)}" for i in pending
            )
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
        details=not_reviewed,
        write=lambda session: committee.close_meeting(session, user, detail.id, detail.version),
        done="Réunion clôturée : l'état du plan est conservé.",
    )
