"""More than one process on one PostgreSQL: nothing that matters lives in a process's memory.

Two real uvicorn processes of Regie (as two replicas behind a proxy would be) on one database:
a browser session started on one is valid on the other, a stale save is refused whichever
process gets it, and sign-in attempts are counted together.
"""

from __future__ import annotations

import os
import re
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from benchmarks.server import served
from tests.conftest import _truncate_all
from tests.factories import add_role, auth, make_account, new_casus

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
LIMIT = 4


@pytest.fixture
def two(pg_database: str, keys_dir: Path, tmp_path: Path) -> Any:
    """Two Regie processes on one database; yields their base URLs and an in-process app."""
    _truncate_all(pg_database)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("REGIE_")},
        "REGIE_ENV": "dev",
        "REGIE_DATA_DIR": str(keys_dir),
        "REGIE_DATABASE_URL": pg_database,
        "REGIE_AANMELDEN_PER_MINUUT": str(LIMIT),
    }
    settings = Settings(env="dev", data_dir=keys_dir, database_url=pg_database)
    app = create_app(settings)
    with ExitStack() as stack:
        urls = [
            stack.enter_context(
                served("app.main:create_app", env, tmp_path / f"server-{i}.log", factory=True)
            )
            for i in range(2)
        ]
        yield urls, app, settings
    app.state.engine.dispose()


def _sign_in(url: str, gebruikersnaam: str) -> httpx.Client:
    browser = httpx.Client(base_url=url, follow_redirects=False)
    token = CSRF.search(browser.get("/aanmelden").text)
    assert token is not None
    response = browser.post(
        "/aanmelden", data={"csrf_token": token.group(1), "gebruikersnaam": gebruikersnaam}
    )
    assert response.status_code == 303, response.text
    return browser


def test_sessions_conflicts_and_rate_limits_hold_across_processes(two: Any) -> None:
    (a, b), app, settings = two
    client = TestClient(app)
    anna = auth(settings, make_account(app, "anna"))
    make_account(app, "bram")
    casus_id = new_casus(client, anna)["id"]
    add_role(client, anna, casus_id, "bram", "betrokkene")

    # The sign-in count starts again each minute: everything from here on shares one (the
    # servers' clock is this machine's; the rest of the test takes a few seconds).
    if time.time() % 60 > 40:
        time.sleep(61 - time.time() % 60)

    # A session started on process A is a session on process B.
    browser = _sign_in(a, "anna")
    page = httpx.get(f"{b}/casussen/{casus_id}", cookies=browser.cookies)
    browser.close()
    assert page.status_code == 200 and "Test Jeugdige" in page.text

    # Both saved on revision 1, each through another process: exactly one wins.
    url = f"/api/v1/casussen/{casus_id}/handreiking"
    answers = [
        httpx.put(
            f"{base}{url}",
            json={"inhoud": {"situatie": {"krachten": wie}}},
            headers={**auth(settings, wie), "If-Match": '"1"'},
        ).status_code
        for base, wie in ((a, "anna"), (b, "bram"))
    ]
    assert answers == [200, 412]

    # Sign-in attempts from one address count together, whichever process takes them (the
    # successful sign-in above was the first).
    statuses = [
        httpx.post(f"{base}/aanmelden", data={"gebruikersnaam": "anna"}).status_code
        for base in (a, b, a, b)
    ]
    assert statuses == [403, 403, 403, 429]
    refused = httpx.post(f"{a}/aanmelden", data={"gebruikersnaam": "anna"})
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) <= 60
    assert "te vaak geprobeerd" in refused.text
