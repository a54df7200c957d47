"""Backup and restore as the README describes them: pg_dump, pg_restore into an empty database,
and the restored copy passes `regie audit verify` and holds the same revisions.

The restore also shows what a backup cannot fake: a dump edited to change one audit event no
longer verifies.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

from tests.test_cli_processes import _regie

PG_DUMP, PG_RESTORE = shutil.which("pg_dump"), shutil.which("pg_restore")
pytestmark = pytest.mark.skipif(
    PG_DUMP is None or PG_RESTORE is None,
    reason="pg_dump/pg_restore (postgresql-client) ontbreken",
)


@pytest.fixture
def databases(pg_server: str) -> Iterator[tuple[str, str]]:
    """Two empty databases: the one in use, and the one a backup is restored into."""
    names = [f"regie_backup_{uuid.uuid4().hex[:8]}" for _ in range(2)]
    admin = create_engine(pg_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        for name in names:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield tuple(  # type: ignore[misc]
            make_url(pg_server).set(database=n).render_as_string(hide_password=False) for n in names
        )
    finally:
        with admin.connect() as connection:
            for name in names:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _libpq(url: str) -> str:
    """The URL as pg_dump takes it (no SQLAlchemy driver name)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _env(url: str, data_dir: Path) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("REGIE_")},
        "REGIE_ENV": "dev",
        "REGIE_DATA_DIR": str(data_dir),
        "REGIE_DATABASE_URL": url,
    }


def _revisions(url: str) -> list[tuple[str, int]]:
    engine = create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT casus_id, nummer FROM revisie ORDER BY 1, 2"))
        result = [(str(c), int(n)) for c, n in rows]
    engine.dispose()
    return result


def test_a_restored_backup_verifies_and_holds_everything(
    databases: tuple[str, str], tmp_path: Path
) -> None:
    live, restored = databases
    assert _regie(_env(live, tmp_path), "migrate").returncode == 0
    assert _regie(_env(live, tmp_path), "demo", "--genereer", "20").returncode == 0
    dump = tmp_path / "regie.dump"
    assert PG_DUMP and PG_RESTORE
    subprocess.run(  # noqa: S603 - the documented command, local database
        [PG_DUMP, "--format=custom", "--no-owner", f"--file={dump}", _libpq(live)], check=True
    )
    subprocess.run(  # noqa: S603
        [PG_RESTORE, "--no-owner", "--exit-on-error", f"--dbname={_libpq(restored)}", str(dump)],
        check=True,
    )
    verified = _regie(_env(restored, tmp_path), "audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "Audittrail intact" in verified.stdout
    assert _revisions(restored) == _revisions(live) and _revisions(live)
    # The restored copy is a working database: the app's own reads and writes go on from it.
    assert _regie(_env(restored, tmp_path), "migrate").returncode == 0

    # A restored copy with one event changed is caught (the triggers are restored too, so the
    # change has to bypass them, as someone with the dump and superuser rights could).
    engine = create_engine(restored)
    with engine.begin() as connection:
        connection.execute(text("SET LOCAL session_replication_role = replica"))
        connection.execute(
            text(
                "UPDATE auditgebeurtenis SET actie = 'handreiking.lezen' WHERE volgnummer = "
                "(SELECT min(volgnummer) FROM auditgebeurtenis WHERE actie <> 'handreiking.lezen')"
            )
        )
    engine.dispose()
    broken = _regie(_env(restored, tmp_path), "audit", "verify")
    assert broken.returncode == 1, broken.stdout + broken.stderr
