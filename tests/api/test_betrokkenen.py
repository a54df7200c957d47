"""Adding and removing betrokkenen: the access list, exactly one regievoerder."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import IntegrityError

from app.casus.models import Rol
from app.config import Settings
from app.db import unit_of_work
from app.enums import CasusRol
from tests.factories import GRONDSLAG, add_role, auth, make_account, new_casus, save


def test_adding_a_betrokkene_grants_access_and_removing_ends_it_at_once(
    client: TestClient, app: Any, settings: Settings
) -> None:
    anna = auth(settings, make_account(app, "anna"))
    bram = auth(settings, make_account(app, "bram"))
    casus_id = new_casus(client, anna)["id"]
    url = f"/api/v1/casussen/{casus_id}"
    assert client.get(url, headers=bram).status_code == 404
    rol = client.post(
        f"{url}/betrokkenen",
        json={
            "gebruikersnaam": "bram",
            "rol": "betrokkene",
            "functietitel": "gezinsvoogd",
            "grondslag": GRONDSLAG,
        },
        headers=anna,
    )
    assert rol.status_code == 201
    assert rol.json()["rol"] == "betrokkene" and rol.json()["functietitel"] == "gezinsvoogd"
    assert client.get(url, headers=bram).status_code == 200
    assert save(client, bram, casus_id, {}, 1).status_code == 200
    listed = client.get(f"{url}/betrokkenen", headers=bram).json()
    assert [(r["gebruikersnaam"], r["rol"]) for r in listed] == [
        ("anna", "regievoerder"),
        ("bram", "betrokkene"),
    ]
    assert client.delete(f"{url}/betrokkenen/{rol.json()['id']}", headers=anna).status_code == 204
    for suffix in ("", "/handreiking", "/revisies", "/betrokkenen"):
        assert client.get(f"{url}{suffix}", headers=bram).status_code == 404
    assert save(client, bram, casus_id, {}, 2).status_code == 404
    assert client.get("/api/v1/casussen", headers=bram).json()["totaal"] == 0
    again = client.delete(f"{url}/betrokkenen/{rol.json()['id']}", headers=anna)
    assert again.status_code == 404


def test_removing_the_regievoerder_is_refused(
    client: TestClient, app: Any, settings: Settings
) -> None:
    anna = auth(settings, make_account(app, "anna"))
    casus = new_casus(client, anna)
    own = casus["rollen"][0]["id"]
    response = client.delete(f"/api/v1/casussen/{casus['id']}/betrokkenen/{own}", headers=anna)
    assert response.status_code == 409
    assert (
        "overdragen" in response.json()["detail"].lower()
        or "draag" in response.json()["detail"].lower()
    )
    read = client.get(f"/api/v1/casussen/{casus['id']}", headers=anna).json()
    assert read["regievoerder"]["gebruikersnaam"] == "anna"


def test_add_refuses_unknown_inactive_non_professional_and_duplicates(
    client: TestClient, app: Any, settings: Settings
) -> None:
    anna = auth(settings, make_account(app, "anna"))
    make_account(app, "bram")
    make_account(app, "slaper", actief=False)
    make_account(app, "olaf", systeemrollen=("onderzoeker",))
    casus_id = new_casus(client, anna)["id"]
    url = f"/api/v1/casussen/{casus_id}/betrokkenen"
    for name in ("niemand", "slaper", "olaf"):
        response = client.post(
            url, json={"gebruikersnaam": name, "rol": "betrokkene"}, headers=anna
        )
        assert (
            response.status_code == 422 and response.json()["errors"][0]["pad"] == "gebruikersnaam"
        )
    bad_role = client.post(
        url, json={"gebruikersnaam": "bram", "rol": "regievoerder"}, headers=anna
    )
    assert bad_role.status_code == 422 and bad_role.json()["errors"][0]["pad"] == "rol"
    add_role(client, anna, casus_id, "bram", "volger")
    twice = client.post(url, json={"gebruikersnaam": "bram", "rol": "betrokkene"}, headers=anna)
    assert twice.status_code == 409
    self_add = client.post(url, json={"gebruikersnaam": "anna", "rol": "volger"}, headers=anna)
    assert self_add.status_code == 409
    assert len(client.get(url, headers=anna).json()) == 2


def test_rol_of_another_casus_cannot_be_ended_here(
    client: TestClient, app: Any, settings: Settings
) -> None:
    anna = auth(settings, make_account(app, "anna"))
    make_account(app, "bram")
    first = new_casus(client, anna)["id"]
    second = new_casus(client, anna)["id"]
    rol = add_role(client, anna, second, "bram", "betrokkene")
    response = client.delete(f"/api/v1/casussen/{first}/betrokkenen/{rol['id']}", headers=anna)
    assert response.status_code == 404
    assert len(client.get(f"/api/v1/casussen/{second}/betrokkenen", headers=anna).json()) == 2


def test_database_refuses_a_second_active_regievoerder(
    client: TestClient, app: Any, settings: Settings
) -> None:
    """Even a bug in a service cannot create two regievoerders: the partial unique index says no."""
    anna = auth(settings, make_account(app, "anna"))
    make_account(app, "bram")
    casus = new_casus(client, anna)
    bram_rol = add_role(client, anna, casus["id"], "bram", "betrokkene")
    with unit_of_work(app.state.engine) as session:
        rol = session.get(Rol, uuid.UUID(bram_rol["id"]))
        assert rol is not None
        rol.rol = CasusRol.REGIEVOERDER
        session.add(rol)
        with pytest.raises(IntegrityError):
            session.flush()
        session.rollback()
    regie = [
        r
        for r in client.get(f"/api/v1/casussen/{casus['id']}/betrokkenen", headers=anna).json()
        if r["rol"] == "regievoerder"
    ]
    assert [r["gebruikersnaam"] for r in regie] == ["anna"]
