"""casus.kenmerken: the research projection of the current revision, so exports read no document;
onderzoeksplan: per research project the rungs released so far, so exports never go finer

Existing casussen keep NULL; the export derives their projection from the current revision until
their next save (it needs no key for that).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 16:17:48.769639
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.db import UTCDateTime

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("casus", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kenmerken", sa.JSON(), nullable=True))
    op.create_table(
        "onderzoeksplan",
        sa.Column("project", sa.String(length=60), nullable=False),
        sa.Column("niveaus", sa.JSON(), nullable=False),
        sa.Column("bijgewerkt_op", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("project", name=op.f("pk_onderzoeksplan")),
    )


def downgrade() -> None:
    op.drop_table("onderzoeksplan")
    with op.batch_alter_table("casus", schema=None) as batch_op:
        batch_op.drop_column("kenmerken")
