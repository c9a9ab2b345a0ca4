"""committee mode: numbered meetings (unique labels), planned lengths and start, attendance,
agenda version; agenda points with duration, presenter, parked/backlog state; typed and
confidential decisions with the fiche an « action à mener » created

Existing meetings are numbered per convention and kind in the order they were held.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

meetings = sa.table(
    "meetings",
    sa.column("id", sa.Integer),
    sa.column("convention_id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("held_on", sa.Date),
    sa.column("number", sa.Integer),
)


def upgrade() -> None:
    with op.batch_alter_table("meetings") as batch_op:
        batch_op.add_column(sa.Column("number", sa.Integer(), nullable=False, server_default="1"))
        batch_op.add_column(sa.Column("planned_minutes", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("started_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("attendance", sa.JSON(), nullable=False, server_default=sa.text("'{}'"))
        )
        batch_op.add_column(
            sa.Column("agenda_version", sa.Integer(), nullable=False, server_default="1")
        )
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(meetings.c.id, meetings.c.convention_id, meetings.c.kind).order_by(
            meetings.c.convention_id, meetings.c.kind, meetings.c.held_on, meetings.c.id
        )
    ).all()
    counters: dict[tuple[int, str], int] = {}
    for ident, convention_id, kind in rows:
        number = counters.get((convention_id, kind), 0) + 1
        counters[(convention_id, kind)] = number
        bind.execute(meetings.update().where(meetings.c.id == ident).values(number=number))
    with op.batch_alter_table("meetings") as batch_op:
        batch_op.create_unique_constraint("uq_meetings_number", ["convention_id", "kind", "number"])

    with op.batch_alter_table("agenda_items") as batch_op:
        batch_op.add_column(
            sa.Column("planned_minutes", sa.Integer(), nullable=False, server_default="5")
        )
        batch_op.add_column(
            sa.Column("presenter", sa.String(length=200), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("parked_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("carried_to_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_agenda_items_carried_to_id_meetings", "meetings", ["carried_to_id"], ["id"]
        )

    with op.batch_alter_table("decisions") as batch_op:
        batch_op.add_column(
            sa.Column(
                "kind",
                sa.Enum(
                    "decision",
                    "information",
                    "action",
                    name="decisionkind",
                    native_enum=False,
                    length=24,
                ),
                nullable=False,
                server_default="decision",
            )
        )
        batch_op.add_column(
            sa.Column("confidential", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("created_action_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_decisions_created_action_id_actions", "actions", ["created_action_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("decisions") as batch_op:
        batch_op.drop_constraint("fk_decisions_created_action_id_actions", type_="foreignkey")
        batch_op.drop_column("created_action_id")
        batch_op.drop_column("confidential")
        batch_op.drop_column("kind")
    with op.batch_alter_table("agenda_items") as batch_op:
        batch_op.drop_constraint("fk_agenda_items_carried_to_id_meetings", type_="foreignkey")
        batch_op.drop_column("carried_to_id")
        batch_op.drop_column("parked_at")
        batch_op.drop_column("presenter")
        batch_op.drop_column("planned_minutes")
    with op.batch_alter_table("meetings") as batch_op:
        batch_op.drop_constraint("uq_meetings_number", type_="unique")
        batch_op.drop_column("agenda_version")
        batch_op.drop_column("attendance")
        batch_op.drop_column("started_at")
        batch_op.drop_column("planned_minutes")
        batch_op.drop_column("number")
