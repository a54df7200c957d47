"""Test fixtures: the real database built by migrations (SQLite and PostgreSQL), the real app.

Every test that takes `db_url` runs once per backend. SQLite tests get a fresh copy of a migrated
template file; PostgreSQL tests share one migrated database per run, emptied before each test.
PostgreSQL is skipped, loudly, when none is reachable, unless REGIE_TEST_REQUIRE_POSTGRES=1.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.audit.models import GENESIS_HASH
from app.cli import alembic_config
from app.config import Settings
from app.main import create_app

PG_SERVER = os.environ.get(
    "REGIE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REQUIRE_PG = os.environ.get("REGIE_TEST_REQUIRE_POSTGRES") == "1"
_pg_status: dict[str, str] = {}


def _pg_reachable() -> str | None:
    """None when PostgreSQL answers, else the reason it does not."""
    try:
        engine = create_engine(PG_SERVER, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        return f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
    return None


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if "skipped" in _pg_status:
        terminalreporter.write_sep(
            "!",
            f"PostgreSQL NIET getest: geen server bereikbaar op {PG_SERVER} "
            f"({_pg_status['skipped']})",
            yellow=True,
            bold=True,
        )
    elif "tested" in _pg_status:
        terminalreporter.write_line(f"PostgreSQL getest op {_pg_status['tested']}")


@pytest.fixture(scope="session")
def keys_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One dev key pair for the whole run: generating RSA keys per test is slow."""
    return tmp_path_factory.mktemp("keys")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    command.upgrade(alembic_config(f"sqlite:///{path}"), "head")
    return path


@pytest.fixture(scope="session")
def pg_server() -> str:
    """The PostgreSQL server URL; skipped (or failed when required) once per run if unreachable."""
    reason = _pg_reachable()
    if reason is not None:
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL vereist maar niet bereikbaar op {PG_SERVER}: {reason}")
        _pg_status["skipped"] = reason
        pytest.skip(f"PostgreSQL niet bereikbaar op {PG_SERVER}: {reason}")
    _pg_status.setdefault("tested", make_url(PG_SERVER).render_as_string())
    return PG_SERVER


@pytest.fixture(scope="session")
def pg_database(pg_server: str) -> Iterator[str]:
    """A private, migrated database for this run, dropped at the end."""
    name = f"regie_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(pg_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(pg_server).set(database=name).render_as_string(hide_password=False)
    command.upgrade(alembic_config(url), "head")
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate_all(url: str) -> None:
    """Empty every table; the audit trail's append-only triggers are bypassed (replica mode)."""
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("SET LOCAL session_replication_role = replica"))
        query = text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename NOT IN ('alembic_version', 'auditketen')"
        )
        tables = connection.execute(query).scalars().all()
        connection.execute(text(f"TRUNCATE {', '.join(tables)} CASCADE"))
        reset = text("UPDATE auditketen SET volgnummer = 0, hash = :genesis")
        connection.execute(reset, {"genesis": GENESIS_HASH})
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database of each backend, private to this test."""
    if request.param == "sqlite":
        target = tmp_path / "regie.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), target)
        return f"sqlite:///{target}"
    url: str = request.getfixturevalue("pg_database")
    _truncate_all(url)
    return url


@pytest.fixture
def settings(db_url: str, keys_dir: Path) -> Settings:
    return Settings(env="dev", data_dir=keys_dir, database_url=db_url)


@pytest.fixture
def app(settings: Settings) -> Iterator[Any]:
    application = create_app(settings)
    yield application
    application.state.engine.dispose()


@pytest.fixture
def client(app: Any) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def live_server(app: Any) -> Iterator[str]:
    """The app behind a real uvicorn on 127.0.0.1, on a free port, stopped after the test."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
