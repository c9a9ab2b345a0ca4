"""The status of an indicator, from its values, its baseline, its target and its direction
(a pure function: the README's « Statut d'un indicateur » rule, word for word).

1. No measured value, or the latest one is older than `RECENT_YEARS` years before this
   year → « pas de donnée récente ».
2. No target value → « sans cible » (nothing to be on track for).
3. The latest value reaches the target (at or above it when higher is better, at or below
   it when lower is better) → « atteint ».
4. Otherwise the latest value is compared with the value expected that year on the straight
   path from the baseline (year and value) to the target (year and value); before the
   baseline year the path holds the baseline, after the target year it holds the target.
   Without a baseline, the path starts at the first measured value; without a target year,
   the expected value stays the starting value. At least as good as expected → « en bonne
   voie », worse → « en retard ».

Status is shown by a word and a symbol, never by colour alone.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable
from dataclasses import dataclass

from ctg_core.common.models import IndicatorDirection

RECENT_YEARS = 2  # in 2026, a value of 2024 or later is recent (open data comes out late)


class IndicatorStatus(enum.StrEnum):
    reached = "atteint"
    on_track = "en_bonne_voie"
    late = "en_retard"
    no_recent_data = "pas_de_donnee_recente"
    no_target = "sans_cible"

    @property
    def label(self) -> str:
        return _LABELS[self][0]

    @property
    def symbol(self) -> str:
        return _LABELS[self][1]

    @property
    def text(self) -> str:
        """« ✓ Atteint »: the symbol and the word, as the pages show them."""
        return f"{self.symbol} {self.label}"


_LABELS = {
    IndicatorStatus.reached: ("Atteint", "✓"),
    IndicatorStatus.on_track: ("En bonne voie", "↗"),
    IndicatorStatus.late: ("En retard", "⚠"),
    IndicatorStatus.no_recent_data: ("Pas de donnée récente", "?"),
    IndicatorStatus.no_target: ("Sans cible", "—"),
}


@dataclass(frozen=True)
class Goal:
    """What an indicator aims at: its direction, baseline and target (each may be missing)."""

    direction: IndicatorDirection
    baseline_value: float | None = None
    baseline_year: int | None = None
    target_value: float | None = None
    target_year: int | None = None


def at_least_as_good(value: float, reference: float, direction: IndicatorDirection) -> bool:
    if direction is IndicatorDirection.lower_is_better:
        return value <= reference
    return value >= reference


def reaches_target(value: float, goal: Goal) -> bool:
    return goal.target_value is not None and at_least_as_good(
        value, goal.target_value, goal.direction
    )


def path_start(goal: Goal, points: list[tuple[int, float]]) -> tuple[int, float] | None:
    """Where the expected path starts: the baseline, else the first measured value."""
    if goal.baseline_value is not None and goal.baseline_year is not None:
        return goal.baseline_year, goal.baseline_value
    return points[0] if points else None


def expected_value(goal: Goal, start: tuple[int, float], year: int) -> float:
    """The value expected in `year` on the straight path from `start` to the target."""
    start_year, start_value = start
    if goal.target_value is None or goal.target_year is None:
        return start_value
    if year >= goal.target_year:
        return goal.target_value
    if year <= start_year:  # also when the target year comes before the start
        return start_value
    share = (year - start_year) / (goal.target_year - start_year)
    return start_value + share * (goal.target_value - start_value)


def usable(points: Iterable[tuple[int, float]]) -> list[tuple[int, float]]:
    """Measured (year, value) in year order, without what is not a finite number."""
    return sorted(
        ((int(year), float(value)) for year, value in points if math.isfinite(float(value))),
        key=lambda p: p[0],
    )


def indicator_status(
    goal: Goal, points: Iterable[tuple[int, float]], this_year: int
) -> IndicatorStatus:
    """The status of the README rule for measured `points` (year, value), in `this_year`."""
    measured = usable(points)
    if not measured or measured[-1][0] < this_year - RECENT_YEARS:
        return IndicatorStatus.no_recent_data
    if goal.target_value is None:
        return IndicatorStatus.no_target
    year, latest = measured[-1]
    if reaches_target(latest, goal):
        return IndicatorStatus.reached
    start = path_start(goal, measured)
    assert start is not None  # measured is not empty
    expected = expected_value(goal, start, year)
    if at_least_as_good(latest, expected, goal.direction):
        return IndicatorStatus.on_track
    return IndicatorStatus.late
