"""The whole permission rule set as ONE table of data, asserted cell by cell on SQLite and
PostgreSQL.

Writes — every command of the core × every role × (own territory, other territory), plus
the same role deactivated. « Own » is the convention of the actor's territory (and, for a
conseiller, a convention they follow); « other » is another territory's convention,
followed by another conseiller. For commands on a person (user administration) the target
is a user of that territory; for the funding of a post, the post of that territory; a
yearly funding rule is Caf-wide (both columns act on a rule of their own year).
A refused cell raises `PermissionDenied` (or reports the refusal, for a batch) and changes
nothing; an inactive user is refused everything.

Pages — every page × every role: shown, or refused in French with none of its content.

A command without a row fails `test_every_command_has_a_row`, which names it: add its row
to COMMANDS and its call to CALLS below.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlmodel import Session, SQLModel, select
from streamlit.testing.v1 import AppTest

from ctg_core.committee import commands as committee
from ctg_core.common import auth
from ctg_core.common.auth import AccountDisabled, CurrentUser
from ctg_core.common.errors import PermissionDenied
from ctg_core.common.models import (
    Convention,
    CooperationPost,
    FundingRule,
    Meeting,
    PostFunding,
    PostHolder,
    RenewalStatus,
    Role,
    Territory,
    User,
)
from ctg_core.exchange import commands as exchange
from ctg_core.exchange import indicator_sheet, plan_sheet, writers
from ctg_core.exchange.report import Operation
from ctg_core.funding import commands as funding
from ctg_core.indicators import commands as indicators
from ctg_core.people import commands as people
from ctg_core.plan import commands as plan
from ctg_core.plan.commands import Outcome, RowChange
from tests.commands_index import every_command
from tests.conftest import TODAY
from tests.factories import CARENE, World

ROOT = Path(__file__).resolve().parents[2]
ROLES = (Role.admin, Role.caf_manager, Role.caf_advisor, Role.coop_officer, Role.committee)

# ✓ allowed, ✗ refused. Rows: « capability.verb » (the command capability.commands.verb).
# For each role (admin, caf_manager, caf_advisor, coop_officer, committee): own territory,
# then other territory. « off »: the actor's account deactivated, whatever their role.
COMMANDS = """
command                           admin  manager  advisor  officer  committee  off
plan.create_convention            ✓✓     ✗✗       ✓✓       ✗✗       ✗✗         ✗
plan.update_convention            ✓✓     ✗✗       ✓✗       ✗✗       ✗✗         ✗
plan.create_action                ✓✓     ✗✗       ✓✗       ✓✗       ✗✗         ✗
plan.update_action                ✓✓     ✗✗       ✓✗       ✓✗       ✗✗         ✗
plan.archive_action               ✓✓     ✗✗       ✓✗       ✓✗       ✗✗         ✗
plan.update_actions               ✓✓     ✗✗       ✓✗       ✓✗       ✗✗         ✗
plan.add_axis                     ✓✓     ✗✗       ✗✗       ✗✗       ✗✗         ✗
committee.create_meeting          ✓✓     ✗✗       ✓✗       ✓✗       ✗✗         ✗
committee.update_meeting          ✓✓     ✗✗       ✓✗       ✓✗       ✗✗         ✗
committee.close_meeting           ✓✓     ✗✗       ✓✗       ✓✗       ✗✗         ✗
committee.refresh_agenda          ✓✓     ✗✗       ✓✗       ✓✗       ✗✗         ✗
committee.move_agenda_item        ✓✓     ✗✗       ✓✗       ✓✗       ✗✗         ✗
committee.add_agenda_item         ✓✓     ✗✗       ✓✗       ✓✗       ✗✗         ✗
committee.remove_agenda_item      ✓✓     ✗✗       ✓✗       ✓✗       ✗✗         ✗
committee.mark_reviewed           ✓✓     ✗✗       ✓✗       ✓✗       ✗✗         ✗
committee.record_decision         ✓✓     ✗✗       ✓✗       ✓✗       ✗✗         ✗
committee.quick_update            ✓✓     ✗✗       ✓✗       ✓✗       ✗✗         ✗
committee.start_meeting           ✓✓     ✗✗       ✓✗       ✓✗       ✗✗         ✗
committee.record_attendance       ✓✓     ✗✗       ✓✗       ✓✗       ✗✗         ✗
committee.update_agenda_item      ✓✓     ✗✗       ✓✗       ✓✗       ✗✗         ✗
committee.park_agenda_item        ✓✓     ✗✗       ✓✗       ✓✗       ✗✗         ✗
committee.unpark_agenda_item      ✓✓     ✗✗       ✓✗       ✓✗       ✗✗         ✗
committee.take_up_parked          ✓✓     ✗✗       ✓✗       ✓✗       ✗✗         ✗
indicators.record_indicator_value ✓✓     ✗✗       ✓✗       ✓✗       ✗✗         ✗
indicators.create_indicator       ✓✓     ✗✗       ✓✗       ✓✗       ✗✗         ✗
indicators.update_indicator       ✓✓     ✗✗       ✓✗       ✓✗       ✗✗         ✗
indicators.archive_indicator      ✓✓     ✗✗       ✓✗       ✓✗       ✗✗         ✗
indicators.correct_indicator_value ✓✓    ✗✗       ✓✗       ✓✗       ✗✗         ✗
indicators.archive_indicator_value ✓✓    ✗✗       ✓✗       ✓✗       ✗✗         ✗
indicators.record_year_values     ✓✓     ✗✗       ✓✗       ✓✗       ✗✗         ✗
indicators.create_catalogue_entry ✓✓     ✗✗       ✗✗       ✗✗       ✗✗         ✗
indicators.update_catalogue_entry ✓✓     ✗✗       ✗✗       ✗✗       ✗✗         ✗
indicators.archive_catalogue_entry ✓✓    ✗✗       ✗✗       ✗✗       ✗✗         ✗
indicators.import_open_data       ✓✓     ✗✗       ✗✗       ✗✗       ✗✗         ✗
exchange.import_plan              ✓✓     ✗✗       ✓✗       ✓✗       ✗✗         ✗
exchange.import_indicator_values  ✓✓     ✗✗       ✓✗       ✓✗       ✗✗         ✗
funding.create_rule               ✓✓     ✗✗       ✗✗       ✗✗       ✗✗         ✗
funding.update_rule               ✓✓     ✗✗       ✗✗       ✗✗       ✗✗         ✗
funding.correct_rule              ✓✓     ✗✗       ✗✗       ✗✗       ✗✗         ✗
funding.create_post               ✓✓     ✓✓       ✗✗       ✗✗       ✗✗         ✗
funding.add_holder                ✓✓     ✓✓       ✗✗       ✗✗       ✗✗         ✗
funding.update_holder             ✓✓     ✓✓       ✗✗       ✗✗       ✗✗         ✗
funding.open_line                 ✓✓     ✓✓       ✗✗       ✗✗       ✗✗         ✗
funding.declare_funding           ✓✓     ✓✓       ✗✗       ✗✗       ✗✗         ✗
funding.record_renewal            ✓✓     ✓✓       ✗✗       ✗✗       ✗✗         ✗
funding.pay_advance               ✓✓     ✓✓       ✗✗       ✗✗       ✗✗         ✗
funding.record_justification      ✓✓     ✓✓       ✗✗       ✗✗       ✗✗         ✗
funding.settle_balance            ✓✓     ✓✓       ✗✗       ✗✗       ✗✗         ✗
people.add_user                   ✓✓     ✗✗       ✗✗       ✗✗       ✗✗         ✗
people.change_user                ✓✓     ✗✗       ✗✗       ✗✗       ✗✗         ✗
people.deactivate_user            ✓✓     ✗✗       ✗✗       ✗✗       ✗✗         ✗
people.reactivate_user            ✓✓     ✗✗       ✗✗       ✗✗       ✗✗         ✗
"""

PAGES = """
page            admin  manager  advisor  officer  committee
vue_ensemble    ✓      ✓        ✓        ✗        ✗
convention      ✓      ✓        ✓        ✓        ✓
comite          ✓      ✓        ✓        ✓        ✓
mes_actions     ✓      ✗        ✓        ✓        ✗
indicateurs     ✓      ✓        ✓        ✓        ✓
financement     ✓      ✓        ✓        ✓        ✗
historique      ✓      ✓        ✓        ✗        ✗
administration  ✓      ✗        ✗        ✗        ✗
"""

OWN, OTHER, INACTIVE = "own territory", "other territory", "inactive user"


def _table(text: str) -> dict[str, list[str]]:
    rows = [line.split() for line in text.strip().splitlines()]
    header, body = rows[0], rows[1:]
    assert all(len(row) == len(header) for row in body), "a row of the matrix lacks a cell"
    return {row[0]: row[1:] for row in body}


def command_name(row: str) -> str:
    """« plan.update_action » in the table is the command `plan.commands.update_action`."""
    capability, verb = row.rsplit(".", 1)
    return f"{capability}.commands.{verb}"


def command_rules() -> dict[tuple[str, Role], dict[str, bool]]:
    """{(command, role): {situation: allowed}} for every cell of COMMANDS."""
    rules = {}
    for row_name, row in _table(COMMANDS).items():
        name = command_name(row_name)
        for role, pair in zip(ROLES, row[:5], strict=True):
            rules[name, role] = {
                OWN: pair[0] == "✓",
                OTHER: pair[1] == "✓",
                INACTIVE: row[5] == "✓",
            }
    return rules


def page_cells() -> list[tuple[str, Role, bool]]:
    return [
        (page, role, mark == "✓")
        for page, row in _table(PAGES).items()
        for role, mark in zip(ROLES, row, strict=True)
    ]


# --- the small world each cell acts in ----------------------------------------------------------


@dataclass
class Case:
    """An actor of one role and the convention (and territory) a cell is about; each call
    builds its own fresh records."""

    world: World
    actor: CurrentUser
    staff: CurrentUser  # an administrator who prepares meetings and agendas
    target: Convention
    territory: Territory
    serial: Iterator[int]

    @property
    def session(self) -> Session:
        return self.world.session

    def n(self) -> int:
        return next(self.serial)

    def action(self) -> Any:
        return self.world.action(self.target, f"PE-{self.n():02d}")

    def meeting(self, **values: Any) -> Meeting:
        return committee.create_meeting(
            self.session,
            self.staff,
            self.target.id,
            {"kind": "cotech", "held_on": TODAY, **values},
            today=TODAY,
        )

    def agenda_item(self) -> int:
        meeting = self.meeting()
        for title in ("Point A", "Point B"):
            committee.add_agenda_item(self.session, self.staff, meeting.id, title=title)
        return committee.add_agenda_item(self.session, self.staff, meeting.id, title="Point C").id

    def parked_item(self) -> int:
        """A point of a meeting of the convention, parked in the backlog."""
        item = self.agenda_item()
        committee.park_agenda_item(self.session, self.staff, item)
        return item

    def post(self, *, holder: bool = False) -> CooperationPost:
        """A post of the territory (with a full-time holder since 2020: one to open a line)."""
        post = CooperationPost(territory_id=self.territory.id, officer_name="Poste")
        self.session.add(post)
        self.session.flush()
        if holder:
            self.session.add(
                PostHolder(post_id=post.id, name="Titulaire", starts_on=date(2020, 1, 1))
            )
        self.session.commit()
        return post

    def holder(self) -> int:
        post = self.post(holder=True)
        return self.session.exec(select(PostHolder.id).where(PostHolder.post_id == post.id)).one()

    def indicator_value(self) -> int:
        """A 2025 value of an indicator of the convention, recorded by the staff."""
        indicator = self.world.indicator(self.target)
        return indicators.record_indicator_value(
            self.session, self.staff, indicator.id, {"year": 2025, "value": "12"}
        ).id

    def catalogue_entry(self) -> int:
        """A catalogue entry of its own (the shipped catalogue loaded first)."""
        self.world.catalogue_entry()
        return indicators.create_catalogue_entry(
            self.session, self.staff, {"code": f"ENT{self.n()}", "name": f"Entrée {self.n()}"}
        ).id

    def open_data_file(self) -> bytes:
        """The fictitious Caf file of the taux de couverture by EPCI (catalogue loaded)."""
        self.world.catalogue_entry("TXCOUV")
        return (ROOT / "data" / "open_data" / "caf_taux_couverture_epci_fictif.csv").read_bytes()

    def funding_line(self, year: int = 2026, **values: Any) -> PostFunding:
        """The funding of the territory's post for a year that has a rule (2026 by default)."""
        line = PostFunding(post_id=self.post().id, year=year, **values)
        self.session.add(line)
        self.session.commit()
        return line

    def paid_line(self, **values: Any) -> PostFunding:
        """The 2025 line, signed and its acompte paid: ready for its justification."""
        return self.funding_line(
            2025,
            renewal_status=RenewalStatus.signee,
            renewal_signed_on=date(2024, 11, 20),
            entitlement=Decimal("20000"),
            eligible_cost=Decimal("40000"),
            advance_amount=Decimal("14000"),
            advance_paid_on=date(2025, 1, 20),
            **values,
        )

    def justified_line(self) -> PostFunding:
        """The 2025 line justified (final droit 20 000 €, solde 6 000 €): ready for its solde."""
        return self.paid_line(
            actual_cost=Decimal("40000"),
            justified_on=date(2026, 2, 15),
            final_entitlement=Decimal("20000"),
            balance_amount=Decimal("6000"),
        )

    def rule_year(self) -> int:
        """A year no funding rule covers yet (from 2060: far from the reference rules)."""
        return 2059 + self.n()

    def rule(self, *, used: bool = False) -> int:
        """A funding rule of a fresh year, made by the staff; `used`: a line applies it."""
        year = self.rule_year()
        funding.create_rule(self.session, self.staff, year, rule_input(year))
        if used:
            self.funding_line(year, eligible_cost=Decimal("40000"), entitlement=Decimal("20000"))
        return year

    def plan_file(self) -> dict[str, Any]:
        """A plan d'actions with one new fiche, written as the exchange exports it."""
        fiche = {**plan_sheet.example_row("Petite enfance"), "code": f"PE-{50 + self.n()}"}
        fiche["title"] = "Fiche importée"
        table = writers.Table(
            plan_sheet.SHEET_TITLE, plan_sheet.plan_columns(), pd.DataFrame([fiche])
        )
        return {"file_name": "plan.xlsx", "content": writers.excel_bytes(table)}

    def values_file(self) -> dict[str, Any]:
        """A new indicator of the convention and a file with its 2025 value."""
        name = f"Indicateur {self.n()}"
        self.world.indicator(self.target, name)
        value = {
            "indicator": name,
            "unit": "places",
            "year": 2025,
            "value": 132.5,
            "measured_on": date(2025, 6, 30),
            "source": "Caf",
        }
        table = indicator_sheet.values_table(pd.DataFrame([value]))
        return {"file_name": "valeurs.xlsx", "content": writers.excel_bytes(table)}

    def person(self, *, active: bool = True) -> CurrentUser:
        """A chargé de coopération of the territory (deactivated: version 2, as the
        administration page would leave them)."""
        person = self.world.user(Role.coop_officer, territories=[self.territory])
        if not active:
            row = self.session.get(User, person.id)
            row.is_active, row.version = False, 2
            self.session.add(row)
            self.session.commit()
        return person


@dataclass(frozen=True)
class Call:
    """How a command is called in a cell: `prepare` builds the records it acts on (as the
    staff), `act` calls it as the actor with valid input — only the rights decide."""

    act: Callable[[Case, Any], object]
    prepare: Callable[[Case], Any] = lambda case: None


def _batch(case: Case, action_id: int) -> bool:
    report = plan.update_actions(
        case.session, case.actor, [RowChange(action_id, 1, {"progress": 60})]
    )
    [row] = report.rows
    if row.outcome is Outcome.rejected:
        assert row.message.startswith("Vous n'avez pas le droit"), row.message
        return False
    return row.outcome is Outcome.saved


def _action(case: Case) -> int:
    return case.action().id


def _meeting(case: Case) -> int:
    return case.meeting().id


def _signed_line(case: Case) -> int:
    return case.funding_line(
        renewal_status=RenewalStatus.signee,
        renewal_signed_on=date(2026, 3, 1),
        entitlement=Decimal("20000"),
    ).id


def rule_input(year: int) -> dict[str, str]:
    """A year's rule as the admin types it (renewal window in the autumn before)."""
    return {
        "rate": "50",
        "ceiling_per_fte": "27 000",
        "advance_share": "60 %",
        "renewal_opens_on": f"01/10/{year - 1}",
        "renewal_due_on": f"31/12/{year - 1}",
    }


def _next_meeting_and_parked(case: Case) -> tuple[int, int]:
    """A point parked in a meeting of the convention, and the next meeting to take it up."""
    parked = case.parked_item()
    return case.meeting().id, parked


def _imported(report: Any) -> bool:
    assert not report.problems, report.problems  # valid input: only the rights decide
    return report.count(Operation.create) == 1


CALLS: dict[str, Call] = {
    "plan.commands.create_convention": Call(
        lambda c, _: plan.create_convention(
            c.session, c.actor, {"territory_id": c.territory.id, "title": "Nouvelle CTG"}
        )
    ),
    "plan.commands.update_convention": Call(
        lambda c, _: plan.update_convention(
            c.session, c.actor, c.target.id, c.target.version, {"title": "CTG renommée"}
        )
    ),
    "plan.commands.create_action": Call(
        lambda c, axis_id: plan.create_action(
            c.session,
            c.actor,
            c.target.id,
            {"axis_id": axis_id, "code": f"NEW-{c.n()}", "title": "Neuve"},
        ),
        lambda c: c.world.axis().id,
    ),
    "plan.commands.update_action": Call(
        lambda c, ident: plan.update_action(c.session, c.actor, ident, 1, {"progress": 60}),
        _action,
    ),
    "plan.commands.archive_action": Call(
        lambda c, ident: plan.archive_action(c.session, c.actor, ident, 1), _action
    ),
    "plan.commands.update_actions": Call(_batch, _action),
    "plan.commands.add_axis": Call(
        lambda c, _: plan.add_axis(
            c.session, c.actor, {"code": f"AX{c.n()}", "label": f"Axe {c.n()}"}
        )
    ),
    "committee.commands.create_meeting": Call(
        lambda c, _: committee.create_meeting(
            c.session, c.actor, c.target.id, {"kind": "copil", "held_on": TODAY}, today=TODAY
        )
    ),
    "committee.commands.update_meeting": Call(
        lambda c, ident: committee.update_meeting(
            c.session, c.actor, ident, 1, {"place": "Mairie"}
        ),
        _meeting,
    ),
    "committee.commands.close_meeting": Call(
        lambda c, ident: committee.close_meeting(c.session, c.actor, ident, 1), _meeting
    ),
    "committee.commands.refresh_agenda": Call(
        lambda c, ident: committee.refresh_agenda(c.session, c.actor, ident, today=TODAY), _meeting
    ),
    "committee.commands.move_agenda_item": Call(
        lambda c, item: committee.move_agenda_item(c.session, c.actor, item, -1),
        lambda c: c.agenda_item(),
    ),
    "committee.commands.add_agenda_item": Call(
        lambda c, ident: committee.add_agenda_item(
            c.session, c.actor, ident, title="Questions diverses"
        ),
        _meeting,
    ),
    "committee.commands.remove_agenda_item": Call(
        lambda c, item: committee.remove_agenda_item(c.session, c.actor, item),
        lambda c: c.agenda_item(),
    ),
    "committee.commands.mark_reviewed": Call(
        lambda c, item: committee.mark_reviewed(c.session, c.actor, item),
        lambda c: c.agenda_item(),
    ),
    "committee.commands.record_decision": Call(
        lambda c, ident: committee.record_decision(c.session, c.actor, ident, "Poursuivre"),
        _meeting,
    ),
    "committee.commands.quick_update": Call(
        lambda c, ids: committee.quick_update(c.session, c.actor, *ids, 1, {"progress": 60}),
        lambda c: (c.meeting().id, c.action().id),
    ),
    "committee.commands.start_meeting": Call(
        lambda c, ident: committee.start_meeting(c.session, c.actor, ident, 1), _meeting
    ),
    "committee.commands.record_attendance": Call(
        lambda c, ident: committee.record_attendance(
            c.session, c.actor, ident, 1, {"attendance": {"Anne Le Goff": "present"}}
        ),
        lambda c: c.meeting(attendees=["Anne Le Goff", "Paul Morin"]).id,
    ),
    "committee.commands.update_agenda_item": Call(
        lambda c, item: committee.update_agenda_item(
            c.session, c.actor, item, {"planned_minutes": "12", "presenter": "Mme Durand"}
        ),
        lambda c: c.agenda_item(),
    ),
    "committee.commands.park_agenda_item": Call(
        lambda c, item: committee.park_agenda_item(c.session, c.actor, item),
        lambda c: c.agenda_item(),
    ),
    "committee.commands.unpark_agenda_item": Call(
        lambda c, item: committee.unpark_agenda_item(c.session, c.actor, item),
        lambda c: c.parked_item(),
    ),
    "committee.commands.take_up_parked": Call(
        lambda c, ids: committee.take_up_parked(c.session, c.actor, *ids),
        _next_meeting_and_parked,
    ),
    "indicators.commands.record_indicator_value": Call(
        lambda c, ident: indicators.record_indicator_value(
            c.session, c.actor, ident, {"year": 2025, "value": "12,5"}
        ),
        lambda c: c.world.indicator(c.target).id,
    ),
    "exchange.commands.import_plan": Call(
        lambda c, file: _imported(exchange.import_plan(c.session, c.actor, c.target.id, file)),
        lambda c: c.plan_file(),
    ),
    "exchange.commands.import_indicator_values": Call(
        lambda c, file: _imported(
            exchange.import_indicator_values(c.session, c.actor, c.target.id, file)
        ),
        lambda c: c.values_file(),
    ),
    "funding.commands.create_rule": Call(
        lambda c, year: funding.create_rule(c.session, c.actor, year, rule_input(year)),
        lambda c: c.rule_year(),
    ),
    "funding.commands.update_rule": Call(
        lambda c, year: funding.update_rule(c.session, c.actor, year, 1, {"rate": "55 %"}),
        lambda c: c.rule(),
    ),
    "funding.commands.correct_rule": Call(
        lambda c, year: funding.correct_rule(
            c.session, c.actor, year, 1, {"rate": "45", "reason": "Circulaire rectificative"}
        ),
        lambda c: c.rule(used=True),
    ),
    "funding.commands.create_post": Call(
        lambda c, _: funding.create_post(
            c.session,
            c.actor,
            {
                "territory_id": c.territory.id,
                "name": "Nadia Roux",
                "fte": "1",
                "starts_on": date(2026, 1, 1),
            },
            today=TODAY,
        )
    ),
    "funding.commands.add_holder": Call(
        lambda c, ident: funding.add_holder(
            c.session,
            c.actor,
            ident,
            1,
            {"name": "Karim Leroy", "fte": "0,5", "starts_on": date(2026, 1, 1)},
            today=TODAY,
        ),
        lambda c: c.post().id,
    ),
    "funding.commands.update_holder": Call(
        lambda c, ident: funding.update_holder(
            c.session, c.actor, ident, 1, {"ends_on": date(2026, 6, 30)}, today=TODAY
        ),
        lambda c: c.holder(),
    ),
    "funding.commands.open_line": Call(
        lambda c, ident: funding.open_line(c.session, c.actor, ident, {"year": 2026}, today=TODAY),
        lambda c: c.post(holder=True).id,
    ),
    "indicators.commands.create_indicator": Call(
        lambda c, _: indicators.create_indicator(
            c.session, c.actor, c.target.id, {"name": f"Familles accueillies {c.n()}"}
        )
    ),
    "indicators.commands.update_indicator": Call(
        lambda c, ident: indicators.update_indicator(
            c.session, c.actor, ident, 1, {"source": "Caf, rapport annuel"}
        ),
        lambda c: c.world.indicator(c.target).id,
    ),
    "indicators.commands.archive_indicator": Call(
        lambda c, ident: indicators.archive_indicator(c.session, c.actor, ident, 1),
        lambda c: c.world.indicator(c.target).id,
    ),
    "indicators.commands.correct_indicator_value": Call(
        lambda c, ident: indicators.correct_indicator_value(
            c.session, c.actor, ident, 1, {"value": "13,5"}
        ),
        lambda c: c.indicator_value(),
    ),
    "indicators.commands.archive_indicator_value": Call(
        lambda c, ident: indicators.archive_indicator_value(c.session, c.actor, ident, 1),
        lambda c: c.indicator_value(),
    ),
    "indicators.commands.record_year_values": Call(
        lambda c, ident: indicators.record_year_values(
            c.session, c.actor, c.target.id, {"year": 2025, "values": {ident: "12,5"}}
        ),
        lambda c: c.world.indicator(c.target).id,
    ),
    "indicators.commands.create_catalogue_entry": Call(
        lambda c, _: indicators.create_catalogue_entry(
            c.session, c.actor, {"code": f"CAT{c.n()}", "name": f"Indicateur commun {c.n()}"}
        )
    ),
    "indicators.commands.update_catalogue_entry": Call(
        lambda c, ident: indicators.update_catalogue_entry(
            c.session, c.actor, ident, 1, {"definition": "Définition revue"}
        ),
        lambda c: c.catalogue_entry(),
    ),
    "indicators.commands.archive_catalogue_entry": Call(
        lambda c, ident: indicators.archive_catalogue_entry(c.session, c.actor, ident, 1),
        lambda c: c.catalogue_entry(),
    ),
    "indicators.commands.import_open_data": Call(
        lambda c, content: indicators.import_open_data(
            c.session,
            c.actor,
            {"catalogue_code": "TXCOUV", "filename": "taux_couverture.csv"},
            content,
        ),
        lambda c: c.open_data_file(),
    ),
    "funding.commands.declare_funding": Call(
        lambda c, ident: funding.declare_funding(
            c.session, c.actor, ident, 1, {"fte": "1", "eligible_cost": "40 000"}
        ),
        lambda c: c.funding_line().id,
    ),
    "funding.commands.record_renewal": Call(
        lambda c, ident: funding.record_renewal(
            c.session, c.actor, ident, 1, {"status": "demande_recue", "on": TODAY}
        ),
        lambda c: c.funding_line().id,
    ),
    "funding.commands.pay_advance": Call(
        lambda c, ident: funding.pay_advance(
            c.session, c.actor, ident, 1, {"amount": "10 000", "paid_on": TODAY}
        ),
        _signed_line,
    ),
    "funding.commands.record_justification": Call(
        lambda c, ident: funding.record_justification(
            c.session,
            c.actor,
            ident,
            1,
            {"actual_cost": "40 000", "justified_on": date(2026, 2, 15)},
            today=TODAY,
        ),
        lambda c: c.paid_line().id,
    ),
    "funding.commands.settle_balance": Call(
        lambda c, ident: funding.settle_balance(
            c.session, c.actor, ident, 1, {"paid_on": date(2026, 4, 2)}, today=TODAY
        ),
        lambda c: c.justified_line().id,
    ),
    "people.commands.add_user": Call(
        lambda c, _: people.add_user(
            c.session,
            c.actor,
            {
                "email": f"nouveau{c.n()}@exemple.fr",
                "name": "Nouvelle Personne",
                "role": "committee",
                "territory_ids": [c.territory.id],
            },
        )
    ),
    "people.commands.change_user": Call(
        lambda c, ident: people.change_user(c.session, c.actor, ident, 1, {"name": "Nom changé"}),
        lambda c: c.person().id,
    ),
    "people.commands.deactivate_user": Call(
        lambda c, ident: people.deactivate_user(c.session, c.actor, ident, 1),
        lambda c: c.person().id,
    ),
    "people.commands.reactivate_user": Call(
        lambda c, ident: people.reactivate_user(c.session, c.actor, ident, 2),
        lambda c: c.person(active=False).id,
    ),
}


def cases(world: World, role: Role) -> Iterator[tuple[str, Case]]:
    """The three situations of a role, in this order: own territory, other territory, then
    the same actor deactivated (acting on their own territory)."""
    own, other = world.territory(), world.territory(CARENE)
    territorial = role in {Role.coop_officer, Role.committee}
    actor = world.user(role, name=f"Acteur {role.label}", territories=[own] if territorial else ())
    staff = world.user(Role.admin, name="Équipe Caf")
    follower = world.user(Role.caf_advisor, name="Autre conseiller")
    own_ctg = world.convention(own, advisor=actor if role is Role.caf_advisor else follower)
    other_ctg = world.convention(other, advisor=follower)
    serial = itertools.count(1)
    yield OWN, Case(world, actor, staff, own_ctg, own, serial)
    yield OTHER, Case(world, actor, staff, other_ctg, other, serial)
    row = world.session.get(User, actor.id)
    row.is_active = False
    world.session.add(row)
    world.session.commit()
    yield INACTIVE, Case(world, actor, staff, own_ctg, own, serial)


def snapshot(session: Session) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the tables a command may write (the access records aside)."""
    session.rollback()  # a fresh read, not the session's identity map
    tables = {}
    for table in SQLModel.metadata.sorted_tables:
        if table.name in {"territories", "funding_rules"}:
            continue
        query = sa.select(table)
        if table.name == "change_log":
            query = query.where(table.c.entity != "access")
        rows = session.execute(query).all()
        tables[table.name] = sorted(tuple(map(repr, row)) for row in rows)
    return tables


# --- the tests --------------------------------------------------------------------------------


def test_every_command_has_a_row():
    commands = set(every_command())
    rows = {command_name(row) for row in _table(COMMANDS)}
    missing = sorted(commands - rows)
    assert not missing, (
        "Commande(s) sans ligne dans la matrice des droits : "
        + ", ".join(missing)
        + ". Ajoutez leur ligne à COMMANDS (« capacité.verbe ») et leur appel à CALLS dans "
        "tests/people/test_permission_matrix.py."
    )
    assert not sorted(rows - commands), f"lignes sans commande : {sorted(rows - commands)}"
    assert set(CALLS) == rows, f"appels manquants : {sorted(rows - set(CALLS))}"


@pytest.fixture
def rules_put_back(session: Session) -> Iterator[None]:
    """Funding rules are reference rows the tests share: remove those a cell created (the
    cells change no reference year's rule)."""
    years = set(session.exec(select(FundingRule.year)).all())
    yield
    session.rollback()
    session.execute(sa.delete(FundingRule).where(FundingRule.year.not_in(years)))  # type: ignore[attr-defined]
    session.commit()


@pytest.mark.parametrize(
    ("name", "role"),
    list(command_rules()),
    ids=[f"{name.split('.')[-1]}-{role.value}" for name, role in command_rules()],
)
def test_command_cells(world, rules_put_back, name, role):
    """The three cells of one command and one role; every wrong cell is named."""
    expected = command_rules()[name, role]
    call = CALLS[name]
    wrong = []
    for situation, case in cases(world, role):
        prepared = call.prepare(case)
        before = snapshot(case.session)
        try:
            done = call.act(case, prepared) is not False
        except AccountDisabled:
            done = False
            if situation != INACTIVE:
                wrong.append(f"{situation} : refusé comme compte désactivé")
        except PermissionDenied:
            done = False
        if done != expected[situation]:
            wrong.append(f"{situation} : {'autorisé' if done else 'refusé'}, attendu l'inverse")
        elif not done and snapshot(case.session) != before:
            wrong.append(f"{situation} : refusé mais a écrit")
    assert not wrong, f"{name} × {role.value} : " + " ; ".join(wrong)


def test_the_page_table_is_the_cores():
    table = {(page, role): shown for page, role, shown in page_cells()}
    assert set(table) == {(page, role) for page in auth.PAGE_ROLES for role in ROLES}
    for (page, role), shown in table.items():
        assert auth.can_open(role, page) is shown, (page, role)
    for role in ROLES:
        assert auth.landing_page(role) in auth.pages_for(role)


def test_every_page_of_the_app_has_a_row():
    from ui.navigation import SPECS

    files = {path.stem for path in (ROOT / "pages").glob("*.py")}
    assert files == set(_table(PAGES)) == set(SPECS), "une page sans ligne dans PAGES"


@pytest.fixture
def page_world(world, database_url, monkeypatch):
    """A demo persona per role (the officer and the committee member on Nantes Métropole,
    the conseiller following its CTG), with a plan, a meeting and a funded post, on the
    database of the test (the pages read `CTG_DATABASE_URL`)."""
    monkeypatch.setenv("CTG_DATABASE_URL", database_url)
    monkeypatch.setenv("CTG_TODAY", TODAY.isoformat())
    nantes = world.territory()
    personas = {
        role: world.user(
            role,
            demo=True,
            territories=[nantes] if role in {Role.coop_officer, Role.committee} else (),
        )
        for role in ROLES
    }
    ctg = world.convention(nantes, advisor=personas[Role.caf_advisor])
    world.action(ctg, "PE-01")
    world.indicator(ctg)
    committee.create_meeting(
        world.session,
        personas[Role.admin],
        ctg.id,
        {"kind": "copil", "held_on": TODAY},
        today=TODAY,
    )
    post = CooperationPost(territory_id=nantes.id, officer_name="Nadia Officier")
    world.session.add(post)
    world.session.flush()
    world.session.add(PostFunding(post_id=post.id, year=TODAY.year))
    world.session.commit()
    return personas


@pytest.mark.parametrize(
    ("page", "role", "shown"),
    page_cells(),
    ids=[f"{page}-{role.value}" for page, role, _ in page_cells()],
)
def test_page_cell(page_world, page, role, shown):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.session_state["persona_id"] = page_world[role].id
    at.switch_page(f"pages/{page}.py")
    at.run()

    assert not at.exception, at.exception
    refusal = auth.page_refusal(page, role)
    refused = [w.value for w in at.warning if w.value == refusal]
    if shown:
        assert not refused, f"{page} refusée à {role.value}"
        assert at.title and at.title[0].value != "CTG Pilotage"
    else:
        # The refusal and nothing of the page: the demo banner, the title, the warning.
        assert refused == [refusal]
        banner, *rest = at.main.children.values()  # the banner sits in its own block
        kinds = [type(element).__name__ for element in [*banner.children.values(), *rest]]
        assert kinds == ["Info", "Title", "Warning"], f"{page} montre son contenu à {role.value}"
