"""Creating, listing and reading casussen through the API."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlmodel import Session, col

from app.casus.models import Casus, Rol
from app.config import Settings
from app.db import utcnow
from tests.factories import CASUS, add_role, auth, make_account, new_casus, save


def test_creator_becomes_the_one_regievoerder(
    client: TestClient, app: Any, settings: Settings
) -> None:
    h = auth(settings, make_account(app, "anna"))
    casus = new_casus(client, h)
    assert casus["regievoerder"]["gebruikersnaam"] == "anna"
    assert [r["rol"] for r in casus["rollen"]] == ["regievoerder"]
    assert casus["revisie"] == 1 and casus["status"] == "aangemaakt"
    assert casus["formulierversie"] == "twente-2020.1"
    read = client.get(f"/api/v1/casussen/{casus['id']}", headers=h)
    assert read.status_code == 200 and read.headers["etag"] == '"1"'
    handreiking = client.get(f"/api/v1/casussen/{casus['id']}/handreiking", headers=h).json()
    assert handreiking["inhoud"]["kop"]["jeugdige"]["naam"] == "Test Jeugdige"


def test_only_professionals_create_casussen(
    client: TestClient, app: Any, settings: Settings
) -> None:
    for name, rollen in (("onderzoeker", ("onderzoeker",)), ("beheerder", ("beheerder",))):
        h = auth(settings, make_account(app, name, systeemrollen=rollen))
        response = client.post("/api/v1/casussen", json=CASUS, headers=h)
        assert response.status_code == 403
        assert response.headers["content-type"] == "application/problem+json"


def test_list_shows_only_casussen_with_an_active_role(
    client: TestClient, app: Any, settings: Settings
) -> None:
    anna = auth(settings, make_account(app, "anna"))
    bram = auth(settings, make_account(app, "bram"))
    leeg = client.get("/api/v1/casussen", headers=anna).json()
    assert leeg["resultaten"] == [] and leeg["totaal"] == 0
    eigen = new_casus(client, anna)
    new_casus(client, bram)
    listed = client.get("/api/v1/casussen", headers=anna).json()
    assert [c["id"] for c in listed["resultaten"]] == [eigen["id"]]
    assert listed["totaal"] == 1 and listed["resultaten"][0]["mijn_rol"] == "regievoerder"
    add_role(client, anna, eigen["id"], "bram", "volger")
    bram_list = client.get("/api/v1/casussen", headers=bram).json()
    assert bram_list["totaal"] == 2
    assert {c["mijn_rol"] for c in bram_list["resultaten"]} == {"regievoerder", "volger"}
    for rij in bram_list["resultaten"]:  # each with its own regievoerder, as the casus says
        casus = client.get(f"/api/v1/casussen/{rij['id']}", headers=bram).json()
        assert rij["regievoerder"] == casus["regievoerder"]
    leads = {c["id"]: c["regievoerder"]["gebruikersnaam"] for c in bram_list["resultaten"]}
    assert leads[eigen["id"]] == "anna" and set(leads.values()) == {"anna", "bram"}


def test_a_casus_without_a_regievoerder_breaks_the_list_loudly(
    client: TestClient, app: Any, settings: Settings
) -> None:
    """Every casus has exactly one regievoerder; should the data ever break that, the list
    fails (a 500, logged) instead of showing the casus with nobody or somebody else in charge."""
    anna = auth(settings, make_account(app, "anna"))
    bram = auth(settings, make_account(app, "bram"))
    casus = new_casus(client, anna)
    add_role(client, anna, casus["id"], "bram", "betrokkene")
    with Session(app.state.engine) as session:
        session.execute(
            update(Rol)
            .where(col(Rol.casus_id) == uuid.UUID(casus["id"]), col(Rol.rol) == "regievoerder")
            .values(tot=utcnow())
        )
        session.commit()
    response = client.get("/api/v1/casussen", headers=bram)
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"


def test_the_list_names_the_jeugdige_of_the_current_revision_sealed_on_the_casus(
    client: TestClient, app: Any, settings: Settings
) -> None:
    h = auth(settings, make_account(app, "anna"))
    casus = new_casus(client, h)
    listed = client.get("/api/v1/casussen", headers=h).json()["resultaten"]
    assert [c["jeugdige_naam"] for c in listed] == ["Test Jeugdige"]
    url = f"/api/v1/casussen/{casus['id']}/handreiking"
    inhoud = client.get(url, headers=h).json()["inhoud"]
    inhoud["kop"]["jeugdige"]["naam"] = "Nieuwe Naam"
    assert save(client, h, casus["id"], inhoud, 1).status_code == 200
    listed = client.get("/api/v1/casussen", headers=h).json()["resultaten"]
    assert [c["jeugdige_naam"] for c in listed] == ["Nieuwe Naam"]
    with Session(app.state.engine) as session:
        naam = session.get_one(Casus, uuid.UUID(casus["id"])).naam
    assert naam is not None and naam.startswith("enc:v1:") and "Nieuwe" not in naam


def test_list_is_paginated(client: TestClient, app: Any, settings: Settings) -> None:
    h = auth(settings, make_account(app, "anna"))
    ids = {new_casus(client, h)["id"] for _ in range(5)}
    first = client.get("/api/v1/casussen?pagina=1&per_pagina=2", headers=h).json()
    rest = [
        client.get(f"/api/v1/casussen?pagina={p}&per_pagina=2", headers=h).json() for p in (2, 3)
    ]
    seen = [c["id"] for page in [first, *rest] for c in page["resultaten"]]
    assert first["totaal"] == 5 and len(seen) == 5 and set(seen) == ids
    assert [page["totaal"] for page in rest] == [5, 5]
    voorbij = client.get("/api/v1/casussen?pagina=4&per_pagina=2", headers=h).json()
    assert voorbij["resultaten"] == [] and voorbij["totaal"] == 5  # past the end: still counted
    assert client.get("/api/v1/casussen?per_pagina=1000", headers=h).status_code == 422


def test_a_search_is_paginated_and_counted_past_its_end(
    client: TestClient, app: Any, settings: Settings
) -> None:
    """The total of a search counts only what the search finds, also on a page past its end
    (where no row carries the count and it is counted on its own)."""
    h = auth(settings, make_account(app, "anna"))
    sem = {"naam": "Sem de Vries", "geboortedatum": "2012-04-17"}
    gezocht = {new_casus(client, h, jeugdige=sem)["id"] for _ in range(3)}
    new_casus(client, h, jeugdige={"naam": "Lotte Kramer", "geboortedatum": "2012-04-17"})
    for zoek in ({"naam": "sem de vries"}, {"naam": "Sem de Vries", "geboortedatum": "2012-04-17"}):
        paginas = [
            client.get("/api/v1/casussen", params={**zoek, "pagina": p, "per_pagina": 2}, headers=h)
            for p in (1, 2, 3)
        ]
        assert [p.status_code for p in paginas] == [200, 200, 200]
        gevonden = [c["id"] for p in paginas for c in p.json()["resultaten"]]
        assert sorted(gevonden) == sorted(gezocht)
        assert [p.json()["totaal"] for p in paginas] == [3, 3, 3]
    datum = {"geboortedatum": "2012-04-17", "pagina": 9, "per_pagina": 2}
    assert client.get("/api/v1/casussen", params=datum, headers=h).json()["totaal"] == 4


def test_a_page_number_beyond_the_database_range_is_refused(
    client: TestClient, app: Any, settings: Settings
) -> None:
    """Found by schemathesis: a huge page number overflowed the query's offset (a 500)."""
    h = auth(settings, make_account(app, "anna"))
    new_casus(client, h)
    response = client.get(f"/api/v1/casussen?pagina={2**63}", headers=h)
    assert response.status_code == 422, response.text
    assert [e["pad"] for e in response.json()["errors"]] == ["pagina"]
    last = client.get(f"/api/v1/casussen?pagina={2**31 - 1}&per_pagina=100", headers=h)
    assert last.status_code == 200 and last.json()["resultaten"] == []


def _without_instance(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != "instance"}


def test_non_member_gets_the_same_404_as_a_missing_casus(
    client: TestClient, app: Any, settings: Settings
) -> None:
    anna = auth(settings, make_account(app, "anna"))
    casus = new_casus(client, anna)
    missing = "00000000-0000-4000-8000-000000000000"
    outsiders = [
        auth(settings, make_account(app, "eva")),
        auth(settings, make_account(app, "olaf", systeemrollen=("onderzoeker",))),
        auth(settings, make_account(app, "fleur", systeemrollen=("beheerder",))),
    ]
    for h in outsiders:
        for suffix in ("", "/handreiking", "/revisies", "/revisies/1", "/betrokkenen"):
            real = client.get(f"/api/v1/casussen/{casus['id']}{suffix}", headers=h)
            fake = client.get(f"/api/v1/casussen/{missing}{suffix}", headers=h)
            assert real.status_code == fake.status_code == 404
            assert _without_instance(real.json()) == _without_instance(fake.json())
            assert real.headers["content-type"] == "application/problem+json"


def test_invalid_casus_input_names_each_field(
    client: TestClient, app: Any, settings: Settings
) -> None:
    h = auth(settings, make_account(app, "anna"))
    response = client.post(
        "/api/v1/casussen",
        json={
            "gemeente": "Amsterdam",
            "jeugdige": {"naam": "X", "geboortedatum": "2999-01-01"},
            "indicaties": ["OB9"],
        },
        headers=h,
    )
    assert response.status_code == 422
    paden = {e["pad"] for e in response.json()["errors"]}
    assert paden == {"kop.gemeente", "kop.indicaties", "kop.jeugdige.geboortedatum"}
    missing = client.post("/api/v1/casussen", json={"gemeente": "Enschede"}, headers=h)
    assert missing.status_code == 422
    assert {e["pad"] for e in missing.json()["errors"]} == {"jeugdige"}
    assert client.get("/api/v1/casussen", headers=h).json()["totaal"] == 0


def test_closing_makes_the_casus_read_only(
    client: TestClient, app: Any, settings: Settings
) -> None:
    h = auth(settings, make_account(app, "anna"))
    casus = new_casus(client, h)
    closed = client.post(
        f"/api/v1/casussen/{casus['id']}/afsluiten", json={"reden": "Klaar"}, headers=h
    )
    assert closed.status_code == 200 and closed.json()["status"] == "afgesloten"
    save = client.put(
        f"/api/v1/casussen/{casus['id']}/handreiking",
        json={"inhoud": {}},
        headers={**h, "If-Match": '"1"'},
    )
    assert save.status_code == 409 and save.json()["code"] == "casus_afgesloten"
    assert client.get(f"/api/v1/casussen/{casus['id']}/handreiking", headers=h).status_code == 200
