"""revisie.inhoud stored out of line without a compression attempt (PostgreSQL)

A sealed plan is some 35 KB of ciphertext in a little JSON. PostgreSQL tries to compress any
value over 2 KB before moving it out of line, and ciphertext does not compress: the attempt
fails on every save and only costs the server time (measured: 0.7 ms against 0.2 ms per
revision). EXTERNAL keeps the out-of-line storage and skips the attempt. It applies to rows
written from now on; existing rows were stored uncompressed anyway, because every attempt
failed. SQLite has no such setting.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 17:50:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE revisie ALTER COLUMN inhoud SET STORAGE EXTERNAL")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE revisie ALTER COLUMN inhoud SET STORAGE EXTENDED")
