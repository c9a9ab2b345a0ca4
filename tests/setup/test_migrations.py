"""Alembic: head matches the models, and upgrade/downgrade keep data on both databases."""

from datetime import date

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import Session, SQLModel, select

from ctg_core.common import db
from ctg_core.common.models import Action, ActionStatus, Axis, Convention, Territory, TerritoryKind
from ctg_core.setup import bootstrap


def _seed_one_action(url: str) -> int:
    with Session(db.engine_for(url)) as session:
        territory = Territory(
            kind=TerritoryKind.epci,
            code="244400404",
            name="Nantes Métropole",
            population=683_000,
            departement="44",
        )
        session.add(territory)
        session.flush()
        convention = Convention(territory_id=territory.id, title="CTG Nantes Métropole")
        session.add(convention)
        session.flush()
        axis = session.exec(select(Axis).where(Axis.code == "PA")).one()
        action = Action(
            convention_id=convention.id,
            axis_id=axis.id,
            code="PA-01",
            title="Café des parents",
            due_on=date(2027, 6, 30),
            status=ActionStatus.en_cours,
            progress=35,
        )
        session.add(action)
        session.commit()
        return action.id


def test_head_schema_matches_the_models(empty_database_url):
    bootstrap.upgrade(empty_database_url)
    with db.engine_for(empty_database_url).connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert differences == []


def test_upgrade_seeds_the_seven_axes(empty_database_url):
    bootstrap.upgrade(empty_database_url)
    with Session(db.engine_for(empty_database_url)) as session:
        labels = session.exec(select(Axis.label).order_by(Axis.position)).all()
    assert labels[0] == "Petite enfance"
    assert len(labels) == 7


def test_downgrade_one_step_and_back_keeps_the_data(empty_database_url):
    bootstrap.upgrade(empty_database_url)
    action_id = _seed_one_action(empty_database_url)

    bootstrap.downgrade(empty_database_url, "0001")
    bootstrap.upgrade(empty_database_url)

    with Session(db.engine_for(empty_database_url)) as session:
        action = session.get(Action, action_id)
        assert (action.code, action.progress, action.due_on) == ("PA-01", 35, date(2027, 6, 30))
        assert len(session.exec(select(Axis)).all()) == 7


def test_full_downgrade_removes_every_table_and_upgrade_rebuilds_them(empty_database_url):
    bootstrap.upgrade(empty_database_url)
    command.downgrade(bootstrap.alembic_config(empty_database_url), "base")
    engine = db.engine_for(empty_database_url)
    assert set(sa.inspect(engine).get_table_names()) <= {"alembic_version"}
    bootstrap.upgrade(empty_database_url)
    assert {"actions", "change_log", "post_fundings"} <= set(sa.inspect(engine).get_table_names())
