"""indicator catalogue (common indicators, comparable across territories), the kind of
measure that bounds an indicator's values, published figures by territory (Caf open data)

Existing indicators get a kind of measure from what they hold: « % » a rate, « € » an amount, any
negative value a relative number, anything else a quantity (never negative, decimals
allowed). Nothing is refused or changed in the stored values.

Revision ID: 0006
Revises: 0004
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0006"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = ("count", "quantity", "rate", "share", "amount", "signed")
DIRECTIONS = ("higher_is_better", "lower_is_better")
LIVE_FROM_CATALOGUE = sa.text("archived_at IS NULL AND catalogue_id IS NOT NULL")


def _kind() -> sa.Enum:
    return sa.Enum(*KINDS, name="measurekind", native_enum=False, length=24)


def upgrade() -> None:
    op.create_table(
        "indicator_catalogue",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("unit", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("measure", _kind(), nullable=False),
        sa.Column(
            "direction",
            sa.Enum(*DIRECTIONS, name="indicatordirection", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("axis_code", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_table(
        "territory_figures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("catalogue_id", sa.Integer(), nullable=False),
        sa.Column("area_code", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("territory_id", sa.Integer(), nullable=True),
        sa.Column("departement", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["catalogue_id"], ["indicator_catalogue.id"]),
        sa.ForeignKeyConstraint(["territory_id"], ["territories.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("catalogue_id", "area_code", "year", name="uq_territory_figures_year"),
    )
    op.create_index(
        op.f("ix_territory_figures_catalogue_id"), "territory_figures", ["catalogue_id"]
    )
    op.create_index(
        op.f("ix_territory_figures_territory_id"), "territory_figures", ["territory_id"]
    )
    op.create_index(op.f("ix_territory_figures_departement"), "territory_figures", ["departement"])

    with op.batch_alter_table("indicators") as batch_op:
        batch_op.add_column(sa.Column("catalogue_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("measure", _kind(), nullable=False, server_default="quantity")
        )
        batch_op.create_foreign_key(
            "fk_indicators_catalogue_id", "indicator_catalogue", ["catalogue_id"], ["id"]
        )
        batch_op.create_index(op.f("ix_indicators_catalogue_id"), ["catalogue_id"])
    bind = op.get_bind()
    bind.execute(sa.text("UPDATE indicators SET measure = 'rate' WHERE TRIM(unit) = '%'"))
    bind.execute(
        sa.text("UPDATE indicators SET measure = 'amount' WHERE TRIM(unit) IN ('€', 'euros')")
    )
    bind.execute(
        sa.text(
            "UPDATE indicators SET measure = 'signed' WHERE id IN "
            "(SELECT indicator_id FROM indicator_values WHERE value < 0) "
            "OR baseline_value < 0 OR target_value < 0"
        )
    )
    with op.batch_alter_table("indicators") as batch_op:
        batch_op.alter_column("measure", server_default=None, existing_type=_kind())
    op.create_index(
        "uq_indicators_catalogue",
        "indicators",
        ["convention_id", "catalogue_id"],
        unique=True,
        sqlite_where=LIVE_FROM_CATALOGUE,
        postgresql_where=LIVE_FROM_CATALOGUE,
    )


def downgrade() -> None:
    op.drop_index("uq_indicators_catalogue", table_name="indicators")
    with op.batch_alter_table("indicators") as batch_op:
        batch_op.drop_index(op.f("ix_indicators_catalogue_id"))
        batch_op.drop_constraint("fk_indicators_catalogue_id", type_="foreignkey")
        batch_op.drop_column("measure")
        batch_op.drop_column("catalogue_id")
    op.drop_index(op.f("ix_territory_figures_departement"), table_name="territory_figures")
    op.drop_index(op.f("ix_territory_figures_territory_id"), table_name="territory_figures")
    op.drop_index(op.f("ix_territory_figures_catalogue_id"), table_name="territory_figures")
    op.drop_table("territory_figures")
    op.drop_table("indicator_catalogue")
