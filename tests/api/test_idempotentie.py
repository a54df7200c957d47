"""Idempotency keys on saves: a repeated save lands once; a reused key with new content not."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.audit.models import AuditGebeurtenis
from app.config import Settings
from tests.factories import add_role, auth, make_account, new_casus, save

KEY = "3f1c9a7e-5b2d-4c8e-9f01-23456789abcd"


def _save(
    client: TestClient, h: dict[str, str], casus_id: str, krachten: str, basis: int, key: str
) -> httpx.Response:
    inhoud = {"situatie": {"krachten": krachten}}
    response: httpx.Response = save(client, h, casus_id, inhoud, basis, key)
    return response


def _revisies(client: TestClient, h: dict[str, str], casus_id: str) -> list[int]:
    response = client.get(f"/api/v1/casussen/{casus_id}/revisies", headers=h)
    return sorted(r["nummer"] for r in response.json())


def test_the_same_save_sent_twice_lands_once(
    client: TestClient, app: Any, settings: Settings
) -> None:
    anna = auth(settings, make_account(app, "anna"))
    casus_id = new_casus(client, anna)["id"]
    first = _save(client, anna, casus_id, "Sport", 1, KEY)
    assert first.status_code == 200 and first.json() == {"revisie": 2}
    assert "idempotent-replayed" not in first.headers
    repeat = _save(client, anna, casus_id, "Sport", 1, KEY)
    assert repeat.status_code == 200 and repeat.json() == {"revisie": 2}
    assert repeat.headers["idempotent-replayed"] == "true" and repeat.headers["etag"] == '"2"'
    assert _revisies(client, anna, casus_id) == [1, 2]
    with Session(app.state.engine) as session:
        opslagen = session.exec(
            select(AuditGebeurtenis).where(AuditGebeurtenis.actie == "handreiking.opslaan")
        ).all()
    assert [e.kenmerken.get("herhaald") for e in opslagen] == [None, True]


def test_a_reused_key_with_other_content_is_refused_and_changes_nothing(
    client: TestClient, app: Any, settings: Settings
) -> None:
    anna = auth(settings, make_account(app, "anna"))
    bram = auth(settings, make_account(app, "bram"))
    casus_id = new_casus(client, anna)["id"]
    add_role(client, anna, casus_id, "bram", "betrokkene")
    assert _save(client, anna, casus_id, "Sport", 1, KEY).status_code == 200
    for who, tekst in ((anna, "Muziek"), (bram, "Sport")):
        refused = _save(client, who, casus_id, tekst, 2, KEY)
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["code"] == "sleutel_gebruikt"
    assert _revisies(client, anna, casus_id) == [1, 2]
    handreiking = client.get(f"/api/v1/casussen/{casus_id}/handreiking", headers=anna).json()
    assert handreiking["inhoud"]["situatie"] == {"krachten": "Sport"}
    # A new key is a new save.
    assert _save(client, anna, casus_id, "Muziek", 2, KEY[:-4] + "0000").json() == {"revisie": 3}


def test_a_malformed_key_is_refused_by_name(
    client: TestClient, app: Any, settings: Settings
) -> None:
    anna = auth(settings, make_account(app, "anna"))
    casus_id = new_casus(client, anna)["id"]
    for key in ("kort", "spatie in de sleutel 123", "x" * 65):
        response = _save(client, anna, casus_id, "Sport", 1, key)
        assert response.status_code == 422
        assert any("idempotency-key" in f["pad"].lower() for f in response.json()["errors"])
    assert _revisies(client, anna, casus_id) == [1]


def test_a_stranger_with_a_used_key_still_gets_404(
    client: TestClient, app: Any, settings: Settings
) -> None:
    anna = auth(settings, make_account(app, "anna"))
    buiten = auth(settings, make_account(app, "buiten"))
    casus_id = new_casus(client, anna)["id"]
    assert _save(client, anna, casus_id, "Sport", 1, KEY).status_code == 200
    assert _save(client, buiten, casus_id, "Sport", 1, KEY).status_code == 404
