"""The catalogue of common indicators: loaded from `data/`, kept by the admin."""

import pytest
from sqlmodel import select

from ctg_core.common.errors import ConflictError, PermissionDenied, ValidationFailed
from ctg_core.common.models import (
    Indicator,
    IndicatorCatalogue,
    IndicatorValue,
    MeasureKind,
    Role,
    TerritoryFigure,
)
from ctg_core.indicators import commands, queries
from ctg_core.reference.indicator_catalogue import load_indicator_catalogue


@pytest.fixture
def admin(world):
    return world.user(Role.admin)


def test_the_shipped_catalogue_loads_once_and_keeps_the_admin_s_edits(world, session, admin):
    assert load_indicator_catalogue(session) == 8
    entry = world.catalogue_entry("ASSMAT")
    commands.update_catalogue_entry(
        session, admin, entry.id, 1, {"name": "Assistantes maternelles"}
    )

    assert load_indicator_catalogue(session) == 0
    assert session.get(IndicatorCatalogue, entry.id).name == "Assistantes maternelles"
    codes = [e.code for e in queries.catalogue(session)]
    assert {"TXCOUV", "PLACES_EAJE", "ASSMAT", "PLACES_ALSH", "FAM_PARENTALITE"} <= set(codes)


def test_the_coverage_rate_is_a_rate_that_may_pass_100(world):
    entry = world.catalogue_entry("TXCOUV")
    assert entry.measure is MeasureKind.rate
    assert entry.unit == "places pour 100 enfants"
    assert "Peut dépasser 100" in entry.definition


def test_the_admin_adds_an_entry_with_an_upper_case_code(session, admin):
    entry = commands.create_catalogue_entry(
        session,
        admin,
        {
            "code": "laep",
            "name": "Familles accueillies en LAEP",
            "unit": "familles",
            "measure": "count",
        },
    )
    assert entry.code == "LAEP"


def test_a_code_already_in_the_catalogue_is_refused(world, session, admin):
    world.catalogue_entry()
    with pytest.raises(ValidationFailed) as refused:
        commands.create_catalogue_entry(session, admin, {"code": "TXCOUV", "name": "Doublon"})
    assert refused.value.errors["code"] == "Ce code est déjà au catalogue."


def test_only_the_admin_keeps_the_catalogue(world, session):
    advisor = world.user(Role.caf_advisor)
    with pytest.raises(PermissionDenied):
        commands.create_catalogue_entry(session, advisor, {"code": "X", "name": "X"})


def test_renaming_an_entry_renames_the_indicators_that_follow_it(world, session, admin):
    convention = world.convention()
    follower = world.catalogue_indicator(convention, "ASSMAT")
    entry = world.catalogue_entry("ASSMAT")
    commands.update_catalogue_entry(
        session, admin, entry.id, 1, {"name": "Assistantes maternelles"}
    )
    session.expire_all()
    assert session.get(Indicator, follower.id).name == "Assistantes maternelles"


def test_a_new_kind_must_hold_the_figures_already_imported(world, session, admin):
    entry = world.catalogue_entry("TXCOUV")
    session.add(
        TerritoryFigure(
            catalogue_id=entry.id, area_code="D44", departement="44", year=2024, value=104.0
        )
    )
    session.commit()
    with pytest.raises(ValidationFailed) as refused:
        commands.update_catalogue_entry(session, admin, entry.id, 1, {"measure": "share"})
    assert "sortent de ce type de mesure" in refused.value.errors["measure"]


def test_a_new_kind_must_hold_the_values_of_the_indicators_that_follow_it(world, session, admin):
    follower = world.catalogue_indicator(world.convention(), "TXCOUV")
    session.add(IndicatorValue(indicator_id=follower.id, year=2025, value=101.5))
    session.commit()
    entry = world.catalogue_entry("TXCOUV")
    with pytest.raises(ValidationFailed):
        commands.update_catalogue_entry(session, admin, entry.id, 1, {"measure": "share"})


def test_a_stale_catalogue_edit_is_a_conflict(world, session, admin):
    entry = world.catalogue_entry("ASSMAT")
    commands.update_catalogue_entry(session, admin, entry.id, 1, {"source": "Pajemploi"})
    with pytest.raises(ConflictError):
        commands.update_catalogue_entry(session, admin, entry.id, 1, {"source": "Autre"})


def test_an_archived_entry_is_no_longer_offered_but_its_followers_keep_it(world, session, admin):
    convention = world.convention()
    follower = world.catalogue_indicator(convention, "ASSMAT")
    entry = world.catalogue_entry("ASSMAT")
    commands.archive_catalogue_entry(session, admin, entry.id, 1)

    assert "ASSMAT" not in [e.code for e in queries.catalogue(session)]
    assert session.get(Indicator, follower.id).catalogue_id == entry.id
    other = world.convention(world.territory("244400644"))
    with pytest.raises(ValidationFailed) as refused:
        commands.create_indicator(session, admin, other.id, {"catalogue_id": entry.id})
    assert "plus) au catalogue" in refused.value.errors["catalogue_id"]
    assert len(session.exec(select(Indicator)).all()) == 1
