"""revisie.idempotentie_sleutel: the key a client sent with a save, so a retried save whose first
answer was lost gets that revision back instead of a second one (or a conflict)

Unique per casus; NULL for saves without a key (NULLs never collide, on either backend). SQLite
adds the column in place, so the table keeps its immutability triggers; on PostgreSQL the
trigger that lets key rotation re-seal a revision now also holds the key unchanged.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 17:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "uq_revisie_idempotentie"
PG_FUNCTION = """
CREATE OR REPLACE FUNCTION regie_onveranderlijk() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND current_setting('regie.sleutelrotatie', true) = 'aan'
     AND NEW.id = OLD.id AND NEW.casus_id = OLD.casus_id AND NEW.nummer = OLD.nummer
     AND NEW.auteur_id = OLD.auteur_id AND NEW.tijdstip = OLD.tijdstip
     AND NEW.formulierversie = OLD.formulierversie
     AND NEW.idempotentie_sleutel IS NOT DISTINCT FROM OLD.idempotentie_sleutel THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'revisies zijn onveranderlijk' USING ERRCODE = 'restrict_violation';
END $$
"""
PG_FUNCTION_0003 = PG_FUNCTION.replace(
    "\n     AND NEW.idempotentie_sleutel IS NOT DISTINCT FROM OLD.idempotentie_sleutel", ""
)


def _is_postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    op.add_column("revisie", sa.Column("idempotentie_sleutel", sa.String(length=64), nullable=True))
    op.create_index(INDEX, "revisie", ["casus_id", "idempotentie_sleutel"], unique=True)
    if _is_postgresql():
        op.execute(PG_FUNCTION)


def downgrade() -> None:
    op.drop_index(INDEX, table_name="revisie")
    if _is_postgresql():
        op.execute(PG_FUNCTION_0003)
        op.drop_column("revisie", "idempotentie_sleutel")
    else:
        # ALTER TABLE … DROP COLUMN in place (SQLite 3.35+): a batch rebuild would drop the
        # table's immutability triggers.
        op.execute("ALTER TABLE revisie DROP COLUMN idempotentie_sleutel")
