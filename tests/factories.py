"""Small builders for test data, going through the real database and the real API."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlmodel import select

from app.accounts.models import Account, Organisatie
from app.auth.tokens import issue_dev_token
from app.casus.models import Rol
from app.config import Settings
from app.db import unit_of_work
from app.enums import CasusRol, OrganisatieType


def make_account(
    app: Any,
    gebruikersnaam: str,
    *,
    systeemrollen: tuple[str, ...] = ("professional",),
    organisatietype: OrganisatieType = OrganisatieType.ZORGAANBIEDER,
    actief: bool = True,
) -> str:
    """An account in its own organisation; returns the gebruikersnaam for chaining."""
    with unit_of_work(app.state.engine) as session:
        organisatie = Organisatie(naam=f"Organisatie van {gebruikersnaam}", type=organisatietype)
        session.add(organisatie)
        session.flush()
        session.add(
            Account(
                gebruikersnaam=gebruikersnaam,
                naam=gebruikersnaam.title(),
                organisatie_id=organisatie.id,
                systeemrollen=list(systeemrollen),
                actief=actief,
            )
        )
    return gebruikersnaam


def auth(settings: Settings, gebruikersnaam: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_dev_token(settings, gebruikersnaam)}"}


GRONDSLAG = "jeugdbeschermingsmaatregel"
CASUS = {
    "gemeente": "Enschede",
    "jeugdige": {"naam": "Test Jeugdige", "geboortedatum": "2012-05-01"},
    "indicaties": ["OB4a"],
}


def new_casus(client: httpx.Client, headers: dict[str, str], **overrides: Any) -> dict[str, Any]:
    response = client.post("/api/v1/casussen", json={**CASUS, **overrides}, headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def add_role(
    client: httpx.Client, headers: dict[str, str], casus_id: str, gebruikersnaam: str, rol: str
) -> dict[str, Any]:
    """Add a professional on a legal ground, so tests about something else need no consent in
    the plan first (tests/api/test_toestemming.py checks the consent rule itself)."""
    response = client.post(
        f"/api/v1/casussen/{casus_id}/betrokkenen",
        json={"gebruikersnaam": gebruikersnaam, "rol": rol, "grondslag": GRONDSLAG},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def save(
    client: httpx.Client,
    headers: dict[str, str],
    casus_id: str,
    inhoud: dict[str, Any],
    basis: int,
    key: str | None = None,
) -> Any:
    """PUT the handreiking on `basis`; with `key`, as a save that may be retried."""
    return client.put(
        f"/api/v1/casussen/{casus_id}/handreiking",
        json={"inhoud": inhoud},
        headers={
            **headers,
            "If-Match": f'"{basis}"',
            **({"Idempotency-Key": key} if key else {}),
        },
    )


def add_burger(app: Any, casus_id: str, gebruikersnaam: str, rol: CasusRol) -> str:
    """An ouder or jeugdige with a role on the casus, as accepting an invitation leaves them
    (tests/api/test_deelname.py goes through the invitation itself)."""
    with unit_of_work(app.state.engine) as session:
        account = Account(
            gebruikersnaam=gebruikersnaam, naam=rol.value.title(), organisatie_id=None
        )
        session.add(account)
        session.flush()
        regievoerder = session.exec(
            select(Rol.account_id).where(
                Rol.casus_id == uuid.UUID(casus_id), Rol.rol == CasusRol.REGIEVOERDER
            )
        ).one()
        session.add(
            Rol(
                casus_id=uuid.UUID(casus_id),
                account_id=account.id,
                rol=rol,
                toegevoegd_door_id=regievoerder,
            )
        )
    return gebruikersnaam
