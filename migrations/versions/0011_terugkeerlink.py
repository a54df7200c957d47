"""terugkeerlink: invited ouders and jeugdigen come back to their plan by a new e-mailed link
and the code they already have; uitnodiging.email_index finds their invitation by address

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 06:30:00

Invitations from before this revision have no email_index (it needs the application's index
key, which a migration does not hold): their invitees come back through a new invitation,
which keeps their account (app/deelname/service.py).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.db import UTCDateTime

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("uitnodiging", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email_index", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_uitnodiging_email_index"), ["email_index"])
    op.create_table(
        "terugkeerlink",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("uitnodiging_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("aangemaakt_op", UTCDateTime(), nullable=False),
        sa.Column("verloopt_op", UTCDateTime(), nullable=False),
        sa.Column("mislukte_pogingen", sa.Integer(), nullable=False),
        sa.Column("gebruikt_op", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["uitnodiging_id"],
            ["uitnodiging.id"],
            name=op.f("fk_terugkeerlink_uitnodiging_id_uitnodiging"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_terugkeerlink")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_terugkeerlink_token_hash")),
    )
    op.create_index(op.f("ix_terugkeerlink_uitnodiging_id"), "terugkeerlink", ["uitnodiging_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_terugkeerlink_uitnodiging_id"), table_name="terugkeerlink")
    op.drop_table("terugkeerlink")
    with op.batch_alter_table("uitnodiging", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_uitnodiging_email_index"))
        batch_op.drop_column("email_index")
