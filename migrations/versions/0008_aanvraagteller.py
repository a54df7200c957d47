"""aanvraagteller: sign-in attempts per client address and minute, shared by every app process

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 18:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "aanvraagteller",
        sa.Column("sleutel", sa.String(length=200), nullable=False),
        sa.Column("venster", sa.BigInteger(), nullable=False),
        sa.Column("aantal", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("sleutel", "venster", name=op.f("pk_aanvraagteller")),
    )
    # The first attempt of each minute removes the windows older than an hour.
    op.create_index("ix_aanvraagteller_venster", "aanvraagteller", ["venster"])


def downgrade() -> None:
    op.drop_index("ix_aanvraagteller_venster", table_name="aanvraagteller")
    op.drop_table("aanvraagteller")
