"""A small population of casussen built through the real API, with a canary in every name and
every free text a person can type anywhere: the handreiking, accounts and organisations, MDO
decisions, handover notes and reasons, closing reasons and questionnaire answers."""

from __future__ import annotations

import base64
import binascii
import html
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, quote_plus

from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlmodel import col

from app.casus.models import Casus
from app.config import Settings
from app.db import unit_of_work
from app.enums import OrganisatieType
from tests.canary import CanaryDocument
from tests.factories import GRONDSLAG, add_role, auth, make_account, new_casus, save
from tests.web.test_steps import CSRF

GEMEENTEN = ("Enschede", "Hengelo", "Losser")
INDICATIES = (["OB3b"], ["OB4a", "OB3c"])
TYPEN = (
    OrganisatieType.GEMEENTE,
    OrganisatieType.ZORGAANBIEDER,
    OrganisatieType.ONDERWIJS,
    OrganisatieType.GECERTIFICEERDE_INSTELLING,
)


@dataclass
class Populatie:
    casussen: list[str] = field(default_factory=list)
    canaries: list[str] = field(default_factory=list)

    def canary(self, soort: str) -> str:
        value = f"CNRY{len(self.canaries):04d}{soort.upper()}Q"
        self.canaries.append(value)
        return value


def bouw(client: TestClient, app: Any, settings: Settings, aantal: int) -> Populatie:
    """`aantal` casussen across three gemeenten, some closed, with MDOs and handovers."""
    pop = Populatie()
    profs = [
        make_account(app, pop.canary("prof").lower(), organisatietype=TYPEN[i]) for i in range(4)
    ]
    pop.canaries.extend(f"Organisatie van {p}" for p in profs)
    headers = {p: auth(settings, p) for p in profs}
    formulier = app.state.formulieren[app.state.formulieren.standaard]
    for i in range(aantal):
        regie, ander = profs[i % 2], profs[2 + i % 2]
        geboren = f"2011-0{1 + i % 9}-1{i % 9}"
        pop.canaries.append(geboren)
        casus = new_casus(
            client,
            headers[regie],
            gemeente=GEMEENTEN[i % 3],
            jeugdige={"naam": pop.canary("jeugdige"), "geboortedatum": geboren},
            indicaties=INDICATIES[i % 2],
        )
        cid = casus["id"]
        pop.casussen.append(cid)
        _started(app, cid, i)
        document = CanaryDocument(formulier, f"CNRY{i:03d}D")
        document.inhoud["kop"].update(gemeente=GEMEENTEN[i % 3], indicaties=INDICATIES[i % 2])
        pop.canaries.extend(document.canaries)
        assert save(client, headers[regie], cid, document.inhoud, 1).status_code == 200
        add_role(client, headers[regie], cid, ander, "betrokkene")
        _mdo(client, headers[regie], cid, pop)
        _overdracht(client, headers, regie, ander, cid, pop, accept=i % 3 == 0)
        if i % 2:
            houder = ander if i % 3 == 0 else regie
            response = client.post(
                f"/api/v1/casussen/{cid}/afsluiten",
                json={"reden": pop.canary("reden")},
                headers=headers[houder],
            )
            assert response.status_code == 200, response.text
            for persoon in (regie, ander):
                _professional_answers(client, headers[persoon], cid, pop)
            _ouder_answers(client, app, headers[houder], cid, pop)
    return pop


def _professional_answers(
    client: TestClient, headers: dict[str, str], cid: str, pop: Populatie
) -> None:
    """Closing invited everyone on the casus: answer in the app, with a free-text canary."""
    mine = client.get("/api/v1/vragenlijsten", headers=headers)
    assert mine.status_code == 200, mine.text
    uitnodiging = next(u for u in mine.json() if u["casus_id"] == cid)
    response = client.post(
        f"/api/v1/vragenlijsten/{uitnodiging['id']}/antwoorden",
        json={
            "schaal": {"rust_overzicht": 4, "duidelijkheid_taken": 2},
            "open": {"open_werkt": pop.canary("open")},
        },
        headers=headers,
    )
    assert response.status_code == 201, response.text


def _ouder_answers(
    client: TestClient, app: Any, headers: dict[str, str], cid: str, pop: Populatie
) -> None:
    """An ouder answers through the personal link, without an account, like a parent would."""
    made = client.post(
        f"/api/v1/casussen/{cid}/vragenlijsten", json={"moment": "afsluiting"}, headers=headers
    )
    assert made.status_code == 201, made.text
    path = "/" + made.json()["link"].split("/", 3)[3]
    browser = TestClient(app, follow_redirects=False)
    page = browser.get(path)
    assert page.status_code == 200, page.text
    csrf = CSRF.search(page.text)
    assert csrf is not None
    answer = browser.post(
        path,
        data={
            "csrf_token": csrf.group(1),
            "schaal.rust_overzicht": "5",
            "open.open_goed": pop.canary("ouder"),
        },
    )
    assert answer.status_code == 303, answer.text


def _started(app: Any, cid: str, i: int) -> None:
    """Spread the casussen over two years, so start months and durations differ."""
    begin = datetime(2024 + i % 2, 1 + i % 12, 15, tzinfo=UTC)
    with unit_of_work(app.state.engine) as session:
        session.execute(
            update(Casus).where(col(Casus.id) == uuid.UUID(cid)).values(aangemaakt_op=begin)
        )


def _mdo(client: TestClient, headers: dict[str, str], cid: str, pop: Populatie) -> None:
    base = f"/api/v1/casussen/{cid}/mdos"
    opened = client.post(base, json={"datum": "2026-10-01"}, headers=headers)
    assert opened.status_code == 201, opened.text
    finished = client.post(
        f"{base}/{opened.json()['id']}/afronden",
        json={"revisie": 2, "besluiten": pop.canary("besluit")},
        headers=headers,
    )
    assert finished.status_code == 200, finished.text


def _overdracht(
    client: TestClient,
    headers: dict[str, dict[str, str]],
    regie: str,
    opvolger: str,
    cid: str,
    pop: Populatie,
    *,
    accept: bool,
) -> None:
    base = f"/api/v1/casussen/{cid}/overdrachten"
    proposed = client.post(
        base,
        json={
            "opvolger": opvolger,
            "toelichting": pop.canary("overdracht"),
            "grondslag": GRONDSLAG,
        },
        headers=headers[regie],
    )
    assert proposed.status_code == 201, proposed.text
    oid = proposed.json()["id"]
    if accept:
        answer = client.post(f"{base}/{oid}/accepteren", headers=headers[opvolger])
    else:
        answer = client.post(
            f"{base}/{oid}/afwijzen",
            json={"reden": pop.canary("afwijzing")},
            headers=headers[opvolger],
        )
    assert answer.status_code == 200, answer.text


def vormen(canary: str) -> set[str]:
    """The canary as it could leak: plain, other case, escaped, URL- or base64/hex-encoded
    (base64 at each of the three alignments it can have inside a longer encoded text)."""
    raw = canary.encode()
    forms = {canary, canary.lower(), canary.upper(), html.escape(canary), quote(canary)}
    forms |= {quote_plus(canary), json.dumps(canary)[1:-1], binascii.hexlify(raw).decode()}
    for pad in (b"", b"x", b"xy"):
        encoded = base64.b64encode(pad + raw).decode()
        start = {0: 0, 1: 4, 2: 4}[len(pad)]
        core = encoded[start : len(encoded) - 4]
        forms |= {core, core.replace("+", "-").replace("/", "_")}
    return {f for f in forms if len(f) >= 8}


def lekken(tekst: str, canaries: list[str]) -> list[str]:
    """Every canary found in `tekst` in any of its forms (compared case-insensitively)."""
    haystack = tekst.lower()
    return [c for c in canaries if any(f.lower() in haystack for f in vormen(c))]
