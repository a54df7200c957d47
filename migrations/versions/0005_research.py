"""research: questionnaire invitations and answers; roles indexed by casus for the export

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 15:42:57.400203
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.db import UTCDateTime

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "vragenlijstantwoord",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("casus_id", sa.Uuid(), nullable=False),
        sa.Column(
            "doelgroep",
            sa.Enum("professional", "ouder", name="doelgroep", native_enum=False, length=40),
            nullable=False,
        ),
        sa.Column(
            "moment",
            sa.Enum("afsluiting", "mdo", name="moment", native_enum=False, length=40),
            nullable=False,
        ),
        sa.Column("vragenlijstversie", sa.String(length=40), nullable=False),
        sa.Column("datum", sa.Date(), nullable=False),
        sa.Column("schaal", sa.JSON(), nullable=False),
        sa.Column("open", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["casus_id"],
            ["casus.id"],
            name=op.f("fk_vragenlijstantwoord_casus_id_casus"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vragenlijstantwoord")),
    )
    with op.batch_alter_table("vragenlijstantwoord", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_vragenlijstantwoord_casus_id"), ["casus_id"], unique=False
        )

    op.create_table(
        "vragenlijstuitnodiging",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("casus_id", sa.Uuid(), nullable=False),
        sa.Column(
            "doelgroep",
            sa.Enum("professional", "ouder", name="doelgroep", native_enum=False, length=40),
            nullable=False,
        ),
        sa.Column(
            "moment",
            sa.Enum("afsluiting", "mdo", name="moment", native_enum=False, length=40),
            nullable=False,
        ),
        sa.Column("vragenlijstversie", sa.String(length=40), nullable=False),
        sa.Column("mdo_id", sa.Uuid(), nullable=True),
        sa.Column("account_id", sa.Uuid(), nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=True),
        sa.Column("aangemaakt_door_id", sa.Uuid(), nullable=True),
        sa.Column("aangemaakt_op", UTCDateTime(), nullable=False),
        sa.Column("verloopt_op", UTCDateTime(), nullable=False),
        sa.Column("ingetrokken_op", UTCDateTime(), nullable=True),
        sa.Column("beantwoord_op", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["aangemaakt_door_id"],
            ["account.id"],
            name=op.f("fk_vragenlijstuitnodiging_aangemaakt_door_id_account"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_vragenlijstuitnodiging_account_id_account"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["casus_id"],
            ["casus.id"],
            name=op.f("fk_vragenlijstuitnodiging_casus_id_casus"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["mdo_id"],
            ["mdo.id"],
            name=op.f("fk_vragenlijstuitnodiging_mdo_id_mdo"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vragenlijstuitnodiging")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_vragenlijstuitnodiging_token_hash")),
    )
    with op.batch_alter_table("vragenlijstuitnodiging", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_vragenlijstuitnodiging_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_vragenlijstuitnodiging_casus_id"), ["casus_id"], unique=False
        )
        batch_op.create_index(
            "uq_uitnodiging_afsluiting_account",
            ["casus_id", "account_id"],
            unique=True,
            sqlite_where=sa.text("moment = 'afsluiting' AND account_id IS NOT NULL"),
            postgresql_where=sa.text("moment = 'afsluiting' AND account_id IS NOT NULL"),
        )

    with op.batch_alter_table("rol", schema=None) as batch_op:
        batch_op.create_index("ix_rol_casus_id", ["casus_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("rol", schema=None) as batch_op:
        batch_op.drop_index("ix_rol_casus_id")
    with op.batch_alter_table("vragenlijstuitnodiging", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_uitnodiging_afsluiting_account",
            sqlite_where=sa.text("moment = 'afsluiting' AND account_id IS NOT NULL"),
            postgresql_where=sa.text("moment = 'afsluiting' AND account_id IS NOT NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_vragenlijstuitnodiging_casus_id"))
        batch_op.drop_index(batch_op.f("ix_vragenlijstuitnodiging_account_id"))

    op.drop_table("vragenlijstuitnodiging")
    with op.batch_alter_table("vragenlijstantwoord", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_vragenlijstantwoord_casus_id"))

    op.drop_table("vragenlijstantwoord")
