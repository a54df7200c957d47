"""audit trail: append-only events in one hash chain, with its head

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 13:27:06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.db import UTCDateTime

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS = "0" * 64


def upgrade() -> None:
    op.create_table(
        "auditgebeurtenis",
        sa.Column("volgnummer", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("tijdstip", UTCDateTime(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=True),
        sa.Column("gebruikersnaam", sa.String(length=100), nullable=True),
        sa.Column("organisatie", sa.String(length=200), nullable=True),
        sa.Column("casus_id", sa.Uuid(), nullable=True),
        sa.Column("actie", sa.String(length=60), nullable=False),
        sa.Column("uitkomst", sa.String(length=20), nullable=False),
        sa.Column("clientadres", sa.String(length=64), nullable=True),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("velden", sa.JSON(), nullable=False),
        sa.Column("kenmerken", sa.JSON(), nullable=False),
        sa.Column("vorige_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("volgnummer", name=op.f("pk_auditgebeurtenis")),
    )
    op.create_index("ix_auditgebeurtenis_casus", "auditgebeurtenis", ["casus_id", "volgnummer"])
    keten = op.create_table(
        "auditketen",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("volgnummer", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auditketen")),
    )
    op.bulk_insert(keten, [{"id": 1, "volgnummer": 0, "hash": GENESIS}])
    _append_only()


def _append_only() -> None:
    """The application may insert audit events, never change or remove them."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION regie_audit_onveranderlijk() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION 'auditgebeurtenissen zijn onveranderlijk' "
            "USING ERRCODE = 'restrict_violation'; END $$"
        )
        op.execute(
            "CREATE TRIGGER auditgebeurtenis_onveranderlijk BEFORE UPDATE OR DELETE "
            "ON auditgebeurtenis FOR EACH ROW EXECUTE FUNCTION regie_audit_onveranderlijk()"
        )
        op.execute(
            "CREATE TRIGGER auditgebeurtenis_niet_legen BEFORE TRUNCATE ON auditgebeurtenis "
            "FOR EACH STATEMENT EXECUTE FUNCTION regie_audit_onveranderlijk()"
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER auditgebeurtenis_onveranderlijk_{verb.lower()} BEFORE {verb} "
                "ON auditgebeurtenis "
                "BEGIN SELECT RAISE(ABORT, 'auditgebeurtenissen zijn onveranderlijk'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER auditgebeurtenis_niet_legen ON auditgebeurtenis")
        op.execute("DROP TRIGGER auditgebeurtenis_onveranderlijk ON auditgebeurtenis")
        op.execute("DROP FUNCTION regie_audit_onveranderlijk()")
    else:
        op.execute("DROP TRIGGER auditgebeurtenis_onveranderlijk_update")
        op.execute("DROP TRIGGER auditgebeurtenis_onveranderlijk_delete")
    op.drop_table("auditketen")
    op.drop_index("ix_auditgebeurtenis_casus", table_name="auditgebeurtenis")
    op.drop_table("auditgebeurtenis")
