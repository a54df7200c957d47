"""A process killed in the middle of saves (SIGKILL: no clean-up of any kind) leaves the database
consistent: every casus points at its newest revision, revisions are numbered without gaps, each
save that landed has its audit event, and the audit chain verifies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from app.config import Settings
from app.main import create_app
from benchmarks.server import ROOT, free_port
from tests.conftest import _truncate_all
from tests.factories import auth, make_account, new_casus
from tests.test_cli_processes import _regie

CASUSSEN = 4


def _saving(url: str, token: dict[str, str], casus_id: str, stop: threading.Event) -> None:
    """Save as fast as possible until the server dies under us."""
    basis = 1
    with httpx.Client(base_url=url, timeout=5) as client:
        while not stop.is_set():
            try:
                response = client.put(
                    f"/api/v1/casussen/{casus_id}/handreiking",
                    json={"inhoud": {"situatie": {"krachten": "x" * 2000 + str(basis)}}},
                    headers={**token, "If-Match": f'"{basis}"'},
                )
            except httpx.TransportError:
                return
            if response.status_code == 200:
                basis = response.json()["revisie"]


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
def test_a_killed_server_leaves_the_database_consistent(
    db_url: str, settings: Settings, tmp_path: Path
) -> None:
    if db_url.startswith("postgresql"):
        _truncate_all(db_url)
    app = create_app(settings)
    client = TestClient(app)
    anna = auth(settings, make_account(app, "anna"))
    casussen = [new_casus(client, anna)["id"] for _ in range(CASUSSEN)]
    app.state.engine.dispose()

    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("REGIE_")},
        "REGIE_ENV": "dev",
        "REGIE_DATA_DIR": str(settings.data_dir),
        "REGIE_DATABASE_URL": db_url,
    }
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 - our own interpreter and app
        [sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait(url)
        stop = threading.Event()
        workers = [threading.Thread(target=_saving, args=(url, anna, c, stop)) for c in casussen]
        for worker in workers:
            worker.start()
        time.sleep(1.5)  # saves in flight on every casus
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=10)
        stop.set()
        for worker in workers:
            worker.join(timeout=10)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()

    _assert_consistent(db_url, casussen)
    verified = _regie(env, "audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr


def _wait(url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{url}/health/live", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.05)
    raise AssertionError("server kwam niet op")


def _assert_consistent(db_url: str, casussen: list[str]) -> None:
    engine = create_engine(db_url)
    with engine.connect() as connection:
        saved = 0
        for casus_id in casussen:
            key = casus_id if db_url.startswith("postgresql") else casus_id.replace("-", "")
            current = connection.execute(
                text("SELECT revisie FROM casus WHERE id = :id"), {"id": key}
            ).scalar_one()
            numbers = [
                row[0]
                for row in connection.execute(
                    text("SELECT nummer FROM revisie WHERE casus_id = :id ORDER BY nummer"),
                    {"id": key},
                )
            ]
            assert numbers == list(range(1, current + 1)), (casus_id, current, numbers)
            events = connection.execute(
                text(
                    "SELECT count(*) FROM auditgebeurtenis WHERE casus_id = :id "
                    "AND actie = 'handreiking.opslaan' AND uitkomst = 'toegestaan'"
                ),
                {"id": key},
            ).scalar_one()
            assert events == current - 1, (casus_id, events, current)
            saved += current - 1
    engine.dispose()
    assert saved > 0, "no save landed before the kill: the test proved nothing"
