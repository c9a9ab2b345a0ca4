"""The plan d'actions as a spreadsheet: its columns, the template to fill, the export that
reads back unchanged, and the preview of an import (what each line would do, or why not).

The preview writes nothing; `commands.import_plan` runs the same preview inside its
transaction and applies it only when no line is refused. Values go through the plan's own
rules, never copies of them: the field types of `ActionData` / `ActionChange` (« 25/11/2026 »,
« 50 % », « 12 500,50 », no control characters), `plan_rule_broken` for a fiche's coherence.

Rules of the import (documented in the README):
- a line is a fiche, found by its **Code** in the convention: an unknown code creates the
  fiche, a known one updates it, a line that changes nothing is left alone (no history);
- **Axe** is a code (« PE ») or a label (« Petite enfance »), **Statut** a label
  (« En cours »); an empty Statut or Avancement keeps the fiche's (or « À venir », 0 %);
  an empty date, budget or text empties it: the file is the plan;
- **Pilote** is free text (a service, a partner or a person): it need not be a user;
- a column the file does not have leaves that field alone; Axe, Code and Intitulé are
  required.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from sqlmodel import Session, select

from ctg_core.common.auth import CurrentUser, editable_convention
from ctg_core.common.errors import ValidationFailed
from ctg_core.common.history import diff
from ctg_core.common.models import Action, ActionStatus, Axis
from ctg_core.common.validation import validated
from ctg_core.exchange.readers import (
    Field,
    ReadSheet,
    Record,
    cell_day,
    cell_text,
    header_key,
    read_records,
)
from ctg_core.exchange.report import ImportReport, Operation, PlannedRow, Problem
from ctg_core.exchange.writers import Column, Kind, Table, csv_bytes, excel_value
from ctg_core.plan.commands import ACTION_FIELDS, ActionChange, ActionData, plan_rule_broken

SHEET_TITLE = "Plan d'actions"

PLAN_FIELDS: tuple[Field, ...] = (
    Field("axis", "Axe", ("Thématique", "Axe thématique", "Code axe"), required=True),
    Field("code", "Code", ("Code action", "Code de l'action", "Référence", "N°"), required=True),
    Field("title", "Intitulé", ("Intitulé de l'action", "Titre", "Action", "Libellé"), True),
    Field("objective", "Objectif", ("Objectifs", "Objectif de l'action")),
    Field("lead", "Pilote", ("Porteur", "Pilote de l'action", "Référent", "Responsable")),
    Field("partners", "Partenaires", ("Partenaire",)),
    Field("starts_on", "Début", ("Date de début", "Démarrage")),
    Field("due_on", "Échéance", ("Date d'échéance", "Date de fin", "Fin")),
    Field("budget", "Budget (€)", ("Budget", "Montant", "Coût")),
    Field("status", "Statut", ("État", "Etat")),
    Field("progress", "Avancement", ("Avancement (%)", "Taux d'avancement", "% réalisé")),
    Field("last_comment", "Commentaire", ("Dernier commentaire", "Commentaires")),
    Field("vigilance", "Point de vigilance", ("Vigilance", "Points de vigilance")),
)
HEADERS = {f.name: f.header for f in PLAN_FIELDS}
KINDS = {
    "starts_on": Kind.date,
    "due_on": Kind.date,
    "budget": Kind.money,
    "progress": Kind.percent,
}
WIDTHS = {
    "axis": 24,
    "code": 10,
    "title": 44,
    "objective": 40,
    "lead": 24,
    "partners": 28,
    "starts_on": 12,
    "due_on": 12,
    "budget": 14,
    "status": 13,
    "progress": 12,
    "last_comment": 40,
    "vigilance": 32,
}
TEXT_FIELDS = ("code", "title", "objective", "lead", "partners", "last_comment", "vigilance")
# A field left empty keeps its value (or the default of a new fiche) instead of emptying it.
KEPT_WHEN_EMPTY = frozenset({"status", "progress"})
FORMULA_MESSAGE = (
    "contient une formule : importez la valeur elle-même (dans Excel, « Collage spécial › "
    "Valeurs »)."
)


# --- export and template ------------------------------------------------------------------------


def plan_columns() -> tuple[Column, ...]:
    return tuple(
        Column(f.name, f.header, KINDS.get(f.name, Kind.text), WIDTHS.get(f.name))
        for f in PLAN_FIELDS
    )


def plan_table(actions: pd.DataFrame) -> Table:
    """The plan d'actions as the import reads it (an `actions_frame`, filtered or not):
    re-importing the file changes nothing."""
    frame = pd.DataFrame(
        {
            "axis": actions["axis"],
            "code": actions["code"],
            "title": actions["title"],
            "objective": actions["objective"],
            "lead": actions["lead"],
            "partners": actions["partners"],
            "starts_on": actions["starts_on"],
            "due_on": actions["due_on"],
            "budget": actions["budget"],
            "status": actions["status"].map(lambda s: ActionStatus(s).label),
            "progress": actions["progress"],
            "last_comment": actions["last_comment"],
            "vigilance": actions["vigilance"],
        }
    )
    return Table(SHEET_TITLE, plan_columns(), frame)


EXAMPLE_TITLE = "Exemple : ouvrir un relais petite enfance itinérant (remplacez cette ligne)"


def example_row(axis_label: str) -> dict[str, Any]:
    return {
        "axis": axis_label,
        "code": "PE-01",
        "title": EXAMPLE_TITLE,
        "objective": "Offrir un lieu d'information et d'échanges aux assistantes maternelles",
        "lead": "Service petite enfance",
        "partners": "Caf, Département, communes",
        "starts_on": date(2026, 1, 5),
        "due_on": date(2027, 12, 31),
        "budget": 25000.0,
        "status": ActionStatus.en_cours.label,
        "progress": 40,
        "last_comment": "Deux communes ont déjà délibéré.",
        "vigilance": "",
    }


def template_xlsx(axis_labels: Sequence[str]) -> bytes:
    """The workbook to fill: French headers, one example line, drop-down lists for Axe and
    Statut (Excel data validation), a sheet « Mode d'emploi »."""
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET_TITLE
    columns = plan_columns()
    sheet.append([c.header for c in columns])
    example = example_row(axis_labels[0] if axis_labels else "Petite enfance")
    sheet.append([excel_value(c.kind, example[c.key]) for c in columns])
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = column.width or 16
        header = sheet.cell(1, index)
        header.font = Font(bold=True)
        header.fill = PatternFill("solid", start_color="DCE6F1")
        header.alignment = Alignment(vertical="top", wrap_text=True)
        number_format = {
            Kind.date: "DD/MM/YYYY",
            Kind.money: '#,##0.00\\ "€"',
            Kind.percent: "0\\ %",
        }.get(column.kind)
        if number_format:  # the whole column, so that the lines people add get it too
            sheet.column_dimensions[letter].number_format = number_format
            sheet.cell(2, index).number_format = number_format
    sheet.freeze_panes = "A2"

    lists = book.create_sheet("Listes")
    lists.append(["Axes", "Statuts"])
    statuses = [s.label for s in ActionStatus]
    for row in range(max(len(axis_labels), len(statuses))):
        lists.append(
            [
                axis_labels[row] if row < len(axis_labels) else None,
                statuses[row] if row < len(statuses) else None,
            ]
        )
    lists.sheet_state = "hidden"
    letters = {c.key: get_column_letter(i) for i, c in enumerate(columns, start=1)}
    for key, source, count in (
        ("axis", "A", len(axis_labels)),
        ("status", "B", len(statuses)),
    ):
        rule = DataValidation(
            type="list",
            formula1=f"=Listes!${source}$2:${source}${count + 1}",
            allow_blank=True,
            showErrorMessage=True,
            errorTitle=f"{HEADERS[key]} inconnu",
            error=f"Choisissez une valeur de la liste « {HEADERS[key]} ».",
        )
        rule.add(f"{letters[key]}2:{letters[key]}5000")
        sheet.add_data_validation(rule)

    guide = book.create_sheet("Mode d'emploi")
    guide.column_dimensions["A"].width = 22
    guide.column_dimensions["B"].width = 90
    for line in GUIDE:
        guide.append(list(line))
    guide["A1"].font = Font(bold=True)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def template_csv(axis_labels: Sequence[str]) -> bytes:
    """The same template as CSV (`;`, UTF-8 with BOM): headers and the example line."""
    example = example_row(axis_labels[0] if axis_labels else "Petite enfance")
    return csv_bytes(Table(SHEET_TITLE, plan_columns(), pd.DataFrame([example])))


GUIDE: tuple[tuple[str, str], ...] = (
    ("Colonne", "Ce qu'elle contient"),
    ("Axe *", "Code (PE) ou libellé (Petite enfance) d'une thématique : liste déroulante."),
    (
        "Code *",
        "Code unique de la fiche dans la convention (PE-01). Un code déjà connu met la "
        "fiche à jour ; un nouveau code la crée.",
    ),
    ("Intitulé *", "Titre de l'action (200 caractères au plus)."),
    ("Objectif", "Texte libre."),
    ("Pilote", "Qui porte l'action : une personne, un service ou un partenaire (texte libre)."),
    ("Partenaires", "Texte libre."),
    ("Début, Échéance", "Dates JJ/MM/AAAA, entre 1990 et 2100 ; l'échéance suit le début."),
    ("Budget (€)", "Montant positif, deux décimales au plus (12 500,50)."),
    ("Statut", "À venir, En cours, Réalisée, Suspendue ou Abandonnée (vide : inchangé)."),
    ("Avancement", "Pourcentage entier de 0 à 100 (40 %) ; une action réalisée est à 100 %."),
    ("Commentaire", "Dernier commentaire."),
    ("Point de vigilance", "Point d'attention pour le comité (vide : aucun)."),
    ("", ""),
    ("* obligatoire", "Les autres colonnes peuvent manquer : les champs absents ne changent pas."),
    (
        "Tout ou rien",
        "Une seule ligne refusée et rien n'est importé : l'aperçu dit quelle ligne, "
        "quelle colonne et pourquoi.",
    ),
    ("Formules", "Les formules ne sont pas importées : collez les valeurs seules."),
)


# --- the preview --------------------------------------------------------------------------------


def preview_plan(
    session: Session, user: CurrentUser, convention_id: int, file_name: str, content: bytes
) -> ImportReport:
    """What importing this file into the convention's plan would do, line by line; reads
    only. Raises `UnreadableFile` when the file cannot be read at all."""
    editable_convention(session, user, convention_id, "importer un plan d'actions ici")
    sheet = read_records(file_name, content, PLAN_FIELDS)
    return _PlanCheck(session, convention_id, sheet).report()


class _PlanCheck:
    def __init__(self, session: Session, convention_id: int, sheet: ReadSheet) -> None:
        self.sheet = sheet
        live_axes = session.exec(select(Axis).where(Axis.archived_at.is_(None))).all()  # type: ignore[union-attr]
        self.axes: dict[str, int] = {}
        for axis in live_axes:
            self.axes.setdefault(header_key(axis.code), axis.id)  # type: ignore[arg-type]
            self.axes.setdefault(header_key(axis.label), axis.id)  # type: ignore[arg-type]
        self.axis_codes = ", ".join(a.code for a in live_axes)
        self.statuses = {header_key(s.label): s for s in ActionStatus} | {
            header_key(s.value): s for s in ActionStatus
        }
        actions = session.exec(select(Action).where(Action.convention_id == convention_id))
        self.existing = {a.code: a for a in actions}
        self.problems: list[Problem] = []
        self.warnings: list[str] = list(sheet.warnings)
        self.first_line: dict[str, int] = {}

    def column(self, name: str) -> str:
        return self.sheet.headers.get(name) or HEADERS.get(name, name)

    def refuse(self, line: int, name: str, message: str) -> None:
        self.problems.append(Problem(line, self.column(name), message))

    def report(self) -> ImportReport:
        rows = []
        for record in self.sheet.records:
            planned = self.check(record)
            if planned is not None:
                rows.append(planned)
        return ImportReport(
            self.sheet.file_name,
            self.sheet.sheet,
            tuple(rows),
            tuple(self.problems),
            tuple(self.warnings),
        )

    def check(self, record: Record) -> PlannedRow | None:
        line = record.line
        if record.values.get("title") == EXAMPLE_TITLE:
            self.warnings.append(f"Ligne {line} : la ligne d'exemple du modèle est ignorée.")
            return None
        if record.formulas:
            for name in sorted(record.formulas, key=list(HEADERS).index):
                self.refuse(line, name, f"{self.column(name)} {FORMULA_MESSAGE}")
            return None
        values, refused = self.values(record)
        code = values.get("code") or ""
        if code:
            first = self.first_line.setdefault(code, line)
            if first != line:
                self.refuse(
                    line, "code", f"Le code {code} figure déjà ligne {first} : un code par fiche."
                )
                return None
        action = self.existing.get(code) if code else None
        if action is None:
            return self.creation(line, values, refused)
        return self.update(line, action, values, refused)

    def values(self, record: Record) -> tuple[dict[str, Any], set[str]]:
        """The line's cells as the plan's input models take them, and the columns already
        refused (an unknown axis or statut)."""
        raw = record.values
        values: dict[str, Any] = {}
        refused: set[str] = set()
        if "axis" in raw:
            axis = raw["axis"]
            if axis is None:
                self.refuse(record.line, "axis", "Axe est obligatoire.")
                refused.add("axis")
            else:
                text = cell_text(axis).strip()
                axis_id = self.axes.get(header_key(text))
                if axis_id is None:
                    self.refuse(
                        record.line,
                        "axis",
                        f"Axe inconnu : « {text} ». Indiquez le code ({self.axis_codes}) ou "
                        "le libellé d'une thématique.",
                    )
                    refused.add("axis")
                else:
                    values["axis_id"] = axis_id
        if "status" in raw and raw["status"] is not None:
            text = cell_text(raw["status"]).strip()
            status = self.statuses.get(header_key(text))
            if status is None:
                labels = ", ".join(s.label for s in ActionStatus)
                self.refuse(
                    record.line, "status", f"Statut inconnu : « {text} ». Valeurs : {labels}."
                )
                refused.add("status")
            else:
                values["status"] = status
        for name in TEXT_FIELDS:
            if name in raw:
                values[name] = "" if raw[name] is None else cell_text(raw[name]).strip()
        for name in ("starts_on", "due_on"):
            if name in raw:
                values[name] = cell_day(raw[name])
        if "budget" in raw:
            values["budget"] = raw["budget"]
        if "progress" in raw and raw["progress"] is not None:
            values["progress"] = raw["progress"]
        return values, refused

    def creation(self, line: int, values: dict[str, Any], refused: set[str]) -> PlannedRow | None:
        data = self.validated(line, ActionData, values, refused)
        if data is None:
            return None
        dumped = data.model_dump()
        return PlannedRow(line, data.code, Operation.create, dumped, diff({}, dumped))

    def update(
        self, line: int, action: Action, values: dict[str, Any], refused: set[str]
    ) -> PlannedRow | None:
        change = self.validated(line, ActionChange, values, refused)
        if change is None:
            return None
        asked = change.model_dump(exclude_unset=True)
        before = {name: getattr(action, name) for name in ACTION_FIELDS}
        changes = diff(before, asked)
        if not changes:
            return PlannedRow(line, action.code, Operation.unchanged, record_id=action.id)
        if action.archived_at is not None:
            self.refuse(
                line,
                "code",
                f"La fiche {action.code} est archivée : elle ne peut plus être modifiée. "
                "Retirez la ligne ou donnez un autre code.",
            )
            return None
        state = {**before, **asked}
        broken = plan_rule_broken(
            state["starts_on"], state["due_on"], ActionStatus(state["status"]), state["progress"]
        )
        if broken:
            self.refuse(line, broken[0], broken[1])
            return None
        return PlannedRow(
            line,
            action.code,
            Operation.update,
            {name: asked[name] for name in changes},
            changes,
            action.id,
            action.version,
        )

    def validated(self, line: int, model: Any, values: dict[str, Any], refused: set[str]) -> Any:
        """The line through the plan's input model; every column it refuses is reported
        (those refused already are not reported twice). None if anything was refused."""
        try:
            result = validated(model, values)
        except ValidationFailed as refusal:
            for name, message in refusal.errors.items():
                column = "axis" if name == "axis_id" else name
                if column not in refused:
                    self.refuse(line, column, message)
            return None
        return None if refused else result
