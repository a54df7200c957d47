"""The pages around the plan: betrokkenen, geschiedenis, toegangslog, afdrukken, Mijn casussen."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import col, select

from app.audit.models import AuditGebeurtenis
from app.config import Settings
from app.db import unit_of_work
from tests.factories import GRONDSLAG, add_role, auth, make_account, new_casus, save
from tests.web.test_steps import sign_in

MAIN = re.compile(r"<main.*?</main>", re.DOTALL)
TITLE = re.compile(r"<title>(.*?)</title>", re.DOTALL)

DOELEN_OUD = {"doelen": [{"doel": "Naar school", "status": "open", "termijn": "2027-03-01"}]}
DOELEN_NIEUW = {"doelen": [{"doel": "Naar school", "status": "open", "termijn": "2027-06-01"}]}


@pytest.fixture
def setup(client: TestClient, app: Any, settings: Settings) -> dict[str, Any]:
    """Anna leads, Bram helps, Vera follows, Otto is not on the casus; Karin may be added.

    The plan has three revisions: created, goals with a March deadline, the deadline moved.
    """
    anna = auth(settings, make_account(app, "anna"))
    for naam in ("bram", "vera", "otto", "karin"):
        make_account(app, naam)
    casus = new_casus(client, anna)
    add_role(client, anna, casus["id"], "bram", "betrokkene")
    add_role(client, anna, casus["id"], "vera", "volger")
    kop = client.get(f"/api/v1/casussen/{casus['id']}/handreiking", headers=anna).json()
    inhoud = kop["inhoud"]
    assert save(client, anna, casus["id"], {**inhoud, "doelen": DOELEN_OUD}, 1).status_code == 200
    nieuw = {**inhoud, "doelen": DOELEN_NIEUW, "borging": {"volgende_mdo": "2020-01-15"}}
    assert save(client, anna, casus["id"], nieuw, 2).status_code == 200
    return {"id": casus["id"], "api": anna}


def pages(casus_id: str) -> list[str]:
    base = f"/casussen/{casus_id}"
    return [
        f"{base}/betrokkenen",
        f"{base}/geschiedenis",
        f"{base}/geschiedenis/vergelijk?van=1&naar=2",
        f"{base}/toegangslog",
        f"{base}/afdrukken",
    ]


def roles(client: TestClient, setup: dict[str, Any]) -> dict[str, str]:
    """gebruikersnaam -> rol of everyone active on the casus, read through the API."""
    listed = client.get(f"/api/v1/casussen/{setup['id']}/betrokkenen", headers=setup["api"])
    assert listed.status_code == 200
    return {r["gebruikersnaam"]: r["rol"] for r in listed.json()}


def events(app: Any, actie: str) -> list[AuditGebeurtenis]:
    with unit_of_work(app.state.engine) as session:
        query = select(AuditGebeurtenis).where(col(AuditGebeurtenis.actie) == actie)
        return list(session.exec(query.order_by(col(AuditGebeurtenis.volgnummer))).all())


def test_every_page_renders_for_a_member(app: Any, setup: dict[str, Any]) -> None:
    browser, _ = sign_in(app, "anna")
    base = f"/casussen/{setup['id']}"
    expected = {
        f"{base}/betrokkenen": ["Bram", "Organisatie van vera", "Volger", "Toevoegen"],
        f"{base}/geschiedenis": ["Casus aangemaakt", "Anna, Organisatie van anna", "Vergelijken"],
        f"{base}/geschiedenis/vergelijk?van=1&naar=2": ["Naar school", "Toegevoegd"],
        f"{base}/toegangslog": ["Casus aangemaakt", "Betrokkene toegevoegd", "Anna"],
        f"{base}/afdrukken": ["Handreiking Test Jeugdige", "Vertrouwelijk — niet doorsturen"],
    }
    for url, texts in expected.items():
        page = browser.get(url)
        assert page.status_code == 200, url
        for text in texts:
            assert text in page.text, (url, text)
    overview = browser.get(base).text
    assert f'href="{base}/toegangslog"' in overview


def test_a_non_member_gets_the_same_404_as_for_a_missing_casus(
    app: Any, setup: dict[str, Any]
) -> None:
    browser, csrf = sign_in(app, "otto")
    missing = [browser.get(url) for url in pages(str(uuid.uuid4()))]
    hidden = [browser.get(url) for url in pages(setup["id"])]
    for absent, forbidden in zip(missing, hidden, strict=True):
        assert absent.status_code == forbidden.status_code == 404
        assert MAIN.findall(absent.text) == MAIN.findall(forbidden.text)
        assert TITLE.findall(absent.text) == TITLE.findall(forbidden.text)
    add = browser.post(
        f"/casussen/{setup['id']}/betrokkenen",
        data={"csrf_token": csrf, "gebruikersnaam": "otto", "rol": "betrokkene"},
    )
    assert add.status_code == 404
    assert MAIN.findall(add.text) == MAIN.findall(missing[0].text)


def test_add_and_remove_a_betrokkene_through_the_forms(
    client: TestClient, app: Any, setup: dict[str, Any]
) -> None:
    browser, csrf = sign_in(app, "anna")
    url = f"/casussen/{setup['id']}/betrokkenen"
    added = browser.post(
        url,
        data={
            "csrf_token": csrf,
            "gebruikersnaam": "karin",
            "rol": "betrokkene",
            "functietitel": "Jeugdconsulent",
            "grondslag": GRONDSLAG,
        },
    )
    assert added.status_code == 303
    page = browser.get(added.headers["location"]).text
    assert "Karin is toegevoegd als betrokkene" in page and "Jeugdconsulent" in page
    assert roles(client, setup)["karin"] == "betrokkene"

    karin, _ = sign_in(app, "karin")
    assert karin.get(f"/casussen/{setup['id']}").status_code == 200

    rol_id = added.headers["location"].split("toegevoegd=")[1]
    removed = browser.post(f"{url}/{rol_id}/verwijderen", data={"csrf_token": csrf})
    assert removed.status_code == 303
    assert "heeft vanaf nu geen toegang meer" in browser.get(removed.headers["location"]).text
    assert "karin" not in roles(client, setup)
    assert karin.get(f"/casussen/{setup['id']}").status_code == 404
    assert karin.get(url).status_code == 404


def test_a_refused_addition_is_explained_next_to_the_field(
    client: TestClient, app: Any, setup: dict[str, Any]
) -> None:
    browser, csrf = sign_in(app, "anna")
    url = f"/casussen/{setup['id']}/betrokkenen"
    before = roles(client, setup)

    unknown = browser.post(
        url, data={"csrf_token": csrf, "gebruikersnaam": "niemand", "rol": "volger"}
    )
    assert unknown.status_code == 422
    assert "<title>Fout: Betrokkenen" in unknown.text
    assert "Er is geen actieve professional met deze gebruikersnaam." in unknown.text
    assert 'value="niemand"' in unknown.text and 'aria-invalid="true"' in unknown.text
    assert re.search(r'value="volger"[^>]*checked>', unknown.text)  # the choice is kept
    failed = events(app, "betrokkene.toevoegen")[-1]
    assert failed.uitkomst == "mislukt" and failed.kenmerken["code"] == "validatiefout"

    twice = browser.post(url, data={"csrf_token": csrf, "gebruikersnaam": "bram", "rol": "volger"})
    assert twice.status_code == 409
    assert "Bram heeft al een rol op deze casus." in twice.text
    assert events(app, "betrokkene.toevoegen")[-1].kenmerken["code"] == "conflict"

    empty = browser.post(url, data={"csrf_token": csrf, "gebruikersnaam": " "})
    assert empty.status_code == 422
    assert "Vul de gebruikersnaam in." in empty.text
    assert "Kies of deze persoon betrokkene of volger wordt." in empty.text

    page = browser.get(url).text
    lead = re.search(r'<p class="utrecht-form-field-error-message" id="rol-([0-9a-f-]+)"', page)
    assert lead is None  # no error shown before anything was tried
    anna_rol = client.get(f"/api/v1/casussen/{setup['id']}/betrokkenen", headers=setup["api"])
    anna_id = next(r["id"] for r in anna_rol.json() if r["rol"] == "regievoerder")
    refused = browser.post(f"{url}/{anna_id}/verwijderen", data={"csrf_token": csrf})
    assert refused.status_code == 409
    assert "De regievoerder kan niet verwijderd worden." in refused.text
    assert f'href="#rol-{anna_id}"' in refused.text
    assert roles(client, setup) == before


def test_a_volger_sees_no_controls_and_is_refused(
    client: TestClient, app: Any, setup: dict[str, Any]
) -> None:
    browser, csrf = sign_in(app, "vera")
    url = f"/casussen/{setup['id']}/betrokkenen"
    page = browser.get(url)
    assert page.status_code == 200 and "Bram" in page.text
    assert "/verwijderen" not in page.text and 'name="gebruikersnaam"' not in page.text
    before = roles(client, setup)
    bram_id = next(
        r["id"]
        for r in client.get(
            f"/api/v1/casussen/{setup['id']}/betrokkenen", headers=setup["api"]
        ).json()
        if r["gebruikersnaam"] == "bram"
    )
    add = browser.post(url, data={"csrf_token": csrf, "gebruikersnaam": "karin", "rol": "volger"})
    remove = browser.post(f"{url}/{bram_id}/verwijderen", data={"csrf_token": csrf})
    for refused in (add, remove):
        assert refused.status_code == 403
        assert "Geen toestemming" in refused.text
    assert roles(client, setup) == before


def test_a_form_without_the_right_csrf_token_changes_nothing(
    client: TestClient, app: Any, setup: dict[str, Any]
) -> None:
    browser, _ = sign_in(app, "anna")
    url = f"/casussen/{setup['id']}/betrokkenen"
    before = roles(client, setup)
    bram_id = next(
        r["id"]
        for r in client.get(
            f"/api/v1/casussen/{setup['id']}/betrokkenen", headers=setup["api"]
        ).json()
        if r["gebruikersnaam"] == "bram"
    )
    for token in ({}, {"csrf_token": "0" * 64}):
        add = browser.post(url, data={**token, "gebruikersnaam": "karin", "rol": "volger"})
        remove = browser.post(f"{url}/{bram_id}/verwijderen", data=token)
        assert add.status_code == remove.status_code == 403
        assert "er is niets gewijzigd" in add.text
    assert roles(client, setup) == before


def test_comparing_revisions_shows_the_label_and_both_values(
    app: Any, setup: dict[str, Any]
) -> None:
    browser, _ = sign_in(app, "bram")
    history = browser.get(f"/casussen/{setup['id']}/geschiedenis").text
    assert '<option value="2" selected>' in history and '<option value="3" selected>' in history
    page = browser.get(f"/casussen/{setup['id']}/geschiedenis/vergelijk?van=2&naar=3")
    assert page.status_code == 200
    text = page.text
    assert "Doelen › regel 1 › Wanneer bereikt" in text
    assert "Stap 3: Waar werken we samen naartoe?" in text
    assert '<del class="regie-verschil--verwijderd">1 maart 2027</del>' in text
    assert '<ins class="regie-verschil--toegevoegd">1 juni 2027</ins>' in text
    assert "Gewijzigd" in text and "Datum van het volgende MDO" in text
    assert "Was: revisie 2" in text and "Is nu: revisie 3" in text
    # both versions side by side, read-only, with empty answers named
    assert "Niet ingevuld" in text and "<form" not in MAIN.findall(text)[0]

    assert (
        browser.get(f"/casussen/{setup['id']}/geschiedenis/vergelijk?van=2&naar=9").status_code
        == 404
    )
    invalid = browser.get(f"/casussen/{setup['id']}/geschiedenis/vergelijk?van=twee&naar=3")
    assert invalid.status_code == 422 and "<title>" in invalid.text


def test_printing_names_the_viewer_and_is_audited(app: Any, setup: dict[str, Any]) -> None:
    browser, _ = sign_in(app, "bram")
    page = browser.get(f"/casussen/{setup['id']}/afdrukken")
    assert page.status_code == 200
    assert page.text.count("Afgedrukt door Bram (Organisatie van bram) op ") == 2
    assert page.text.count("Vertrouwelijk — niet doorsturen") == 2
    for text in ("Stap 7: Hoe houden we het plan levend?", "Naar school", "Niet ingevuld"):
        assert text in page.text
    assert "Bram" in page.text and "Organisatie van vera" in page.text  # betrokkenen
    printed = events(app, "handreiking.afdrukken")
    assert len(printed) == 1
    assert printed[0].gebruikersnaam == "bram" and printed[0].uitkomst == "toegestaan"
    assert printed[0].casus_id == uuid.UUID(setup["id"]) and printed[0].kenmerken["revisie"] == 3

    anna, _ = sign_in(app, "anna")
    log = anna.get(f"/casussen/{setup['id']}/toegangslog").text
    assert "Handreiking afgedrukt" in log


def test_the_toegangslog_is_for_the_regievoerder_and_pages(
    client: TestClient, app: Any, setup: dict[str, Any]
) -> None:
    bram, _ = sign_in(app, "bram")
    refused = bram.get(f"/casussen/{setup['id']}/toegangslog")
    assert refused.status_code == 403 and "Geen toestemming" in refused.text
    assert (
        f'href="/casussen/{setup["id"]}/toegangslog"'
        not in bram.get(f"/casussen/{setup['id']}").text
    )

    for _ in range(50):
        client.get(f"/api/v1/casussen/{setup['id']}", headers=setup["api"])
    anna, _ = sign_in(app, "anna")
    first = anna.get(f"/casussen/{setup['id']}/toegangslog").text
    assert "Pagina 1 van 2" in first and "?pagina=2" in first and "Vorige" not in first
    assert "Casus bekeken" in first and "Toegestaan" in first
    second = anna.get(f"/casussen/{setup['id']}/toegangslog?pagina=2").text
    assert "Pagina 2 van 2" in second and "?pagina=1" in second and "Volgende" not in second
    assert "Casus aangemaakt" in second  # the oldest event comes last


def test_mijn_casussen_shows_the_jeugdige_and_the_next_mdo(app: Any, setup: dict[str, Any]) -> None:
    browser, _ = sign_in(app, "vera")
    page = browser.get("/casussen").text
    assert f'href="/casussen/{setup["id"]}">Test Jeugdige<' in page
    assert "Volgend MDO" in page and "15 januari 2020" in page and "(te laat)" in page


def test_the_api_list_carries_the_name_and_next_mdo(
    client: TestClient, setup: dict[str, Any]
) -> None:
    listed = client.get("/api/v1/casussen", headers=setup["api"]).json()["resultaten"]
    assert listed[0]["jeugdige_naam"] == "Test Jeugdige"
    assert listed[0]["volgende_mdo"] == "2020-01-15"
