"""Comité — préparer, animer sur écran partagé et clôturer un COPIL ou un COTECH.

Deep links: `?convention=12&reunion=34`.
"""

import streamlit as st

from ctg_core.committee import commands as committee
from ctg_core.committee import queries as committee_queries
from ctg_core.common import config, db, settings
from ctg_core.common.errors import CtgError
from ctg_core.common.models import ConventionPhase, MeetingKind, MeetingStatus
from ctg_core.plan import queries as plan_queries
from ui import agenda_view, minutes_view, presentation_view
from ui.auth import current_user
from ui.convention_picker import pick_convention, readable_refs
from ui.feedback import show_error
from ui.form_feedback import flash, show_flash
from ui.plain_text import md
from ui.url import requested_id

MODES = {
    "prepare": ":material/checklist: Préparer",
    "present": ":material/co_present: Présenter",
    "minutes": ":material/description: Compte rendu",
}

user = current_user()
today = config.today()
show_flash()

conventions = readable_refs(user)
if not conventions:
    st.title("Comité")
    st.info("Aucune convention n'est visible avec votre profil.", icon=":material/info:")
    st.stop()


running = [c.id for c in conventions if c.phase is ConventionPhase.pilotage]

top_left, top_right = st.columns([3, 2], vertical_alignment="bottom")
with top_left:
    st.title("Comité")
convention_column, pick_meeting = st.columns(2)
convention_id = pick_convention(
    conventions,
    lambda c: f"{c.territory_name} — {c.title}",
    fallback=running[0] if running else conventions[0].id,
    where=convention_column,
)

with db.session() as session:
    header = plan_queries.convention_header(session, user, convention_id)
    rows = committee_queries.meetings_of(session, user, convention_id)
    suggestions = committee_queries.attendee_suggestions(session, user, convention_id)
    fictitious = settings.holds_demo_data(session)

# --- creating a meeting -------------------------------------------------------------------


def _create_form() -> None:
    with st.form("new-meeting", border=False):
        kind = st.radio(
            "Type de comité",
            list(MeetingKind),
            format_func=lambda k: k.label,
            horizontal=True,
            help="COPIL : élus, direction Caf, partenaires (décisions). COTECH : techniciens.",
        )
        held_on = st.date_input("Date", value=today, format="DD/MM/YYYY")
        place = st.text_input("Lieu", max_chars=200)
        chosen = st.multiselect(
            "Participants",
            suggestions,
            accept_new_options=True,
            placeholder="Choisissez dans la liste ou tapez un nom",
        )
        others = st.text_area("Autres participants (un par ligne)", height=80)
        submitted = st.form_submit_button(
            "Créer la réunion et son ordre du jour", type="primary", icon=":material/add:"
        )
    if not submitted:
        return
    data = {
        "kind": kind,
        "held_on": held_on,
        "place": place,
        "attendees": [*chosen, *others.splitlines()],
    }
    try:
        with db.session(write=True) as session:
            meeting = committee.create_meeting(session, user, convention_id, data, today=today)
    except CtgError as error:
        show_error(error)
        return
    flash(f"{meeting.kind.label} créé, ordre du jour préparé à partir du plan d'actions.")
    st.query_params["reunion"] = str(meeting.id)
    st.session_state.pop("comite-mode", None)
    st.rerun()


if header.can_edit_plan:
    box = (
        # Keyed by the number of meetings: a new popover (closed) once one is created.
        top_right.popover(
            "Nouvelle réunion", icon=":material/add:", width="stretch", key=f"new-{len(rows)}"
        )
        if rows
        else st.container(border=True)
    )
    with box:
        if not rows:
            st.markdown("#### Nouvelle réunion")
        _create_form()

if not rows:
    st.info(
        "Aucun comité n'est encore enregistré pour cette convention."
        + ("" if header.can_edit_plan else " Seuls les animateurs du plan peuvent en créer."),
        icon=":material/groups:",
    )
    st.stop()

# --- choosing a meeting ----------------------------------------------------------------------

meeting_ids = [m.id for m in rows]
labels = {m.id: m.label for m in rows}
meeting_id = requested_id("reunion")
if meeting_id not in labels:
    live = [m.id for m in rows if m.status is not MeetingStatus.closed]
    meeting_id = live[0] if live else meeting_ids[0]
meeting_id = pick_meeting.selectbox(
    "Réunion", meeting_ids, index=meeting_ids.index(meeting_id), format_func=labels.get
)
st.query_params["reunion"] = str(meeting_id)

with db.session() as session:
    detail = committee_queries.meeting_detail(session, user, meeting_id)

default_mode = "minutes" if detail.status is MeetingStatus.closed else "prepare"
if st.session_state.get("comite-mode-for") != meeting_id:
    st.session_state["comite-mode"] = default_mode
    st.session_state["comite-mode-for"] = meeting_id
mode = st.segmented_control(
    "Mode", list(MODES), format_func=MODES.get, key="comite-mode", required=True
)

facts = [f"**{detail.status.label}**"]
if detail.place:
    facts.append(md(detail.place))
facts.append(f"{len(detail.attendees)} participant(s)")
if detail.previous_label:
    facts.append(f"comité précédent : {md(detail.previous_label)}")
if mode != "present":
    st.header(detail.title, divider="gray")
    st.markdown(" · ".join(facts))
if not detail.can_run and detail.status is not MeetingStatus.closed:
    st.caption("Consultation seule : l'animation est réservée aux pilotes de la convention.")

if mode == "prepare":
    agenda_view.show(user, detail, today)
elif mode == "present":
    presentation_view.show(user, meeting_id, today)
else:
    minutes_view.show(user, detail, today, fictitious=fictitious)
