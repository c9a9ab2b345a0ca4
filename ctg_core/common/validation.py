"""Field types and validation shared by every command's input model, with French messages
per field.

Widgets may guide the user, but the rules live here: a command validates every input,
whatever page or script it comes from.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, TypeVar, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)
from pydantic_core import PydanticCustomError

from ctg_core.common.errors import ValidationFailed
from ctg_core.common.labels import FIELD_LABELS

# --- bounds of everything a user can type (the same for forms, presenter, import) ------------

FIRST_DAY = date(1990, 1, 1)
LAST_DAY = date(2100, 12, 31)
FIRST_YEAR, LAST_YEAR = FIRST_DAY.year, LAST_DAY.year
MAX_ID = 2_147_483_647  # PostgreSQL `integer`
MAX_MEASURE = 1e12  # the magnitude of a measured value, whatever its unit
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_FRENCH_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
# An error whose message is a whole French sentence (no field label in front).
SENTENCE = "ctg_sentence"


def _sentence(message: str) -> PydanticCustomError:
    return PydanticCustomError(SENTENCE, message)


def no_control_character(text: str) -> str:
    """A NUL byte or another invisible control character is refused (PostgreSQL cannot
    store NUL, SQLite can: both refuse it the same way). Line breaks and tabs are text."""
    if _CONTROL.search(text):
        raise PydanticCustomError("control_character", "invisible character")
    return text


def bounded_text(max_length: int, min_length: int = 0) -> Any:
    """A trimmed text of bounded length without control characters (for a field whose
    bounds are its own, e.g. an axis code of 8 characters)."""
    return Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length),
        AfterValidator(no_control_character),
    ]


Text = bounded_text(4000)
RequiredText = bounded_text(4000, min_length=1)
# A compte rendu or a list of next steps can be long: a few pages of text.
LongText = bounded_text(50_000)
Title = bounded_text(200, min_length=1)
Code = bounded_text(20, min_length=1)
ShortText = bounded_text(200)
FileName = bounded_text(255, min_length=1)
UnitText = bounded_text(40)  # an indicator's unit as written after its values (« places », « % »)

# user@domain.tld: one @, no spaces, a dot in the domain; compared in lower case everywhere.
_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")


def _email_shape(text: str) -> str:
    if not _EMAIL.fullmatch(text):
        raise _sentence("L'adresse e-mail n'est pas valide (par exemple prenom.nom@caf44.fr).")
    return text


Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_lower=True, min_length=1, max_length=254),
    AfterValidator(no_control_character),
    AfterValidator(_email_shape),
]


def french_number(value: Any) -> Any:
    """The French number rule: « 1 234,5 € », « 42 % », « 12,5 » as typed in France →
    "1234.5", "42", "12.5"; an empty text is a missing value; a yes/no is not a number."""
    if isinstance(value, bool):
        raise PydanticCustomError("not_a_number", "not a number")
    if isinstance(value, str):
        for ignored in (" ", "\u00a0", "\u202f", "€", "%"):
            value = value.replace(ignored, "")
        return value.replace(",", ".") or None
    return value


def _whole_percent(value: Any) -> Any:
    """Avancement: a whole number of percent from 0 to 100 (« 42 % » is 42; « 42,5 » is
    refused, never read as 425 or clamped to 100)."""
    value = french_number(value)
    if value is None:
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise _sentence("L'avancement doit être un nombre (par exemple 40 ou 40 %).") from None
    if not number.is_finite() or number != number.to_integral_value():
        raise _sentence("L'avancement est un nombre entier, sans décimale (par exemple 40 %).")
    if not 0 <= number <= 100:
        raise _sentence("L'avancement va de 0 à 100 %.")
    return int(number)


def _bounded_measure(value: float) -> float:
    if not -MAX_MEASURE <= value <= MAX_MEASURE:
        raise PydanticCustomError("measure_range", "out of range")
    return value


def _french_date(value: Any) -> Any:
    """« 25/11/2026 » as typed in France (or an ISO date); an empty text is no date."""
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        found = _FRENCH_DATE.fullmatch(text)
        if found:
            day, month, year = (int(g) for g in found.groups())
            try:
                return date(year, month, day)
            except ValueError:
                raise PydanticCustomError("date_parsing", "not a date") from None
    return value


def _day_in_bounds(value: date) -> date:
    if not FIRST_DAY <= value <= LAST_DAY:
        raise PydanticCustomError("date_range", "out of range")
    return value


def _whole_number(value: Any) -> Any:
    if isinstance(value, bool):
        raise PydanticCustomError("int_parsing", "not a whole number")
    return french_number(value) if isinstance(value, str) else value


# A measured number typed as text: the decimal comma is read, not dropped; bounded.
FrenchFloat = Annotated[
    float,
    BeforeValidator(french_number),
    Field(allow_inf_nan=False),
    AfterValidator(_bounded_measure),
]
Money = Annotated[
    Decimal, BeforeValidator(french_number), Field(ge=0, max_digits=12, decimal_places=2)
]
Progress = Annotated[int, BeforeValidator(_whole_percent)]
Day = Annotated[date, BeforeValidator(_french_date), AfterValidator(_day_in_bounds)]
Year = Annotated[int, BeforeValidator(_whole_number), Field(ge=FIRST_YEAR, le=LAST_YEAR)]
Id = Annotated[int, BeforeValidator(_whole_number), Field(gt=0, le=MAX_ID)]


_MAX_TEXT = "1 000 000 000 000"


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
        "control_character": "contient un caractère invisible non permis",
        "not_a_number": "doit être un nombre",
        "measure_range": (f"doit être comprise entre -{_MAX_TEXT} et {_MAX_TEXT}"),
        "date_range": (
            f"doit être comprise entre le {FIRST_DAY:%d/%m/%Y} et le {LAST_DAY:%d/%m/%Y}"
        ),
        "list_too_long": f"ne doit pas compter plus de {ctx.get('max_length')} éléments",
        "bool_parsing": "doit être oui ou non",
        "bool_type": "doit être oui ou non",
        "string_type": "doit être un texte",
        "int_type": "doit être un nombre entier",
        "float_type": "doit être un nombre",
        "decimal_type": "doit être un montant",
        "list_type": "doit être une liste",
        "literal_error": "n'est pas une valeur permise",
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
        if error["type"] == SENTENCE:
            errors.setdefault(name, error["msg"])
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


_UNREADABLE = object()


def _read(model: type[M], name: str, value: Any) -> Any:
    try:
        return getattr(validated(model, {name: value}), name)
    except ValidationFailed:
        return _UNREADABLE


def changed_fields(model: type[M], typed: Mapping[str, Any], shown: Mapping[str, Any]) -> dict:
    """The typed fields whose value, read by `model` (the command's input model), differs
    from what the form showed: « 179 000,00 » typed over a stored 179000 is no change. A
    value the model cannot read counts as changed (the command will refuse it in French).

    A form sends only these: a field the user did not touch can never overwrite what a
    colleague saved meanwhile.
    """
    return {
        name: value
        for name, value in typed.items()
        if (read := _read(model, name, value)) is _UNREADABLE
        or read != _read(model, name, shown.get(name))
    }


class Input(BaseModel):
    """Base of every command's input model: unknown fields refused, text stripped.

    The rule of the house: a command's input model sits beside the command, in the
    capability's `commands.py`; this module holds only the shared field types and the
    French translation of pydantic's errors.
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
