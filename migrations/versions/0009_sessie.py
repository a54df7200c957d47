"""sessie: web sessions in the database, so signing out ends a session wherever its cookie is

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 20:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.db import UTCDateTime

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sessie",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("methode", sa.String(length=10), nullable=False),
        sa.Column("aangemaakt_op", UTCDateTime(), nullable=False),
        sa.Column("verloopt_op", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_sessie_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sessie")),
    )
    op.create_index(op.f("ix_sessie_account_id"), "sessie", ["account_id"])
    # Each sign-in removes the sessions that have ended.
    op.create_index("ix_sessie_verloopt_op", "sessie", ["verloopt_op"])


def downgrade() -> None:
    op.drop_index("ix_sessie_verloopt_op", table_name="sessie")
    op.drop_index(op.f("ix_sessie_account_id"), table_name="sessie")
    op.drop_table("sessie")
