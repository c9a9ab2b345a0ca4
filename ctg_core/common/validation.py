"""Field types and validation shared by every command's input model, with French messages
per field.

Widgets may guide the user, but the rules live here: a command validates every input,
whatever page or script it comes from.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Annotated, Any, TypeVar, get_args

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)

from ctg_core.common.errors import ValidationFailed
from ctg_core.common.labels import FIELD_LABELS

Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)]
# A compte rendu or a list of next steps can be long: a few pages of text.
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=50_000)]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Progress = Annotated[int, Field(ge=0, le=100)]


def french_number(value: Any) -> Any:
    """« 1 234,5 € » as typed in France → "1234.5"; an empty text is a missing value."""
    if isinstance(value, str):
        for ignored in (" ", "\u00a0", "\u202f", "€"):
            value = value.replace(ignored, "")
        return value.replace(",", ".") or None
    return value


# A measured number typed as text: the decimal comma is read, not dropped.
FrenchFloat = Annotated[float, BeforeValidator(french_number), Field(allow_inf_nan=False)]
Money = Annotated[
    Decimal, BeforeValidator(french_number), Field(ge=0, max_digits=12, decimal_places=2)
]


def _french(error: dict[str, Any]) -> str:
    kind = error["type"]
    ctx = error.get("ctx", {})
    messages = {
        "missing": "est obligatoire",
        "string_too_short": "ne peut pas être vide",
        "string_too_long": f"ne doit pas dépasser {ctx.get('max_length')} caractères",
        "greater_than_equal": f"doit être supérieur ou égal à {ctx.get('ge')}",
        "less_than_equal": f"doit être inférieur ou égal à {ctx.get('le')}",
        "greater_than": f"doit être supérieur à {ctx.get('gt')}",
        "int_parsing": "doit être un nombre entier",
        "int_from_float": "doit être un nombre entier",
        "decimal_parsing": "doit être un montant",
        "decimal_max_places": "a au plus deux décimales",
        "decimal_max_digits": "est trop grand",
        "float_parsing": "doit être un nombre",
        "date_from_datetime_parsing": "doit être une date (JJ/MM/AAAA)",
        "date_parsing": "doit être une date (JJ/MM/AAAA)",
        "date_type": "doit être une date (JJ/MM/AAAA)",
        "enum": "n'est pas une valeur permise",
        "finite_number": "doit être un nombre fini",
        "extra_forbidden": "n'est pas modifiable ici",
    }
    return messages.get(kind, "est invalide")


def french_errors(exc: ValidationError) -> dict[str, str]:
    """Map each failing field to "Libellé : raison" (first error per field)."""
    errors: dict[str, str] = {}
    for error in exc.errors():
        loc = [str(p) for p in error["loc"]]
        name = loc[0] if loc else "__root__"
        if error["type"] == "value_error":
            # Cross-field rules raise ValueError("champ|message").
            raw = str(error.get("ctx", {}).get("error", error["msg"]))
            name, _, message = raw.partition("|")
            errors.setdefault(name, message)
            continue
        label = FIELD_LABELS.get(name, name)
        if error["type"].endswith("_type") and error.get("input") is None:
            error = {**error, "type": "missing"}  # an emptied field, e.g. a cleared text box
        errors.setdefault(name, f"{label} {_french(error)}.")
    return errors


M = TypeVar("M", bound=BaseModel)


def _accepts_text(annotation: Any) -> bool:
    """True for str, Annotated[str, …] and unions holding one (an empty text is a value)."""
    if annotation is str:
        return True
    return any(_accepts_text(arg) for arg in get_args(annotation))


def validated(model: type[M], data: M | Mapping[str, Any]) -> M:
    """`model.model_validate(data)`, raising `ValidationFailed` with French messages.

    An instance of `model` is already valid and is returned as is (callers in code may
    build the input model themselves; pages send plain dicts).

    A cleared widget sends None: for a required field that is reported as missing
    ("est obligatoire"), not as a value of the wrong type. An empty text box for an optional
    field whose default is None (a budget, a date) means "no value".
    """
    if isinstance(data, model):
        return data
    fields = model.model_fields

    def blank_optional(name: str, value: Any) -> bool:
        field = fields.get(name)
        return (
            field is not None
            and not field.is_required()
            and field.default is None
            and not _accepts_text(field.annotation)
            and isinstance(value, str)
            and not value.strip()
        )

    values = {
        name: None if blank_optional(name, value) else value
        for name, value in dict(data).items()
        if value is not None or name not in fields or not fields[name].is_required()
    }
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        raise ValidationFailed(french_errors(exc)) from None


class Input(BaseModel):
    """Base of every command's input model: unknown fields refused, text stripped.

    The rule of the house: a command's input model sits beside the command, in the
    capability's `commands.py`; this module holds only the shared field types and the
    French translation of pydantic's errors.
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
