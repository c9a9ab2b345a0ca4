"""Comité — préparer, animer sur écran partagé et clôturer un COPIL ou un COTECH.

Deep links: `?reunion=34&mode=present` opens the presenter on meeting 34 — a meeting is
always named by its number, never by its label — and `mode` is `prepare`, `present` or
`minutes`; `?convention=12` lists the meetings of a convention.
"""

import streamlit as st

from ctg_core.committee import commands as committee
from ctg_core.committee import queries as committee_queries
from ctg_core.committee.rules import MEETING_MINUTES
from ctg_core.common import config, db, formats, settings
from ctg_core.common.errors import CtgError
from ctg_core.common.models import ConventionPhase, MeetingKind, MeetingStatus
from ctg_core.plan import queries as plan_queries
from ui import agenda_view, minutes_view, presentation_view
from ui.agenda_view import attendee_choices, duration_text
from ui.auth import current_user
from ui.convention_picker import readable_refs
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

# --- the meeting asked for by the link: the presenter takes the whole screen ----------------

meeting_id = requested_id("reunion")
meeting_convention = None
if meeting_id is not None:
    try:
        with db.session() as session:
            meeting_convention = committee_queries.meeting_convention(session, user, meeting_id)
    except CtgError as error:
        show_error(error)
        meeting_id = None
if meeting_id is not None and st.query_params.get("mode") == "present":
    presentation_view.full_screen()
    presentation_view.show(user, meeting_id, today)
    st.stop()

show_flash()
conventions = readable_refs(user)
if not conventions:
    st.title("Comité")
    st.info("Aucune convention n'est visible avec votre profil.", icon=":material/info:")
    st.stop()

# --- choosing a convention and a meeting (by id) --------------------------------------------

by_convention = {c.id: c for c in conventions}
running = [c.id for c in conventions if c.phase is ConventionPhase.pilotage]
wanted = meeting_convention or requested_id("convention")
start = wanted if wanted in by_convention else (running[0] if running else conventions[0].id)

top_left, top_right = st.columns([3, 2], vertical_alignment="bottom")
top_left.title("Comité")
convention_column, meeting_column = st.columns(2)
labels = {c.id: f"{c.territory_name} — {c.title}" for c in conventions}  # kept by the widget
convention_id = convention_column.selectbox(
    "Convention",
    list(labels),
    index=list(labels).index(start),
    format_func=labels.__getitem__,
    filter_mode=None,
)
st.query_params["convention"] = str(convention_id)
if convention_id != meeting_convention:
    meeting_id = None  # another convention was picked: its own meetings

with db.session() as session:
    header = plan_queries.convention_header(session, user, convention_id)
    rows = committee_queries.meetings_of(session, user, convention_id)
    suggestions = committee_queries.attendee_suggestions(session, user, convention_id)
    fictitious = settings.holds_demo_data(session)


def _create_form() -> None:
    with st.form("new-meeting", border=False, enter_to_submit=False):
        kind = st.radio(
            "Type de comité",
            list(MeetingKind),
            format_func=lambda k: k.label,
            horizontal=True,
            help="COPIL : élus, direction Caf, partenaires (décisions). COTECH : techniciens.",
        )
        held_on, length = st.columns(2)
        day = held_on.text_input(
            "Date", value=formats.day(today), placeholder="JJ/MM/AAAA", max_chars=10
        )
        planned = length.text_input(
            "Durée prévue (min)",
            max_chars=4,
            placeholder=" / ".join(f"{k.label} {m}" for k, m in MEETING_MINUTES.items()),
        )
        place = st.text_input("Lieu", max_chars=200)
        attendees = attendee_choices("new-meeting", suggestions, [])
        submitted = st.form_submit_button(
            "Créer la réunion et son ordre du jour", type="primary", icon=":material/add:"
        )
    if not submitted:
        return
    data = {
        "kind": kind,
        "held_on": day,
        "place": place,
        "attendees": attendees,
        "planned_minutes": planned or None,
    }
    try:
        with db.session(write=True) as session:
            meeting = committee.create_meeting(session, user, convention_id, data, today=today)
    except CtgError as error:
        show_error(error)
        return
    flash(
        f"{meeting.kind.label} n° {meeting.number} créé, ordre du jour préparé à partir du "
        "plan d'actions."
    )
    st.query_params["reunion"] = str(meeting.id)  # creating a meeting opens it
    st.query_params["mode"] = "prepare"
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
            st.markdown("## Nouvelle réunion")
        _create_form()

if not rows:
    st.info(
        "Aucun comité n'est encore enregistré pour cette convention."
        + ("" if header.can_edit_plan else " Seuls les animateurs du plan peuvent en créer."),
        icon=":material/groups:",
    )
    st.stop()

by_meeting = {m.id: m for m in rows}
if meeting_id not in by_meeting:
    live = [m.id for m in rows if m.status is not MeetingStatus.closed]
    meeting_id = live[-1] if live else rows[0].id  # the next one to hold, else the last held
chosen = meeting_column.selectbox(
    "Réunion",
    list(by_meeting),
    index=list(by_meeting).index(meeting_id),
    format_func=lambda m: by_meeting[m].label,
    filter_mode=None,
)
if chosen != meeting_id:
    st.query_params.pop("mode", None)
meeting_id = chosen
st.query_params["reunion"] = str(meeting_id)

with db.session() as session:
    detail = committee_queries.meeting_detail(session, user, meeting_id)

# --- the mode, kept in the address ------------------------------------------------------------

default_mode = "minutes" if detail.closed else "prepare"
asked = st.query_params.get("mode", "")
mode = asked if asked in MODES else default_mode
st.query_params["mode"] = mode


def _switch_mode(key: str) -> None:
    st.query_params["mode"] = st.session_state[key]


mode_key = f"comite-mode-{meeting_id}-{mode}"
st.segmented_control(
    "Mode",
    list(MODES),
    default=mode,
    format_func=MODES.get,
    key=mode_key,
    required=True,
    on_change=_switch_mode,
    args=(mode_key,),
)

facts = [f"**{detail.status.label}**"]
if detail.place:
    facts.append(md(detail.place))
facts.append(f"{len(detail.attendees)} participant(s)")
facts.append(f"durée prévue {duration_text(detail.planned_minutes)}")
if detail.previous_label:
    facts.append(f"comité précédent : {md(detail.previous_label)}")
st.header(detail.title, divider="gray")
st.markdown(" · ".join(facts))
if detail.closed:
    st.caption("Réunion clôturée : consultation seule.")
elif not detail.can_run:
    st.caption("Consultation seule : l'animation est réservée aux pilotes de la convention.")

if mode == "prepare":
    agenda_view.show(user, detail, today)
else:
    minutes_view.show(user, detail, today, fictitious=fictitious)
