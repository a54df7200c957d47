"""The consent gate: a professional joins a casus on the family's recorded consent for their kind
of organisation, or on a legal ground the regievoerder chooses; the timeline shows which."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.enums import CasusRol, OrganisatieType
from tests.factories import add_burger, auth, make_account, new_casus


@pytest.fixture
def casus(client: TestClient, app: Any, settings: Settings) -> dict[str, Any]:
    anna = auth(settings, make_account(app, "anna", organisatietype=OrganisatieType.GEMEENTE))
    make_account(app, "huub", organisatietype=OrganisatieType.HUISARTS)
    make_account(app, "zoe", organisatietype=OrganisatieType.ZORGAANBIEDER)
    casus_id = new_casus(client, anna)["id"]
    return {"id": casus_id, "url": f"/api/v1/casussen/{casus_id}", "anna": anna}


def add(client: TestClient, casus: dict[str, Any], wie: str, **extra: Any) -> Any:
    return client.post(
        f"{casus['url']}/betrokkenen",
        json={"gebruikersnaam": wie, "rol": "betrokkene", **extra},
        headers=casus["anna"],
    )


def give_consent(
    client: TestClient, casus: dict[str, Any], headers: dict[str, str], soorten: list[str], op: date
) -> None:
    plan = client.get(f"{casus['url']}/handreiking", headers=casus["anna"]).json()
    inhoud = plan["inhoud"]
    afstemming = inhoud.setdefault("afstemming", {})
    afstemming["toestemmingen"] = [
        *(afstemming.get("toestemmingen") or []),
        {"gegeven_door": "Moeder", "datum": op.isoformat(), "organisatietypen": soorten},
    ]
    saved = client.put(
        f"{casus['url']}/handreiking",
        json={"inhoud": inhoud},
        headers={**headers, "If-Match": f'"{plan["revisie"]}"'},
    )
    assert saved.status_code == 200, saved.text


def members(client: TestClient, casus: dict[str, Any]) -> set[str]:
    rollen = client.get(f"{casus['url']}/betrokkenen", headers=casus["anna"]).json()
    return {r["gebruikersnaam"] for r in rollen}


def joined(client: TestClient, casus: dict[str, Any]) -> list[dict[str, Any]]:
    tijdlijn = client.get(f"{casus['url']}/tijdlijn", headers=casus["anna"]).json()
    return [e for e in tijdlijn["resultaten"] if e["soort"] == "betrokkene.toevoegen"]


def test_without_consent_or_legal_ground_nobody_joins(
    client: TestClient, casus: dict[str, Any]
) -> None:
    refused = add(client, casus, "huub")
    assert refused.status_code == 422, refused.text
    [fout] = refused.json()["errors"]
    assert fout["pad"] == "grondslag" and "huisarts" in fout["melding"]
    assert "stap 6" in fout["melding"]
    assert members(client, casus) == {"anna"}
    assert joined(client, casus) == []


def test_consent_for_that_kind_of_organisation_opens_the_door_and_the_timeline_says_so(
    client: TestClient, casus: dict[str, Any]
) -> None:
    vandaag = date.today()
    give_consent(client, casus, casus["anna"], ["huisarts"], vandaag - timedelta(days=1))
    # For another kind of organisation, and consent dated later, count for nothing.
    give_consent(client, casus, casus["anna"], ["onderwijs"], vandaag)
    give_consent(client, casus, casus["anna"], ["zorgaanbieder"], vandaag + timedelta(days=30))
    assert add(client, casus, "zoe").status_code == 422
    ok = add(client, casus, "huub")
    assert ok.status_code == 201, ok.text
    [event] = joined(client, casus)
    gegeven = (vandaag - timedelta(days=1)).isoformat()
    assert event["kenmerken"]["basis"] == "toestemming"
    assert event["kenmerken"]["toestemming_van"] == gegeven


def test_a_legal_ground_chosen_by_the_regievoerder_opens_the_door_and_is_recorded(
    client: TestClient, casus: dict[str, Any]
) -> None:
    ok = add(client, casus, "zoe", grondslag="jeugdbeschermingsmaatregel")
    assert ok.status_code == 201, ok.text
    [event] = joined(client, casus)
    assert event["kenmerken"]["basis"] == "grondslag"
    assert event["kenmerken"]["grondslag"] == "jeugdbeschermingsmaatregel"
    unknown = add(client, casus, "huub", grondslag="omdat het kan")
    assert unknown.status_code == 422 and "huub" not in members(client, casus)


def test_an_ouder_cannot_write_or_change_the_consent_record(
    client: TestClient, app: Any, settings: Settings, casus: dict[str, Any]
) -> None:
    """Consent is recorded with the family by the professionals: a parent (or the jeugdige)
    could otherwise backdate it or record it in the other parent's name."""
    ouder = auth(settings, add_burger(app, casus["id"], "burger-moeder", CasusRol.OUDER))
    plan = client.get(f"{casus['url']}/handreiking", headers=ouder).json()
    inhoud = plan["inhoud"]
    inhoud["afstemming"] = {
        "toestemmingen": [
            {"gegeven_door": "Vader", "datum": "2026-01-01", "organisatietypen": ["huisarts"]}
        ]
    }
    refused = client.put(
        f"{casus['url']}/handreiking",
        json={"inhoud": inhoud},
        headers={**ouder, "If-Match": f'"{plan["revisie"]}"'},
    )
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["pad"].startswith("afstemming.toestemmingen")
    assert add(client, casus, "huub").status_code == 422


def test_a_handover_to_someone_not_yet_on_the_casus_needs_the_same(
    client: TestClient, casus: dict[str, Any]
) -> None:
    body = {"opvolger": "zoe", "toelichting": "Zoe neemt het over."}
    url = f"{casus['url']}/overdrachten"
    refused = client.post(url, json=body, headers=casus["anna"])
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["pad"] == "grondslag"
    assert members(client, casus) == {"anna"}
    ok = client.post(url, json={**body, "grondslag": "meldcode"}, headers=casus["anna"])
    assert ok.status_code == 201, ok.text
    [event] = joined(client, casus)
    assert event["kenmerken"] == {
        "rol": "betrokkene",
        "via": "overdracht",
        "basis": "grondslag",
        "grondslag": "meldcode",
    }
