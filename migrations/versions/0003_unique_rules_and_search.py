"""uniqueness in the schema (one live value per indicator and year, an action once per
agenda), archived indicator values, territory names folded for search

Duplicates left by concurrent inserts are cleaned first: extra indicator values are
archived (nothing is lost), extra agenda points are dropped (the first one stays, reviewed
if any of its copies was).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = sa.text("archived_at IS NULL")


def _folded(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())


def upgrade() -> None:
    bind = op.get_bind()
    with op.batch_alter_table("indicator_values") as batch_op:
        batch_op.add_column(sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True))
    bind.execute(
        sa.text(
            "UPDATE indicator_values SET archived_at = CURRENT_TIMESTAMP WHERE id NOT IN "
            "(SELECT MIN(id) FROM indicator_values GROUP BY indicator_id, year)"
        )
    )
    op.create_index(
        "uq_indicator_values_year",
        "indicator_values",
        ["indicator_id", "year"],
        unique=True,
        sqlite_where=LIVE,
        postgresql_where=LIVE,
    )

    bind.execute(
        sa.text(
            "UPDATE agenda_items SET reviewed_at = (SELECT MAX(copy.reviewed_at) FROM "
            "agenda_items AS copy WHERE copy.meeting_id = agenda_items.meeting_id AND "
            "copy.action_id = agenda_items.action_id) WHERE action_id IS NOT NULL"
        )
    )
    bind.execute(
        sa.text(
            "DELETE FROM agenda_items WHERE action_id IS NOT NULL AND id NOT IN "
            "(SELECT MIN(id) FROM agenda_items WHERE action_id IS NOT NULL "
            "GROUP BY meeting_id, action_id)"
        )
    )
    with op.batch_alter_table("agenda_items") as batch_op:
        batch_op.create_unique_constraint("uq_agenda_items_action", ["meeting_id", "action_id"])

    # Plain ALTER (no table copy): other tables point at territories.
    op.add_column(
        "territories",
        sa.Column("search_name", sa.String(length=200), nullable=False, server_default=""),
    )
    op.create_index(op.f("ix_territories_search_name"), "territories", ["search_name"])
    territories = sa.table(
        "territories", sa.column("id", sa.Integer), sa.column("name", sa.String),
        sa.column("search_name", sa.String),
    )  # fmt: skip
    for ident, name in bind.execute(sa.select(territories.c.id, territories.c.name)).all():
        bind.execute(
            territories.update().where(territories.c.id == ident).values(search_name=_folded(name))
        )
    with op.batch_alter_table("territories") as batch_op:
        batch_op.alter_column("search_name", server_default=None)


def downgrade() -> None:
    op.drop_index(op.f("ix_territories_search_name"), table_name="territories")
    op.drop_column("territories", "search_name")
    with op.batch_alter_table("agenda_items") as batch_op:
        batch_op.drop_constraint("uq_agenda_items_action", type_="unique")
    op.drop_index("uq_indicator_values_year", table_name="indicator_values")
    with op.batch_alter_table("indicator_values") as batch_op:
        batch_op.drop_column("archived_at")
