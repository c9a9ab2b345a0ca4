"""The preview of an import: what each line of the file will do, or why it cannot.

Shared by every import (plan d'actions, indicator values): the page shows it before the user
confirms, the import command computes it again inside its transaction.
"""

from __future__ import annotations

import enum
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any


class Operation(enum.StrEnum):
    create = "create"
    update = "update"
    unchanged = "unchanged"

    @property
    def label(self) -> str:
        return {"create": "Création", "update": "Modification", "unchanged": "Inchangée"}[self]


@dataclass(frozen=True)
class Problem:
    """Why one line cannot be imported: its number in the file, the column, a French reason."""

    line: int
    column: str
    message: str


@dataclass(frozen=True)
class PlannedRow:
    """What one line of the file will do."""

    line: int
    key: str  # the fiche's code (an indicator's name and year for indicator values)
    operation: Operation
    values: dict[str, Any] = field(default_factory=dict)  # what will be written
    changes: dict[str, list[Any]] = field(default_factory=dict)  # {field: [old, new]}
    record_id: int | None = None
    seen_version: int | None = None


@dataclass(frozen=True)
class ImportReport:
    """The preview of an import: every line's outcome, or the reasons it is refused."""

    file_name: str
    sheet: str
    rows: tuple[PlannedRow, ...]
    problems: tuple[Problem, ...]
    warnings: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems

    def count(self, operation: Operation) -> int:
        return sum(1 for r in self.rows if r.operation is operation)

    @property
    def writes(self) -> int:
        return sum(1 for r in self.rows if r.operation is not Operation.unchanged)

    @property
    def fingerprint(self) -> str:
        """Changes when what the import would write changes (the plan moved since the
        preview, or another file)."""
        planned = [
            (r.line, r.key, r.operation.value, r.changes)
            for r in self.rows
            if r.operation is not Operation.unchanged
        ]
        text = json.dumps(planned, sort_keys=True, default=str)
        return hashlib.sha1(text.encode()).hexdigest()[:16]
