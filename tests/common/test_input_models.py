"""Property-based: whatever a form, a crafted request or a spreadsheet sends to a command's
input model, the core either accepts it or refuses it with its French `ValidationFailed`;
never another exception, never a value outside the bounds."""

from __future__ import annotations

import inspect
import math
import typing
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from ctg_core.common import formats
from ctg_core.common.errors import ValidationFailed
from ctg_core.common.validation import (
    FIRST_DAY,
    LAST_DAY,
    MAX_MEASURE,
    Input,
    no_control_character,
    validated,
)
from tests.commands_index import every_command


def input_models() -> list[type[BaseModel]]:
    """Every input model defined in a capability's `commands` module."""
    modules = {inspect.getmodule(fn) for fn in every_command().values()}
    found = {
        obj
        for module in modules
        for obj in vars(module).values()
        if inspect.isclass(obj) and issubclass(obj, Input) and obj is not Input
    }
    return sorted(found, key=lambda m: f"{m.__module__}.{m.__qualname__}")


TRICKY_TEXTS = [
    *("", " ", "\x00", "a\x00b", "²", "١٢", "25/11/2026", "31/02/2026", "0001-01-01"),
    *("9999-12-31", "42,5", "42 %", "1e400", "-1e308", "NaN", "=1+1", "+33", "-3"),
    *("@SUM(A1)", "\t=cmd", "x" * 60_000),
]
french_numbers = st.builds(
    lambda n, d, unit: f"{n:,}".replace(",", " ") + (f",{d}" if d is not None else "") + unit,
    st.integers(-(10**15), 10**15),
    st.none() | st.integers(0, 999),
    st.sampled_from(["", " %", " €", "%"]),
)
anything = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.text(max_size=300),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=20),
    st.sampled_from(
        [
            "",
            " ",
            "\x00",
            "a\x00b",
            "²",
            "١٢",
            "25/11/2026",
            "31/02/2026",
            "0001-01-01",
            "9999-12-31",
            "42,5",
            "42 %",
            "1e400",
            "-1e308",
            "NaN",
            "=1+1",
            "+33",
            "-3",
            "@SUM(A1)",
            "\t=cmd",
            "x" * 60_000,
        ]
    ),
    french_numbers,
    st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)),
    st.datetimes(),
    st.lists(st.text(max_size=30), max_size=150),
)


@pytest.mark.parametrize("model", input_models(), ids=lambda m: m.__qualname__)
def test_an_input_model_accepts_or_refuses_in_french_whatever_it_is_sent(model):
    fields = list(model.model_fields)
    keys = st.sampled_from([*fields, "unknown_field"]) if fields else st.just("unknown_field")

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.dictionaries(keys, anything, max_size=len(fields) + 1))
    def check(data: dict[str, Any]) -> None:
        try:
            accepted = validated(model, data)
        except ValidationFailed as refusal:
            assert refusal.errors and all(isinstance(m, str) and m for m in refusal.errors.values())
            return
        for value in accepted.model_dump().values():
            assert_within_bounds(value)

    check()


def assert_within_bounds(value: Any) -> None:
    if isinstance(value, datetime):
        return
    if isinstance(value, date):
        assert FIRST_DAY <= value <= LAST_DAY
    elif isinstance(value, bool):
        return
    elif isinstance(value, float):
        assert math.isfinite(value) and abs(value) <= MAX_MEASURE
    elif isinstance(value, Decimal):
        assert value.is_finite()
    elif isinstance(value, str):
        assert "\x00" not in value
    elif isinstance(value, list):
        for item in value:
            assert_within_bounds(item)


def test_there_is_an_input_model_for_the_plan_the_committee_and_the_funding():
    names = {m.__qualname__ for m in input_models()}
    assert {"ActionData", "ActionChange", "QuickChange", "MeetingData", "AdvancePayment"} <= names


@given(st.floats(allow_nan=True, allow_infinity=True) | st.integers() | st.decimals())
def test_a_stored_number_always_formats(value):
    for text in (formats.number(value, 1), formats.euros(value), formats.percent(value)):
        assert isinstance(text, str) and text


def unchecked_texts(annotation: Any, metadata: tuple = ()) -> list[str]:
    """The text types inside an annotation (Optional, list, dict included) that do not go
    through the core's text rule."""
    if annotation is str:
        checked = any(getattr(m, "func", None) is no_control_character for m in metadata)
        return [] if checked else ["str"]
    if typing.get_origin(annotation) is typing.Annotated:
        inner, *extra = typing.get_args(annotation)
        return unchecked_texts(inner, (*metadata, *extra))
    return [found for arg in typing.get_args(annotation) for found in unchecked_texts(arg)]


@pytest.mark.parametrize("model", input_models(), ids=lambda m: m.__qualname__)
def test_every_text_field_of_an_input_model_refuses_control_characters(model):
    """A NUL byte is refused the same way on SQLite and PostgreSQL: every text field of a
    command's input goes through the core's text rule (random inputs may miss a field)."""
    for name, field_info in model.model_fields.items():
        assert not unchecked_texts(field_info.annotation, tuple(field_info.metadata)), (
            f"{model.__qualname__}.{name} accepts any text: use a type of validation.py"
        )
