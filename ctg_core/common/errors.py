"""Typed errors whose message is French and fit to show to a user as is."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ctg_core.common import formats


class CtgError(Exception):
    """Base class: `str(error)` is a French sentence for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(CtgError):
    def __init__(self, what: str, ident: object) -> None:
        super().__init__(f"{what.capitalize()} introuvable (n° {ident}).")
        self.what = what
        self.ident = ident


class PermissionDenied(CtgError):
    def __init__(self, doing: str) -> None:
        super().__init__(f"Vous n'avez pas le droit de {doing}.")
        self.doing = doing


class ValidationFailed(CtgError):
    """Input refused; `errors` maps a field name to its French message."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = dict(errors)
        detail = " ; ".join(self.errors.values())
        super().__init__(f"Saisie refusée : {detail}")


@dataclass
class ConflictInfo:
    """What the other person saved first, to show beside the user's own input."""

    entity: str
    entity_id: int
    current_version: int
    current_values: dict[str, Any] = field(default_factory=dict)
    changed_by: str = ""
    changed_at: datetime | None = None


class ConflictError(CtgError):
    """Someone saved the record first. `record` is the history entry of the refused attempt:
    the command boundary writes it once the transaction is rolled back."""

    def __init__(self, info: ConflictInfo, record: Any = None) -> None:
        who = info.changed_by or "une autre personne"
        when = (
            f" le {formats.moment(info.changed_at).replace(' ', ' à ')}" if info.changed_at else ""
        )
        super().__init__(
            f"Modification refusée : {who} a enregistré cette fiche{when} pendant que vous la "
            "modifiiez. Vos saisies sont conservées : relisez ses valeurs puis réappliquez-les."
        )
        self.info = info
        self.record = record


def require(condition: bool, doing: str) -> None:
    """Raise `PermissionDenied` for `doing` ("modifier cette action") unless `condition`."""
    if not condition:
        raise PermissionDenied(doing)
