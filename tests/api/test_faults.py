"""Faults: the database stops mid-session and comes back; retried saves land exactly once.

PostgreSQL is reached through a relay on 127.0.0.1 that the test cuts and restores, so the app
sees what a stopped or restarting server looks like (dropped connections, refused new ones)
while the real server keeps running for the rest of the suite.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import make_url

from app.config import Settings
from app.main import create_app
from tests.conftest import _truncate_all
from tests.factories import auth, make_account, new_casus, save
from tests.relay import Relay, relay
from tests.web.test_steps import BASIS, CSRF, sign_in, step_url

HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')
KEY = re.compile(r'name="opslagsleutel" value="([^"]+)"')


@pytest.fixture
def outage(pg_database: str, keys_dir: Path) -> Iterator[tuple[Any, Relay]]:
    """The app on PostgreSQL through a relay the test can cut."""
    _truncate_all(pg_database)
    url = make_url(pg_database)
    with relay(url.host or "127.0.0.1", url.port or 5432) as proxy:
        through = url.set(host="127.0.0.1", port=proxy.port, query={"connect_timeout": "3"})
        settings = Settings(
            env="dev",
            data_dir=keys_dir,
            database_url=through.render_as_string(hide_password=False),
        )
        app = create_app(settings)
        yield app, proxy
        app.state.engine.dispose()


def _put(
    client: TestClient, h: dict[str, str], casus_id: str, tekst: str, basis: int, key: str
) -> httpx.Response:
    response: httpx.Response = save(
        client, h, casus_id, {"situatie": {"zorgen": tekst}}, basis, key
    )
    return response


def test_a_stopped_database_gives_503_and_the_retry_lands_once(
    outage: tuple[Any, Relay],
) -> None:
    app, proxy = outage
    settings: Settings = app.state.settings
    client = TestClient(app, raise_server_exceptions=False)
    anna = auth(settings, make_account(app, "anna"))
    casus_id = new_casus(client, anna)["id"]
    assert _put(client, anna, casus_id, "Voor de storing.", 1, "sleutel-een-0000001").json() == {
        "revisie": 2
    }
    browser, _ = sign_in(app, "anna")
    form_page = browser.get(step_url(casus_id, "situatie")).text

    proxy.cut()
    down = _put(client, anna, casus_id, "Tijdens de storing.", 2, "sleutel-twee-0000002")
    assert down.status_code == 503 and down.headers["retry-after"] == "5"
    assert down.headers["content-type"] == "application/problem+json"
    assert down.json()["code"] == "database_onbereikbaar" and down.headers["x-request-id"]
    assert client.get("/health/ready").status_code == 503

    typed = "Wat de ouders vertelden, getypt terwijl de database weg was."
    posted = _step_form(form_page, typed)
    kept = browser.post(step_url(casus_id, "situatie"), data=posted)
    assert kept.status_code == 503 and "Opnieuw versturen" in kept.text
    assert typed in html.unescape(kept.text)  # shown, and kept in the form to send again
    retry_form = re.search(
        r'<form method="post" action="[^"]+" novalidate>(.*?)</form>', kept.text, re.S
    )
    assert retry_form is not None
    resend = {k: html.unescape(v) for k, v in HIDDEN.findall(retry_form.group(1))}
    assert resend == posted

    proxy.restore()
    again = _put(client, anna, casus_id, "Tijdens de storing.", 2, "sleutel-twee-0000002")
    assert again.status_code == 200 and again.json() == {"revisie": 3}
    lost_answer = _put(client, anna, casus_id, "Tijdens de storing.", 2, "sleutel-twee-0000002")
    assert lost_answer.json() == {"revisie": 3}
    assert lost_answer.headers["idempotent-replayed"] == "true"

    # The kept web form, sent again (twice, as an impatient click would): saved once.
    for _ in range(2):
        response = browser.post(step_url(casus_id, "situatie"), data=resend)
        assert response.status_code == 303, response.text
    revisies = client.get(f"/api/v1/casussen/{casus_id}/revisies", headers=anna).json()
    assert sorted(r["nummer"] for r in revisies) == [1, 2, 3, 4]
    current = client.get(f"/api/v1/casussen/{casus_id}/handreiking", headers=anna).json()
    assert current["revisie"] == 4
    assert current["inhoud"]["situatie"] == {"krachten": typed, "zorgen": "Tijdens de storing."}


def _step_form(page: str, krachten: str) -> dict[str, str]:
    csrf, basis, key = CSRF.search(page), BASIS.search(page), KEY.search(page)
    assert csrf and basis and key
    return {
        "csrf_token": csrf.group(1),
        "basis": basis.group(1),
        "opslagsleutel": key.group(1),
        "situatie.krachten": krachten,
        "situatie.zorgen": "Voor de storing.",  # as the form showed it
        "actie": "opslaan",
    }
