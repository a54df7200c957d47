"""foundation: accounts, casus, rollen, revisies

Revision ID: 0001
Revises:
Create Date: 2026-11-23 13:14:59.790775
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.db import UTCDateTime

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "casus",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("formulierversie", sa.String(length=40), nullable=False),
        sa.Column("gemeente", sa.String(length=40), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "aangemaakt",
                "actief",
                "afgesloten",
                name="casusstatus",
                native_enum=False,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("revisie", sa.Integer(), nullable=False),
        sa.Column("aangemaakt_op", UTCDateTime(), nullable=False),
        sa.Column("gewijzigd_op", UTCDateTime(), nullable=False),
        sa.Column("afgesloten_op", UTCDateTime(), nullable=True),
        sa.Column("afsluitreden", sa.String(length=2000), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_casus")),
    )
    op.create_table(
        "organisatie",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("naam", sa.String(length=200), nullable=False),
        sa.Column(
            "type",
            sa.Enum(
                "gemeente",
                "gecertificeerde_instelling",
                "zorgaanbieder",
                "onderwijs",
                "huisarts",
                "overig",
                name="organisatietype",
                native_enum=False,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("actief", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisatie")),
        sa.UniqueConstraint("naam", name=op.f("uq_organisatie_naam")),
    )
    op.create_table(
        "account",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("gebruikersnaam", sa.String(length=100), nullable=False),
        sa.Column("naam", sa.String(length=200), nullable=False),
        sa.Column("organisatie_id", sa.Uuid(), nullable=False),
        sa.Column("functietitel", sa.String(length=200), nullable=True),
        sa.Column("systeemrollen", sa.JSON(), nullable=False),
        sa.Column("actief", sa.Boolean(), nullable=False),
        sa.Column("aangemaakt_op", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisatie_id"],
            ["organisatie.id"],
            name=op.f("fk_account_organisatie_id_organisatie"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account")),
        sa.UniqueConstraint("gebruikersnaam", name=op.f("uq_account_gebruikersnaam")),
    )
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_account_organisatie_id"), ["organisatie_id"], unique=False
        )

    op.create_table(
        "revisie",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("casus_id", sa.Uuid(), nullable=False),
        sa.Column("nummer", sa.Integer(), nullable=False),
        sa.Column("formulierversie", sa.String(length=40), nullable=False),
        sa.Column("inhoud", sa.JSON(), nullable=False),
        sa.Column("auteur_id", sa.Uuid(), nullable=False),
        sa.Column("tijdstip", UTCDateTime(), nullable=False),
        sa.Column("toelichting", sa.String(length=2000), nullable=True),
        sa.ForeignKeyConstraint(
            ["auteur_id"],
            ["account.id"],
            name=op.f("fk_revisie_auteur_id_account"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["casus_id"], ["casus.id"], name=op.f("fk_revisie_casus_id_casus"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_revisie")),
        sa.UniqueConstraint("casus_id", "nummer", name="uq_revisie_casus_nummer"),
    )
    op.create_table(
        "rol",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("casus_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column(
            "rol",
            sa.Enum(
                "regievoerder",
                "betrokkene",
                "volger",
                name="casusrol",
                native_enum=False,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("functietitel", sa.String(length=200), nullable=True),
        sa.Column("sinds", UTCDateTime(), nullable=False),
        sa.Column("tot", UTCDateTime(), nullable=True),
        sa.Column("toegevoegd_door_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_rol_account_id_account"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["casus_id"], ["casus.id"], name=op.f("fk_rol_casus_id_casus"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["toegevoegd_door_id"],
            ["account.id"],
            name=op.f("fk_rol_toegevoegd_door_id_account"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rol")),
    )
    with op.batch_alter_table("rol", schema=None) as batch_op:
        batch_op.create_index(
            "ix_rol_account_actief",
            ["account_id", "casus_id"],
            unique=False,
            sqlite_where=sa.text("tot IS NULL"),
            postgresql_where=sa.text("tot IS NULL"),
        )
        batch_op.create_index(
            "uq_rol_actief_per_account",
            ["casus_id", "account_id"],
            unique=True,
            sqlite_where=sa.text("tot IS NULL"),
            postgresql_where=sa.text("tot IS NULL"),
        )
        batch_op.create_index(
            "uq_rol_een_regievoerder",
            ["casus_id"],
            unique=True,
            sqlite_where=sa.text("rol = 'regievoerder' AND tot IS NULL"),
            postgresql_where=sa.text("rol = 'regievoerder' AND tot IS NULL"),
        )

    _forbid_revision_changes()


def _forbid_revision_changes() -> None:
    """Revisions are immutable: the database itself refuses UPDATE and DELETE on them."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION regie_onveranderlijk() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION 'revisies zijn onveranderlijk' "
            "USING ERRCODE = 'restrict_violation'; END $$"
        )
        op.execute(
            "CREATE TRIGGER revisie_onveranderlijk BEFORE UPDATE OR DELETE ON revisie "
            "FOR EACH ROW EXECUTE FUNCTION regie_onveranderlijk()"
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER revisie_onveranderlijk_{verb.lower()} BEFORE {verb} ON revisie "
                "BEGIN SELECT RAISE(ABORT, 'revisies zijn onveranderlijk'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER revisie_onveranderlijk ON revisie")
        op.execute("DROP FUNCTION regie_onveranderlijk()")
    else:
        op.execute("DROP TRIGGER revisie_onveranderlijk_update")
        op.execute("DROP TRIGGER revisie_onveranderlijk_delete")
    with op.batch_alter_table("rol", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_rol_een_regievoerder",
            sqlite_where=sa.text("rol = 'regievoerder' AND tot IS NULL"),
            postgresql_where=sa.text("rol = 'regievoerder' AND tot IS NULL"),
        )
        batch_op.drop_index(
            "uq_rol_actief_per_account",
            sqlite_where=sa.text("tot IS NULL"),
            postgresql_where=sa.text("tot IS NULL"),
        )
        batch_op.drop_index(
            "ix_rol_account_actief",
            sqlite_where=sa.text("tot IS NULL"),
            postgresql_where=sa.text("tot IS NULL"),
        )

    op.drop_table("rol")
    op.drop_table("revisie")
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_organisatie_id"))

    op.drop_table("account")
    op.drop_table("organisatie")
    op.drop_table("casus")
