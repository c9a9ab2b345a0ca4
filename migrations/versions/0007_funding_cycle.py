"""funding of cooperation posts: the whole yearly cycle

Rules gain the acompte share, the renewal window (opens on, due on) and a version; posts
gain their holders (a post can be shared, each holder with an ETP and dates); yearly lines
gain the months covered, the justification (actual cost, date), the final droit.

Existing rows are carried over: each rule gets the 70 % share the page used to assume and
the renewal due date its lines already carry (else 31 December of the year before), its
window opening on 1 October of the year before; each post with an officer gets one holder
(its officer, with the ETP of its latest line); a line whose solde was recorded is read as
justified that day at its declared cost, its final droit being acompte + solde.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

rules = sa.table(
    "funding_rules",
    sa.column("year", sa.Integer),
    sa.column("renewal_opens_on", sa.Date),
    sa.column("renewal_due_on", sa.Date),
)
posts = sa.table(
    "cooperation_posts",
    sa.column("id", sa.Integer),
    sa.column("officer_name", sa.String),
    sa.column("officer_email", sa.String),
    sa.column("started_on", sa.Date),
    sa.column("ended_on", sa.Date),
)
lines = sa.table(
    "post_fundings",
    sa.column("id", sa.Integer),
    sa.column("post_id", sa.Integer),
    sa.column("year", sa.Integer),
    sa.column("fte", sa.Numeric(4, 2)),
    sa.column("eligible_cost", sa.Numeric(12, 2)),
    sa.column("renewal_due_on", sa.Date),
    sa.column("advance_amount", sa.Numeric(12, 2)),
    sa.column("balance_amount", sa.Numeric(12, 2)),
    sa.column("balance_paid_on", sa.Date),
    sa.column("actual_cost", sa.Numeric(12, 2)),
    sa.column("justified_on", sa.Date),
    sa.column("final_entitlement", sa.Numeric(12, 2)),
)
holders = sa.table(
    "post_holders",
    sa.column("post_id", sa.Integer),
    sa.column("name", sa.String),
    sa.column("email", sa.String),
    sa.column("fte", sa.Numeric(4, 2)),
    sa.column("starts_on", sa.Date),
    sa.column("ends_on", sa.Date),
    sa.column("version", sa.Integer),
)


def upgrade() -> None:
    bind = op.get_bind()
    _rules(bind)
    _holders(bind)
    _lines(bind)


def _rules(bind: sa.Connection) -> None:
    with op.batch_alter_table("funding_rules") as batch_op:
        batch_op.add_column(
            sa.Column(
                "advance_share",
                sa.Numeric(precision=5, scale=4),
                nullable=False,
                server_default="0.7000",
            )
        )
        batch_op.add_column(sa.Column("renewal_opens_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("renewal_due_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
    due_by_year = dict(
        bind.execute(
            sa.select(lines.c.year, sa.func.min(lines.c.renewal_due_on)).group_by(lines.c.year)
        ).all()
    )
    for (year,) in bind.execute(sa.select(rules.c.year)).all():
        bind.execute(
            rules.update()
            .where(rules.c.year == year)
            .values(
                renewal_opens_on=date(year - 1, 10, 1),
                renewal_due_on=due_by_year.get(year) or date(year - 1, 12, 31),
            )
        )
    with op.batch_alter_table("funding_rules") as batch_op:
        batch_op.alter_column("advance_share", server_default=None)
        batch_op.alter_column("version", server_default=None)
        batch_op.alter_column("renewal_opens_on", existing_type=sa.Date(), nullable=False)
        batch_op.alter_column("renewal_due_on", existing_type=sa.Date(), nullable=False)


def _holders(bind: sa.Connection) -> None:
    op.create_table(
        "post_holders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column("fte", sa.Numeric(precision=4, scale=2), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["post_id"], ["cooperation_posts.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("post_holders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_post_holders_post_id"), ["post_id"], unique=False)

    for post in bind.execute(sa.select(posts).where(posts.c.officer_name != "")).all():
        latest = bind.execute(
            sa.select(lines.c.year, lines.c.fte)
            .where(lines.c.post_id == post.id)
            .order_by(lines.c.year.desc())
        ).first()
        first_year = bind.execute(
            sa.select(sa.func.min(lines.c.year)).where(lines.c.post_id == post.id)
        ).scalar()
        starts_on = post.started_on or date(first_year or 2000, 1, 1)
        bind.execute(
            holders.insert().values(
                post_id=post.id,
                name=post.officer_name,
                email=post.officer_email or "",
                fte=min(latest.fte, Decimal("1.00")) if latest else Decimal("1.00"),
                starts_on=starts_on,
                ends_on=post.ended_on,
                version=1,
            )
        )


def _lines(bind: sa.Connection) -> None:
    with op.batch_alter_table("post_fundings") as batch_op:
        batch_op.add_column(sa.Column("months", sa.Integer(), nullable=False, server_default="12"))
        batch_op.add_column(
            sa.Column("actual_cost", sa.Numeric(precision=12, scale=2), nullable=True)
        )
        batch_op.add_column(sa.Column("justified_on", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column("final_entitlement", sa.Numeric(precision=12, scale=2), nullable=True)
        )
    # A solde already recorded: the line was justified at its declared cost that day.
    bind.execute(
        lines.update()
        .where(lines.c.balance_amount.is_not(None))
        .values(
            actual_cost=lines.c.eligible_cost,
            justified_on=lines.c.balance_paid_on,
            final_entitlement=sa.func.coalesce(lines.c.advance_amount, 0) + lines.c.balance_amount,
        )
    )
    with op.batch_alter_table("post_fundings") as batch_op:
        batch_op.alter_column("months", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("post_fundings") as batch_op:
        batch_op.drop_column("final_entitlement")
        batch_op.drop_column("justified_on")
        batch_op.drop_column("actual_cost")
        batch_op.drop_column("months")
    with op.batch_alter_table("post_holders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_post_holders_post_id"))
    op.drop_table("post_holders")
    with op.batch_alter_table("funding_rules") as batch_op:
        batch_op.drop_column("version")
        batch_op.drop_column("renewal_due_on")
        batch_op.drop_column("renewal_opens_on")
        batch_op.drop_column("advance_share")
