"""Every form post in the web UI, found from the routers themselves (a new form is covered the
day it is added): without this browser's CSRF token, or with a wrong one, it is refused with 403
and nothing in the database changes."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import inspect, text

from app.config import Settings
from app.web import beheer_pages, casus_pages, handreiking, pages, regie_pages, vragenlijst_pages
from tests.factories import add_role, auth, make_account, new_casus
from tests.web.test_steps import sign_in

WEB_ROUTERS = (pages, handreiking, regie_pages, casus_pages, vragenlijst_pages, beheer_pages)
# The ouder's personal link answers 404 for a link that does not exist, before any form is read;
# its CSRF refusal on a real link (403, input kept, nothing saved) is in test_vragenlijst_pages.
LINK_FORM = "/vragenlijst/{token}"
FORMS = sorted(
    route.path
    for module in WEB_ROUTERS
    for route in module.router.routes
    if isinstance(route, APIRoute) and "POST" in (route.methods or ()) and route.path != LINK_FORM
)
VALUES = {"sleutel": "situatie", "antwoord": "accepteren"}
# The check comes before any database work, so one backend is enough.
ONE_BACKEND = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def _url(path: str, casus_id: str) -> str:
    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        return casus_id if name == "casus_id" else VALUES.get(name, str(uuid.uuid4()))

    return re.sub(r"\{(\w+)\}", fill, path)


def _rows(app: Any) -> dict[str, int]:
    engine = app.state.engine
    with engine.connect() as connection:
        return {
            table: connection.execute(text(f'SELECT count(*) FROM "{table}"')).scalar_one()  # noqa: S608
            for table in inspect(engine).get_table_names()
        }


def test_every_form_is_found() -> None:
    assert len(FORMS) >= 14 and "/casussen/{casus_id}/stap/{sleutel}" in FORMS


@ONE_BACKEND
@pytest.mark.parametrize("path", FORMS)
@pytest.mark.parametrize("token", [None, "0" * 64])
def test_a_form_post_without_the_right_csrf_token_is_refused(
    client: TestClient, app: Any, settings: Settings, path: str, token: str | None
) -> None:
    anna = auth(settings, make_account(app, "anna"))
    make_account(app, "bram")
    casus_id = new_casus(client, anna)["id"]
    add_role(client, anna, casus_id, "bram", "betrokkene")
    browser, _ = sign_in(app, "anna")
    before = _rows(app)
    data = {"gebruikersnaam": "bram", "rol": "betrokkene", "basis": "1", "actie": "opslaan"}
    if token is not None:
        data["csrf_token"] = token
    response = browser.post(_url(path, casus_id), data=data)
    assert response.status_code == 403, (path, response.status_code)
    after = _rows(app)
    # A refusal is audited (one event, and the chain's head moves with it); nothing else.
    changed = {t for t in after if after[t] != before[t]}
    assert changed <= {"auditgebeurtenis"}, changed
    assert after["auditgebeurtenis"] - before["auditgebeurtenis"] <= 1


@ONE_BACKEND
def test_an_oversized_form_post_is_refused_before_it_is_read(
    client: TestClient, app: Any, settings: Settings
) -> None:
    anna = auth(settings, make_account(app, "anna"))
    casus_id = new_casus(client, anna)["id"]
    browser, csrf = sign_in(app, "anna")
    before = _rows(app)
    huge = "x" * (settings.max_body_bytes + 1)
    response = browser.post(
        f"/casussen/{casus_id}/stap/situatie",
        data={"csrf_token": csrf, "basis": "1", "situatie.krachten": huge},
    )
    assert response.status_code == 413
    assert "Verzoek te groot" in response.text  # the Dutch page, not a bare error
    after = _rows(app)
    assert {t for t in after if after[t] != before[t]} <= {"auditgebeurtenis"}
