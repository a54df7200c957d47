"""Questionnaire pages without JavaScript: ouders through their link (no account), professionals
from the inbox, and the regievoerder's links on the casus."""

from __future__ import annotations

import asyncio
import inspect
import re
from typing import Any

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient

from app.config import Settings
from app.research import vragenlijst_service
from tests.canary import CanaryDocument
from tests.factories import add_role, auth, make_account, new_casus, save
from tests.web.test_steps import CSRF, sign_in

TITLE = re.compile(r"<title>(.*?)</title>", re.DOTALL)
LINK = re.compile(r'id="nieuwe-link" value="([^"]+)"')


@pytest.fixture
def setup(client: TestClient, app: Any, settings: Settings) -> dict[str, Any]:
    anna = auth(settings, make_account(app, "anna"))
    make_account(app, "bram")
    casus = new_casus(client, anna)
    add_role(client, anna, casus["id"], "bram", "betrokkene")
    return {
        "id": casus["id"],
        "api": f"/api/v1/casussen/{casus['id']}",
        "anna": anna,
        "url": f"/casussen/{casus['id']}",
    }


def link(client: TestClient, setup: dict[str, Any]) -> tuple[str, str]:
    """(id, token) of a new ouder link, made through the API."""
    made = client.post(
        f"{setup['api']}/vragenlijsten", json={"moment": "mdo"}, headers=setup["anna"]
    )
    assert made.status_code == 201, made.text
    return made.json()["id"], made.json()["link"].rsplit("/", 1)[1]


def title(html: str) -> str:
    found = TITLE.search(html)
    assert found is not None
    return found.group(1).strip()


def csrf(html: str) -> str:
    found = CSRF.search(html)
    assert found is not None
    return found.group(1)


def test_an_ouder_fills_in_the_questionnaire_without_an_account(
    app: Any, client: TestClient, setup: dict[str, Any]
) -> None:
    _, token = link(client, setup)
    ouder = TestClient(app, follow_redirects=False)
    page = ouder.get(f"/vragenlijst/{token}")
    assert page.status_code == 200
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "no-store" in page.headers["cache-control"]
    html = page.text
    assert title(html) == "Hoe ging de hulp voor uw gezin? – Regie"
    assert token not in html  # the form posts back to its own address
    assert "Mijn casussen" not in html and "Afmelden" not in html and "Test Jeugdige" not in html
    assert html.count("<fieldset") == 6 and html.count("<legend") == 6
    assert (
        '<legend class="utrecht-form-fieldset__legend">Ik wist wie ons hielp en waarmee.</legend>'
        in html
    )
    assert html.count('type="radio"') == 6 * 6  # five points and "Geen antwoord"
    assert html.count("<textarea") == 2 and 'maxlength="2000"' in html
    assert 'for="veld-open-open-goed">Wat ging er goed?</label>' in html
    assert "U hoeft niet alle vragen te beantwoorden" in html

    leeg = ouder.post(f"/vragenlijst/{token}", data={"csrf_token": csrf(html)})
    assert leeg.status_code == 422
    assert title(leeg.text).startswith("Fout: ")
    assert "data-foutsamenvatting" in leeg.text and "Beantwoord minstens één vraag." in leeg.text
    assert 'href="#veld-schaal-rust-overzicht"' in leeg.text

    typed = {"schaal.rust_verhaal": "4", "open.open_beter": "Eerder bellen"}
    stale = ouder.post(f"/vragenlijst/{token}", data={"csrf_token": "oud", **typed})
    assert stale.status_code == 403
    assert "Het formulier was verlopen" in stale.text
    assert 'value="4" checked' in stale.text and ">Eerder bellen</textarea>" in stale.text

    sent = ouder.post(f"/vragenlijst/{token}", data={"csrf_token": csrf(stale.text), **typed})
    assert sent.status_code == 303 and sent.headers["location"] == "/vragenlijst/bedankt"
    thanks = ouder.get("/vragenlijst/bedankt")
    assert thanks.status_code == 200 and "Bedankt voor het invullen" in thanks.text


def test_ouders_get_plain_pages_for_a_link_that_does_not_work(
    app: Any, client: TestClient, setup: dict[str, Any]
) -> None:
    ouder = TestClient(app, follow_redirects=False)
    for onbekend in ("a" * 43, "kort", "%2E%2E"):
        page = ouder.get(f"/vragenlijst/{onbekend}")
        assert page.status_code == 404
        assert "Deze link werkt niet" in page.text
        assert "Vraag de regievoerder om een nieuwe link" in page.text
        assert "Mijn casussen" not in page.text

    _, ingevuld = link(client, setup)
    form = ouder.get(f"/vragenlijst/{ingevuld}").text
    sent = ouder.post(
        f"/vragenlijst/{ingevuld}", data={"csrf_token": csrf(form), "schaal.rust_overzicht": "3"}
    )
    assert sent.status_code == 303
    used = ouder.get(f"/vragenlijst/{ingevuld}")
    assert used.status_code == 410
    assert (
        "Deze vragenlijst is al ingevuld" in used.text and "U hoeft niets meer te doen" in used.text
    )

    ingetrokken_id, ingetrokken = link(client, setup)
    client.delete(f"{setup['api']}/vragenlijsten/{ingetrokken_id}", headers=setup["anna"])
    withdrawn = ouder.get(f"/vragenlijst/{ingetrokken}")
    assert withdrawn.status_code == 410
    assert "Deze link werkt niet meer" in withdrawn.text
    assert "Vraag de regievoerder om een nieuwe link" in withdrawn.text


def test_a_professional_answers_from_the_inbox(
    app: Any, client: TestClient, setup: dict[str, Any]
) -> None:
    closed = client.post(
        f"{setup['api']}/afsluiten", json={"reden": "Klaar"}, headers=setup["anna"]
    )
    assert closed.status_code == 200
    bram, token = sign_in(app, "bram")
    inbox = bram.get("/inbox").text
    assert "Vul een korte vragenlijst in over de samenwerking" in inbox
    found = re.search(r'href="(/vragenlijsten/[0-9a-f-]{36})"', inbox)
    assert found is not None
    url = found.group(1)
    page = bram.get(url)
    assert page.status_code == 200
    assert title(page.text) == "Hoe werkte de handreiking in deze casus? – Regie"
    assert page.text.count("<fieldset") == 12 and page.text.count("<textarea") == 3
    assert "Bij het afsluiten" in page.text

    empty = bram.post(url, data={"csrf_token": token})
    assert empty.status_code == 422 and "Beantwoord minstens één vraag." in empty.text
    refused = bram.post(url, data={"schaal.rust_overzicht": "4"})
    assert refused.status_code == 403
    sent = bram.post(
        url, data={"csrf_token": token, "schaal.rust_overzicht": "4", "open.open_werkt": "MDO"}
    )
    assert sent.status_code == 303 and sent.headers["location"] == "/vragenlijsten/bedankt"
    assert "Bedankt voor het invullen" in bram.get("/vragenlijsten/bedankt").text
    assert url not in bram.get("/inbox").text
    assert bram.get(url).status_code == 410
    anna, _ = sign_in(app, "anna")
    assert anna.get(url).status_code == 404


def test_the_regievoerder_makes_shows_and_withdraws_ouder_links(
    app: Any, client: TestClient, setup: dict[str, Any]
) -> None:
    anna, token = sign_in(app, "anna")
    overview = anna.get(setup["url"]).text
    assert "Vragenlijst voor ouders" in overview and "Maak een link voor de ouders" in overview
    assert 'name="moment" value="mdo"' in overview

    made = anna.post(f"{setup['url']}/vragenlijsten", data={"csrf_token": token, "moment": "mdo"})
    assert made.status_code == 200
    found = LINK.search(made.text)
    assert found is not None and found.group(1).startswith("http://testserver/vragenlijst/")
    assert "U ziet deze link maar één keer" in made.text
    assert "Nog niet ingevuld" in made.text
    nieuw = found.group(1).rsplit("/", 1)[1]
    again = anna.get(f"{setup['url']}/vragenlijsten").text
    assert nieuw not in again and "Nog niet ingevuld" in again and "Link intrekken" in again

    early = anna.post(
        f"{setup['url']}/vragenlijsten", data={"csrf_token": token, "moment": "afsluiting"}
    )
    assert early.status_code == 409 and "pas als de casus is afgesloten" in early.text

    uid = re.search(r"/vragenlijsten/([0-9a-f-]{36})/intrekken", again)
    assert uid is not None
    withdrawn = anna.post(
        f"{setup['url']}/vragenlijsten/{uid.group(1)}/intrekken", data={"csrf_token": token}
    )
    assert withdrawn.status_code == 303
    after = anna.get(withdrawn.headers["location"]).text
    assert "De link is ingetrokken" in after and "Ingetrokken" in after
    assert "Link intrekken" not in after

    bram, _ = sign_in(app, "bram")
    assert "Maak een link voor de ouders" not in bram.get(setup["url"]).text
    page = bram.get(f"{setup['url']}/vragenlijsten")
    assert page.status_code == 200 and "Ingetrokken" in page.text
    assert "Maak een" not in page.text and "Link intrekken" not in page.text

    ouder = TestClient(app, follow_redirects=False)
    assert ouder.get(f"/vragenlijst/{nieuw}").status_code == 410
    log = anna.get(f"{setup['url']}/toegangslog").text
    assert "Ouder, via de persoonlijke link" in log
    assert "Link voor de vragenlijst van ouders gemaakt" in log


def test_finishing_an_mdo_can_ask_for_the_questionnaire(
    app: Any, client: TestClient, setup: dict[str, Any]
) -> None:
    anna, token = sign_in(app, "anna")
    assert (
        anna.post(
            f"{setup['url']}/mdo", data={"csrf_token": token, "datum": "2026-12-01"}
        ).status_code
        == 303
    )
    page = anna.get(f"{setup['url']}/mdo").text
    assert "Vraag de betrokkenen na dit MDO een korte vragenlijst in te vullen" in page
    mdo_id = page.split(f"{setup['url']}/mdo/")[1].split("/")[0]
    complete = CanaryDocument(app.state.formulieren["twente-2020.1"], "X").inhoud
    assert save(client, setup["anna"], setup["id"], complete, 1).status_code == 200
    fixed = anna.post(
        f"{setup['url']}/mdo/{mdo_id}/afronden",
        data={"csrf_token": token, "revisie": "2", "vragenlijst": "ja"},
    )
    assert fixed.status_code == 303
    assert (
        "De betrokkenen vinden de vragenlijst in hun inbox"
        in anna.get(fixed.headers["location"]).text
    )
    bram, _ = sign_in(app, "bram")
    assert "Vul een korte vragenlijst in over de samenwerking" in bram.get("/inbox").text


# Blocking database work stays off the event loop ---------------------------------------------


def _on_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def test_no_handler_runs_its_database_work_on_the_event_loop(app: Any) -> None:
    """Handlers are plain `def` (FastAPI runs them in its threadpool); forms come in through
    the async `PostedForm` dependency. An `async def` handler would block every request."""
    routes = [c.original_route for c in iter_route_contexts(app.routes)]
    handlers = [r for r in routes if isinstance(r, APIRoute)]
    assert len(handlers) > 50  # every route of the app is looked at, API and web
    asynchroon = [
        f"{sorted(route.methods or ())} {route.path}"
        for route in handlers
        if inspect.iscoroutinefunction(route.endpoint)
    ]
    assert asynchroon == []


def test_questionnaire_answers_are_stored_off_the_event_loop(
    app: Any, client: TestClient, setup: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The services that write the answer run in a worker thread, not on the event loop."""
    gezien: list[tuple[str, bool]] = []
    for naam in ("answer_by_link", "answer_as_professional"):
        echt = getattr(vragenlijst_service, naam)

        def bewaakt(*args: Any, _echt: Any = echt, _naam: str = naam, **kwargs: Any) -> Any:
            gezien.append((_naam, _on_event_loop()))
            return _echt(*args, **kwargs)

        monkeypatch.setattr(vragenlijst_service, naam, bewaakt)

    _, token = link(client, setup)
    ouder = TestClient(app, follow_redirects=False)
    form = ouder.get(f"/vragenlijst/{token}").text
    sent = ouder.post(
        f"/vragenlijst/{token}", data={"csrf_token": csrf(form), "schaal.rust_overzicht": "3"}
    )
    assert sent.status_code == 303, sent.text
    closed = client.post(
        f"{setup['api']}/afsluiten", json={"reden": "Klaar"}, headers=setup["anna"]
    )
    assert closed.status_code == 200
    bram, csrf_token = sign_in(app, "bram")
    found = re.search(r'href="(/vragenlijsten/[0-9a-f-]{36})"', bram.get("/inbox").text)
    assert found is not None
    sent = bram.post(found.group(1), data={"csrf_token": csrf_token, "schaal.rust_overzicht": "4"})
    assert sent.status_code == 303, sent.text
    assert gezien == [("answer_by_link", False), ("answer_as_professional", False)]
