"""The indicators' charts, read from their Vega-Lite specs (`chart.to_dict()`)."""

from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest

from ctg_core.common.models import IndicatorDirection, MeasureKind, TerritoryKind
from ctg_core.indicators import charts
from ctg_core.indicators.queries import (
    OPEN_DATA,
    POINT_COLUMNS,
    ComparedTerritory,
    Comparison,
    IndicatorSeries,
)
from ctg_core.indicators.status import IndicatorStatus


def series(
    values: list[tuple[int, float]],
    *,
    unit: str = "familles",
    baseline: tuple[int, float] | None = (2023, 40),
    target: tuple[int, float] | None = (2028, 60),
    measure: MeasureKind = MeasureKind.count,
) -> IndicatorSeries:
    from ctg_core.indicators import units

    points = pd.DataFrame(
        [
            {
                "year": y,
                "measured_on": None,
                "value": v,
                "source": "",
                "id": i,
                "version": 1,
                "in_bounds": units.within(measure, v),
            }
            for i, (y, v) in enumerate(values, 1)
        ],
        columns=POINT_COLUMNS,
    )
    return IndicatorSeries(
        id=1,
        name="Familles accompagnées",
        unit=unit,
        direction=IndicatorDirection.higher_is_better,
        baseline_value=baseline[1] if baseline else None,
        baseline_year=baseline[0] if baseline else None,
        target_value=target[1] if target else None,
        target_year=target[0] if target else None,
        source="",
        action_id=None,
        axis_id=None,
        points=points,
        measure=measure,
        status=IndicatorStatus.on_track,
    )


def layers(spec: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every single-mark view of a spec (layers, concatenations), with its data inlined."""
    datasets = spec.get("datasets", {})

    def walk(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
        if "mark" in node:
            name = node.get("data", {}).get("name")
            yield {**node, "rows": datasets.get(name, [])}
        for key in ("layer", "concat", "hconcat", "vconcat"):
            for child in node.get(key, []):
                yield from walk(child)

    yield from walk(spec)


def mark(view: dict[str, Any]) -> str:
    return view["mark"]["type"] if isinstance(view["mark"], dict) else view["mark"]


def test_the_trend_s_y_axis_is_titled_with_the_unit_in_french_format():
    spec = charts.trend_chart(series([(2023, 40), (2024, 47), (2025, 52)])).to_dict()
    axes = [v["encoding"]["y"].get("axis") for v in layers(spec) if "y" in v["encoding"]]
    titled = [a for a in axes if a and a.get("title")]
    assert titled and all(a["title"] == "familles" for a in titled)
    assert all(a["format"] == ",.2~f" for a in titled)
    assert spec["config"]["locale"]["number"]["decimal"] == ","
    assert spec["config"]["locale"]["number"]["thousands"] == "\u202f"


def test_the_trend_draws_baseline_and_target_as_two_labelled_reference_rules():
    spec = charts.trend_chart(series([(2023, 40), (2025, 52)])).to_dict()
    rules = [v for v in layers(spec) if mark(v) == "rule"]
    assert [r["rows"][0]["Libellé"] for r in rules] == [
        "Référence 2023 : 40 familles",
        "Cible 2028 : 60 familles",
    ]
    texts = [
        v["rows"][0]["Libellé"]
        for v in layers(spec)
        if mark(v) == "text" and v["rows"] and "Repère" in v["rows"][0]
    ]
    assert texts == ["Référence 2023 : 40 familles", "Cible 2028 : 60 familles"]


def test_the_trend_draws_the_expected_path_from_baseline_to_target():
    spec = charts.trend_chart(series([(2024, 45)])).to_dict()
    [path] = [
        v for v in layers(spec) if mark(v) == "line" and v["mark"].get("strokeDash") == [2, 3]
    ]
    assert [(r["Année"], r["Valeur"]) for r in path["rows"]] == [(2023, 40), (2028, 60)]


def test_every_value_is_labelled_with_its_year_and_the_year_is_not_grouped():
    spec = charts.trend_chart(series([(2023, 40), (2024, 1234)])).to_dict()
    [labels] = [
        v
        for v in layers(spec)
        if mark(v) == "text" and v["encoding"].get("text", {}).get("field") == "Étiquette"
    ]
    assert [(r["Année"], r["Étiquette"]) for r in labels["rows"]] == [
        (2023, "40"),
        (2024, "1\u202f234"),
    ]
    assert labels["encoding"]["x"]["axis"]["format"] == "d"


def test_the_first_value_reaching_the_target_is_marked_objectif_atteint():
    spec = charts.trend_chart(series([(2024, 50), (2025, 61), (2026, 65)])).to_dict()
    marked = [
        v
        for v in layers(spec)
        if mark(v) == "text" and v["encoding"].get("text", {}).get("field") == "Objectif atteint"
    ]
    assert [(r["Année"], r["Objectif atteint"]) for r in marked[0]["rows"]] == [
        (2025, "✓ objectif atteint")
    ]


def test_without_baseline_or_target_there_is_no_reference_rule():
    spec = charts.trend_chart(series([(2024, 50)], baseline=None, target=None)).to_dict()
    assert [v for v in layers(spec) if mark(v) == "rule"] == []


@pytest.mark.parametrize("stored", [1e30, -1e308])
def test_a_stored_value_out_of_bounds_stays_off_the_chart(stored):
    chart = charts.trend_chart(series([(2024, 50), (2025, stored)]))
    spec = chart.to_dict()
    values = [r["Valeur"] for v in layers(spec) for r in v["rows"] if "Étiquette" in r]
    assert stored not in values
    domains = [v["encoding"]["y"]["scale"]["domain"] for v in layers(spec) if "y" in v["encoding"]]
    assert all(abs(d) < 1e6 for domain in domains for d in domain)


def test_small_multiples_title_each_indicator_with_its_status_in_words():
    spec = charts.small_multiples([series([(2024, 50)]), series([(2025, 52)])]).to_dict()
    assert [c["title"]["subtitle"] for c in spec["concat"]] == ["↗ En bonne voie"] * 2
    assert spec["config"]["locale"]["number"]["decimal"] == ","


def test_the_sparkline_keeps_its_signature_and_shows_the_target():
    spec = charts.sparkline(series([(2024, 50), (2025, 52)]), width=200, height=60).to_dict()
    assert (spec["width"], spec["height"]) == (200, 60)
    [rule] = [v for v in layers(spec) if mark(v) == "rule"]
    assert rule["rows"][0]["Libellé"] == "Cible 2028 : 60 familles"


def test_the_sparkline_s_first_layer_carries_the_years():
    # A first layer without the ordinal x (a reference rule) drew a sparkline 0 px high.
    spec = charts.sparkline(series([(2024, 50), (2025, 52)])).to_dict()
    assert spec["layer"][0]["encoding"]["x"]["field"] == "Année"


def comparison(highlight: str | None = "CARENE", departement: float | None = 63.5) -> Comparison:
    rows = [
        ("Nozay", 104.2),
        ("Nantes Métropole", 71.0),
        ("CARENE", 58.4),
    ]
    return Comparison(
        code="TXCOUV",
        name="Taux de couverture",
        unit="places pour 100 enfants",
        measure=MeasureKind.rate,
        direction=IndicatorDirection.higher_is_better,
        year=2024,
        departement="44",
        departement_value=departement,
        rows=[
            ComparedTerritory(
                i, str(i), name, TerritoryKind.epci, value, OPEN_DATA, name == highlight, i
            )
            for i, (name, value) in enumerate(rows, 1)
        ],
    )


def test_the_comparison_ranks_bars_and_draws_the_departement_value_as_a_rule():
    spec = charts.comparison_chart(comparison()).to_dict()
    [bars] = [v for v in layers(spec) if mark(v) == "bar"]
    assert bars["encoding"]["y"]["sort"] == ["Nozay", "Nantes Métropole", "★ CARENE"]
    assert bars["encoding"]["x"]["axis"]["title"] == "places pour 100 enfants"
    assert bars["encoding"]["x"]["axis"]["format"] == ",.2~f"
    [rule] = [v for v in layers(spec) if mark(v) == "rule"]
    assert rule["rows"][0]["Libellé"] == "Département (44) : 63,5 places pour 100 enfants"


def test_the_viewer_s_territory_is_marked_in_words_not_only_in_colour():
    data = charts.comparison_data(comparison())
    mine = data[data["Repère"] == "Votre territoire"]
    assert list(mine["Territoire"]) == ["★ CARENE"]


def test_without_a_departement_figure_there_is_no_reference_line():
    spec = charts.comparison_chart(comparison(departement=None)).to_dict()
    assert [v for v in layers(spec) if mark(v) == "rule"] == []


def test_describe_says_first_and_last_values_and_the_target():
    text = charts.describe(series([(2023, 40), (2025, 52)], measure=MeasureKind.quantity))
    assert text == (
        "Familles accompagnées : 40,0 familles en 2023, 52,0 familles en 2025 ; "
        "cible 60,0 familles en 2028."
    )


def test_describe_leaves_out_a_stored_value_out_of_bounds():
    text = charts.describe(series([(2023, 40), (2025, -1e308)]))
    assert text.startswith("Familles accompagnées : 40,0 familles en 2023, 40,0 familles en 2023")


@pytest.mark.parametrize("stored", [1e30, -1e308, float("inf")])
def test_the_presenter_s_sparkline_and_caption_survive_a_stored_value_out_of_bounds(stored):
    # The committee's indicator panel draws `sparkline` and writes `describe`.
    item = series([(2024, 50), (2025, stored)])
    spec = charts.sparkline(item).to_dict()
    assert {r["Valeur"] for v in layers(spec) for r in v["rows"] if "Année" in r} == {50}
    assert charts.describe(item).endswith("; cible 60,0 familles en 2028.")
