"""The regievoerder's page for inviting ouders and the jeugdige (the invitee's side is in
tests/api/test_deelname.py, the pages' accessibility in tests/browser)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from tests.api.test_deelname import accept_newest, adres, mail, token_in
from tests.factories import add_role, auth, make_account, new_casus
from tests.web.test_steps import sign_in

CODE = re.compile(r'id="nieuwe-code"[^>]*>([A-Z0-9]{4})-([A-Z0-9]{4})<')


@pytest.fixture
def casus(client: TestClient, app: Any, settings: Settings) -> str:
    anna = auth(settings, make_account(app, "anna"))
    make_account(app, "bram")
    casus_id = new_casus(client, anna)["id"]
    add_role(client, anna, casus_id, "bram", "betrokkene")
    return str(casus_id)


def test_the_regievoerder_invites_sees_the_code_once_and_can_withdraw(
    app: Any, settings: Settings, casus: str
) -> None:
    browser, csrf = sign_in(app, "anna")
    overzicht = browser.get(f"/casussen/{casus}")
    assert f'href="/casussen/{casus}/uitnodigingen"' in overzicht.text
    url = f"/casussen/{casus}/uitnodigingen"
    aan = adres()
    sent = browser.post(
        url, data={"csrf_token": csrf, "rol": "jeugdige", "naam": "Sam", "email": aan}
    )
    assert sent.status_code == 200, sent.text
    code = CODE.search(sent.text)
    assert code is not None, sent.text
    assert "U ziet de code maar één keer" in sent.text
    assert token_in(mail(settings, aan)) not in sent.text
    listed = browser.get(url)
    assert "Sam" in listed.text and aan in listed.text and "Nog niet geopend" in listed.text
    assert code.group(1) + "-" + code.group(2) not in listed.text
    uitnodiging = re.search(rf"/casussen/{casus}/uitnodigingen/([0-9a-f-]+)/intrekken", listed.text)
    assert uitnodiging is not None
    weg = browser.post(uitnodiging.group(0), data={"csrf_token": csrf})
    assert weg.status_code == 303 and weg.headers["location"] == f"{url}?melding=ingetrokken"
    after = browser.get(weg.headers["location"])
    assert "De uitnodiging is ingetrokken" in after.text and "Ingetrokken" in after.text


def test_invalid_input_is_shown_back_with_its_errors_and_nothing_is_sent(
    app: Any, settings: Settings, casus: str
) -> None:
    browser, csrf = sign_in(app, "anna")
    url = f"/casussen/{casus}/uitnodigingen"
    refused = browser.post(
        url, data={"csrf_token": csrf, "rol": "", "naam": "Opa Jan", "email": "opa@"}
    )
    assert refused.status_code == 422, refused.text
    assert 'href="#uitnodiging-rol-1"' in refused.text
    assert 'href="#uitnodiging-email"' in refused.text
    assert "Vul een geldig e-mailadres in" in refused.text
    assert 'value="Opa Jan"' in refused.text and 'value="opa@"' in refused.text
    assert "Er is nog niemand uitgenodigd" in refused.text


def test_a_betrokkene_neither_sees_nor_opens_the_invitations(app: Any, casus: str) -> None:
    browser, csrf = sign_in(app, "bram")
    overzicht = browser.get(f"/casussen/{casus}")
    assert overzicht.status_code == 200
    assert "/uitnodigingen" not in overzicht.text
    assert browser.get(f"/casussen/{casus}/uitnodigingen").status_code == 403
    tried = browser.post(
        f"/casussen/{casus}/uitnodigingen",
        data={"csrf_token": csrf, "rol": "ouder", "naam": "X", "email": adres()},
    )
    assert tried.status_code == 403


def test_an_invitation_whose_mail_cannot_go_out_is_not_stored(
    app: Any, settings: Settings, casus: str
) -> None:
    browser, csrf = sign_in(app, "anna")
    app.state.settings = settings.model_copy(
        update={"env": "production", "publieke_url": "https://regie.example.nl/"}
    )
    url = f"/casussen/{casus}/uitnodigingen"
    data = {"csrf_token": csrf, "rol": "ouder", "naam": "Opa Jan", "email": adres()}
    refused = browser.post(url, data=data)
    assert refused.status_code == 503, refused.text
    assert "REGIE_SMTP_HOST" in refused.text and 'value="Opa Jan"' in refused.text
    assert "Er is nog niemand uitgenodigd" in refused.text


def test_the_regievoerder_invites_an_accepted_ouder_again_with_a_new_code(
    client: TestClient, app: Any, settings: Settings, casus: str
) -> None:
    browser, csrf = sign_in(app, "anna")
    url = f"/casussen/{casus}/uitnodigingen"
    aan = adres()
    sent = browser.post(
        url, data={"csrf_token": csrf, "rol": "ouder", "naam": "Petra", "email": aan}
    )
    code = CODE.search(sent.text)
    assert code is not None
    accept_newest(app, settings, aan, code.group(1) + code.group(2))
    listed = browser.get(url).text
    opnieuw = re.search(rf"{url}/([0-9a-f-]+)/opnieuw", listed)
    assert opnieuw is not None and "Opnieuw uitnodigen" in listed
    again = browser.post(opnieuw.group(0), data={"csrf_token": csrf})
    assert again.status_code == 200, again.text
    nieuw = CODE.search(again.text)
    assert nieuw is not None and nieuw.group(0) != code.group(0)
    accept_newest(app, settings, aan, nieuw.group(1) + nieuw.group(2))
    rollen = client.get(f"/api/v1/casussen/{casus}/betrokkenen", headers=auth(settings, "anna"))
    assert [r["rol"] for r in rollen.json()].count("ouder") == 1
    assert (
        "Opnieuw uitgenodigd, met een nieuwe code"
        in browser.get(f"/casussen/{casus}/toegangslog").text
    )
