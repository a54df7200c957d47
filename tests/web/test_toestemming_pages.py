"""Consent and legal ground in the browser: the betrokkenen form, the handover form, and an
ouder recording consent on their plan page."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.enums import OrganisatieType
from tests.factories import auth, make_account, new_casus
from tests.web.test_plan_pages import signed_in_guest
from tests.web.test_steps import sign_in


@pytest.fixture
def casus(client: TestClient, app: Any, settings: Settings) -> dict[str, Any]:
    anna = auth(settings, make_account(app, "anna"))
    make_account(app, "huub", organisatietype=OrganisatieType.HUISARTS)
    casus_id = new_casus(client, anna)["id"]
    return {"id": casus_id, "url": f"/api/v1/casussen/{casus_id}", "anna": anna}


def test_the_betrokkenen_form_asks_on_what_ground_and_says_what_is_missing(
    app: Any, casus: dict[str, Any]
) -> None:
    browser, csrf = sign_in(app, "anna")
    url = f"/casussen/{casus['id']}/betrokkenen"
    page = browser.get(url)
    assert 'name="grondslag" value=""' in page.text and "Jeugdbeschermingsmaatregel" in page.text
    form = {"csrf_token": csrf, "gebruikersnaam": "huub", "rol": "betrokkene", "grondslag": ""}
    refused = browser.post(url, data=form)
    assert refused.status_code == 422
    assert 'href="#betrokkene-grondslag"' in refused.text
    assert "geen toestemming vastgelegd" in refused.text and 'value="huub"' in refused.text
    added = browser.post(url, data={**form, "grondslag": "wettelijke_taak"})
    assert added.status_code == 303, added.text
    tijdlijn = browser.get(f"/casussen/{casus['id']}/tijdlijn")
    assert "(grondslag: wettelijke taak)" in tijdlijn.text


def test_an_ouder_records_consent_on_the_plan_and_then_the_huisarts_may_join(
    client: TestClient, app: Any, settings: Settings, casus: dict[str, Any]
) -> None:
    browser, csrf = signed_in_guest(client, app, settings, casus)
    plan = browser.get(f"/casussen/{casus['id']}/plan")
    assert "Toestemming geven" in plan.text and 'value="huisarts"' in plan.text
    revisie = client.get(f"{casus['url']}/handreiking", headers=casus["anna"]).json()["revisie"]
    url = f"/casussen/{casus['id']}/plan/toestemming"
    form = {"csrf_token": csrf, "basis": str(revisie), "gegeven_door": "Petra"}
    empty = browser.post(url, data=form)
    assert empty.status_code == 422 and "Kies minstens één soort organisatie" in empty.text
    assert 'value="Petra"' in empty.text
    given = browser.post(url, data={**form, "organisatietypen": ["huisarts", "onderwijs"]})
    assert given.status_code == 303, given.text
    joined = client.post(
        f"{casus['url']}/betrokkenen",
        json={"gebruikersnaam": "huub", "rol": "volger"},
        headers=casus["anna"],
    )
    assert joined.status_code == 201, joined.text
    anna, _ = sign_in(app, "anna")
    tijdlijn = anna.get(f"/casussen/{casus['id']}/tijdlijn")
    assert "(met toestemming van" in tijdlijn.text
