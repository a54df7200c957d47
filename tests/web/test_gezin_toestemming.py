"""Ouders and the jeugdige give consent themselves (#10, point 4): a new item in step 6 that Regie
stamps with who and today, never an edit of an older one; it opens the consent gate."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.enums import CasusRol, OrganisatieType
from tests.api.test_deelname import events
from tests.factories import add_burger, auth, make_account, new_casus
from tests.web.test_plan_pages import signed_in_guest


def vandaag() -> str:
    """Today as Regie stamps it (Dutch time), read when needed: a module-level constant goes
    stale when a run crosses midnight in the Netherlands (23:00 UTC in winter)."""
    return datetime.now(ZoneInfo("Europe/Amsterdam")).date().isoformat()


@pytest.fixture
def casus(client: TestClient, app: Any, settings: Settings) -> dict[str, Any]:
    anna = auth(settings, make_account(app, "anna", organisatietype=OrganisatieType.GEMEENTE))
    make_account(app, "zoe", organisatietype=OrganisatieType.ZORGAANBIEDER)
    make_account(app, "bram")
    casus_id = new_casus(client, anna)["id"]
    client.post(
        f"/api/v1/casussen/{casus_id}/betrokkenen",
        json={"gebruikersnaam": "bram", "rol": "betrokkene", "grondslag": "wettelijke_taak"},
        headers=anna,
    )
    return {"id": casus_id, "url": f"/api/v1/casussen/{casus_id}", "anna": anna}


def toestemmingen(client: TestClient, casus: dict[str, Any]) -> tuple[int, list[Any]]:
    plan = client.get(f"{casus['url']}/handreiking", headers=casus["anna"]).json()
    return plan["revisie"], (plan["inhoud"].get("afstemming") or {}).get("toestemmingen") or []


def test_an_ouder_gives_consent_on_their_plan_page_and_the_gate_opens(
    client: TestClient, app: Any, settings: Settings, casus: dict[str, Any]
) -> None:
    zonder = client.post(
        f"{casus['url']}/betrokkenen",
        json={"gebruikersnaam": "zoe", "rol": "betrokkene"},
        headers=casus["anna"],
    )
    assert zonder.status_code == 422
    browser, csrf = signed_in_guest(client, app, settings, casus)
    page = browser.get(f"/casussen/{casus['id']}/plan").text
    assert "Toestemming geven" in page and 'value="zorgaanbieder"' in page
    revisie, _ = toestemmingen(client, casus)
    voor = vandaag()
    given = browser.post(
        f"/casussen/{casus['id']}/plan/toestemming",
        data={
            "csrf_token": csrf,
            "basis": str(revisie),
            "organisatietypen": ["zorgaanbieder", "onderwijs"],
            "reikwijdte": "Hoe het op school gaat.",
            # Ignored: who and when are Regie's to stamp.
            "gegeven_door": "De andere ouder",
            "datum": "2020-01-01",
        },
    )
    assert given.status_code == 303, given.text
    assert "Uw toestemming staat in het plan" in browser.get(given.headers["location"]).text
    nu, [rij] = toestemmingen(client, casus)
    assert nu == revisie + 1
    assert rij["datum"] in {voor, vandaag()}  # the day it was given, even across midnight
    assert rij == {
        "gegeven_door": "Ouder/verzorger",
        "datum": rij["datum"],
        "organisatietypen": ["zorgaanbieder", "onderwijs"],
        "reikwijdte": "Hoe het op school gaat.",
    }
    met = client.post(
        f"{casus['url']}/betrokkenen",
        json={"gebruikersnaam": "zoe", "rol": "betrokkene"},
        headers=casus["anna"],
    )
    assert met.status_code == 201, met.text
    log = browser.get(f"/casussen/{casus['id']}/toegangslog").text
    assert "Toestemming gegeven" in log


def test_nothing_chosen_or_a_stale_plan_keeps_the_choice_and_saves_nothing(
    client: TestClient, app: Any, settings: Settings, casus: dict[str, Any]
) -> None:
    browser, csrf = signed_in_guest(client, app, settings, casus)
    revisie, _ = toestemmingen(client, casus)
    url = f"/casussen/{casus['id']}/plan/toestemming"
    leeg = browser.post(url, data={"csrf_token": csrf, "basis": str(revisie), "reikwijdte": "X"})
    assert leeg.status_code == 422 and "Kies minstens één soort organisatie." in leeg.text
    assert 'href="#toestemming-soort-1"' in leeg.text and ">X</textarea>" in leeg.text
    lang = browser.post(
        url,
        data={
            "csrf_token": csrf,
            "basis": str(revisie),
            "organisatietypen": "huisarts",
            "reikwijdte": "x" * 2001,
        },
    )
    assert lang.status_code == 422 and 'href="#toestemming-reikwijdte"' in lang.text
    assert 'aria-invalid="true"' in lang.text and 'value="huisarts" checked' in lang.text
    # The refusals are the consent action's, as failed, on the casus.
    assert events(app, "toestemming.geven")[-1].uitkomst == "mislukt"
    oud = browser.post(
        url,
        data={"csrf_token": csrf, "basis": str(revisie - 1), "organisatietypen": "huisarts"},
    )
    assert oud.status_code == 409 and "Uw toestemming is nog niet opgeslagen" in oud.text
    assert 'value="huisarts" checked' in oud.text
    assert toestemmingen(client, casus) == (revisie, [])
    # A line break counts once, as the browser's maxlength counts it.
    past = "xxx\r\n" * 450
    assert len(past) > 2000
    form = {"csrf_token": csrf, "basis": str(revisie), "organisatietypen": "huisarts"}
    assert browser.post(url, data={**form, "reikwijdte": past}).status_code == 303
    [rij] = toestemmingen(client, casus)[1]
    assert rij["reikwijdte"] == past.replace("\r\n", "\n").strip()


def test_only_ouders_and_the_jeugdige_give_consent_this_way_and_fields_are_not_chosen(
    client: TestClient, app: Any, settings: Settings, casus: dict[str, Any]
) -> None:
    url = f"{casus['url']}/toestemmingen"
    body = {"organisatietypen": ["huisarts"]}
    revisie, _ = toestemmingen(client, casus)
    etag = {"If-Match": f'"{revisie}"'}
    bram = auth(settings, "bram")
    assert client.post(url, json=body, headers={**bram, **etag}).status_code == 403
    make_account(app, "otto")
    buiten = client.post(url, json=body, headers={**auth(settings, "otto"), **etag})
    assert buiten.status_code == 404
    sam = auth(settings, add_burger(app, casus["id"], "burger-sam", CasusRol.JEUGDIGE))
    stamped = {**body, "datum": "2020-01-01"}
    assert client.post(url, json=stamped, headers={**sam, **etag}).status_code == 422
    onbekend = {"organisatietypen": ["geheime_dienst"]}
    fout = client.post(url, json=onbekend, headers={**sam, **etag})
    assert fout.status_code == 422, fout.text
    assert client.post(url, json=body, headers=sam).status_code == 428
    ok = client.post(url, json=body, headers={**sam, **etag})
    assert ok.status_code == 201 and ok.headers["etag"] == f'"{revisie + 1}"'
    assert toestemmingen(client, casus)[1][0]["gegeven_door"] == "Jeugdige"
    # The plan's other fields, and the item itself, stay out of reach of a plain save.
    plan = client.get(f"{casus['url']}/handreiking", headers=sam).json()
    plan["inhoud"]["afstemming"]["toestemmingen"][0]["datum"] = "2020-01-01"
    edit = client.put(
        f"{casus['url']}/handreiking",
        json={"inhoud": plan["inhoud"]},
        headers={**sam, "If-Match": f'"{plan["revisie"]}"'},
    )
    assert edit.status_code == 403


def test_sent_twice_it_is_given_once_and_earlier_items_stay_as_they_were(
    client: TestClient, app: Any, settings: Settings, casus: dict[str, Any]
) -> None:
    revisie, _ = toestemmingen(client, casus)
    eerder = {"gegeven_door": "Moeder", "datum": "2026-01-05", "organisatietypen": ["gemeente"]}
    plan = client.get(f"{casus['url']}/handreiking", headers=casus["anna"]).json()
    plan["inhoud"]["afstemming"] = {"toestemmingen": [eerder]}
    saved = client.put(
        f"{casus['url']}/handreiking",
        json={"inhoud": plan["inhoud"]},
        headers={**casus["anna"], "If-Match": f'"{revisie}"'},
    )
    assert saved.status_code == 200, saved.text
    browser, csrf = signed_in_guest(client, app, settings, casus)
    url = f"/casussen/{casus['id']}/plan/toestemming"
    form = {"csrf_token": csrf, "basis": str(revisie + 1), "organisatietypen": "huisarts"}
    first = browser.post(url, data=form)
    again = browser.post(url, data=form)  # a double click, or the answer lost
    assert (first.status_code, again.status_code) == (303, 303)
    nu, items = toestemmingen(client, casus)
    assert nu == revisie + 2 and len(items) == 2
    assert {k: v for k, v in items[0].items() if v} == eerder
    diff = client.get(
        f"{casus['url']}/revisies/{nu}/verschil", params={"met": nu - 1}, headers=casus["anna"]
    ).json()
    # Only the new item (index 1) changed; the earlier one (index 0) is untouched.
    paden = {w["pad"] for w in diff["wijzigingen"]}
    assert paden and all(p.startswith("afstemming.toestemmingen[1]") for p in paden), paden
    api = client.post(
        f"{casus['url']}/toestemmingen",
        json={"organisatietypen": ["huisarts"]},
        headers={**auth(settings, ouder_naam(app, casus)), "If-Match": f'"{revisie + 1}"'},
    )
    assert api.status_code == 201 and api.headers["idempotent-replayed"] == "true"
    assert toestemmingen(client, casus)[0] == nu


def ouder_naam(app: Any, casus: dict[str, Any]) -> str:
    """The gebruikersnaam of the casus' one invited ouder."""
    from sqlmodel import Session, select

    from app.accounts.models import Account
    from app.casus.models import Rol

    with Session(app.state.engine) as session:
        naam: str = session.exec(
            select(Account.gebruikersnaam)
            .join(Rol, Rol.account_id == Account.id)  # type: ignore[arg-type]
            .where(Rol.rol == CasusRol.OUDER)
        ).one()
    return naam
