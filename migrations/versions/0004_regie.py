"""regie: handovers, MDO sessions, next MDO date on the casus, revisions linked to their MDO

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 13:58:27.040308
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.db import UTCDateTime

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


SQLITE_TRIGGERS = [
    f"CREATE TRIGGER revisie_onveranderlijk_{verb.lower()} BEFORE {verb} ON revisie "
    "BEGIN SELECT RAISE(ABORT, 'revisies zijn onveranderlijk'); END"
    for verb in ("UPDATE", "DELETE")
]


def _restore_sqlite_guards() -> None:
    """SQLite's batch mode rebuilt `revisie` without its immutability triggers: put them back."""
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)


def upgrade() -> None:
    op.create_table(
        "mdo",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("casus_id", sa.Uuid(), nullable=False),
        sa.Column("datum", sa.Date(), nullable=False),
        sa.Column("aanwezigen", sa.JSON(), nullable=False),
        sa.Column("ouders_aanwezig", sa.Boolean(), nullable=False),
        sa.Column("jeugdige_aanwezig", sa.Boolean(), nullable=False),
        sa.Column("geopend_door_id", sa.Uuid(), nullable=False),
        sa.Column("geopend_op", UTCDateTime(), nullable=False),
        sa.Column("afgerond_op", UTCDateTime(), nullable=True),
        sa.Column("vastgestelde_revisie", sa.Integer(), nullable=True),
        sa.Column("besluiten", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["casus_id"], ["casus.id"], name=op.f("fk_mdo_casus_id_casus"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["geopend_door_id"],
            ["account.id"],
            name=op.f("fk_mdo_geopend_door_id_account"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mdo")),
    )
    with op.batch_alter_table("mdo", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mdo_casus_id"), ["casus_id"], unique=False)
        batch_op.create_index(
            "uq_mdo_open",
            ["casus_id"],
            unique=True,
            sqlite_where=sa.text("afgerond_op IS NULL"),
            postgresql_where=sa.text("afgerond_op IS NULL"),
        )

    op.create_table(
        "overdracht",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("casus_id", sa.Uuid(), nullable=False),
        sa.Column("voorgesteld_door_id", sa.Uuid(), nullable=False),
        sa.Column("opvolger_id", sa.Uuid(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "voorgesteld",
                "geaccepteerd",
                "afgewezen",
                "ingetrokken",
                name="overdrachtstatus",
                native_enum=False,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("verlaat_casus", sa.Boolean(), nullable=False),
        sa.Column("toelichting", sa.Text(), nullable=False),
        sa.Column("reden", sa.Text(), nullable=True),
        sa.Column("aangemaakt_op", UTCDateTime(), nullable=False),
        sa.Column("afgehandeld_op", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["casus_id"],
            ["casus.id"],
            name=op.f("fk_overdracht_casus_id_casus"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["opvolger_id"],
            ["account.id"],
            name=op.f("fk_overdracht_opvolger_id_account"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["voorgesteld_door_id"],
            ["account.id"],
            name=op.f("fk_overdracht_voorgesteld_door_id_account"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_overdracht")),
    )
    with op.batch_alter_table("overdracht", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_overdracht_casus_id"), ["casus_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_overdracht_opvolger_id"), ["opvolger_id"], unique=False
        )
        batch_op.create_index(
            "uq_overdracht_open",
            ["casus_id"],
            unique=True,
            sqlite_where=sa.text("status = 'voorgesteld'"),
            postgresql_where=sa.text("status = 'voorgesteld'"),
        )

    with op.batch_alter_table("casus", schema=None) as batch_op:
        batch_op.add_column(sa.Column("volgende_mdo", sa.Date(), nullable=True))
        batch_op.create_index(batch_op.f("ix_casus_volgende_mdo"), ["volgende_mdo"], unique=False)

    with op.batch_alter_table("revisie", schema=None) as batch_op:
        batch_op.add_column(sa.Column("mdo_id", sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_revisie_mdo_id_mdo"), "mdo", ["mdo_id"], ["id"], ondelete="RESTRICT"
        )
    _restore_sqlite_guards()


def downgrade() -> None:
    with op.batch_alter_table("revisie", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_revisie_mdo_id_mdo"), type_="foreignkey")
        batch_op.drop_column("mdo_id")
    _restore_sqlite_guards()

    with op.batch_alter_table("casus", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_casus_volgende_mdo"))
        batch_op.drop_column("volgende_mdo")

    with op.batch_alter_table("overdracht", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_overdracht_open",
            sqlite_where=sa.text("status = 'voorgesteld'"),
            postgresql_where=sa.text("status = 'voorgesteld'"),
        )
        batch_op.drop_index(batch_op.f("ix_overdracht_opvolger_id"))
        batch_op.drop_index(batch_op.f("ix_overdracht_casus_id"))

    op.drop_table("overdracht")
    with op.batch_alter_table("mdo", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_mdo_open",
            sqlite_where=sa.text("afgerond_op IS NULL"),
            postgresql_where=sa.text("afgerond_op IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_mdo_casus_id"))

    op.drop_table("mdo")
