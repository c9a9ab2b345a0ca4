"""Factories that build small, memorable worlds for tests."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session, select

from ctg_core.common.auth import CurrentUser, current_user_from
from ctg_core.common.models import (
    Action,
    ActionStatus,
    Axis,
    Convention,
    ConventionPhase,
    Indicator,
    IndicatorCatalogue,
    PhaseChange,
    Role,
    Territory,
    User,
    UserTerritory,
)
from ctg_core.reference.indicator_catalogue import load_indicator_catalogue

NANTES_METROPOLE = "244400404"
CARENE = "244400644"


@dataclass
class World:
    session: Session

    def territory(self, code: str = NANTES_METROPOLE) -> Territory:
        row = self.session.exec(select(Territory).where(Territory.code == code)).one()
        return row

    def axis(self, code: str = "PE") -> Axis:
        return self.session.exec(select(Axis).where(Axis.code == code)).one()

    def user(
        self,
        role: Role = Role.coop_officer,
        *,
        name: str | None = None,
        territories: Iterable[Territory] = (),
        demo: bool = False,
    ) -> CurrentUser:
        count = len(self.session.exec(select(User.id)).all())
        user = User(
            email=f"{role.value}{count}@test.invalid",
            name=name or f"{role.label} {count}",
            role=role,
            is_demo=demo,
        )
        self.session.add(user)
        self.session.flush()
        for territory in territories:
            self.session.add(UserTerritory(user_id=user.id, territory_id=territory.id))
        self.session.commit()
        return current_user_from(self.session, user)

    def convention(
        self,
        territory: Territory | None = None,
        *,
        phase: ConventionPhase = ConventionPhase.pilotage,
        advisor: CurrentUser | None = None,
        title: str | None = None,
        starts_on: date | None = date(2025, 1, 1),
        ends_on: date | None = date(2028, 12, 31),
        signed_on: date | None = date(2024, 12, 15),
    ) -> Convention:
        territory = territory or self.territory()
        convention = Convention(
            territory_id=territory.id,
            title=title or f"CTG {territory.name}",
            phase=phase,
            starts_on=starts_on,
            ends_on=ends_on,
            signed_on=signed_on,
            advisor_id=advisor.id if advisor else None,
        )
        self.session.add(convention)
        self.session.flush()
        self.session.add(
            PhaseChange(convention_id=convention.id, phase=phase, reached_on=date(2024, 12, 15))
        )
        self.session.commit()
        return convention

    def action(self, convention: Convention, code: str = "PE-01", **fields: Any) -> Action:
        values: dict[str, Any] = {
            "axis_id": self.axis(code.split("-")[0] if "-" in code else "PE").id,
            "title": f"Action {code}",
            "starts_on": date(2025, 1, 1),
            "due_on": date(2027, 6, 30),
            "status": ActionStatus.en_cours,
            "progress": 20,
        }
        values.update(fields)
        action = Action(convention_id=convention.id, code=code, **values)
        self.session.add(action)
        self.session.commit()
        return action

    def indicator(
        self, convention: Convention, name: str = "Places en crèche", **fields: Any
    ) -> Indicator:
        values: dict[str, Any] = {
            "unit": "places",
            "baseline_value": 120,
            "baseline_year": 2023,
            "target_value": 160,
            "target_year": 2028,
        }
        values.update(fields)
        row = Indicator(convention_id=convention.id, name=name, **values)
        self.session.add(row)
        self.session.commit()
        return row

    def catalogue_entry(self, code: str = "TXCOUV") -> IndicatorCatalogue:
        """An entry of the shipped catalogue (loaded on first use: it is wiped between tests)."""
        load_indicator_catalogue(self.session)
        query = select(IndicatorCatalogue).where(IndicatorCatalogue.code == code)
        return self.session.exec(query).one()

    def catalogue_indicator(
        self, convention: Convention, code: str = "TXCOUV", **fields: Any
    ) -> Indicator:
        """The convention's indicator following catalogue entry `code`."""
        entry = self.catalogue_entry(code)
        values: dict[str, Any] = {
            "name": entry.name,
            "unit": entry.unit,
            "measure": entry.measure,
            "direction": entry.direction,
            "catalogue_id": entry.id,
        }
        values.update(fields)
        row = Indicator(convention_id=convention.id, **values)
        self.session.add(row)
        self.session.commit()
        return row
