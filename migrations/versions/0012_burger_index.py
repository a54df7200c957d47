"""account.burger_index: an invited ouder or jeugdige bound to the citizens' identity provider

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("burger_index", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_account_burger_index"), ["burger_index"])


def downgrade() -> None:
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_burger_index"))
        batch_op.drop_column("burger_index")
