"""The compte rendu: built from the meeting, rendered to Markdown, DOCX and PDF, read back."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import docx
import pypdf
import pytest

from ctg_core.committee import commands as committee
from ctg_core.committee import minutes
from ctg_core.common.models import Role
from tests.conftest import TODAY

NOW = datetime(2026, 11, 25, 16, 30, tzinfo=UTC)
TRICKY = "Vœu n°2 : *urgent* <b>gras</b> [lien](http://x) # pas un titre — coût 12 500 €"


@pytest.fixture
def officer(world):
    return world.user(Role.coop_officer, name="Nadia Officier", territories=[world.territory()])


@pytest.fixture
def held_meeting(session, world, officer):
    convention = world.convention(title="CTG Nantes Métropole 2025-2028")
    first = world.action(convention, "PE-01", title="Relais petite enfance", progress=20)
    second = world.action(convention, "EJ-01", title="Espace jeunes", vigilance="Local")
    meeting = committee.create_meeting(
        session,
        officer,
        convention.id,
        {
            "kind": "copil",
            "held_on": date(2026, 11, 25),
            "place": "Hôtel de Métropole",
            "attendees": ["Anne Le Goff", "Loïc Guého"],
        },
        today=TODAY,
    )
    committee.quick_update(
        session,
        officer,
        meeting.id,
        first.id,
        1,
        {"progress": 60, "status": "en_cours", "last_comment": "Ouverture en janvier"},
        decision="Relancer la commune avant le 15/12",
    )
    committee.quick_update(
        session, officer, meeting.id, second.id, 1, {"status": "suspendue", "vigilance": ""}
    )
    committee.record_decision(session, officer, meeting.id, TRICKY)
    committee.update_meeting(
        session,
        officer,
        meeting.id,
        1,
        {"next_steps": "Bilan d'étape au COTECH", "next_meeting_on": date(2027, 3, 15)},
    )
    return meeting


@pytest.fixture
def model(session, officer, held_meeting):
    return minutes.build_minutes(session, officer, held_meeting.id, today=TODAY, now=NOW)


def test_the_model_holds_attendees_decisions_updates_and_next_steps(model):
    assert model.title == "COPIL n° 1 du 25 novembre 2026"
    assert model.attendees == ["Anne Le Goff", "Loïc Guého"]
    assert [d.text for d in model.decisions] == ["Relancer la commune avant le 15/12", TRICKY]
    assert model.decisions[0].action == "PE-01 — Relais petite enfance"
    assert [(u.action, u.changes) for u in model.updates] == [
        ("EJ-01 — Espace jeunes", ["Statut : En cours → Suspendue", "Point de vigilance : levé"]),
        (
            "PE-01 — Relais petite enfance",
            ["Avancement : 20 % → 60 %", "Commentaire : Ouverture en janvier"],
        ),
    ]
    assert model.updates[0].people == ["Nadia Officier"]
    assert model.next_meeting_on == date(2027, 3, 15)


def test_markdown_escapes_user_text(model):
    text = minutes.to_markdown(model)
    assert "# Compte rendu — COPIL n° 1 du 25 novembre 2026" in text
    assert (
        "- **Décision :** Relancer la commune avant le 15/12 "
        "*(action PE-01 — Relais petite enfance)*"
    ) in text
    assert "\\*urgent\\*" in text
    assert "\\<b\\>gras\\</b\\>" in text
    assert "\\[lien\\](http://x)" in text
    assert "    - Avancement : 20 % → 60 %" in text
    assert "Prochaine réunion : 15 mars 2027" in text


def test_markdown_escapes_only_what_markdown_reads_as_markup():
    assert minutes.escape_markdown("St-Gildas-des-Bois : 15/12, 1 234,5 €") == (
        "St-Gildas-des-Bois : 15/12, 1 234,5 €"
    )
    assert minutes.escape_markdown("# titre") == "\\# titre"
    assert minutes.escape_markdown("- puce\n2. liste\n---") == "\\- puce  \n2\\. liste  \n\\---"
    assert (
        minutes.escape_markdown("a_b *c* `d` &amp; | e") == "a\\_b \\*c\\* \\`d\\` &amp;amp; \\| e"
    )


def test_docx_reads_back_with_decisions_and_updates(model):
    document = docx.Document(io.BytesIO(minutes.to_docx(model)))
    paragraphs = [p.text for p in document.paragraphs]

    assert paragraphs[0] == "Compte rendu — COPIL n° 1 du 25 novembre 2026"
    assert (
        "Décision : Relancer la commune avant le 15/12 (action PE-01 — Relais petite enfance)"
        in paragraphs
    )
    assert f"Décision : {TRICKY}" in paragraphs
    assert "Avancement : 20 % → 60 %" in paragraphs
    assert "Statut : En cours → Suspendue" in paragraphs
    assert "Anne Le Goff" in paragraphs
    assert "Bilan d'étape au COTECH" in paragraphs


def test_docx_and_pdf_carry_the_app_and_the_meeting_as_metadata(model):
    properties = docx.Document(io.BytesIO(minutes.to_docx(model))).core_properties
    subject = "COPIL n° 1 du 25 novembre 2026 — CTG Nantes Métropole 2025-2028 (Nantes Métropole)"
    assert (properties.title, properties.subject) == (
        "Compte rendu — COPIL n° 1 du 25 novembre 2026",
        subject,
    )
    assert (properties.author, properties.last_modified_by) == ("CTG Pilotage", "CTG Pilotage")
    assert "python-docx" not in properties.comments
    metadata = pypdf.PdfReader(io.BytesIO(minutes.to_pdf(model))).metadata
    assert (metadata.title, metadata.subject, metadata.author) == (
        "Compte rendu — COPIL n° 1 du 25 novembre 2026",
        subject,
        "CTG Pilotage",
    )
    assert (metadata.creator, metadata.producer) == ("CTG Pilotage", "CTG Pilotage")


def test_pdf_reads_back_with_decisions_and_updates(model):
    assert minutes.unicode_font_dir() is not None, "apt-get install fonts-dejavu-core"
    reader = pypdf.PdfReader(io.BytesIO(minutes.to_pdf(model)))
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)

    assert "Compte rendu — COPIL n° 1 du 25 novembre 2026" in text
    assert "Relancer la commune avant le 15/12" in text
    assert "Vœu n°2 : *urgent* <b>gras</b>" in text
    assert "12 500 €" in text
    assert "Avancement : 20 % → 60 %" in text
    assert "Statut : En cours → Suspendue" in text
    assert "Loïc Guého" in text
    assert reader.metadata.title == "Compte rendu — COPIL n° 1 du 25 novembre 2026"


def test_pdf_without_a_unicode_font_still_renders_french_text(model):
    reader = pypdf.PdfReader(io.BytesIO(minutes.to_pdf(model, unicode=False)))
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    assert "Voeu n°2" in text
    assert "Avancement : 20 % -> 60 %" in text
    assert "Loïc Guého" in text


def test_text_stored_before_control_characters_were_refused_still_makes_a_valid_docx():
    assert minutes.clean("Vœu\x07 n°2\x00") == "Vœu n°2"


def test_attendance_is_in_the_minutes_grouped_by_presence(session, officer, held_meeting):
    committee.update_meeting(
        session, officer, held_meeting.id, 2, {"attendees": ["Anne Le Goff", "Loïc Guého", "Zoé"]}
    )
    committee.record_attendance(
        session,
        officer,
        held_meeting.id,
        3,
        {"attendance": {"Anne Le Goff": "present", "Loïc Guého": "excuse"}},
    )
    model = minutes.build_minutes(session, officer, held_meeting.id, today=TODAY, now=NOW)

    assert model.attendance_groups() == [
        ("Présents", ["Anne Le Goff"]),
        ("Excusés", ["Loïc Guého"]),
        ("Présence non renseignée", ["Zoé"]),
    ]
    text = minutes.to_markdown(model)
    assert "### Présents\n\n- Anne Le Goff\n\n### Excusés\n\n- Loïc Guého" in text
    paragraphs = [p.text for p in docx.Document(io.BytesIO(minutes.to_docx(model))).paragraphs]
    assert paragraphs[paragraphs.index("Excusés") + 1] == "Loïc Guého"


def test_minutes_options_leave_out_participants_evolutions_and_confidential_decisions(
    session, officer, held_meeting
):
    committee.record_decision(
        session,
        officer,
        held_meeting.id,
        {"text": "Enveloppe réservée au projet X", "confidential": True},
    )
    everything = minutes.build_minutes(
        session,
        officer,
        held_meeting.id,
        today=TODAY,
        now=NOW,
        options=minutes.MinutesOptions(attendees=True, evolutions=True, confidential=True),
    )
    default = minutes.build_minutes(session, officer, held_meeting.id, today=TODAY, now=NOW)
    bare = minutes.build_minutes(
        session,
        officer,
        held_meeting.id,
        today=TODAY,
        now=NOW,
        options=minutes.MinutesOptions(attendees=False, evolutions=False, confidential=False),
    )

    assert "Enveloppe réservée au projet X" in minutes.to_markdown(everything)
    assert "— *confidentielle*" in minutes.to_markdown(everything)
    assert "Enveloppe réservée" not in minutes.to_markdown(default)
    assert "## Évolutions depuis le dernier comité" in minutes.to_markdown(default)
    text = minutes.to_markdown(bare)
    assert "## Participants" not in text and "Anne Le Goff" not in text
    assert "Évolutions depuis" not in text
    pdf = pypdf.PdfReader(io.BytesIO(minutes.to_pdf(bare)))
    assert "Anne Le Goff" not in " ".join(page.extract_text() for page in pdf.pages)
