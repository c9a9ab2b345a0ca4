"""The Comité page through AppTest: create a meeting (it opens), its timed agenda, the
presenter opened by its address with quick updates typed the French way, refused input kept
with the French reason, conflicts, typed decisions, three meetings of the same day kept
apart, presence, the compte rendu read back from DOCX and PDF, and the closing."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import docx
import pypdf
import pytest
from sqlmodel import select
from streamlit.runtime.memory_media_file_storage import _calculate_file_id
from streamlit.testing.v1 import AppTest

from ctg_core.committee import commands as committee
from ctg_core.committee import queries as committee_queries
from ctg_core.common import db
from ctg_core.common.models import (
    Action,
    ActionStatus,
    ChangeLog,
    Decision,
    DecisionKind,
    Meeting,
    MeetingKind,
    MeetingStatus,
    PlanSnapshot,
    Role,
)
from ctg_core.plan import commands as plan_commands
from tests.conftest import TODAY  # the pages run on this day (CTG_TODAY)
from ui.minutes_view import documents_key
from ui.presentation_view import point_key

ROOT = Path(__file__).resolve().parents[2]


def page(user, **params) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["persona_id"] = user.id
    at.switch_page("pages/comite.py")
    for name, value in params.items():
        at.query_params[name] = str(value)
    return no_exception(at.run())


def present(user, meeting) -> AppTest:
    return page(user, reunion=meeting.id, mode="present")


def no_exception(at: AppTest) -> AppTest:
    assert not at.exception, at.exception
    return at


def stored(world, model, ident):
    """The row as the database holds it now (ends the test session's read snapshot)."""
    world.session.rollback()
    return world.session.get(model, ident, populate_existing=True)


def unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def heading(at: AppTest) -> str:
    """The point shown by the presenter (its `# code · title`)."""
    [shown] = [unescape(m.value[2:]) for m in at.markdown if m.value.startswith("# ")]
    return shown


def agenda_on_screen(at: AppTest) -> list[str]:
    """The codes of the agenda rows, in the order shown."""
    found = []
    for element in at.markdown:
        match = re.match(r"^\*\*(.+?)\*\* — ", element.value)
        if match:
            found.append(unescape(match.group(1)))
    return found


def save(at: AppTest) -> AppTest:
    [button] = [b for b in at.button if b.label.startswith("Enregistrer")]
    button.click()
    return no_exception(at.run())


def errors(at: AppTest) -> list[str]:
    return [unescape(e.value) for e in at.error]


@pytest.fixture
def officer(app_world):
    return app_world.user(
        Role.coop_officer, name="Nadia Officier", territories=[app_world.territory()], demo=True
    )


@pytest.fixture
def convention(app_world):
    return app_world.convention()


@pytest.fixture
def plan(app_world, convention):
    w, d = app_world, TODAY
    return {
        "PE-01": w.action(convention, "PE-01", due_on=d - timedelta(days=40)),  # late
        "PE-02": w.action(
            convention,
            "PE-02",
            due_on=d - timedelta(days=40),
            status=ActionStatus.realisee,
            progress=100,
        ),  # done: not late
        "EJ-01": w.action(convention, "EJ-01", due_on=d + timedelta(days=400), vigilance="Local"),
        "EJ-02": w.action(convention, "EJ-02", due_on=d + timedelta(days=30)),  # due soon
        "PA-01": w.action(convention, "PA-01", due_on=d + timedelta(days=400)),  # nothing to say
    }


@pytest.fixture
def meeting(app_world, officer, convention, plan):
    return committee.create_meeting(
        app_world.session,
        officer,
        convention.id,
        {"kind": "copil", "held_on": TODAY, "attendees": ["Anne Le Goff", "Loïc Guého"]},
        today=TODAY,
    )


# --- preparing --------------------------------------------------------------------------------


def test_a_meeting_is_created_opened_and_its_agenda_built(app_world, officer, plan):
    convention_id = plan["PE-01"].convention_id
    at = page(officer, convention=convention_id)
    assert "Aucun comité" in at.info[-1].value
    assert not at.multiselect and not at.date_input  # no « Select all », no English calendar

    at.radio[0].set_value(MeetingKind.cotech)
    [place] = [t for t in at.text_input if t.label == "Lieu"]
    place.set_value("Salle du conseil")
    [others] = [t for t in at.text_area if t.label == "Autres participants (un par ligne)"]
    others.set_value("Loïc Guého\n\n anne le goff \nAnne Le Goff")
    at.button(key="FormSubmitter:new-meeting-Créer la réunion et son ordre du jour").click()
    no_exception(at.run())

    app_world.session.rollback()
    [created] = app_world.session.exec(
        select(Meeting).where(Meeting.convention_id == convention_id)
    ).all()
    assert (created.kind, created.number, created.place, created.attendees) == (
        MeetingKind.cotech,
        1,
        "Salle du conseil",
        ["Loïc Guého", "anne le goff"],
    )
    assert (at.query_params["reunion"], at.query_params["mode"]) == (str(created.id), "prepare")
    assert agenda_on_screen(at) == ["PE-01", "EJ-01", "EJ-02"]
    assert "COTECH n° 1 créé" in at.toast[0].value


def test_a_meeting_date_is_typed_the_french_way_and_checked_by_the_core(officer, plan):
    at = page(officer, convention=plan["PE-01"].convention_id)
    [day] = [t for t in at.text_input if t.label == "Date"]
    assert day.value == "25/11/2026"
    day.set_value("31/02/2026")
    at.button(key="FormSubmitter:new-meeting-Créer la réunion et son ordre du jour").click()
    no_exception(at.run())
    assert "- Date doit être une date \\(JJ/MM/AAAA\\)\\." in [m.value for m in at.markdown]


def test_the_mode_is_kept_in_the_address(officer, meeting):
    at = page(officer, reunion=meeting.id)
    assert at.query_params["mode"] == "prepare"
    at.segmented_control(key=f"comite-mode-{meeting.id}-prepare").set_value("minutes")
    no_exception(at.run())
    assert at.query_params["mode"] == "minutes"
    assert "Compte rendu et suite" in [h.value for h in at.subheader]
    at.segmented_control(key=f"comite-mode-{meeting.id}-minutes").set_value("present")
    no_exception(at.run())
    assert at.query_params["mode"] == "present"
    assert heading(at) == "PE-01 · Action PE-01"


def test_the_facilitator_moves_a_point_down(app_world, officer, meeting):
    at = page(officer, reunion=meeting.id)
    first = committee_queries.agenda(app_world.session, officer, meeting.id, TODAY)[0]
    at.button(key=f"agenda-down-{first.item_id}").click()
    no_exception(at.run())
    assert agenda_on_screen(at) == ["EJ-01", "PE-01", "EJ-02"]


def test_the_agenda_says_its_length_against_the_meeting_and_flags_an_overrun(
    app_world, officer, meeting
):
    at = page(officer, reunion=meeting.id)
    assert any("23 min prévues** pour une réunion de 2 h" in m.value for m in at.markdown)
    committee.update_meeting(app_world.session, officer, meeting.id, 1, {"planned_minutes": 20})
    at = page(officer, reunion=meeting.id)
    assert "dépassement de 3 min" in at.warning[0].value


def test_an_agenda_changed_by_someone_else_is_refused_in_french(app_world, officer, meeting):
    at = page(officer, reunion=meeting.id)
    shown = committee_queries.agenda(app_world.session, officer, meeting.id, TODAY)
    colleague = app_world.user(Role.admin, name="Camille Admin")
    committee.move_agenda_item(app_world.session, colleague, shown[2].item_id, -1)

    at.button(key=f"agenda-remove-{shown[0].item_id}").click()
    no_exception(at.run())

    assert "Camille Admin a modifié l'ordre du jour" in at.warning[0].value
    assert agenda_on_screen(at) == ["PE-01", "EJ-02", "EJ-01"]  # nothing removed


def test_changes_since_the_last_committee_have_one_source(app_world, officer, convention, plan):
    previous = committee.create_meeting(
        app_world.session,
        officer,
        convention.id,
        {"kind": "copil", "held_on": TODAY - timedelta(days=60)},
        today=TODAY,
    )
    committee.close_meeting(app_world.session, officer, previous.id, 1)
    # A change that left no history (an import, or the demo's data): the plan moved anyway.
    moved = app_world.session.get(Action, plan["PA-01"].id)
    moved.progress = 50
    app_world.session.add(moved)
    app_world.session.commit()
    meeting = committee.create_meeting(
        app_world.session, officer, convention.id, {"kind": "copil", "held_on": TODAY}, today=TODAY
    )

    at = page(officer, reunion=meeting.id)
    captions = [c.value for c in at.caption]
    assert "Aucune action n'a été modifiée depuis." not in captions
    assert "1 action(s) modifiée(s)." in captions
    assert at.table[0].value.iloc[0]["Avancement"] == "20 % → 50 %"


def test_presence_is_recorded_from_the_page(app_world, officer, meeting):
    at = page(officer, reunion=meeting.id)
    base = f"attendance-{meeting.id}-1"
    at.segmented_control(key=f"{base}-0").set_value("present")
    at.segmented_control(key=f"{base}-1").set_value("excuse")
    at.button(key=f"FormSubmitter:{base}-Enregistrer la présence").click()
    no_exception(at.run())
    assert stored(app_world, Meeting, meeting.id).attendance == {
        "Anne Le Goff": "present",
        "Loïc Guého": "excuse",
    }


# --- presenting ------------------------------------------------------------------------------


def quick_base(meeting, action, version=1) -> str:
    return f"quick-{meeting.id}-{action.id}-{version}"


def test_the_presenter_opens_from_its_address_without_the_page_chrome(officer, meeting):
    at = present(officer, meeting)
    assert heading(at) == "PE-01 · Action PE-01"
    assert not at.title and not at.header  # no page title, no selectors
    assert not [s for s in at.selectbox if s.label in {"Convention", "Réunion"}]
    assert "display: none" in at.get("html")[0].proto.body


def test_progress_typed_as_42_percent_is_saved_as_42_and_moves_on(
    app_world, officer, meeting, plan
):
    action = plan["PE-01"]
    at = present(officer, meeting)
    base = quick_base(meeting, action)
    at.text_input(key=f"{base}-progress").set_value("42 %")
    at.text_area(key=f"{base}-last_comment").set_value("Ouverture reportée à janvier")
    save(at)

    saved = stored(app_world, Action, action.id)
    assert (saved.progress, saved.last_comment, saved.version) == (
        42,
        "Ouverture reportée à janvier",
        2,
    )
    [entry] = app_world.session.exec(
        select(ChangeLog).where(ChangeLog.entity == "action", ChangeLog.entity_id == action.id)
    ).all()
    assert entry.meeting_id == meeting.id
    assert "PE-01 : Avancement : 20 % → 42 %" in unescape(at.toast[0].value)
    assert at.session_state[point_key(meeting.id)] == 1
    assert heading(at) == "EJ-01 · Action EJ-01"


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("150", "L'avancement va de 0 à 100 %."),
        ("42,5", "L'avancement est un nombre entier, sans décimale (par exemple 40 %)."),
        ("beaucoup", "L'avancement doit être un nombre (par exemple 40 ou 40 %)."),
    ],
)
def test_a_refused_progress_says_why_next_to_it_keeps_the_input_and_stays(
    app_world, officer, meeting, plan, typed, message
):
    action = plan["PE-01"]
    at = present(officer, meeting)
    base = quick_base(meeting, action)
    at.text_input(key=f"{base}-progress").set_value(typed)
    at.text_area(key=f"{base}-last_comment").set_value("Mon commentaire")
    save(at)

    assert errors(at) == [message]
    assert at.text_input(key=f"{base}-progress").value == typed
    assert at.text_area(key=f"{base}-last_comment").value == "Mon commentaire"
    assert heading(at) == "PE-01 · Action PE-01"
    assert stored(app_world, Action, action.id).version == 1


def test_a_point_reviewed_without_change_takes_one_click(app_world, officer, meeting, plan):
    at = present(officer, meeting)
    save(at)
    assert "point revu, sans changement" in at.toast[0].value
    assert heading(at) == "EJ-01 · Action EJ-01"
    with db.session() as fresh:
        assert committee_queries.agenda(fresh, officer, meeting.id, TODAY)[0].reviewed
    assert stored(app_world, Action, plan["PE-01"].id).version == 1


def test_status_is_chosen_among_labelled_choices_and_checked_with_progress(
    app_world, officer, meeting, plan
):
    action = plan["PE-01"]
    at = present(officer, meeting)
    base = quick_base(meeting, action)
    [statuses] = [p for p in at.pills if p.key == f"{base}-status"]
    assert statuses.options == [
        "○ À venir",
        "◐ En cours",
        "✓ Réalisée",
        "‖ Suspendue",
        "✕ Abandonnée",
    ]
    statuses.set_value("realisee")
    save(at)
    assert errors(at) == ["Une action réalisée est avancée à 100 %."]
    at.text_input(key=f"{base}-progress").set_value("100")
    save(at)
    saved = stored(app_world, Action, action.id)
    assert (saved.status, saved.progress) == (ActionStatus.realisee, 100)


def test_a_conflict_in_session_shows_the_other_values_and_keeps_mine(
    app_world, officer, meeting, plan
):
    action = plan["PE-01"]
    at = present(officer, meeting)
    colleague = app_world.user(
        Role.coop_officer, name="Yann Collègue", territories=[app_world.territory()]
    )
    plan_commands.update_action(app_world.session, colleague, action.id, 1, {"progress": 45})

    at.text_input(key=f"{quick_base(meeting, action)}-progress").set_value("70")
    at.text_area(key=f"{quick_base(meeting, action)}-last_comment").set_value("Mon commentaire")
    save(at)

    assert "Yann Collègue a enregistré cette fiche" in at.warning[0].value
    fresh = quick_base(meeting, action, 2)
    assert at.text_input(key=f"{fresh}-progress").value == "70"
    assert at.text_area(key=f"{fresh}-last_comment").value == "Mon commentaire"
    assert stored(app_world, Action, action.id).progress == 45

    save(at)  # re-applied deliberately, on top of the version now seen
    assert stored(app_world, Action, action.id).progress == 70


def test_a_decision_to_carry_out_creates_its_fiche_from_the_presenter(
    app_world, officer, meeting, plan
):
    action = plan["EJ-02"]
    at = page(officer, reunion=meeting.id, mode="present")
    at.session_state[point_key(meeting.id)] = 2
    no_exception(at.run())
    assert heading(at) == "EJ-02 · Action EJ-02"
    base = quick_base(meeting, action)
    at.segmented_control(key=f"{base}-kind").set_value(DecisionKind.action.value)
    at.text_area(key=f"{base}-decision").set_value("Recruter un animateur jeunesse")
    at.selectbox(key=f"{base}-new_axis_id").set_value(app_world.axis("EJ").id)
    at.text_input(key=f"{base}-new_lead").set_value("Service jeunesse")
    at.text_input(key=f"{base}-new_due_on").set_value("30/06/2027")
    save(at)

    app_world.session.rollback()
    [decision] = app_world.session.exec(select(Decision)).all()
    fiche = app_world.session.get(Action, decision.created_action_id)
    assert (decision.kind, decision.action_id, decision.meeting_id) == (
        DecisionKind.action,
        action.id,
        meeting.id,
    )
    assert (fiche.code, fiche.title, fiche.lead) == (
        "EJ-03",
        "Recruter un animateur jeunesse",
        "Service jeunesse",
    )
    assert "fiche créée" in at.toast[0].value


def test_a_decision_to_carry_out_without_a_due_date_is_refused_and_kept(
    app_world, officer, meeting, plan
):
    at = present(officer, meeting)
    base = quick_base(meeting, plan["PE-01"])
    at.segmented_control(key=f"{base}-kind").set_value(DecisionKind.action.value)
    at.text_area(key=f"{base}-decision").set_value("Recruter")
    at.selectbox(key=f"{base}-new_axis_id").set_value(app_world.axis("PE").id)
    save(at)
    assert errors(at) == ["Donnez une échéance à l'action à mener."]
    assert at.text_area(key=f"{base}-decision").value == "Recruter"
    assert heading(at) == "PE-01 · Action PE-01"


def test_three_copil_on_the_same_day_each_take_their_own_updates(
    app_world, officer, convention, plan
):
    action = plan["PE-01"]
    meetings = [
        committee.create_meeting(
            app_world.session,
            officer,
            convention.id,
            {"kind": "copil", "held_on": TODAY},
            today=TODAY,
        )
        for _ in range(3)
    ]
    at = page(officer, reunion=meetings[1].id)
    [picker] = [s for s in at.selectbox if s.label == "Réunion"]
    assert picker.options == [
        "COPIL n° 3 du 25/11/2026 — Prévue",
        "COPIL n° 2 du 25/11/2026 — Prévue",
        "COPIL n° 1 du 25/11/2026 — Prévue",
    ]
    assert picker.value == meetings[1].id

    for version, (meeting, typed) in enumerate(zip(meetings, ("21", "22", "23"), strict=True), 1):
        at = present(officer, meeting)
        at.text_input(key=f"{quick_base(meeting, action, version)}-progress").set_value(typed)
        save(at)
    for meeting, progress in zip(meetings, (21, 22, 23), strict=True):
        [update] = committee_queries.updates_during(app_world.session, officer, meeting.id)
        assert update.progress_after == progress


def test_a_committee_member_follows_but_cannot_edit(app_world, meeting):
    member = app_world.user(Role.committee, territories=[app_world.territory()], demo=True)
    at = present(member, meeting)
    assert heading(at) == "PE-01 · Action PE-01"
    assert not [b for b in at.button if b.label.startswith("Enregistrer")]
    assert not at.text_input
    assert any("Consultation seule" in c.value for c in at.caption)


def test_a_closed_meeting_is_shown_read_only_in_the_presenter(app_world, officer, meeting):
    committee.close_meeting(app_world.session, officer, meeting.id, 1)
    at = present(officer, meeting)
    assert heading(at) == "PE-01 · Action PE-01"
    assert not [b for b in at.button if b.label.startswith("Enregistrer")]
    assert "Réunion clôturée : consultation seule." in [c.value for c in at.caption]


def test_a_free_point_takes_a_decision_and_is_marked_reviewed(app_world, officer, meeting):
    free = committee.add_agenda_item(
        app_world.session, officer, meeting.id, title="Questions diverses"
    )
    at = page(officer, reunion=meeting.id, mode="present")
    at.session_state[point_key(meeting.id)] = 3
    no_exception(at.run())
    assert heading(at) == "Questions diverses"
    at.text_area(key=f"free-{meeting.id}-{free.id}-decision").set_value("Date du forum : mai")
    save(at)

    app_world.session.rollback()
    [decision] = app_world.session.exec(select(Decision)).all()
    assert (decision.text, decision.action_id, decision.meeting_id) == (
        "Date du forum : mai",
        None,
        meeting.id,
    )
    with db.session() as fresh:
        assert committee_queries.agenda(fresh, officer, meeting.id, TODAY)[3].reviewed
    assert "décision enregistrée" in at.toast[0].value


def test_the_meeting_clock_starts_when_the_session_starts(app_world, officer, meeting):
    at = present(officer, meeting)
    assert any("2 h prévues" in m.value for m in at.markdown)
    at.button(key="presentation-start").click()
    no_exception(at.run())
    started = stored(app_world, Meeting, meeting.id)
    assert (started.status, started.started_at is not None) == (MeetingStatus.open, True)
    assert any("séance 0 min / 2 h" in m.value for m in at.markdown)


# --- the compte rendu and the closing -----------------------------------------------------------


def test_the_compte_rendu_holds_decisions_updates_and_presence_in_docx_and_pdf(
    app_world, officer, meeting, plan
):
    committee.quick_update(
        app_world.session, officer, meeting.id, plan["EJ-02"].id, 1, {"progress": 55}
    )
    committee.record_attendance(
        app_world.session, officer, meeting.id, 1, {"attendance": {"Anne Le Goff": "present"}}
    )
    at = page(officer, reunion=meeting.id, mode="minutes")
    base = f"decision-{meeting.id}-0"
    at.text_area(key=f"{base}-decision").set_value("Valider le calendrier 2027")
    at.button(key=f"FormSubmitter:{base}-Enregistrer la décision").click()
    no_exception(at.run())
    assert "Décision enregistrée." in at.toast[0].value

    at.button(key=f"{documents_key(meeting.id)}-make").click()
    no_exception(at.run())
    made = at.session_state[documents_key(meeting.id)]

    paragraphs = [p.text for p in docx.Document(io.BytesIO(made["docx"])).paragraphs]
    assert "Décision : Valider le calendrier 2027" in paragraphs
    assert "Avancement : 20 % → 55 %" in paragraphs
    assert paragraphs[paragraphs.index("Présents") + 1] == "Anne Le Goff"
    reader = pypdf.PdfReader(io.BytesIO(made["pdf"]))
    text = " ".join(" ".join(p.extract_text().split()) for p in reader.pages)
    assert "Valider le calendrier 2027" in text
    assert "Avancement : 20 % → 55 %" in text
    assert "Valider le calendrier 2027" in made["markdown"]
    pdf_button = at.download_button(key=f"{documents_key(meeting.id)}-pdf")
    pdf_id = _calculate_file_id(made["pdf"], "application/pdf", f"{made['stem']}.pdf")
    assert pdf_id in pdf_button.proto.url


def test_the_compte_rendu_leaves_out_what_the_options_leave_out(app_world, officer, meeting):
    committee.record_decision(
        app_world.session, officer, meeting.id, {"text": "Secret", "confidential": True}
    )
    at = page(officer, reunion=meeting.id, mode="minutes")
    key = documents_key(meeting.id)
    at.checkbox(key=f"{key}-attendees").uncheck()
    at.button(key=f"{key}-make").click()
    no_exception(at.run())
    made = at.session_state[key]
    assert "Anne Le Goff" not in made["markdown"]
    assert "Secret" not in made["markdown"]


def test_closing_asks_for_confirmation_listing_the_points_not_reviewed(
    app_world, officer, meeting, plan
):
    committee.quick_update(
        app_world.session, officer, meeting.id, plan["PE-01"].id, 1, {"progress": 30}
    )
    at = page(officer, reunion=meeting.id, mode="minutes")
    at.button(key=f"close-{meeting.id}").click()
    no_exception(at.run())
    assert "2 point(s) non revu(s) en séance :" in at.warning[-1].value
    assert any("EJ\\-01 — Action EJ\\-01" in m.value for m in at.markdown)
    at.button(key=f"close-{meeting.id}-confirm").click()
    no_exception(at.run())

    closed = stored(app_world, Meeting, meeting.id)
    assert closed.status is MeetingStatus.closed
    snaps = app_world.session.exec(
        select(PlanSnapshot).where(PlanSnapshot.meeting_id == meeting.id)
    ).all()
    assert len(snaps) == len(plan)
    assert "Réunion clôturée" in at.toast[0].value
    assert closed.closed_at.replace(tzinfo=UTC) <= datetime.now(UTC)
