"""The status of an indicator by the README rule, on hand-made series (this year: 2026)."""

import pytest

from ctg_core.common.models import IndicatorDirection
from ctg_core.indicators.status import Goal, IndicatorStatus, expected_value, indicator_status

HIGHER = IndicatorDirection.higher_is_better
LOWER = IndicatorDirection.lower_is_better
THIS_YEAR = 2026
# Rising: 100 in 2022 → 200 in 2030, i.e. 12,5 a year on the straight path (150 in 2026).
RISING = Goal(HIGHER, baseline_value=100, baseline_year=2022, target_value=200, target_year=2030)
# Falling: 40 % in 2022 → 20 % in 2030, i.e. -2,5 points a year (30 in 2026).
FALLING = Goal(LOWER, baseline_value=40, baseline_year=2022, target_value=20, target_year=2030)


def status(goal: Goal, *points: tuple[int, float]) -> IndicatorStatus:
    return indicator_status(goal, points, THIS_YEAR)


def test_the_expected_value_follows_the_straight_path_from_baseline_to_target():
    start = (2022, 100.0)
    assert expected_value(RISING, start, 2026) == 150
    assert expected_value(RISING, start, 2020) == 100  # before the baseline: the baseline
    assert expected_value(RISING, start, 2032) == 200  # after the target year: the target


def test_a_rising_indicator_ahead_of_its_path_is_on_track():
    assert status(RISING, (2024, 120), (2026, 151)) is IndicatorStatus.on_track


def test_a_rising_indicator_exactly_on_its_path_is_on_track():
    assert status(RISING, (2026, 150)) is IndicatorStatus.on_track


def test_a_rising_indicator_below_its_path_is_late():
    assert status(RISING, (2024, 130), (2026, 149)) is IndicatorStatus.late


def test_a_falling_indicator_below_its_path_is_on_track():
    assert status(FALLING, (2025, 31), (2026, 29.5)) is IndicatorStatus.on_track


def test_a_falling_indicator_above_its_path_is_late():
    assert status(FALLING, (2026, 31)) is IndicatorStatus.late


def test_a_falling_indicator_at_or_below_its_target_has_reached_it():
    assert status(FALLING, (2025, 19.5)) is IndicatorStatus.reached


def test_a_target_already_met_is_reached_even_before_its_year():
    assert status(RISING, (2023, 180), (2025, 205)) is IndicatorStatus.reached


def test_only_the_latest_value_counts_a_target_once_met_then_lost_is_not_reached():
    assert status(RISING, (2024, 210), (2026, 140)) is IndicatorStatus.late


def test_missing_years_are_read_on_the_path_at_the_year_of_the_latest_value():
    # 2023 to 2025 missing: 2026 is compared with 150, whatever came before.
    assert status(RISING, (2022, 100), (2026, 160)) is IndicatorStatus.on_track


def test_without_a_recent_value_there_is_no_recent_data():
    # In 2026 a value of 2023 is too old (recent: 2024 or later).
    assert status(RISING, (2022, 100), (2023, 190)) is IndicatorStatus.no_recent_data
    assert status(RISING, (2024, 190)) is IndicatorStatus.on_track


def test_without_any_value_there_is_no_recent_data():
    assert status(RISING) is IndicatorStatus.no_recent_data


def test_without_a_target_the_status_says_so():
    goal = Goal(HIGHER, baseline_value=100, baseline_year=2022)
    assert status(goal, (2025, 300)) is IndicatorStatus.no_target


def test_a_single_value_without_baseline_starts_its_own_path_and_is_on_track():
    goal = Goal(HIGHER, target_value=200, target_year=2030)
    assert status(goal, (2026, 120)) is IndicatorStatus.on_track


def test_without_baseline_the_path_starts_at_the_first_value():
    # 100 in 2022 → 200 in 2030 again, started by the first value: 140 in 2026 is late.
    goal = Goal(HIGHER, target_value=200, target_year=2030)
    assert status(goal, (2022, 100), (2026, 140)) is IndicatorStatus.late


def test_past_the_target_year_anything_short_of_the_target_is_late():
    goal = Goal(HIGHER, baseline_value=100, baseline_year=2020, target_value=200, target_year=2025)
    assert status(goal, (2026, 199)) is IndicatorStatus.late


@pytest.mark.parametrize(
    ("state", "text"),
    [
        (IndicatorStatus.reached, "✓ Atteint"),
        (IndicatorStatus.on_track, "↗ En bonne voie"),
        (IndicatorStatus.late, "⚠ En retard"),
        (IndicatorStatus.no_recent_data, "? Pas de donnée récente"),
        (IndicatorStatus.no_target, "— Sans cible"),
    ],
)
def test_each_status_is_written_with_a_word_and_a_symbol(state, text):
    assert state.text == text


def test_values_that_are_not_finite_numbers_are_left_out():
    assert status(RISING, (2025, 150), (2026, float("nan"))) is IndicatorStatus.on_track
