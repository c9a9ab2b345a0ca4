"""Indicators and their values through the commands: define, edit, archive; record, correct,
archive a value; a whole year at once; each bounded by its kind of measure."""

from datetime import date

import pytest
from sqlmodel import select

from ctg_core.common.errors import ConflictError, PermissionDenied, ValidationFailed
from ctg_core.common.history import history_lines
from ctg_core.common.models import (
    ChangeLog,
    Indicator,
    IndicatorDirection,
    IndicatorValue,
    MeasureKind,
    Role,
)
from ctg_core.indicators import commands


@pytest.fixture
def convention(world):
    return world.convention()  # 2025-01-01 → 2028-12-31


@pytest.fixture
def admin(world):
    return world.user(Role.admin, name="Alice Admin")


@pytest.fixture
def places(world, convention):
    """A count: places, never negative, whole numbers."""
    return world.indicator(convention, "Places en crèche", measure=MeasureKind.count)


def live_values(session, indicator):
    return session.exec(
        select(IndicatorValue.year, IndicatorValue.value)
        .where(IndicatorValue.indicator_id == indicator.id)
        .where(IndicatorValue.archived_at.is_(None))
        .order_by(IndicatorValue.year)
    ).all()


# --- defining indicators ----------------------------------------------------------------------


def test_an_own_indicator_is_created_with_its_unit_kind_baseline_and_target(
    session, admin, convention
):
    indicator = commands.create_indicator(
        session,
        admin,
        convention.id,
        {
            "name": "Familles accompagnées",
            "unit": "familles",
            "measure": "count",
            "baseline_value": "40",
            "baseline_year": "2024",
            "target_value": "60",
            "target_year": "2028",
        },
    )
    stored = session.get(Indicator, indicator.id)
    assert (stored.name, stored.unit, stored.measure) == (
        "Familles accompagnées",
        "familles",
        "count",
    )
    assert (stored.baseline_value, stored.target_value) == (40, 60)
    [entry] = session.exec(select(ChangeLog).where(ChangeLog.entity == "indicator")).all()
    assert entry.operation == "create"


def test_a_catalogue_indicator_takes_name_unit_kind_direction_and_axis_from_the_catalogue(
    world, session, admin, convention
):
    entry = world.catalogue_entry("TXCOUV")
    indicator = commands.create_indicator(
        session,
        admin,
        convention.id,
        {
            "catalogue_id": entry.id,
            "name": "Autre nom",
            "measure": "count",
            "target_value": "70",
            "target_year": 2028,
        },
    )
    assert indicator.name == "Taux de couverture en accueil du jeune enfant"
    assert (indicator.unit, indicator.measure) == ("places pour 100 enfants", MeasureKind.rate)
    assert indicator.direction is IndicatorDirection.higher_is_better
    assert indicator.axis_id == world.axis("PE").id
    assert indicator.source == "Cnaf – Onape (open data Caf)"


def test_a_convention_follows_a_catalogue_indicator_once(world, session, admin, convention):
    entry = world.catalogue_entry("PLACES_EAJE")
    commands.create_indicator(session, admin, convention.id, {"catalogue_id": entry.id})
    with pytest.raises(ValidationFailed) as refused:
        commands.create_indicator(session, admin, convention.id, {"catalogue_id": entry.id})
    assert "suit déjà" in refused.value.errors["catalogue_id"]


def test_an_own_indicator_needs_a_name(session, admin, convention):
    with pytest.raises(ValidationFailed) as refused:
        commands.create_indicator(session, admin, convention.id, {"unit": "familles"})
    assert refused.value.errors["name"].startswith("Donnez un nom")


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"baseline_value": "40"}, "baseline_year", "avec sa valeur et son année"),
        ({"target_value": "60"}, "target_year", "l'année où la cible"),
        (
            {"baseline_value": 40, "baseline_year": 2026, "target_value": 60, "target_year": 2025},
            "target_year",
            "doit suivre",
        ),
        (
            {"measure": "count", "target_value": "-5", "target_year": 2028},
            "target_value",
            "négative",
        ),
        (
            {"measure": "share", "target_value": "120", "target_year": 2028},
            "target_value",
            "0 à 100",
        ),
    ],
)
def test_an_incoherent_baseline_or_target_is_refused_in_french(
    session, admin, convention, data, field, message
):
    with pytest.raises(ValidationFailed) as refused:
        commands.create_indicator(session, admin, convention.id, {"name": "Places", **data})
    assert message in refused.value.errors[field]
    assert session.exec(select(Indicator)).all() == []


def test_a_committee_member_cannot_define_an_indicator(world, session, convention):
    member = world.user(Role.committee, territories=[world.territory()])
    with pytest.raises(PermissionDenied):
        commands.create_indicator(session, member, convention.id, {"name": "Places"})


def test_an_edit_changes_the_target_and_is_logged(session, admin, places):
    commands.update_indicator(session, admin, places.id, 1, {"target_value": "180"})
    assert session.get(Indicator, places.id).target_value == 180
    [line, *_] = history_lines(session, "indicator", places.id)
    assert str(line.changes[0]) == "Cible : 160 → 180"


def test_an_edit_from_a_stale_version_is_a_conflict(session, admin, places):
    commands.update_indicator(session, admin, places.id, 1, {"target_value": "180"})
    with pytest.raises(ConflictError):
        commands.update_indicator(session, admin, places.id, 1, {"target_value": "190"})
    assert session.get(Indicator, places.id).target_value == 180


def test_a_catalogue_indicator_keeps_the_catalogue_s_unit(world, session, admin, convention):
    indicator = world.catalogue_indicator(convention, "TXCOUV")
    with pytest.raises(ValidationFailed) as refused:
        commands.update_indicator(session, admin, indicator.id, 1, {"unit": "%"})
    assert "fixé par le catalogue" in refused.value.errors["unit"]


def test_a_new_kind_must_hold_the_values_already_measured(session, admin, convention, world):
    indicator = world.indicator(convention, "Solde", measure=MeasureKind.signed)
    session.add(IndicatorValue(indicator_id=indicator.id, year=2025, value=-12))
    session.commit()
    with pytest.raises(ValidationFailed) as refused:
        commands.update_indicator(session, admin, indicator.id, 1, {"measure": "count"})
    assert "2025" in refused.value.errors["measure"]


def test_an_archived_indicator_leaves_the_convention_and_stays_in_history(session, admin, places):
    commands.archive_indicator(session, admin, places.id, 1)
    assert session.get(Indicator, places.id).archived_at is not None
    assert history_lines(session, "indicator", places.id)[0].operation == "archive"
    with pytest.raises(ValidationFailed):
        commands.record_indicator_value(session, admin, places.id, {"year": 2025, "value": 3})


# --- values and their bounds ---------------------------------------------------------------------


def test_a_value_of_1e30_is_refused_in_french_and_nothing_is_stored(session, admin, places):
    with pytest.raises(ValidationFailed) as refused:
        commands.record_indicator_value(session, admin, places.id, {"year": 2025, "value": "1e30"})
    assert refused.value.errors["value"] == (
        "Valeur mesurée doit être comprise entre -1 000 000 000 000 et 1 000 000 000 000."
    )
    assert live_values(session, places) == []


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("-3", "La valeur ne peut pas être négative pour un effectif."),
        ("12,5", "La valeur est un nombre entier pour un effectif (par exemple 12, pas 12,5)."),
        ("-1e308", "Valeur mesurée doit être comprise entre"),
    ],
)
def test_a_value_the_kind_forbids_is_refused_in_french(session, admin, places, typed, message):
    with pytest.raises(ValidationFailed) as refused:
        commands.record_indicator_value(session, admin, places.id, {"year": 2025, "value": typed})
    assert refused.value.errors["value"].startswith(message)
    assert live_values(session, places) == []


def test_a_rate_above_100_is_real_and_recorded(world, session, admin, convention):
    coverage = world.catalogue_indicator(convention, "TXCOUV")
    commands.record_indicator_value(session, admin, coverage.id, {"year": 2025, "value": "104,2 %"})
    assert live_values(session, coverage) == [(2025, 104.2)]


@pytest.mark.parametrize("year", [2023, 2027])
def test_a_year_outside_the_convention_is_refused(session, admin, places, year, monkeypatch):
    # Baseline 2023 is allowed (the diagnostic year); the convention runs 2025–2028; in 2026
    # nothing can be measured for 2027 yet. Here the baseline is 2024, so 2023 is outside.
    monkeypatch.setenv("CTG_TODAY", "2026-11-25")
    places.baseline_year = 2024
    session.add(places)
    session.commit()
    with pytest.raises(ValidationFailed) as refused:
        commands.record_indicator_value(session, admin, places.id, {"year": year, "value": 3})
    assert refused.value.errors["year"] == (
        "L'année doit tomber pendant la convention ou être l'année de référence (2024 à 2026)."
    )


def test_the_baseline_year_before_the_convention_can_be_measured(session, admin, places):
    commands.record_indicator_value(session, admin, places.id, {"year": 2023, "value": 120})
    assert live_values(session, places) == [(2023, 120)]


# --- corrections and removals -----------------------------------------------------------------


def test_a_correction_keeps_the_old_value_and_who_changed_it_in_the_history(
    world, session, admin, places
):
    officer = world.user(
        Role.coop_officer, name="Olivier Officier", territories=[world.territory()]
    )
    value = commands.record_indicator_value(session, admin, places.id, {"year": 2025, "value": 125})
    commands.correct_indicator_value(session, officer, value.id, 1, {"value": "132"})

    assert live_values(session, places) == [(2025, 132)]
    [correction, creation] = history_lines(session, "indicator_value", value.id)
    assert correction.user_name == "Olivier Officier"
    assert correction.operation == "update"
    assert "Valeur mesurée : 125 → 132" in correction.summary
    assert creation.user_name == "Alice Admin"


def test_a_correction_from_a_stale_version_is_a_conflict(session, admin, places):
    value = commands.record_indicator_value(session, admin, places.id, {"year": 2025, "value": 125})
    commands.correct_indicator_value(session, admin, value.id, 1, {"value": "130"})
    with pytest.raises(ConflictError):
        commands.correct_indicator_value(session, admin, value.id, 1, {"value": "140"})
    assert live_values(session, places) == [(2025, 130)]


def test_a_correction_is_bounded_like_a_new_value(session, admin, places):
    value = commands.record_indicator_value(session, admin, places.id, {"year": 2025, "value": 125})
    with pytest.raises(ValidationFailed) as refused:
        commands.correct_indicator_value(session, admin, value.id, 1, {"value": "-4"})
    assert "négative" in refused.value.errors["value"]
    assert live_values(session, places) == [(2025, 125)]


def test_an_already_stored_out_of_bounds_value_can_be_corrected(session, admin, places):
    wrong = IndicatorValue(indicator_id=places.id, year=2025, value=-1e308)
    session.add(wrong)
    session.commit()
    commands.correct_indicator_value(session, admin, wrong.id, 1, {"value": "125"})
    assert live_values(session, places) == [(2025, 125)]


def test_a_removed_value_is_archived_and_its_year_can_be_measured_again(session, admin, places):
    value = commands.record_indicator_value(session, admin, places.id, {"year": 2025, "value": 125})
    commands.archive_indicator_value(session, admin, value.id, 1)
    assert live_values(session, places) == []
    assert session.get(IndicatorValue, value.id).archived_at is not None
    assert history_lines(session, "indicator_value", value.id)[0].operation == "archive"
    commands.record_indicator_value(session, admin, places.id, {"year": 2025, "value": 126})
    assert live_values(session, places) == [(2025, 126)]


# --- a whole year at once -------------------------------------------------------------------


def test_a_year_is_recorded_for_several_indicators_at_once(
    world, session, admin, convention, places
):
    families = world.indicator(convention, "Familles", measure=MeasureKind.quantity)
    report = commands.record_year_values(
        session,
        admin,
        convention.id,
        {"year": 2025, "values": {places.id: "1 234", families.id: "42,5"}, "source": "Bilan"},
    )
    assert (report.recorded, report.left_empty) == (2, 0)
    assert live_values(session, places) == [(2025, 1234)]
    assert live_values(session, families) == [(2025, 42.5)]


def test_one_refused_value_in_a_year_saves_none_and_names_the_indicator(
    world, session, admin, convention, places
):
    families = world.indicator(convention, "Familles", measure=MeasureKind.quantity)
    other = world.indicator(convention, "Ateliers", measure=MeasureKind.count)
    with pytest.raises(ValidationFailed) as refused:
        commands.record_year_values(
            session,
            admin,
            convention.id,
            {"year": 2025, "values": {places.id: "-2", families.id: "12", other.id: ""}},
        )
    assert refused.value.errors == {
        f"value:{places.id}": "Places en crèche : La valeur ne peut pas être négative pour un "
        "effectif."
    }
    assert session.exec(select(IndicatorValue)).all() == []


def test_an_indicator_of_another_convention_cannot_be_slipped_into_a_year(
    world, session, admin, convention, places
):
    elsewhere = world.indicator(world.convention(world.territory("244400644")), "Ailleurs")
    with pytest.raises(Exception, match="introuvable"):
        commands.record_year_values(
            session, admin, convention.id, {"year": 2025, "values": {elsewhere.id: "3"}}
        )
    assert session.exec(select(IndicatorValue)).all() == []


def test_a_measure_date_outside_its_year_is_refused(session, admin, places):
    with pytest.raises(ValidationFailed) as refused:
        commands.record_indicator_value(
            session, admin, places.id, {"year": 2025, "value": 3, "measured_on": date(2024, 5, 1)}
        )
    assert "measured_on" in refused.value.errors
