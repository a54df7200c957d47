"""Warm handover of regie: exactly one regievoerder at every moment."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from tests.factories import GRONDSLAG, add_role, auth, make_account, new_casus


@pytest.fixture
def casus(client: TestClient, app: Any, settings: Settings) -> dict[str, Any]:
    anna = auth(settings, make_account(app, "anna"))
    make_account(app, "bram")
    make_account(app, "carla")
    casus = new_casus(client, anna)
    add_role(client, anna, casus["id"], "bram", "betrokkene")
    return {
        "id": casus["id"],
        "url": f"/api/v1/casussen/{casus['id']}",
        "anna": anna,
        "bram": auth(settings, "bram"),
        "carla": auth(settings, "carla"),
    }


def _propose(
    client: TestClient, casus: dict[str, Any], opvolger: str = "bram", **extra: Any
) -> Any:
    body = {
        "opvolger": opvolger,
        "toelichting": "Bram neemt het over na het MDO.",
        "grondslag": GRONDSLAG,
        **extra,
    }
    return client.post(f"{casus['url']}/overdrachten", json=body, headers=casus["anna"])


def _lead(client: TestClient, casus: dict[str, Any], headers: dict[str, str]) -> str:
    body = client.get(casus["url"], headers=headers).json()
    regie = [r["gebruikersnaam"] for r in body["rollen"] if r["rol"] == "regievoerder"]
    assert len(regie) == 1, body["rollen"]
    return str(regie[0])


def test_accepting_moves_regie_and_keeps_the_old_lead_as_betrokkene(
    client: TestClient, casus: dict[str, Any]
) -> None:
    proposed = _propose(client, casus)
    assert proposed.status_code == 201
    assert proposed.json()["status"] == "voorgesteld"
    assert proposed.json()["toelichting"] == "Bram neemt het over na het MDO."
    assert _lead(client, casus, casus["anna"]) == "anna", "until acceptance, anna keeps regie"
    accepted = client.post(
        f"{casus['url']}/overdrachten/{proposed.json()['id']}/accepteren", headers=casus["bram"]
    )
    assert accepted.status_code == 200 and accepted.json()["status"] == "geaccepteerd"
    assert _lead(client, casus, casus["bram"]) == "bram"
    rollen = {
        r["gebruikersnaam"]: r["rol"]
        for r in client.get(casus["url"], headers=casus["bram"]).json()["rollen"]
    }
    assert rollen == {"anna": "betrokkene", "bram": "regievoerder"}
    # The new regievoerder can do what a regievoerder does; the old one no longer can.
    assert (
        client.post(
            f"{casus['url']}/mdos", json={"datum": "2026-12-01"}, headers=casus["bram"]
        ).status_code
        == 201
    )
    assert (
        client.post(
            f"{casus['url']}/mdos", json={"datum": "2026-12-01"}, headers=casus["anna"]
        ).status_code
        == 403
    )


def test_the_old_lead_may_leave_in_the_same_step(client: TestClient, casus: dict[str, Any]) -> None:
    proposed = _propose(client, casus, verlaat_casus=True).json()
    client.post(f"{casus['url']}/overdrachten/{proposed['id']}/accepteren", headers=casus["bram"])
    assert client.get(casus["url"], headers=casus["anna"]).status_code == 404
    assert _lead(client, casus, casus["bram"]) == "bram"


def test_a_professional_not_yet_on_the_casus_is_added_when_proposed(
    client: TestClient, casus: dict[str, Any]
) -> None:
    assert client.get(casus["url"], headers=casus["carla"]).status_code == 404
    proposed = _propose(client, casus, "carla").json()
    assert client.get(casus["url"], headers=casus["carla"]).status_code == 200
    timeline = client.get(f"{casus['url']}/tijdlijn", headers=casus["anna"]).json()["resultaten"]
    assert [g["soort"] for g in timeline[:2]] == ["betrokkene.toevoegen", "overdracht.voorstellen"]
    inbox = client.get("/api/v1/inbox", headers=casus["carla"]).json()
    assert any(
        i["soort"] == "overdracht" and i["overdracht_id"] == proposed["id"] for i in inbox["items"]
    )


def test_decline_and_withdraw_leave_regie_where_it_was(
    client: TestClient, casus: dict[str, Any]
) -> None:
    first = _propose(client, casus).json()
    assert _propose(client, casus, "carla").status_code == 409, "one open handover at a time"
    declined = client.post(
        f"{casus['url']}/overdrachten/{first['id']}/afwijzen",
        json={"reden": "Te weinig tijd"},
        headers=casus["bram"],
    )
    assert declined.status_code == 200 and declined.json()["reden"] == "Te weinig tijd"
    second = _propose(client, casus).json()
    withdrawn = client.post(
        f"{casus['url']}/overdrachten/{second['id']}/intrekken", headers=casus["anna"]
    )
    assert withdrawn.json()["status"] == "ingetrokken"
    late = client.post(
        f"{casus['url']}/overdrachten/{second['id']}/accepteren", headers=casus["bram"]
    )
    assert late.status_code == 409
    assert _lead(client, casus, casus["anna"]) == "anna"
    statuses = [
        o["status"]
        for o in client.get(f"{casus['url']}/overdrachten", headers=casus["anna"]).json()
    ]
    assert sorted(statuses) == ["afgewezen", "ingetrokken"]


def test_only_the_successor_answers_and_only_the_proposer_withdraws(
    client: TestClient, app: Any, settings: Settings, casus: dict[str, Any]
) -> None:
    make_account(app, "dirk")
    add_role(client, casus["anna"], casus["id"], "dirk", "betrokkene")
    dirk = auth(settings, "dirk")
    proposed = _propose(client, casus).json()
    base = f"{casus['url']}/overdrachten/{proposed['id']}"
    assert client.post(f"{base}/accepteren", headers=dirk).status_code == 403
    assert client.post(f"{base}/afwijzen", json={"reden": "x"}, headers=dirk).status_code == 403
    assert client.post(f"{base}/intrekken", headers=casus["bram"]).status_code == 403
    assert client.post(f"{base}/accepteren", headers=casus["anna"]).status_code == 403
    assert _lead(client, casus, casus["anna"]) == "anna"


def test_invalid_proposals_are_refused(client: TestClient, casus: dict[str, Any]) -> None:
    assert _propose(client, casus, "anna").status_code == 422
    assert _propose(client, casus, "niemand").status_code == 422
    empty = client.post(
        f"{casus['url']}/overdrachten",
        json={"opvolger": "bram", "toelichting": ""},
        headers=casus["anna"],
    )
    assert empty.status_code == 422 and empty.json()["errors"][0]["pad"] == "toelichting"


def test_the_proposed_successor_cannot_be_removed_or_deactivated(
    client: TestClient, app: Any, settings: Settings, casus: dict[str, Any]
) -> None:
    _propose(client, casus)
    rollen = client.get(f"{casus['url']}/betrokkenen", headers=casus["anna"]).json()
    bram_rol = next(r["id"] for r in rollen if r["gebruikersnaam"] == "bram")
    removed = client.delete(f"{casus['url']}/betrokkenen/{bram_rol}", headers=casus["anna"])
    assert removed.status_code == 409
    beheer = auth(settings, make_account(app, "fleur", systeemrollen=("beheerder",)))
    deactivated = client.patch(
        "/api/v1/beheer/accounts/bram", json={"actief": False}, headers=beheer
    )
    assert deactivated.status_code == 409
    assert client.get(casus["url"], headers=casus["bram"]).status_code == 200


def test_closing_waits_for_an_open_handover(client: TestClient, casus: dict[str, Any]) -> None:
    _propose(client, casus)
    closed = client.post(
        f"{casus['url']}/afsluiten", json={"reden": "Klaar"}, headers=casus["anna"]
    )
    assert closed.status_code == 409
