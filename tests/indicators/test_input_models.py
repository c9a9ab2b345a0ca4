"""Every input model of the indicators' commands, fed arbitrary text, numbers and dates:
it validates or raises the core's French `ValidationFailed`, never another exception."""

import inspect
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ctg_core.common.errors import ValidationFailed
from ctg_core.common.validation import Input, validated
from ctg_core.indicators import commands

MODELS = [
    model
    for _, model in inspect.getmembers(commands, inspect.isclass)
    if issubclass(model, Input) and model is not Input
]
ANYTHING = st.one_of(
    st.none(),
    st.booleans(),
    st.text(max_size=60),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.dates(min_value=date(1, 1, 1)),
    st.sampled_from(["42,5", "1 234", "12 %", "-1e308", "1e30", "2025", "31/12/2024", "nan"]),
    st.dictionaries(st.integers(-5, 5), st.text(max_size=10), max_size=3),
)


def test_the_models_under_test_are_those_of_the_commands():
    names = {m.__name__ for m in MODELS}
    assert {
        "IndicatorData",
        "MeasureData",
        "CorrectionData",
        "YearValues",
        "CatalogueData",
    } <= names


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_arbitrary_input_validates_or_is_refused_in_french(model, data):
    fields = list(model.model_fields)
    values = data.draw(
        st.dictionaries(st.sampled_from([*fields, "inconnu"]), ANYTHING, max_size=len(fields) + 1)
    )
    try:
        validated(model, values)
    except ValidationFailed as refused:
        assert refused.errors and all(isinstance(m, str) and m for m in refused.errors.values())
