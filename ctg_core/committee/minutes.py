"""The compte rendu of a committee: one model built from queries, three renderings
(Markdown, DOCX through python-docx, PDF through fpdf2).

User text is data in every format: Markdown special characters are escaped, characters
that XML (DOCX) cannot hold are dropped, and the PDF writes plain text cells (never its
markdown mode). The PDF needs a Unicode TrueType font: DejaVu Sans, which `make setup` fetches into
``static/fonts/dejavu`` (npm ``dejavu-fonts-ttf``), else the system's copy (Debian package
``fonts-dejavu-core``) or the directory in ``CTG_PDF_FONT_DIR``; without it
the PDF falls back to a core font and replaces what Latin-1 cannot print.
"""

from __future__ import annotations

import io
import os
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from docx import Document
from docx.shared import Pt
from fpdf import FPDF
from sqlmodel import Session

from ctg_core.committee import queries as committee_queries
from ctg_core.common import config, formats
from ctg_core.common.auth import CurrentUser
from ctg_core.common.history import change_text

FONT_DIRS = (
    str(config.PROJECT_ROOT / "static" / "fonts" / "dejavu"),  # put there by `make setup`
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/dejavu",
    "/usr/local/share/fonts/dejavu",
)
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}


# --- the model ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DecisionLine:
    text: str
    action: str  # "PE-01 — Relais petite enfance" or ""


@dataclass(frozen=True)
class UpdateLine:
    action: str
    changes: list[str]  # "Statut : En cours → Réalisée"
    people: list[str]


@dataclass(frozen=True)
class Minutes:
    title: str
    convention: str
    territory: str
    held_on: date
    place: str
    status: str
    attendees: list[str]
    agenda: list[str]
    decisions: list[DecisionLine]
    updates: list[UpdateLine]
    minutes: str
    next_steps: str
    next_meeting_on: date | None
    generated_at: datetime
    fictitious: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def file_stem(self) -> str:
        slug = unicodedata.normalize("NFKD", f"{self.title} {self.territory}")
        slug = re.sub(r"[^A-Za-z0-9]+", "-", slug.encode("ascii", "ignore").decode()).strip("-")
        return f"compte-rendu-{slug.lower()}"


def update_lines(evolution: committee_queries.Evolution) -> list[str]:
    """The changes of one action as French sentences, old → new."""
    lines = []
    if evolution.status_after is not None:
        lines.append(change_text("status", evolution.status_before, evolution.status_after))
    if evolution.progress_after is not None:
        lines.append(change_text("progress", evolution.progress_before, evolution.progress_after))
    lines.extend(f"Commentaire : {c}" for c in evolution.comments)
    if evolution.vigilance is not None:
        lines.append(f"Point de vigilance : {evolution.vigilance or 'levé'}")
    return lines


def build_minutes(
    session: Session,
    user: CurrentUser,
    meeting_id: int,
    *,
    today: date,
    now: datetime,
    fictitious: bool = False,
) -> Minutes:
    """Gather everything the compte rendu says about a meeting (the user must read it)."""
    detail = committee_queries.meeting_detail(session, user, meeting_id)
    items = committee_queries.agenda(session, user, meeting_id, today)
    updates = committee_queries.updates_during(session, user, meeting_id)
    return Minutes(
        title=detail.title,
        convention=detail.convention_title,
        territory=detail.territory_name,
        held_on=detail.held_on,
        place=detail.place,
        status=detail.status.label,
        attendees=detail.attendees,
        agenda=[f"{i.code} — {i.title}" if i.code else i.title for i in items],
        decisions=[
            DecisionLine(d.text, f"{d.action_code} — {d.action_title}" if d.action_code else "")
            for d in detail.decisions
        ],
        updates=[UpdateLine(f"{e.code} — {e.title}", update_lines(e), e.people) for e in updates],
        minutes=detail.minutes,
        next_steps=detail.next_steps,
        next_meeting_on=detail.next_meeting_on,
        generated_at=now,
        fictitious=fictitious,
    )


# --- cleaning user text ---------------------------------------------------------------------

_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def clean(text: str) -> str:
    """Text without the control characters no format can hold; newlines kept."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _XML_INVALID.sub("", text)


def escape_markdown(text: str) -> str:
    """User text as literal Markdown: the same escaping as the pages (`formats`)."""
    return formats.markdown_text(clean(text))


def one_line(text: str) -> str:
    return " ".join(clean(text).split())


# --- Markdown ---------------------------------------------------------------------------------


def _header_facts(m: Minutes) -> list[tuple[str, str]]:
    facts = [
        ("Convention", m.convention),
        ("Territoire", m.territory),
        ("Date", formats.long_day(m.held_on)),
    ]
    if m.place:
        facts.append(("Lieu", m.place))
    facts.append(("État", m.status))
    return facts


def to_markdown(m: Minutes) -> str:
    e = escape_markdown
    out = [f"# Compte rendu — {e(m.title)}", ""]
    if m.fictitious:
        out += ["*Données de démonstration : fictives.*", ""]
    out += [f"- **{label} :** {e(one_line(value))}" for label, value in _header_facts(m)]
    out += ["", "## Participants", ""]
    out += [f"- {e(one_line(a))}" for a in m.attendees] or ["Aucun participant renseigné."]
    out += ["", "## Ordre du jour", ""]
    out += [f"{n}. {e(one_line(item))}" for n, item in enumerate(m.agenda, 1)] or ["Aucun point."]
    out += ["", "## Décisions", ""]
    for d in m.decisions:
        suffix = f" *(action {e(one_line(d.action))})*" if d.action else ""
        out.append(f"- {e(one_line(d.text))}{suffix}")
    if not m.decisions:
        out.append("Aucune décision enregistrée.")
    out += ["", "## Mises à jour pendant la séance", ""]
    for u in m.updates:
        out.append(f"- **{e(one_line(u.action))}** ({e(', '.join(u.people))})")
        out += [f"    - {e(one_line(line))}" for line in u.changes]
    if not m.updates:
        out.append("Aucune mise à jour pendant la séance.")
    if m.minutes.strip():
        out += ["", "## Compte rendu des échanges", "", e(m.minutes.strip())]
    out += ["", "## Prochaines étapes", ""]
    out.append(e(m.next_steps.strip()) if m.next_steps.strip() else "À définir.")
    if m.next_meeting_on:
        out += ["", f"Prochaine réunion : {formats.long_day(m.next_meeting_on)}."]
    out += ["", f"*Généré le {formats.moment(m.generated_at)} par CTG Pilotage.*", ""]
    return "\n".join(out)


# --- DOCX -------------------------------------------------------------------------------------


def to_docx(m: Minutes) -> bytes:
    doc = Document()
    doc.core_properties.title = clean(f"Compte rendu — {m.title}")
    doc.core_properties.language = "fr-FR"
    doc.styles["Normal"].font.size = Pt(11)
    doc.add_heading(clean(f"Compte rendu — {m.title}"), level=0)
    if m.fictitious:
        doc.add_paragraph().add_run("Données de démonstration : fictives.").italic = True
    for label, value in _header_facts(m):
        paragraph = doc.add_paragraph()
        paragraph.add_run(f"{label} : ").bold = True
        paragraph.add_run(one_line(value))

    def bullets(lines: list[str], empty: str) -> None:
        for line in lines:
            doc.add_paragraph(one_line(line), style="List Bullet")
        if not lines:
            doc.add_paragraph(empty)

    doc.add_heading("Participants", level=1)
    bullets(m.attendees, "Aucun participant renseigné.")
    doc.add_heading("Ordre du jour", level=1)
    for item in m.agenda:
        doc.add_paragraph(one_line(item), style="List Number")
    if not m.agenda:
        doc.add_paragraph("Aucun point.")
    doc.add_heading("Décisions", level=1)
    bullets(
        [f"{d.text} (action {d.action})" if d.action else d.text for d in m.decisions],
        "Aucune décision enregistrée.",
    )
    doc.add_heading("Mises à jour pendant la séance", level=1)
    for u in m.updates:
        paragraph = doc.add_paragraph(style="List Bullet")
        paragraph.add_run(one_line(u.action)).bold = True
        paragraph.add_run(f" ({one_line(', '.join(u.people))})")
        for line in u.changes:
            doc.add_paragraph(one_line(line), style="List Bullet 2")
    if not m.updates:
        doc.add_paragraph("Aucune mise à jour pendant la séance.")
    if m.minutes.strip():
        doc.add_heading("Compte rendu des échanges", level=1)
        for block in clean(m.minutes).strip().split("\n\n"):
            doc.add_paragraph(block.strip())
    doc.add_heading("Prochaines étapes", level=1)
    doc.add_paragraph(clean(m.next_steps).strip() or "À définir.")
    if m.next_meeting_on:
        doc.add_paragraph(f"Prochaine réunion : {formats.long_day(m.next_meeting_on)}.")
    doc.add_paragraph().add_run(
        f"Généré le {formats.moment(m.generated_at)} par CTG Pilotage."
    ).italic = True
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


# --- PDF --------------------------------------------------------------------------------------


def unicode_font_dir() -> Path | None:
    """A directory holding DejaVu Sans (regular and bold), or None."""
    candidates = [os.environ.get("CTG_PDF_FONT_DIR", ""), *FONT_DIRS]
    for candidate in candidates:
        if candidate and all((Path(candidate) / f).is_file() for f in FONT_FILES.values()):
            return Path(candidate)
    return None


_LATIN1_FALLBACK = str.maketrans(
    {"’": "'", "‘": "'", "“": '"', "”": '"', "…": "...", "—": "-", "–": "-", "→": "->",
     "œ": "oe", "Œ": "OE", "€": "EUR", "\u202f": " "}
)  # fmt: skip


class _MinutesPdf(FPDF):
    def __init__(self, font_dir: Path | None) -> None:
        super().__init__(format="A4")
        self.has_unicode_font = font_dir is not None
        if font_dir is not None:
            for style, name in FONT_FILES.items():
                self.add_font("DejaVu", style, str(font_dir / name))
            self.face = "DejaVu"
        else:
            self.face = "helvetica"
        self.set_margins(18, 18, 18)
        self.set_auto_page_break(True, margin=18)

    def text_of(self, text: str) -> str:
        text = clean(text)
        if self.has_unicode_font:
            return text
        return text.translate(_LATIN1_FALLBACK).encode("latin-1", "replace").decode("latin-1")

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(self.face, size=8)
        self.cell(0, 6, f"Page {self.page_no()}", align="C")

    def heading(self, text: str, size: int = 14) -> None:
        self.ln(3)
        self.set_font(self.face, "B", size)
        self.multi_cell(0, size * 0.5, self.text_of(text), align="L", new_x="LMARGIN")
        self.ln(1)
        self.set_font(self.face, size=11)

    def para(self, text: str, *, indent: float = 0, bold_prefix: str = "") -> None:
        self.set_x(self.l_margin + indent)
        width = self.w - self.r_margin - self.l_margin - indent
        if bold_prefix:
            self.set_font(self.face, "B", 11)
            self.write(5.5, self.text_of(bold_prefix))
            self.set_font(self.face, size=11)
            self.write(5.5, self.text_of(text))
            self.ln(6)
            return
        self.multi_cell(width, 5.5, self.text_of(text), align="L", new_x="LMARGIN")

    def bullets(self, lines: list[str], empty: str, *, mark: str = "•", indent: float = 0) -> None:
        for line in lines:
            self.para(f"{mark} {one_line(line)}", indent=indent)
        if not lines:
            self.para(empty, indent=indent)


def to_pdf(m: Minutes, *, font_dir: Path | None = None, unicode: bool = True) -> bytes:
    """The compte rendu as PDF; `unicode=False` forces the core-font fallback."""
    pdf = _MinutesPdf((font_dir or unicode_font_dir()) if unicode else None)
    pdf.set_title(pdf.text_of(f"Compte rendu — {m.title}"))
    pdf.set_lang("fr")
    pdf.set_creator("CTG Pilotage")
    pdf.add_page()
    pdf.heading(f"Compte rendu — {m.title}", size=18)
    if m.fictitious:
        pdf.para("Données de démonstration : fictives.")
    for label, value in _header_facts(m):
        pdf.para(one_line(value), bold_prefix=f"{label} : ")
    pdf.heading("Participants")
    pdf.bullets(m.attendees, "Aucun participant renseigné.")
    pdf.heading("Ordre du jour")
    pdf.bullets([f"{n}. {a}" for n, a in enumerate(m.agenda, 1)], "Aucun point.", mark="")
    pdf.heading("Décisions")
    pdf.bullets(
        [f"{d.text} (action {d.action})" if d.action else d.text for d in m.decisions],
        "Aucune décision enregistrée.",
    )
    pdf.heading("Mises à jour pendant la séance")
    for u in m.updates:
        pdf.para(f" ({one_line(', '.join(u.people))})", bold_prefix=f"• {one_line(u.action)}")
        pdf.bullets(u.changes, "", mark="–", indent=6)
    if not m.updates:
        pdf.para("Aucune mise à jour pendant la séance.")
    if m.minutes.strip():
        pdf.heading("Compte rendu des échanges")
        pdf.para(m.minutes.strip())
    pdf.heading("Prochaines étapes")
    pdf.para(m.next_steps.strip() or "À définir.")
    if m.next_meeting_on:
        pdf.para(f"Prochaine réunion : {formats.long_day(m.next_meeting_on)}.")
    pdf.ln(4)
    pdf.set_font(pdf.face, size=9)
    pdf.para(f"Généré le {formats.moment(m.generated_at)} par CTG Pilotage.")
    return bytes(pdf.output())
