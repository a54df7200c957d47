"""uitnodiging: ouders and the jeugdige invited to their own casus; their accounts have no
organisation

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 23:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.db import UTCDateTime

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ROLLEN = sa.Enum(
    "regievoerder",
    "betrokkene",
    "volger",
    "ouder",
    "jeugdige",
    name="casusrol",
    native_enum=False,
    length=40,
)


def upgrade() -> None:
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.alter_column("organisatie_id", existing_type=sa.Uuid(), nullable=True)
    op.create_table(
        "uitnodiging",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("casus_id", sa.Uuid(), nullable=False),
        sa.Column("rol", _ROLLEN, nullable=False),
        sa.Column("naam", sa.Text(), nullable=False),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("uitgenodigd_door_id", sa.Uuid(), nullable=False),
        sa.Column("aangemaakt_op", UTCDateTime(), nullable=False),
        sa.Column("verloopt_op", UTCDateTime(), nullable=False),
        sa.Column("mislukte_pogingen", sa.Integer(), nullable=False),
        sa.Column("gebruikt_op", UTCDateTime(), nullable=True),
        sa.Column("ingetrokken_op", UTCDateTime(), nullable=True),
        sa.Column("account_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_uitnodiging_account_id_account"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["casus_id"],
            ["casus.id"],
            name=op.f("fk_uitnodiging_casus_id_casus"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["uitgenodigd_door_id"],
            ["account.id"],
            name=op.f("fk_uitnodiging_uitgenodigd_door_id_account"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_uitnodiging")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_uitnodiging_token_hash")),
    )
    op.create_index(op.f("ix_uitnodiging_casus_id"), "uitnodiging", ["casus_id"])


def downgrade() -> None:
    """Removing the feature removes the invited people's access: their sessions, roles and
    accounts go (an account without an organisation cannot exist in the older schema)."""
    op.drop_index(op.f("ix_uitnodiging_casus_id"), table_name="uitnodiging")
    op.drop_table("uitnodiging")
    burgers = "SELECT id FROM account WHERE organisatie_id IS NULL"
    op.execute(f"DELETE FROM sessie WHERE account_id IN ({burgers})")  # noqa: S608
    op.execute(f"DELETE FROM rol WHERE account_id IN ({burgers})")  # noqa: S608
    op.execute("DELETE FROM account WHERE organisatie_id IS NULL")
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.alter_column("organisatie_id", existing_type=sa.Uuid(), nullable=False)
