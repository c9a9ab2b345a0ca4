"""The phase stepper of a convention and its length in words (pure functions)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Literal

from ctg_core.common.models import ConventionPhase

# The five steps of the stepper; `echue` comes after the last one (every step done).
PHASE_STEPS = (
    ConventionPhase.preparation,
    ConventionPhase.diagnostic,
    ConventionPhase.plan_actions,
    ConventionPhase.pilotage,
    ConventionPhase.evaluation,
)

StepState = Literal["done", "current", "upcoming"]


@dataclass(frozen=True)
class PhaseStep:
    phase: ConventionPhase
    number: int
    reached_on: date | None
    state: StepState


def phase_steps(
    current: ConventionPhase, phase_dates: Mapping[ConventionPhase, date]
) -> list[PhaseStep]:
    """The stepper préparation → évaluation; a step before the current one is done even
    when its date was never recorded (conventions created before the app)."""
    position = PHASE_STEPS.index(current) if current in PHASE_STEPS else len(PHASE_STEPS)
    steps = []
    for number, phase in enumerate(PHASE_STEPS, start=1):
        index = number - 1
        state: StepState = (
            "done" if index < position else "current" if index == position else "upcoming"
        )
        reached = phase_dates.get(phase) if state != "upcoming" else None
        steps.append(PhaseStep(phase, number, reached, state))
    return steps


def duration_months(starts_on: date | None, ends_on: date | None) -> int | None:
    """Length of a convention in whole months (1 Jan 2025 → 31 Dec 2028 is 48)."""
    if starts_on is None or ends_on is None or ends_on < starts_on:
        return None
    return round(((ends_on - starts_on).days + 1) / 30.4375)


def duration_label(starts_on: date | None, ends_on: date | None) -> str:
    """« 4 ans », « 2 ans et 6 mois », « 8 mois »; empty when a date is missing."""
    months = duration_months(starts_on, ends_on)
    if months is None:
        return ""
    years, rest = divmod(months, 12)
    parts = []
    if years:
        parts.append(f"{years} an{'s' if years > 1 else ''}")
    if rest or not years:
        parts.append(f"{rest} mois")
    return " et ".join(parts)
