"""The compte rendu of a committee: one model built from queries, three renderings
(Markdown, DOCX through python-docx, PDF through fpdf2). Options choose what it includes
(participants, evolutions since the last committee, confidential decisions); DOCX and PDF
carry the app and the meeting as document metadata.

User text is data in every format: what Markdown would read as markup is escaped (and only
that), characters that XML (DOCX) cannot hold are dropped, and the PDF writes plain text
cells (never its markdown mode). The PDF needs a Unicode TrueType font: DejaVu Sans, which
`make setup` fetches into ``static/fonts/dejavu`` (npm ``dejavu-fonts-ttf``), else the
system's copy (Debian package ``fonts-dejavu-core``) or the directory in
``CTG_PDF_FONT_DIR``; without it the PDF falls back to a core font and replaces what
Latin-1 cannot print.
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
from ctg_core.common.models import Attendance

FONT_DIRS = (
    str(config.PROJECT_ROOT / "static" / "fonts" / "dejavu"),  # put there by `make setup`
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/dejavu",
    "/usr/local/share/fonts/dejavu",
)
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
APP_NAME = "CTG Pilotage"


# --- the model ---------------------------------------------------------------------------


@dataclass(frozen=True)
class MinutesOptions:
    """What the compte rendu includes: the participants list, the « évolutions depuis le
    dernier comité » table, and decisions marked confidential (left out by default)."""

    attendees: bool = True
    evolutions: bool = True
    confidential: bool = False


@dataclass(frozen=True)
class DecisionLine:
    text: str
    action: str  # the action it is about: "PE-01 — Relais petite enfance" or ""
    kind: str = "Décision"
    created_action: str = ""  # the fiche an « action à mener » created
    confidential: bool = False

    @property
    def sentence(self) -> str:
        """« Action à mener : Ouvrir un relais (action PE-01 — …) → fiche créée : PE-07 — … »."""
        text = f"{self.kind} : {self.text}"
        if self.action:
            text += f" (action {self.action})"
        if self.created_action:
            text += f" → fiche créée : {self.created_action}"
        if self.confidential:
            text += " [confidentielle]"
        return text


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
    attendance: dict[str, str] = field(default_factory=dict)  # name → « Présent »…
    evolutions: list[UpdateLine] = field(default_factory=list)
    previous: str = ""  # « COPIL n° 2 du 21/01/2026 »
    options: MinutesOptions = field(default_factory=MinutesOptions)

    @property
    def file_stem(self) -> str:
        slug = unicodedata.normalize("NFKD", f"{self.title} {self.territory}")
        slug = re.sub(r"[^A-Za-z0-9]+", "-", slug.encode("ascii", "ignore").decode()).strip("-")
        return f"compte-rendu-{slug.lower()}"

    @property
    def document_title(self) -> str:
        return f"Compte rendu — {self.title}"

    @property
    def subject(self) -> str:
        """The meeting, as the document's metadata names it."""
        return f"{self.title} — {self.convention} ({self.territory})"

    def attendance_groups(self) -> list[tuple[str, list[str]]]:
        """Participants by presence (Présents, Excusés, Absents, not recorded); one group
        without a heading when no presence was recorded."""
        if not self.attendance:
            return [("", list(self.attendees))]
        groups: list[tuple[str, list[str]]] = []
        for label, heading in (
            (Attendance.present.label, "Présents"),
            (Attendance.excuse.label, "Excusés"),
            (Attendance.absent.label, "Absents"),
            ("", "Présence non renseignée"),
        ):
            names = [a for a in self.attendees if self.attendance.get(a, "") == label]
            if names:
                groups.append((heading, names))
        return groups


def update_lines(evolution: committee_queries.Evolution) -> list[str]:
    """The changes of one action as French sentences, old → new."""
    lines = []
    if evolution.new:
        lines.append("Nouvelle action")
    if evolution.status_after is not None:
        lines.append(change_text("status", evolution.status_before, evolution.status_after))
    if evolution.progress_after is not None:
        lines.append(change_text("progress", evolution.progress_before, evolution.progress_after))
    lines.extend(f"Commentaire : {c}" for c in evolution.comments)
    if evolution.vigilance is not None:
        lines.append(f"Point de vigilance : {evolution.vigilance or 'levé'}")
    return lines


def _update_line(evolution: committee_queries.Evolution) -> UpdateLine:
    return UpdateLine(
        f"{evolution.code} — {evolution.title}", update_lines(evolution), evolution.people
    )


def build_minutes(
    session: Session,
    user: CurrentUser,
    meeting_id: int,
    *,
    today: date,
    now: datetime,
    fictitious: bool = False,
    options: MinutesOptions | None = None,
) -> Minutes:
    """Gather everything the compte rendu says about a meeting (the user must read it)."""
    options = options or MinutesOptions()
    detail = committee_queries.meeting_detail(session, user, meeting_id)
    items = committee_queries.agenda(session, user, meeting_id, today)
    updates = committee_queries.updates_during(session, user, meeting_id)
    evolutions = (
        committee_queries.changes_since_previous(session, user, meeting_id)
        if options.evolutions
        else []
    )
    decisions = [d for d in detail.decisions if options.confidential or not d.confidential]
    return Minutes(
        title=detail.title,
        convention=detail.convention_title,
        territory=detail.territory_name,
        held_on=detail.held_on,
        place=detail.place,
        status=detail.status.label,
        attendees=detail.attendees if options.attendees else [],
        agenda=[f"{i.code} — {i.title}" if i.code else i.title for i in items],
        decisions=[
            DecisionLine(
                d.text,
                f"{d.action_code} — {d.action_title}" if d.action_code else "",
                d.kind.label,
                d.created_action,
                d.confidential,
            )
            for d in decisions
        ],
        updates=[_update_line(e) for e in updates],
        minutes=detail.minutes,
        next_steps=detail.next_steps,
        next_meeting_on=detail.next_meeting_on,
        generated_at=now,
        fictitious=fictitious,
        attendance=(
            {name: value.label for name, value in detail.attendance.items()}
            if options.attendees
            else {}
        ),
        evolutions=[_update_line(e) for e in evolutions],
        previous=detail.previous_label,
        options=options,
    )


# --- cleaning user text ---------------------------------------------------------------------

_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def clean(text: str) -> str:
    """Text without the control characters no format can hold; newlines kept."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _XML_INVALID.sub("", text)


_MARKDOWN_INLINE = re.compile(r"([\\`*_\[\]<>|~])")
_MARKDOWN_ENTITY = re.compile(r"&(?=#?\w+;)")
_MARKDOWN_LINE_START = re.compile(r"^(\s*)(#|[-+](?=\s)|\d+(?=[.)]\s)|[=-]+\s*$)")


def escape_markdown(text: str) -> str:
    """User text as literal Markdown in the downloaded file, escaping only what Markdown
    reads as markup (emphasis, code, links, HTML, tables; a heading, list or rule at the
    start of a line): « St-Gildas-des-Bois » and « 15/12 : relancer » stay as typed."""
    lines = []
    for line in clean(text).split("\n"):
        line = _MARKDOWN_ENTITY.sub("&amp;", _MARKDOWN_INLINE.sub(r"\\\1", line))
        lines.append(_MARKDOWN_LINE_START.sub(_escape_line_start, line))
    return "  \n".join(lines)


def _escape_line_start(found: re.Match[str]) -> str:
    indent, mark = found.group(1), found.group(2)
    if mark[0].isdigit():  # « 1. » or « 1) » would start a numbered list
        return f"{indent}{mark}\\"
    return f"{indent}\\{mark}"


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


def _decision_heading(m: Minutes) -> str:
    shown = "Décisions"
    if m.options.confidential and any(d.confidential for d in m.decisions):
        shown += " (y compris confidentielles)"
    return shown


def _evolutions_heading(m: Minutes) -> str:
    return "Évolutions depuis le dernier comité" + (f" ({m.previous})" if m.previous else "")


def to_markdown(m: Minutes) -> str:
    e = escape_markdown
    out = [f"# {e(m.document_title)}", ""]
    if m.fictitious:
        out += ["*Données de démonstration : fictives.*", ""]
    out += [f"- **{label} :** {e(one_line(value))}" for label, value in _header_facts(m)]
    if m.options.attendees:
        out += ["", "## Participants", ""]
        for heading, names in m.attendance_groups():
            if heading:
                out += [f"### {heading}", ""]
            out += [f"- {e(one_line(a))}" for a in names]
            out += [""] if heading else []
        if not m.attendees:
            out.append("Aucun participant renseigné.")
    out += ["", "## Ordre du jour", ""]
    out += [f"{n}. {e(one_line(item))}" for n, item in enumerate(m.agenda, 1)] or ["Aucun point."]
    out += ["", f"## {_decision_heading(m)}", ""]
    for d in m.decisions:
        line = f"- **{d.kind} :** {e(one_line(d.text))}"
        if d.action:
            line += f" *(action {e(one_line(d.action))})*"
        if d.created_action:
            line += f" → fiche créée : {e(one_line(d.created_action))}"
        if d.confidential:
            line += " — *confidentielle*"
        out.append(line)
    if not m.decisions:
        out.append("Aucune décision enregistrée.")
    out += ["", "## Mises à jour pendant la séance", ""]
    out += _markdown_updates(m.updates) or ["Aucune mise à jour pendant la séance."]
    if m.options.evolutions:
        out += ["", f"## {e(_evolutions_heading(m))}", ""]
        out += _markdown_updates(m.evolutions) or ["Aucune action n'a été modifiée depuis."]
    if m.minutes.strip():
        out += ["", "## Compte rendu des échanges", "", e(m.minutes.strip())]
    out += ["", "## Prochaines étapes", ""]
    out.append(e(m.next_steps.strip()) if m.next_steps.strip() else "À définir.")
    if m.next_meeting_on:
        out += ["", f"Prochaine réunion : {formats.long_day(m.next_meeting_on)}."]
    out += ["", f"*Généré le {formats.moment(m.generated_at)} par {APP_NAME}.*", ""]
    return "\n".join(out)


def _markdown_updates(updates: list[UpdateLine]) -> list[str]:
    e = escape_markdown
    out = []
    for u in updates:
        people = f" ({e(', '.join(u.people))})" if u.people else ""
        out.append(f"- **{e(one_line(u.action))}**{people}")
        out += [f"    - {e(one_line(line))}" for line in u.changes]
    return out


# --- DOCX -------------------------------------------------------------------------------------


def to_docx(m: Minutes) -> bytes:
    doc = Document()
    properties = doc.core_properties
    properties.title = clean(m.document_title)
    properties.subject = clean(m.subject)
    properties.author = APP_NAME
    properties.last_modified_by = APP_NAME
    properties.comments = clean(f"Compte rendu généré par {APP_NAME} : {m.subject}")
    properties.keywords = f"CTG; {m.title.split(' ')[0]}; compte rendu"
    properties.category = "Compte rendu de comité"
    properties.language = "fr-FR"
    properties.created = m.generated_at
    properties.modified = m.generated_at
    doc.styles["Normal"].font.size = Pt(11)
    doc.add_heading(clean(m.document_title), level=0)
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

    def updates(lines: list[UpdateLine], empty: str) -> None:
        for u in lines:
            paragraph = doc.add_paragraph(style="List Bullet")
            paragraph.add_run(one_line(u.action)).bold = True
            if u.people:
                paragraph.add_run(f" ({one_line(', '.join(u.people))})")
            for line in u.changes:
                doc.add_paragraph(one_line(line), style="List Bullet 2")
        if not lines:
            doc.add_paragraph(empty)

    if m.options.attendees:
        doc.add_heading("Participants", level=1)
        for heading, names in m.attendance_groups():
            if heading:
                doc.add_heading(heading, level=2)
            bullets(names, "Aucun participant renseigné.")
    doc.add_heading("Ordre du jour", level=1)
    for item in m.agenda:
        doc.add_paragraph(one_line(item), style="List Number")
    if not m.agenda:
        doc.add_paragraph("Aucun point.")
    doc.add_heading(_decision_heading(m), level=1)
    bullets([d.sentence for d in m.decisions], "Aucune décision enregistrée.")
    doc.add_heading("Mises à jour pendant la séance", level=1)
    updates(m.updates, "Aucune mise à jour pendant la séance.")
    if m.options.evolutions:
        doc.add_heading(clean(_evolutions_heading(m)), level=1)
        updates(m.evolutions, "Aucune action n'a été modifiée depuis.")
    if m.minutes.strip():
        doc.add_heading("Compte rendu des échanges", level=1)
        for block in clean(m.minutes).strip().split("\n\n"):
            doc.add_paragraph(block.strip())
    doc.add_heading("Prochaines étapes", level=1)
    doc.add_paragraph(clean(m.next_steps).strip() or "À définir.")
    if m.next_meeting_on:
        doc.add_paragraph(f"Prochaine réunion : {formats.long_day(m.next_meeting_on)}.")
    doc.add_paragraph().add_run(
        f"Généré le {formats.moment(m.generated_at)} par {APP_NAME}."
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
    pdf.set_title(pdf.text_of(m.document_title))
    pdf.set_subject(pdf.text_of(m.subject))
    pdf.set_author(APP_NAME)
    pdf.set_creator(APP_NAME)
    pdf.set_producer(APP_NAME)
    pdf.set_keywords(pdf.text_of(f"CTG, {m.title.split(' ')[0]}, compte rendu"))
    pdf.set_creation_date(m.generated_at)
    pdf.set_lang("fr")
    pdf.add_page()
    pdf.heading(m.document_title, size=18)
    if m.fictitious:
        pdf.para("Données de démonstration : fictives.")
    for label, value in _header_facts(m):
        pdf.para(one_line(value), bold_prefix=f"{label} : ")
    if m.options.attendees:
        pdf.heading("Participants")
        for heading, names in m.attendance_groups():
            if heading:
                pdf.para(f" ({len(names)})", bold_prefix=heading)
            pdf.bullets(names, "Aucun participant renseigné.")
    pdf.heading("Ordre du jour")
    pdf.bullets([f"{n}. {a}" for n, a in enumerate(m.agenda, 1)], "Aucun point.", mark="")
    pdf.heading(_decision_heading(m))
    pdf.bullets([d.sentence for d in m.decisions], "Aucune décision enregistrée.")
    pdf.heading("Mises à jour pendant la séance")
    _pdf_updates(pdf, m.updates, "Aucune mise à jour pendant la séance.")
    if m.options.evolutions:
        pdf.heading(_evolutions_heading(m))
        _pdf_updates(pdf, m.evolutions, "Aucune action n'a été modifiée depuis.")
    if m.minutes.strip():
        pdf.heading("Compte rendu des échanges")
        pdf.para(m.minutes.strip())
    pdf.heading("Prochaines étapes")
    pdf.para(m.next_steps.strip() or "À définir.")
    if m.next_meeting_on:
        pdf.para(f"Prochaine réunion : {formats.long_day(m.next_meeting_on)}.")
    pdf.ln(4)
    pdf.set_font(pdf.face, size=9)
    pdf.para(f"Généré le {formats.moment(m.generated_at)} par {APP_NAME}.")
    return bytes(pdf.output())


def _pdf_updates(pdf: _MinutesPdf, updates: list[UpdateLine], empty: str) -> None:
    for u in updates:
        people = f" ({one_line(', '.join(u.people))})" if u.people else ""
        pdf.para(people, bold_prefix=f"• {one_line(u.action)}")
        pdf.bullets(u.changes, "", mark="–", indent=6)
    if not updates:
        pdf.para(empty)
