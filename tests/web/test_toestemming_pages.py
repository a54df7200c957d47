"""Consent and legal ground in the browser: the betrokkenen form and the timeline."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.enums import OrganisatieType
from tests.api.test_toestemming import give_consent
from tests.factories import auth, make_account, new_casus
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


def test_consent_recorded_in_step_6_lets_the_huisarts_join_and_the_timeline_says_so(
    client: TestClient, app: Any, casus: dict[str, Any]
) -> None:
    give_consent(client, casus, casus["anna"], ["huisarts"], date.today() - timedelta(days=1))
    browser, csrf = sign_in(app, "anna")
    url = f"/casussen/{casus['id']}/betrokkenen"
    form = {"csrf_token": csrf, "gebruikersnaam": "huub", "rol": "volger", "grondslag": ""}
    assert browser.post(url, data=form).status_code == 303
    tijdlijn = browser.get(f"/casussen/{casus['id']}/tijdlijn")
    assert "(met toestemming van" in tijdlijn.text
