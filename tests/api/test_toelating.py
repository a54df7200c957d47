"""More people at once than database connections: they queue, nobody stalls (middleware Toelating).

Without admission, requests that hold a connection wait for a worker thread while every thread
waits for a connection, until the pool gives up after 30 s: the MDO-morning benchmark measured
exactly that. Here the pool is two connections and sixty requests arrive at once, more than the
worker-thread pool (40) holds.
"""

from __future__ import annotations

import socket
import threading
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.config import Settings
from tests.factories import auth, make_account, new_casus

CLIENTS = 60
TIMEOUT_S = 20.0  # below the pool's own 30 s: a stall fails here, not as a slow pass


@pytest.fixture
def settings(db_url: str, keys_dir: Path) -> Settings:
    return Settings(env="dev", data_dir=keys_dir, database_url=db_url, max_gelijktijdig=2)


def test_sixty_requests_on_two_connections_all_get_their_answer(
    live_server: str, app: Any, settings: Settings
) -> None:
    make_account(app, "anna")
    headers = auth(settings, "anna")
    with httpx.Client(base_url=live_server, timeout=TIMEOUT_S) as http:
        casus_id = new_casus(http, headers)["id"]
    barrier = threading.Barrier(CLIENTS)
    statussen: list[int | str] = []
    lock = threading.Lock()

    def lees() -> None:
        with httpx.Client(base_url=live_server, timeout=TIMEOUT_S, headers=headers) as http:
            barrier.wait()
            try:
                status: int | str = http.get(f"/api/v1/casussen/{casus_id}/handreiking").status_code
            except httpx.HTTPError as exc:
                status = type(exc).__name__
        with lock:
            statussen.append(status)

    threads = [threading.Thread(target=lees) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=2 * TIMEOUT_S)
    assert statussen == [200] * CLIENTS
    assert app.state.engine.pool.size() == 2


def test_slow_senders_hold_no_slot(live_server: str, app: Any, settings: Settings) -> None:
    """Two clients trickle a request body (both slots' worth); a third request is answered."""
    make_account(app, "anna")
    headers = auth(settings, "anna")
    host, port = live_server.removeprefix("http://").split(":")
    kop = (
        "POST /api/v1/casussen HTTP/1.1\r\nHost: regie\r\nContent-Type: application/json\r\n"
        f"Authorization: {headers['Authorization']}\r\nContent-Length: 1000\r\n\r\n{{"
    ).encode()
    with ExitStack() as stack:
        for _ in range(2):  # max_gelijktijdig is 2 here
            traag = stack.enter_context(socket.create_connection((host, int(port)), timeout=5))
            traag.sendall(kop)
        time.sleep(0.5)  # both are now inside the server, their bodies unfinished
        with httpx.Client(base_url=live_server, timeout=5, headers=headers) as http:
            assert http.get("/api/v1/ik").status_code == 200
