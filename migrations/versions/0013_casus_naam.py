"""casus.naam: the jeugdige's name as sealed in the current revision, so lists read no document

Existing casussen get the ciphertext of their current revision's name (a copy: it stays bound
to the same casus and field, so the same key opens it; no key is needed to copy it).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 12:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NAAM = {
    "postgresql": "r.inhoud #>> '{kop,jeugdige,naam}'",
    "sqlite": "json_extract(r.inhoud, '$.kop.jeugdige.naam')",
}


def upgrade() -> None:
    with op.batch_alter_table("casus", schema=None) as batch_op:
        batch_op.add_column(sa.Column("naam", sa.Text(), nullable=True))
    naam = _NAAM[op.get_bind().dialect.name]
    op.execute(
        f"UPDATE casus SET naam = (SELECT {naam} FROM revisie r "  # noqa: S608 - constants only
        "WHERE r.casus_id = casus.id AND r.nummer = casus.revisie)"
    )


def downgrade() -> None:
    with op.batch_alter_table("casus", schema=None) as batch_op:
        batch_op.drop_column("naam")
