"""The beheerder adds organisations and accounts through the API; nobody else may."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import col, select

from app.audit.models import AuditGebeurtenis
from app.config import Settings
from app.db import unit_of_work
from tests.factories import auth, make_account

API = "/api/v1/beheer"


@pytest.fixture
def beheer(app: Any, settings: Settings) -> dict[str, str]:
    return auth(settings, make_account(app, "fleur", systeemrollen=("beheerder",)))


def add_organisation(
    client: TestClient, headers: dict[str, str], naam: str = "Gemeente Almelo"
) -> dict[str, Any]:
    response = client.post(
        f"{API}/organisaties", json={"naam": naam, "type": "gemeente"}, headers=headers
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def account(organisatie_id: str, **overrides: Any) -> dict[str, Any]:
    return {
        "gebruikersnaam": "g.dijkstra",
        "naam": "Gert Dijkstra",
        "organisatie_id": organisatie_id,
        "functietitel": "wijkcoach",
        "systeemrollen": ["professional"],
        **overrides,
    }


def pads(response: Any) -> dict[str, str]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return {e["pad"]: e["melding"] for e in response.json()["errors"]}


def counts(client: TestClient, headers: dict[str, str]) -> tuple[int, int]:
    organisaties = client.get(f"{API}/organisaties", headers=headers).json()
    accounts = client.get(f"{API}/accounts", headers=headers).json()
    return len(organisaties), len(accounts)


def events(app: Any) -> list[AuditGebeurtenis]:
    with unit_of_work(app.state.engine) as session:
        query = select(AuditGebeurtenis).where(col(AuditGebeurtenis.actie) == "accounts.beheren")
        return list(session.exec(query.order_by(col(AuditGebeurtenis.volgnummer))).all())


def test_add_and_list_an_organisation_and_an_account(
    client: TestClient, settings: Settings, beheer: dict[str, str]
) -> None:
    organisatie = add_organisation(client, beheer, "  Gemeente Almelo ")
    assert organisatie["naam"] == "Gemeente Almelo"
    assert (organisatie["type"], organisatie["actief"]) == ("gemeente", True)
    listed = client.get(f"{API}/organisaties", headers=beheer).json()
    assert organisatie in listed and [o["naam"] for o in listed] == sorted(
        o["naam"] for o in listed
    )
    body = account(organisatie["id"], systeemrollen=["professional", "professional"])
    created = client.post(f"{API}/accounts", json=body, headers=beheer)
    assert created.status_code == 201, created.text
    assert created.json() == {
        "gebruikersnaam": "g.dijkstra",
        "naam": "Gert Dijkstra",
        "organisatie": "Gemeente Almelo",
        "organisatie_id": organisatie["id"],
        "functietitel": "wijkcoach",
        "systeemrollen": ["professional"],
        "actief": True,
    }
    assert created.json() in client.get(f"{API}/accounts", headers=beheer).json()
    # The new account is real: it can sign in and act as a professional.
    ik = client.get("/api/v1/ik", headers=auth(settings, "g.dijkstra"))
    assert ik.status_code == 200 and ik.json()["organisatie"] == "Gemeente Almelo"
    start = client.post(
        "/api/v1/casussen",
        json={
            "gemeente": "Almelo",
            "jeugdige": {"naam": "Test Jeugdige", "geboortedatum": "2012-05-01"},
        },
        headers=auth(settings, "g.dijkstra"),
    )
    assert start.status_code == 201, start.text


def test_invalid_input_names_each_field_and_adds_nothing(
    client: TestClient, beheer: dict[str, str]
) -> None:
    organisatie = add_organisation(client, beheer)
    before = counts(client, beheer)
    bad_org = client.post(
        f"{API}/organisaties", json={"naam": "   ", "type": "kerk"}, headers=beheer
    )
    assert set(pads(bad_org)) == {"naam", "type"}
    too_long = client.post(
        f"{API}/organisaties", json={"naam": "x" * 201, "type": "overig"}, headers=beheer
    )
    assert set(pads(too_long)) == {"naam"}
    for gebruikersnaam in ("G.Dijkstra", "g dijkstra", ".gert", "g", "x" * 101, "gert/../a"):
        wrong = client.post(
            f"{API}/accounts",
            json=account(organisatie["id"], gebruikersnaam=gebruikersnaam),
            headers=beheer,
        )
        assert set(pads(wrong)) == {"gebruikersnaam"}, gebruikersnaam
    empty = client.post(
        f"{API}/accounts",
        json=account(organisatie["id"], naam="", systeemrollen=[]),
        headers=beheer,
    )
    assert set(pads(empty)) == {"naam", "systeemrollen"}
    unknown_role = client.post(
        f"{API}/accounts", json=account(organisatie["id"], systeemrollen=["god"]), headers=beheer
    )
    assert set(pads(unknown_role)) == {"systeemrollen.0"}
    extra = client.post(
        f"{API}/accounts", json={**account(organisatie["id"]), "actief": False}, headers=beheer
    )
    assert set(pads(extra)) == {"actief"}
    assert counts(client, beheer) == before


def test_a_duplicate_or_unusable_organisation_is_refused_on_its_field(
    client: TestClient, app: Any, beheer: dict[str, str]
) -> None:
    organisatie = add_organisation(client, beheer)
    assert client.post(
        f"{API}/accounts", json=account(organisatie["id"]), headers=beheer
    ).is_success
    before = counts(client, beheer)
    again = client.post(
        f"{API}/organisaties", json={"naam": "GEMEENTE almelo", "type": "overig"}, headers=beheer
    )
    assert pads(again) == {"naam": "Er is al een organisatie met deze naam."}
    same_name = client.post(
        f"{API}/accounts", json=account(organisatie["id"], naam="Iemand Anders"), headers=beheer
    )
    assert pads(same_name) == {"gebruikersnaam": "Er is al een account met deze gebruikersnaam."}
    nowhere = client.post(
        f"{API}/accounts",
        json=account("00000000-0000-0000-0000-000000000000", gebruikersnaam="h.smit"),
        headers=beheer,
    )
    assert pads(nowhere) == {"organisatie_id": "Kies een bestaande organisatie die actief is."}
    closed = client.patch(
        f"{API}/organisaties/{organisatie['id']}", json={"actief": False}, headers=beheer
    )
    assert closed.status_code == 200 and closed.json()["actief"] is False
    inactive = client.post(
        f"{API}/accounts", json=account(organisatie["id"], gebruikersnaam="h.smit"), headers=beheer
    )
    assert set(pads(inactive)) == {"organisatie_id"}
    assert counts(client, beheer) == before
    refused = [e for e in events(app) if e.uitkomst == "mislukt"]
    assert [e.kenmerken["code"] for e in refused] == ["validatiefout"] * 4
    assert all(e.velden == [] for e in refused)


@pytest.mark.parametrize("rol", ["professional", "onderzoeker"])
def test_others_may_not_list_or_add(
    client: TestClient, app: Any, settings: Settings, beheer: dict[str, str], rol: str
) -> None:
    organisatie = add_organisation(client, beheer)
    other = auth(settings, make_account(app, "otto", systeemrollen=(rol,)))
    before = counts(client, beheer)
    responses = [
        client.get(f"{API}/organisaties", headers=other),
        client.get(f"{API}/accounts", headers=other),
        client.post(f"{API}/organisaties", json={"naam": "Nieuw", "type": "overig"}, headers=other),
        client.post(f"{API}/accounts", json=account(organisatie["id"]), headers=other),
    ]
    for response in responses:
        assert response.status_code == 403, response.text
        assert response.json()["code"] == "geweigerd"
    assert client.post(f"{API}/organisaties", json={}).status_code == 401
    assert counts(client, beheer) == before
    refused = [e for e in events(app) if e.gebruikersnaam == "otto"]
    assert len(refused) == 4 and all(e.uitkomst == "geweigerd" for e in refused)


def test_every_change_is_audited_with_structured_fields(
    client: TestClient, app: Any, beheer: dict[str, str]
) -> None:
    organisatie = add_organisation(client, beheer)
    body = account(organisatie["id"], systeemrollen=["professional"])
    assert client.post(f"{API}/accounts", json=body, headers=beheer).status_code == 201
    off = client.patch(f"{API}/accounts/g.dijkstra", json={"actief": False}, headers=beheer)
    assert off.status_code == 200 and off.json()["actief"] is False
    changes = [e for e in events(app) if e.velden]
    assert [(e.gebruikersnaam, e.uitkomst, e.velden) for e in changes] == [
        ("fleur", "toegestaan", ["naam", "type"]),
        (
            "fleur",
            "toegestaan",
            ["functietitel", "gebruikersnaam", "naam", "organisatie", "systeemrollen"],
        ),
        ("fleur", "toegestaan", ["actief"]),
    ]
    assert changes[0].kenmerken == {
        "recht": "accounts.beheren",
        "organisatie": organisatie["id"],
        "type": "gemeente",
    }
    assert changes[1].kenmerken == {
        "recht": "accounts.beheren",
        "account": "g.dijkstra",
        "organisatie": organisatie["id"],
        "systeemrollen": ["professional"],
    }
    # Structured: no names or titles as free text in the trail.
    for event in changes:
        assert not {"Gert Dijkstra", "Gemeente Almelo", "wijkcoach"} & {
            str(v) for v in event.kenmerken.values()
        }


def test_a_beheerder_cannot_switch_off_their_own_account_or_organisation(
    client: TestClient, beheer: dict[str, str]
) -> None:
    accounts = client.get(f"{API}/accounts", headers=beheer).json()
    eigen = next(a for a in accounts if a["gebruikersnaam"] == "fleur")
    own = client.patch(f"{API}/accounts/fleur", json={"actief": False}, headers=beheer)
    assert own.status_code == 409 and "eigen account" in own.json()["detail"]
    org = client.patch(
        f"{API}/organisaties/{eigen['organisatie_id']}", json={"actief": False}, headers=beheer
    )
    assert org.status_code == 409 and "eigen organisatie" in org.json()["detail"]
    assert client.get(f"{API}/accounts", headers=beheer).status_code == 200


@pytest.mark.parametrize("rollen", [["beheerder", "professional"], ["onderzoeker", "professional"]])
def test_beheerder_and_onderzoeker_are_roles_on_their_own(
    client: TestClient, beheer: dict[str, str], rollen: list[str]
) -> None:
    """Neither may see a casus; combined with professional they would, so that is refused."""
    organisatie = add_organisation(client, beheer)
    before = counts(client, beheer)
    samen = client.post(
        f"{API}/accounts", json=account(organisatie["id"], systeemrollen=rollen), headers=beheer
    )
    assert set(pads(samen)) == {"systeemrollen"}
    assert counts(client, beheer) == before
    alleen = client.post(
        f"{API}/accounts", json=account(organisatie["id"], systeemrollen=rollen[:1]), headers=beheer
    )
    assert alleen.status_code == 201
