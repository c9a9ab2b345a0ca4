"""The Comité page through AppTest: create a meeting, its agenda, a quick update in
presentation mode linked to the meeting, a conflict that keeps the input, the compte rendu
read back from DOCX and PDF."""

from __future__ import annotations

import io
import re
from datetime import timedelta
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
    return at.run()


def no_exception(at: AppTest) -> AppTest:
    assert not at.exception, at.exception
    return at


def stored(world, model, ident):
    """The row as the database holds it now (ends the test session's read snapshot)."""
    world.session.rollback()
    return world.session.get(model, ident, populate_existing=True)


def unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def agenda_on_screen(at: AppTest) -> list[str]:
    """The codes of the agenda rows, in the order shown."""
    found = []
    for element in at.markdown:
        match = re.match(r"^\*\*(.+?)\*\* — ", element.value)
        if match:
            found.append(unescape(match.group(1)))
    return found


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
        {"kind": "copil", "held_on": TODAY, "attendees": ["Anne Le Goff"]},
        today=TODAY,
    )


def test_a_meeting_is_created_with_exactly_the_expected_agenda(app_world, officer, plan):
    convention_id = plan["PE-01"].convention_id
    at = no_exception(page(officer, convention=convention_id))
    assert "Aucun comité" in at.info[-1].value

    at.radio[0].set_value(MeetingKind.cotech)
    at.text_input[0].set_value("Salle du conseil")
    at.multiselect[0].set_value(["Anne Le Goff"])
    at.text_area[0].set_value("Loïc Guého\n\n anne le goff ")
    at.button(key="FormSubmitter:new-meeting-Créer la réunion et son ordre du jour").click()
    no_exception(at.run())

    app_world.session.rollback()
    [created] = app_world.session.exec(
        select(Meeting).where(Meeting.convention_id == convention_id)
    ).all()
    assert (created.kind, created.place, created.attendees) == (
        MeetingKind.cotech,
        "Salle du conseil",
        ["Anne Le Goff", "Loïc Guého"],
    )
    assert at.query_params["reunion"] == str(created.id)
    assert agenda_on_screen(at) == ["PE-01", "EJ-01", "EJ-02"]
    assert "COTECH créé" in at.toast[0].value


def test_an_invalid_meeting_is_refused_in_french(officer, plan):
    at = page(officer, convention=plan["PE-01"].convention_id)
    at.date_input[0].set_value(None)
    at.button(key="FormSubmitter:new-meeting-Créer la réunion et son ordre du jour").click()
    no_exception(at.run())
    assert "- Date est obligatoire\\." in [m.value for m in at.markdown]


def test_the_facilitator_moves_a_point_down(app_world, officer, meeting):
    at = page(officer, convention=meeting.convention_id, reunion=meeting.id)
    first = committee_queries.agenda(app_world.session, officer, meeting.id, TODAY)[0]
    at.button(key=f"agenda-down-{first.item_id}").click()
    no_exception(at.run())
    assert agenda_on_screen(at) == ["EJ-01", "PE-01", "EJ-02"]


def present(at: AppTest) -> AppTest:
    at.segmented_control(key="comite-mode").set_value("present")
    return no_exception(at.run())


def submit_quick_update(at: AppTest) -> AppTest:
    [button] = [b for b in at.button if b.label.startswith("Enregistrer et passer")]
    button.click()
    return no_exception(at.run())


def test_a_quick_update_in_presentation_mode_saves_linked_to_the_meeting_and_moves_on(
    app_world, officer, meeting, plan
):
    action = plan["PE-01"]
    at = present(page(officer, convention=meeting.convention_id, reunion=meeting.id))
    assert any(m.value.startswith("# 1. PE\\-01") for m in at.markdown)

    base = f"quick-{meeting.id}-{action.id}-1"
    at.number_input(key=f"{base}-progress").set_value(60)
    at.text_area(key=f"{base}-last_comment").set_value("Ouverture reportée à janvier")
    at.text_area(key=f"{base}-decision").set_value("Relancer la commune")
    submit_quick_update(at)

    saved = stored(app_world, Action, action.id)
    assert (saved.progress, saved.last_comment, saved.version) == (
        60,
        "Ouverture reportée à janvier",
        2,
    )
    [entry] = app_world.session.exec(
        select(ChangeLog).where(ChangeLog.entity == "action", ChangeLog.entity_id == action.id)
    ).all()
    assert entry.meeting_id == meeting.id
    [decision] = app_world.session.exec(select(Decision)).all()
    assert (decision.meeting_id, decision.action_id) == (meeting.id, action.id)
    assert "PE-01 : Avancement : 20 % → 60 %" in unescape(at.toast[0].value)
    assert at.session_state[point_key(meeting.id)] == 1
    assert any(m.value.startswith("# 2. EJ\\-01") for m in at.markdown)


def test_an_invalid_quick_update_keeps_the_input_and_says_why(app_world, officer, meeting, plan):
    action = plan["PE-01"]
    at = present(page(officer, convention=meeting.convention_id, reunion=meeting.id))
    base = f"quick-{meeting.id}-{action.id}-1"
    at.selectbox(key=f"{base}-status").set_value("realisee")
    at.text_area(key=f"{base}-last_comment").set_value("Terminé ?")
    submit_quick_update(at)

    assert "- Une action réalisée est avancée à 100 %\\." in [m.value for m in at.markdown]
    assert at.text_area(key=f"{base}-last_comment").value == "Terminé ?"
    assert at.session_state[point_key(meeting.id)] == 0
    assert stored(app_world, Action, action.id).version == 1


def test_a_conflict_in_session_shows_the_other_values_and_keeps_mine(
    app_world, officer, meeting, plan
):
    action = plan["PE-01"]
    at = present(page(officer, convention=meeting.convention_id, reunion=meeting.id))
    colleague = app_world.user(
        Role.coop_officer, name="Yann Collègue", territories=[app_world.territory()]
    )
    plan_commands.update_action(app_world.session, colleague, action.id, 1, {"progress": 45})

    base = f"quick-{meeting.id}-{action.id}-1"
    at.number_input(key=f"{base}-progress").set_value(70)
    at.text_area(key=f"{base}-last_comment").set_value("Mon commentaire")
    submit_quick_update(at)

    assert "Yann Collègue a enregistré cette fiche" in at.warning[0].value
    assert at.json[0].value == '{"Avancement": 45, "Commentaire": ""}'
    fresh = f"quick-{meeting.id}-{action.id}-2"
    assert at.number_input(key=f"{fresh}-progress").value == 70
    assert at.text_area(key=f"{fresh}-last_comment").value == "Mon commentaire"
    assert stored(app_world, Action, action.id).progress == 45

    submit_quick_update(at)  # re-applied deliberately, on top of the version now seen
    assert stored(app_world, Action, action.id).progress == 70
    operations = app_world.session.exec(
        select(ChangeLog.operation, ChangeLog.user_name)
        .where(ChangeLog.entity_id == action.id, ChangeLog.entity == "action")
        .order_by(ChangeLog.id)
    ).all()
    assert [tuple(o) for o in operations] == [
        ("update", "Yann Collègue"),
        ("conflict", "Nadia Officier"),
        ("update", "Nadia Officier"),
    ]


def test_re_applying_after_a_conflict_keeps_what_the_other_person_changed_elsewhere(
    app_world, officer, meeting, plan
):
    action = plan["PE-01"]
    at = present(page(officer, convention=meeting.convention_id, reunion=meeting.id))
    colleague = app_world.user(
        Role.coop_officer, name="Yann Collègue", territories=[app_world.territory()]
    )
    plan_commands.update_action(
        app_world.session, colleague, action.id, 1, {"vigilance": "Financement à confirmer"}
    )

    at.number_input(key=f"quick-{meeting.id}-{action.id}-1-progress").set_value(70)
    submit_quick_update(at)  # refused: the colleague saved first
    fresh = f"quick-{meeting.id}-{action.id}-2"
    assert at.text_area(key=f"{fresh}-vigilance").value == "Financement à confirmer"
    submit_quick_update(at)

    saved = stored(app_world, Action, action.id)
    assert (saved.progress, saved.vigilance) == (70, "Financement à confirmer")


def test_the_compte_rendu_holds_decisions_and_updates_in_docx_and_pdf(
    app_world, officer, meeting, plan
):
    committee.quick_update(
        app_world.session, officer, meeting.id, plan["EJ-02"].id, 1, {"progress": 55}
    )
    at = page(officer, convention=meeting.convention_id, reunion=meeting.id)
    at.segmented_control(key="comite-mode").set_value("minutes")
    no_exception(at.run())
    [decision_box] = [t for t in at.text_area if t.label == "Nouvelle décision"]
    decision_box.set_value("Valider le calendrier 2027")
    [submit] = [b for b in at.button if b.label == "Enregistrer la décision"]
    submit.click()
    no_exception(at.run())
    assert "Décision enregistrée." in at.toast[0].value

    at.button(key=f"{documents_key(meeting.id)}-make").click()
    no_exception(at.run())
    made = at.session_state[documents_key(meeting.id)]

    paragraphs = [p.text for p in docx.Document(io.BytesIO(made["docx"])).paragraphs]
    assert "Valider le calendrier 2027" in paragraphs
    assert "Avancement : 20 % → 55 %" in paragraphs
    assert "Anne Le Goff" in paragraphs
    reader = pypdf.PdfReader(io.BytesIO(made["pdf"]))
    text = " ".join(" ".join(p.extract_text().split()) for p in reader.pages)
    assert "Valider le calendrier 2027" in text
    assert "Avancement : 20 % → 55 %" in text
    assert "Valider le calendrier 2027" in made["markdown"]
    # The download buttons serve exactly these bytes.
    pdf_button = at.download_button(key=f"{documents_key(meeting.id)}-pdf")
    pdf_id = _calculate_file_id(made["pdf"], "application/pdf", f"{made['stem']}.pdf")
    assert pdf_id in pdf_button.proto.url


def test_closing_from_the_page_freezes_the_plan(app_world, officer, meeting, plan):
    at = page(officer, convention=meeting.convention_id, reunion=meeting.id)
    at.segmented_control(key="comite-mode").set_value("minutes")
    no_exception(at.run())
    at.button(key=f"close-{meeting.id}").click()
    no_exception(at.run())
    at.button(key=f"close-{meeting.id}-confirm").click()
    no_exception(at.run())

    closed = stored(app_world, Meeting, meeting.id)
    assert closed.status is MeetingStatus.closed
    snaps = app_world.session.exec(
        select(PlanSnapshot).where(PlanSnapshot.meeting_id == meeting.id)
    ).all()
    assert len(snaps) == len(plan)
    assert "Réunion clôturée" in at.toast[0].value


def test_a_committee_member_follows_but_cannot_edit(app_world, meeting):
    member = app_world.user(Role.committee, territories=[app_world.territory()], demo=True)
    at = present(page(member, convention=meeting.convention_id, reunion=meeting.id))
    assert any(m.value.startswith("# 1. PE\\-01") for m in at.markdown)
    assert not [b for b in at.button if b.label.startswith("Enregistrer")]
    assert not at.number_input
    assert any("Consultation seule" in c.value for c in at.caption)


def test_a_free_point_takes_a_decision_and_is_marked_reviewed(app_world, officer, meeting):
    free = committee.add_agenda_item(
        app_world.session, officer, meeting.id, title="Questions diverses"
    )
    at = page(officer, convention=meeting.convention_id, reunion=meeting.id)
    at.session_state[point_key(meeting.id)] = 3
    present(at)
    assert any(m.value.startswith("# 4. Questions diverses") for m in at.markdown)
    at.text_area(key=f"free-{meeting.id}-{free.id}-decision").set_value("Date du forum : mai")
    [button] = [b for b in at.button if b.label.startswith("Enregistrer")]
    button.click()
    no_exception(at.run())

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
