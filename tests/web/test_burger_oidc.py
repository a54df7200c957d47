"""Invitees and the citizens' provider (DigiD through a broker; here oidc-provider-mock on
127.0.0.1): link and code once, bound to the person the provider names, then the provider alone."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlmodel import Session, select

from app.accounts.models import Account
from app.casus.models import Rol
from app.config import Settings
from app.enums import CasusRol
from app.web.session import SESSION_COOKIE
from tests.api.test_deelname import CSRF, adres, casus, events, invite, raw, token_in
from tests.web.test_oidc import Provider, provider
from tests.web.test_terugkeer import ask, body, mails, reinvite

__all__ = ["casus", "provider"]  # fixtures shared with the invitation and OIDC tests

pytestmark = [
    pytest.mark.filterwarnings("ignore:get_jwt_config:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::authlib.deprecate.AuthlibDeprecationWarning"),
]

REDIRECT = "http://testserver/burger/terug"
BSN = "999990019"


@pytest.fixture
def settings(db_url: str, keys_dir: Path, provider: Provider) -> Settings:
    return Settings(
        env="dev",
        data_dir=keys_dir,
        database_url=db_url,
        burger_oidc_issuer=provider.issuer,
        burger_oidc_client_id="regie-burger",
        burger_oidc_client_secret="geheim",
        burger_oidc_redirect_url=REDIRECT,
    )


def through(browser: TestClient, provider: Provider, response: Any, sub: str) -> Any:
    """Follow a redirect to the provider, sign in there as `sub`, and come back to Regie."""
    assert response.status_code == 303, response.text
    back = provider.authorize(response.headers["location"], sub)
    assert back.startswith(REDIRECT), back
    return browser.get(back.removeprefix("http://testserver"))


def accept(app: Any, settings: Settings, aan: str, code: str) -> tuple[TestClient, Any]:
    """Open the newest invitation link sent to `aan` and enter the code: off to the provider."""
    browser = TestClient(app, follow_redirects=False, raise_server_exceptions=False)
    token = _newest(settings, aan)
    page = browser.get(f"/uitnodiging/{token}")
    found = CSRF.search(page.text)
    assert found is not None, page.text
    return browser, browser.post(
        f"/uitnodiging/{token}", data={"csrf_token": found.group(1), "code": code}
    )


def _newest(settings: Settings, aan: str) -> str:
    """The token of the newest invitation mailed to `aan`."""
    for bericht in reversed(mails(settings, aan)):
        if "/uitnodiging/" in body(bericht):
            return token_in(bericht)
    raise AssertionError("geen uitnodiging")


def bound(
    client: TestClient, app: Any, settings: Settings, provider: Provider, casus: dict[str, Any]
) -> tuple[str, str]:
    """An ouder invited, in by link and code, bound to BSN; their address and casus id."""
    aan = adres()
    code = invite(client, casus, aan)["code"]
    browser, response = accept(app, settings, aan, code)
    assert SESSION_COOKIE not in response.headers.get("set-cookie", "")
    binnen = through(browser, provider, response, BSN)
    assert binnen.status_code == 303, binnen.text
    assert binnen.headers["location"] == f"/casussen/{casus['id']}/plan"
    return aan, str(casus["id"])


def ouder(app: Any, casus_id: str) -> Account:
    with Session(app.state.engine) as session:
        [account] = session.exec(
            select(Account)
            .join(Rol, Rol.account_id == Account.id)  # type: ignore[arg-type]
            .where(Rol.casus_id == uuid.UUID(casus_id), Rol.rol == CasusRol.OUDER)
        ).all()
        return account


def come_back(app: Any, provider: Provider, sub: str) -> tuple[TestClient, Any]:
    browser = TestClient(app, follow_redirects=False, raise_server_exceptions=False)
    page = browser.get("/terugkomen")
    assert 'href="/burger/aanmelden"' in page.text and "Inloggen met DigiD" in page.text
    return browser, through(browser, provider, browser.get("/burger/aanmelden"), sub)


def test_link_and_code_bind_the_account_to_the_person_who_then_comes_back_by_digid(
    client: TestClient, app: Any, settings: Settings, provider: Provider, casus: dict[str, Any]
) -> None:
    _, casus_id = bound(client, app, settings, provider, casus)
    account = ouder(app, casus_id)
    assert account.burger_index and BSN not in raw(app, "account")
    [koppelen] = events(app, "deelnemer.koppelen")
    assert koppelen.uitkomst == "toegestaan" and koppelen.account_id == account.id

    browser, terug = come_back(app, provider, BSN)
    assert terug.status_code == 303 and terug.headers["location"] == f"/casussen/{casus_id}/plan"
    assert browser.get(terug.headers["location"]).status_code == 200
    [event] = events(app, "deelnemer.terugkomen")
    assert event.account_id == account.id and event.kenmerken == {"methode": "burger_oidc"}
    # Still one ouder on the casus: the same account all along.
    assert ouder(app, casus_id).id == account.id


def test_a_bound_account_is_not_taken_over_with_a_new_link_and_code(
    client: TestClient, app: Any, settings: Settings, provider: Provider, casus: dict[str, Any]
) -> None:
    aan, casus_id = bound(client, app, settings, provider, casus)
    voor = ouder(app, casus_id).burger_index
    # The same person invited again, but someone else (who reads that mailbox, say) gets
    # the code too and opens the link: the provider names another person, and is refused.
    code = reinvite(client, casus)
    browser, response = accept(app, settings, aan, code)
    refused = through(browser, provider, response, "999990020")
    assert refused.status_code == 403 and "hoort bij iemand anders" in refused.text
    assert SESSION_COOKIE not in refused.headers.get("set-cookie", "")
    assert ouder(app, casus_id).burger_index == voor
    assert events(app, "deelnemer.koppelen")[-1].kenmerken == {"code": "ander_persoon"}


def test_someone_without_a_plan_gets_a_clear_page(
    client: TestClient, app: Any, settings: Settings, provider: Provider, casus: dict[str, Any]
) -> None:
    bound(client, app, settings, provider, casus)
    _, refused = come_back(app, provider, "999990021")
    assert refused.status_code == 403 and "Wij vinden geen plan bij deze inlog" in refused.text
    assert SESSION_COOKIE not in refused.headers.get("set-cookie", "")
    assert events(app, "aanmelden")[-1].kenmerken == {
        "methode": "burger_oidc",
        "reden": "geen_plan",
    }


def choose(browser: TestClient, page: Any, account: str) -> Any:
    found = CSRF.search(page.text)
    assert found is not None
    return browser.post("/burger/kiezen", data={"csrf_token": found.group(1), "account": account})


def test_a_person_on_two_casussen_chooses_and_only_among_their_own(
    client: TestClient, app: Any, settings: Settings, provider: Provider, casus: dict[str, Any]
) -> None:
    bound(client, app, settings, provider, casus)
    andere = {**casus, "url": f"/api/v1/casussen/{casus['andere']}", "anna": casus["gert"]}
    bound(client, app, settings, provider, {**andere, "id": casus["andere"]})
    browser, keuze = come_back(app, provider, BSN)
    assert keuze.status_code == 200 and "Kies een plan" in keuze.text
    accounts = [str(ouder(app, c).id) for c in (str(casus["id"]), str(casus["andere"]))]
    assert all(a in keuze.text for a in accounts)
    # Someone else's account is not among the choices; the choice is then used up.
    assert choose(browser, keuze, str(uuid.uuid4())).status_code == 403
    assert choose(browser, keuze, accounts[1]).status_code == 403

    browser, keuze = come_back(app, provider, BSN)
    cookie = browser.cookies.get("regie_burger_keuze")
    gekozen = choose(browser, keuze, accounts[1])
    assert gekozen.status_code == 303
    assert gekozen.headers["location"] == f"/casussen/{casus['andere']}/plan"
    assert browser.get(f"/casussen/{casus['andere']}/plan").status_code == 200
    assert browser.get(f"/casussen/{casus['id']}/plan").status_code == 404
    # The same choice again, in this browser or with its cookie copied to another: refused.
    assert choose(browser, keuze, accounts[0]).status_code == 403
    vers = TestClient(app, follow_redirects=False, raise_server_exceptions=False)
    page = vers.get("/terugkomen")
    vers.cookies.set("regie_burger_keuze", str(cookie), path="/burger")
    assert choose(vers, page, accounts[0]).status_code == 403
    # Without the signed choice from the provider's answer, no choosing.
    vers.cookies.clear()
    assert choose(vers, vers.get("/terugkomen"), accounts[0]).status_code == 403


def test_a_cancelled_or_replayed_provider_answer_binds_nobody(
    client: TestClient, app: Any, settings: Settings, provider: Provider, casus: dict[str, Any]
) -> None:
    """A flow is used once: after the invitee cancels at the provider, the same flow (from the
    browser's history, on a shared computer) cannot be finished by someone else."""
    aan = adres()
    code = invite(client, casus, aan)["code"]
    browser, naar = accept(app, settings, aan, code)
    terug = naar.headers["location"]
    state = terug.split("state=")[1].split("&")[0]
    cancelled = browser.get(f"/burger/terug?error=access_denied&state={state}")
    assert cancelled.status_code == 400
    later = through(browser, provider, naar, "999990022")
    assert later.status_code == 400 and "al gebruikt" in later.text
    assert ouder(app, str(casus["id"])).burger_index is None
    redenen = [e.kenmerken.get("reden") for e in events(app, "aanmelden")]
    assert redenen[-2:] == ["provider", "al_gebruikt"]


def test_one_kind_of_signed_cookie_is_never_read_as_another(
    client: TestClient, app: Any, settings: Settings, provider: Provider, casus: dict[str, Any]
) -> None:
    aan = adres()
    code = invite(client, casus, aan)["code"]
    browser, _ = accept(app, settings, aan, code)
    flow = browser.cookies.get("regie_burger_oidc")
    assert flow
    vers = TestClient(app, follow_redirects=False, raise_server_exceptions=False)
    page = vers.get("/terugkomen")
    vers.cookies.set("regie_burger_keuze", flow, path="/burger")
    refused = choose(vers, page, str(uuid.uuid4()))
    assert refused.status_code == 403


def test_a_bound_account_comes_back_by_digid_only_and_not_after_its_role_ended(
    client: TestClient, app: Any, settings: Settings, provider: Provider, casus: dict[str, Any]
) -> None:
    aan, _ = bound(client, app, settings, provider, casus)
    ask(app, aan)
    assert len(mails(settings, aan)) == 1  # only the invitation: no link by e-mail
    rol = next(
        r
        for r in client.get(f"{casus['url']}/betrokkenen", headers=casus["anna"]).json()
        if r["rol"] == "ouder"
    )
    ended = client.delete(f"{casus['url']}/betrokkenen/{rol['id']}", headers=casus["anna"])
    assert ended.status_code == 204, ended.text
    _, refused = come_back(app, provider, BSN)
    assert refused.status_code == 403 and "Wij vinden geen plan" in refused.text


def test_without_a_citizens_provider_its_pages_do_not_exist(app: Any) -> None:
    app.state.burger_oidc = None
    browser = TestClient(app, follow_redirects=False)
    assert browser.get("/burger/aanmelden").status_code == 404
    assert "/burger/aanmelden" not in browser.get("/terugkomen").text


def test_the_citizens_provider_needs_its_client_and_return_address(keys_dir: Path) -> None:
    with pytest.raises(ValidationError, match="REGIE_BURGER_OIDC_CLIENT_ID"):
        Settings(env="dev", data_dir=keys_dir, burger_oidc_issuer="https://digid.example")
    beide: dict[str, Any] = {
        "env": "dev",
        "data_dir": keys_dir,
        "oidc_issuer": "https://idp.example",
        "oidc_client_id": "regie",
        "oidc_redirect_url": "https://regie.example/aanmelden/terug",
        "burger_oidc_issuer": "https://digid.example",
        "burger_oidc_client_id": "regie",
        "burger_oidc_redirect_url": "https://regie.example/burger/terug",
    }
    assert Settings.model_validate(beide).burger_oidc_issuer  # the control: two providers, apart
    with pytest.raises(ValidationError, match="niet dezelfde client"):
        Settings.model_validate({**beide, "burger_oidc_issuer": "https://idp.example/"})
    with pytest.raises(ValidationError, match="moet eindigen op /burger/terug"):
        Settings.model_validate(
            {**beide, "burger_oidc_redirect_url": "https://regie.example/aanmelden/terug"}
        )
    with pytest.raises(ValidationError, match="hoort niet bij /burger/terug"):
        Settings.model_validate(
            {**beide, "oidc_redirect_url": "https://regie.example/burger/terug"}
        )
