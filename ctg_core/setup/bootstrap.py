"""Bring a database to a usable state: migrations, reference data, demo data if empty."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from alembic import command
from alembic.config import Config
from sqlmodel import Session, func, select

from ctg_core.common import config, db
from ctg_core.common.models import Convention, Territory
from ctg_core.reference.funding_rules import load_funding_rules
from ctg_core.reference.indicator_catalogue import load_indicator_catalogue
from ctg_core.reference.territories import LoadReport, load_territories
from ctg_core.setup.demo import DemoReport, generate


def alembic_config(url: str) -> Config:
    cfg = Config(str(config.PROJECT_ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(config.PROJECT_ROOT / "migrations"))
    cfg.attributes["url"] = url
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)


@dataclass(frozen=True)
class SetupReport:
    territories: LoadReport | None
    funding_rules: int
    demo: DemoReport | None
    indicator_catalogue: int = 0


def prepare(url: str | None = None, *, demo: bool = True, today: date | None = None) -> SetupReport:
    """Migrate to head, load the territories of `CTG_DEPARTEMENT` (when none of them is in
    the database yet), funding rules and the indicator catalogue, then demo data on that
    département if no convention."""
    url = url or config.database_url()
    departement = config.departement()
    upgrade(url)
    with Session(db.engine_for(url), expire_on_commit=False) as session:
        present = select(func.count()).where(Territory.departement == departement)
        has_territories = session.exec(present).one() > 0
        loaded = None if has_territories else load_territories(session, departement)
        rules = load_funding_rules(session)
        catalogue = load_indicator_catalogue(session)
        empty = session.exec(select(func.count()).select_from(Convention)).one() == 0
        report = generate(session, today=today, departement=departement) if demo and empty else None
    return SetupReport(loaded, rules, report, catalogue)
