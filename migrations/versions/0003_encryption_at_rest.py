"""encryption at rest: key id per revision, room for ciphertexts, blind search indexes

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 13:40:00

Existing plaintext stays readable (values that are not envelopes are returned as they are);
`regie keys rotate` seals every revision whose `sleutel` is not the current key, so running it
once after this migration encrypts what was stored before.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_TRIGGERS = [
    f"CREATE TRIGGER revisie_onveranderlijk_{verb.lower()} BEFORE {verb} ON revisie "
    "BEGIN SELECT RAISE(ABORT, 'revisies zijn onveranderlijk'); END"
    for verb in ("UPDATE", "DELETE")
]

# Key rotation may re-seal a revision's ciphertexts, and nothing else, when it says so.
PG_FUNCTION_WITH_ROTATION = """
CREATE OR REPLACE FUNCTION regie_onveranderlijk() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND current_setting('regie.sleutelrotatie', true) = 'aan'
     AND NEW.id = OLD.id AND NEW.casus_id = OLD.casus_id AND NEW.nummer = OLD.nummer
     AND NEW.auteur_id = OLD.auteur_id AND NEW.tijdstip = OLD.tijdstip
     AND NEW.formulierversie = OLD.formulierversie THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'revisies zijn onveranderlijk' USING ERRCODE = 'restrict_violation';
END $$
"""
PG_FUNCTION_STRICT = (
    "CREATE OR REPLACE FUNCTION regie_onveranderlijk() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN RAISE EXCEPTION 'revisies zijn onveranderlijk' "
    "USING ERRCODE = 'restrict_violation'; END $$"
)


def _is_sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def upgrade() -> None:
    with op.batch_alter_table("casus") as batch_op:
        batch_op.add_column(sa.Column("zoek_naam", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("zoek_geboortedatum", sa.String(length=64), nullable=True))
        batch_op.alter_column("afsluitreden", existing_type=sa.String(length=2000), type_=sa.Text())
        batch_op.create_index(batch_op.f("ix_casus_zoek_geboortedatum"), ["zoek_geboortedatum"])
        batch_op.create_index(batch_op.f("ix_casus_zoek_naam"), ["zoek_naam"])
    with op.batch_alter_table("revisie") as batch_op:
        batch_op.add_column(sa.Column("sleutel", sa.String(length=32), nullable=True))
        batch_op.alter_column("toelichting", existing_type=sa.String(length=2000), type_=sa.Text())
    if _is_sqlite():
        for statement in SQLITE_TRIGGERS:  # the table was rebuilt without them
            op.execute(statement)
    else:
        op.execute(PG_FUNCTION_WITH_ROTATION)


def downgrade() -> None:
    with op.batch_alter_table("revisie") as batch_op:
        batch_op.alter_column("toelichting", existing_type=sa.Text(), type_=sa.String(length=2000))
        batch_op.drop_column("sleutel")
    with op.batch_alter_table("casus") as batch_op:
        batch_op.drop_index(batch_op.f("ix_casus_zoek_naam"))
        batch_op.drop_index(batch_op.f("ix_casus_zoek_geboortedatum"))
        batch_op.alter_column("afsluitreden", existing_type=sa.Text(), type_=sa.String(length=2000))
        batch_op.drop_column("zoek_geboortedatum")
        batch_op.drop_column("zoek_naam")
    if _is_sqlite():
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)
    else:
        op.execute(PG_FUNCTION_STRICT)
