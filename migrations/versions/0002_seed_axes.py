"""seed the seven thématiques (axes)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AXES = [
    ("PE", "Petite enfance"),
    ("EJ", "Enfance-jeunesse"),
    ("PA", "Parentalité"),
    ("AVS", "Animation de la vie sociale"),
    ("ADN", "Accès aux droits et inclusion numérique"),
    ("LOG", "Logement"),
    ("HAN", "Handicap"),
]

axes = sa.table(
    "axes",
    sa.column("code", sa.String),
    sa.column("label", sa.String),
    sa.column("position", sa.Integer),
)


def upgrade() -> None:
    op.bulk_insert(
        axes, [{"code": c, "label": label, "position": i} for i, (c, label) in enumerate(AXES, 1)]
    )


def downgrade() -> None:
    op.execute(axes.delete().where(axes.c.code.in_([c for c, _ in AXES])))
