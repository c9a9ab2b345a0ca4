"""Territories compared on a catalogue indicator and a year."""

from datetime import UTC, datetime

import pytest

from ctg_core.common.models import IndicatorValue, TerritoryFigure
from ctg_core.indicators import queries
from tests.factories import CARENE, NANTES_METROPOLE

NOZAY = "244400537"


@pytest.fixture
def coverage(world):
    return world.catalogue_entry("TXCOUV")


def publish(world, entry, code, year, value):
    territory = world.territory(code) if code != "D44" else None
    world.session.add(
        TerritoryFigure(
            catalogue_id=entry.id,
            area_code=code,
            territory_id=territory.id if territory else None,
            departement="44",
            year=year,
            value=value,
        )
    )
    world.session.commit()


def enter(world, code, year, value, catalogue_code="TXCOUV"):
    convention = world.convention(world.territory(code))
    indicator = world.catalogue_indicator(convention, catalogue_code)
    world.session.add(IndicatorValue(indicator_id=indicator.id, year=year, value=value))
    world.session.commit()
    return convention


def test_territories_are_ranked_best_first_with_the_departement_value(world, session, coverage):
    publish(world, coverage, CARENE, 2024, 58.4)
    publish(world, coverage, NOZAY, 2024, 104.2)
    publish(world, coverage, NANTES_METROPOLE, 2024, 71.0)
    publish(world, coverage, "D44", 2024, 63.5)

    comparison = queries.compare_territories(session, "TXCOUV", 2024, "44")

    assert [(r.rank, r.code, r.value) for r in comparison.rows] == [
        (1, NOZAY, 104.2),
        (2, NANTES_METROPOLE, 71.0),
        (3, CARENE, 58.4),
    ]
    assert comparison.departement_value == 63.5
    assert comparison.unit == "places pour 100 enfants"


def test_the_viewer_s_territory_is_highlighted(world, session, coverage):
    publish(world, coverage, CARENE, 2024, 58.4)
    publish(world, coverage, NOZAY, 2024, 80.0)
    carene = world.territory(CARENE)

    comparison = queries.compare_territories(session, "TXCOUV", 2024, "44", highlight=[carene.id])

    assert [r.code for r in comparison.highlighted] == [CARENE]


def test_a_convention_s_entered_value_counts_when_nothing_is_published(world, session, coverage):
    enter(world, CARENE, 2025, 60.0)
    publish(world, coverage, NOZAY, 2025, 90.0)

    rows = queries.compare_territories(session, "TXCOUV", 2025, "44").rows

    assert [(r.code, r.source) for r in rows] == [
        (NOZAY, queries.OPEN_DATA),
        (CARENE, queries.CONVENTION_ENTRY),
    ]


def test_the_published_figure_wins_over_the_convention_s_entry(world, session, coverage):
    enter(world, CARENE, 2024, 60.0)
    publish(world, coverage, CARENE, 2024, 58.4)

    [row] = queries.compare_territories(session, "TXCOUV", 2024, "44").rows

    assert (row.value, row.source) == (58.4, queries.OPEN_DATA)


def test_archived_values_and_stored_values_out_of_bounds_are_left_out(world, session, coverage):
    enter(world, CARENE, 2024, -1e308)
    indicator = world.catalogue_indicator(world.convention(world.territory(NOZAY)), "TXCOUV")
    removed = datetime(2025, 3, 1, tzinfo=UTC)
    session.add(
        IndicatorValue(indicator_id=indicator.id, year=2024, value=80.0, archived_at=removed)
    )
    session.commit()

    assert queries.compare_territories(session, "TXCOUV", 2024, "44").rows == []


def test_the_years_to_compare_are_those_with_a_value_newest_first(world, session, coverage):
    publish(world, coverage, CARENE, 2023, 58.0)
    enter(world, NOZAY, 2025, 80.0)
    assert queries.comparable_years(session, "TXCOUV", "44") == [2025, 2023]
    assert [e.code for e in queries.comparable_codes(session, "44")] == ["TXCOUV"]
