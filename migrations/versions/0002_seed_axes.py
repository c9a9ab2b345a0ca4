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
    present = {row[0] for row in op.get_bind().execute(sa.select(axes.c.code))}
    op.bulk_insert(
        axes,
        [
            {"code": c, "label": label, "position": i}
            for i, (c, label) in enumerate(AXES, 1)
            if c not in present
        ],
    )


def downgrade() -> None:
    # Reference rows stay: actions and indicators point at them, and a downgrade must never
    # lose data. Upgrading again is safe because the table already holds them (see upgrade).
    pass
