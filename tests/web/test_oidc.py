"""Web sign-in through a real OpenID Connect provider (oidc-provider-mock) on 127.0.0.1."""

from __future__ import annotations

import base64
import json
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import flask
import httpx
import pytest
import werkzeug.serving
from fastapi.testclient import TestClient
from jose import jwk
from sqlmodel import Session, col, select

from app.audit.models import AuditGebeurtenis
from app.config import Settings
from app.errors import NietGeauthenticeerd
from app.web.oidc import FLOW_COOKIE, OidcProvider
from app.web.session import SESSION_COOKIE
from tests.factories import make_account

with warnings.catch_warnings():
    # The mock provider still imports authlib.jose, which Authlib marks as deprecated.
    warnings.simplefilter("ignore")
    from oidc_provider_mock import app as mock_app

pytestmark = [
    pytest.mark.parametrize("db_url", ["sqlite"], indirect=True),
    # The mock provider runs on Authlib's legacy OIDC hooks; the warnings are its, not Regie's.
    pytest.mark.filterwarnings("ignore:get_jwt_config:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::authlib.deprecate.AuthlibDeprecationWarning"),
]

CLIENT_ID = "regie"
REDIRECT = "http://testserver/aanmelden/terug"


class Provider:
    def __init__(self, flask_app: flask.Flask, issuer: str) -> None:
        self.flask_app = flask_app
        self.issuer = issuer

    def user(self, sub: str, **claims: Any) -> None:
        response = httpx.put(f"{self.issuer}/users/{sub}", json=claims)
        assert response.status_code == 204, response.text

    def rotate_key(self) -> None:
        """The mock has no rotation endpoint; swap the key in its storage (one shared object)."""
        with self.flask_app.test_request_context("/"):
            self.flask_app.preprocess_request()
            storage = flask.g.oidc_provider_mock_storage
            storage.jwk = type(storage.jwk).generate_key(is_private=True)

    def authorize(self, url: str, sub: str) -> str:
        """Submit the provider's sign-in form for `sub`; returns the redirect back to Regie."""
        assert url.startswith(self.issuer)
        form = httpx.get(url)
        assert form.status_code == 200 and 'name="sub"' in form.text
        answer = httpx.post(url, data={"sub": sub})
        assert answer.status_code == 302, answer.text
        location: str = answer.headers["location"]
        return location

    def id_token_for(self, client_id: str, sub: str) -> str:
        """An ID token the provider issues to some client, obtained by hand (no PKCE)."""
        query = {
            "response_type": "code",
            "scope": "openid profile",
            "client_id": client_id,
            "redirect_uri": "http://elders.example/terug",
            "state": "s",
            "nonce": "n",
        }
        back = self.authorize(f"{self.issuer}/oauth2/authorize?{urlencode(query)}", sub)
        code = parse_qs(urlparse(back).query)["code"][0]
        tokens = httpx.post(
            f"{self.issuer}/oauth2/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": "http://elders.example/terug",
            },
            auth=(client_id, "x"),
        )
        assert tokens.status_code == 200, tokens.text
        token: str = tokens.json()["id_token"]
        return token


@pytest.fixture
def provider(monkeypatch: pytest.MonkeyPatch) -> Iterator[Provider]:
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")
    flask_app = mock_app(require_nonce=True)
    server = werkzeug.serving.make_server("127.0.0.1", 0, flask_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield Provider(flask_app, f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()


@pytest.fixture
def settings(db_url: str, keys_dir: Path, provider: Provider) -> Settings:
    return Settings(
        env="dev",
        data_dir=keys_dir,
        database_url=db_url,
        oidc_issuer=provider.issuer,
        oidc_client_id=CLIENT_ID,
        oidc_client_secret="geheim",
        oidc_redirect_url=REDIRECT,
    )


@pytest.fixture
def browser(app: Any) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False, follow_redirects=False) as test_client:
        yield test_client


def sign_in(browser: TestClient, provider: Provider, sub: str, volgende: str = "/casussen") -> Any:
    start = browser.get("/aanmelden", params={"volgende": volgende})
    assert start.status_code == 303
    back = provider.authorize(start.headers["location"], sub)
    assert back.startswith(REDIRECT)
    return browser.get(back.removeprefix("http://testserver"))


def events(app: Any, actie: str) -> list[AuditGebeurtenis]:
    with Session(app.state.engine) as session:
        query = select(AuditGebeurtenis).where(col(AuditGebeurtenis.actie) == actie)
        return list(session.exec(query.order_by(col(AuditGebeurtenis.volgnummer))).all())


def test_the_authorization_request_uses_pkce_state_and_nonce(
    browser: TestClient, provider: Provider
) -> None:
    start = browser.get("/aanmelden")
    assert start.status_code == 303
    url = urlparse(start.headers["location"])
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert f"{url.scheme}://{url.netloc}" == provider.issuer
    assert query["response_type"] == "code" and query["scope"] == "openid profile"
    assert query["client_id"] == CLIENT_ID and query["redirect_uri"] == REDIRECT
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    assert query["state"] and query["nonce"] and query["state"] != query["nonce"]
    cookie = start.headers["set-cookie"]
    assert FLOW_COOKIE in cookie and "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
    assert "Max-Age=600" in cookie
    assert query["state"] not in cookie


def test_full_sign_in_opens_a_session(browser: TestClient, provider: Provider, app: Any) -> None:
    make_account(app, "k.de.vries")
    provider.user("sub-123", preferred_username="k.de.vries", name="K. de Vries")
    back = sign_in(browser, provider, "sub-123", volgende="/casussen?pagina=1")
    assert back.status_code == 303 and back.headers["location"] == "/casussen?pagina=1"
    assert SESSION_COOKIE in browser.cookies
    page = browser.get("/casussen")
    assert page.status_code == 200 and "K.De.Vries" in page.text
    [event] = events(app, "aanmelden")
    assert event.uitkomst == "toegestaan" and event.kenmerken == {"methode": "oidc"}
    assert event.gebruikersnaam == "k.de.vries"


def test_dev_sign_in_is_off_when_oidc_is_configured(
    browser: TestClient, provider: Provider, app: Any
) -> None:
    make_account(app, "k.de.vries")
    page = browser.get("/casussen")
    assert page.status_code == 303 and page.headers["location"].startswith("/aanmelden")
    csrf = browser.get("/aanmelden")  # sets the CSRF seed, but redirects to the provider
    assert csrf.status_code == 303
    refused = browser.post("/aanmelden", data={"gebruikersnaam": "k.de.vries"})
    assert refused.status_code in (403, 404)
    assert SESSION_COOKIE not in browser.cookies


def test_an_unknown_account_is_refused(browser: TestClient, provider: Provider, app: Any) -> None:
    make_account(app, "oud.account", actief=False)
    provider.user("sub-9", preferred_username="onbekend")
    refused = sign_in(browser, provider, "sub-9")
    assert refused.status_code == 403
    assert "niet bekend of niet actief in Regie" in refused.text
    assert SESSION_COOKIE not in browser.cookies
    provider.user("sub-10", preferred_username="oud.account")
    assert sign_in(browser, provider, "sub-10").status_code == 403
    assert [e.uitkomst for e in events(app, "aanmelden")] == ["geweigerd", "geweigerd"]


def test_a_wrong_or_missing_state_is_refused(
    browser: TestClient, provider: Provider, app: Any
) -> None:
    make_account(app, "k.de.vries")
    provider.user("sub-1", preferred_username="k.de.vries")
    start = browser.get("/aanmelden")
    back = provider.authorize(start.headers["location"], "sub-1")
    code = parse_qs(urlparse(back).query)["code"][0]
    wrong = browser.get("/aanmelden/terug", params={"code": code, "state": "vervalst"})
    assert wrong.status_code == 400 and "Aanmelden is niet gelukt" in wrong.text
    browser.cookies.delete(FLOW_COOKIE, path="/aanmelden/terug")
    state = parse_qs(urlparse(back).query)["state"][0]
    missing = browser.get("/aanmelden/terug", params={"code": code, "state": state})
    assert missing.status_code == 400
    assert SESSION_COOKIE not in browser.cookies
    assert {e.uitkomst for e in events(app, "aanmelden")} == {"geweigerd"}


def test_a_forged_flow_cookie_is_refused(browser: TestClient, provider: Provider, app: Any) -> None:
    make_account(app, "k.de.vries")
    provider.user("sub-1", preferred_username="k.de.vries")
    start = browser.get("/aanmelden")
    back = provider.authorize(start.headers["location"], "sub-1")
    state = parse_qs(urlparse(back).query)["state"][0]
    body = base64.urlsafe_b64encode(json.dumps({"state": state}).encode()).decode().rstrip("=")
    browser.cookies.set(FLOW_COOKIE, f"{body}.AAAA", path="/aanmelden/terug")
    assert browser.get(back.removeprefix("http://testserver")).status_code == 400


def test_a_forged_cookie_or_a_bare_id_token_is_no_session(
    browser: TestClient, provider: Provider, app: Any
) -> None:
    """The cookie names a session in Regie's database; even a valid ID token is not one."""
    make_account(app, "k.de.vries")
    provider.user("sub-1", preferred_username="k.de.vries")
    sign_in(browser, provider, "sub-1")
    assert browser.get("/casussen").status_code == 200
    browser.cookies.set(SESSION_COOKIE, "x" * 43)
    assert browser.get("/casussen").status_code == 303
    mine = provider.id_token_for(CLIENT_ID, "sub-1")
    browser.cookies.set(SESSION_COOKIE, mine)
    page = browser.get("/casussen")
    assert page.status_code == 303 and page.headers["location"].startswith("/aanmelden")
    oidc: OidcProvider = app.state.oidc
    assert oidc.verify_id_token(mine)["sub"] == "sub-1"
    with pytest.raises(NietGeauthenticeerd):
        oidc.verify_id_token(provider.id_token_for("andere-app", "sub-1"))
    with pytest.raises(NietGeauthenticeerd):
        oidc.verify_id_token(mine, nonce="een-andere-nonce")


def test_a_rotated_provider_key_is_fetched_once(
    browser: TestClient, provider: Provider, app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_account(app, "k.de.vries")
    provider.user("sub-1", preferred_username="k.de.vries")
    sign_in(browser, provider, "sub-1")
    old = browser.cookies[SESSION_COOKIE]
    provider.rotate_key()
    fetches: list[str] = []
    real_get = httpx.get

    def counting_get(url: str, **kwargs: Any) -> httpx.Response:
        fetches.append(url)
        return real_get(url, **kwargs)

    monkeypatch.setattr("app.web.oidc.httpx.get", counting_get)
    browser.cookies.clear()
    again = sign_in(browser, provider, "sub-1")
    assert again.status_code == 303, again.text
    assert browser.get("/casussen").status_code == 200
    assert [u for u in fetches if u.endswith("/jwks")] == [f"{provider.issuer}/jwks"]
    browser.cookies.set(SESSION_COOKIE, old)  # a Regie session outlives the provider's key
    assert browser.get("/casussen").status_code == 200


def test_a_broken_provider_key_refuses_the_sign_in_and_is_built_once(
    browser: TestClient,
    provider: Provider,
    app: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A provider whose key set holds a key that is no usable RSA key (its modulus missing):
    the ID token it signed is refused like one under an unknown key (after one refetch), the
    sign-in fails as refused, not with a 500, and Regie tries to build that key only once."""
    make_account(app, "k.de.vries")
    provider.user("sub-1", preferred_username="k.de.vries")
    real_get = httpx.get

    def broken_jwks(url: str, **kwargs: Any) -> httpx.Response:
        response = real_get(url, **kwargs)
        if not url.endswith("/jwks"):
            return response
        keys = [{k: v for k, v in key.items() if k != "n"} for key in response.json()["keys"]]
        return httpx.Response(200, json={"keys": keys}, request=response.request)

    monkeypatch.setattr("app.web.oidc.httpx.get", broken_jwks)
    gebouwd: list[str] = []
    bouw = jwk.construct

    def tellend(data: Any, algorithm: str) -> Any:
        if isinstance(data, dict):  # a JWK; signing a test token hands jose a PEM
            gebouwd.append(data.get("kid", ""))
        return bouw(data, algorithm)

    monkeypatch.setattr("app.auth.keys.jwk.construct", tellend)
    refused = sign_in(browser, provider, "sub-1")
    assert refused.status_code == 400 and "Aanmelden is niet gelukt" in refused.text
    assert SESSION_COOKIE not in browser.cookies
    assert [e.uitkomst for e in events(app, "aanmelden")] == ["geweigerd"]
    # Once per key set: the cached one and, when the refetch is allowed, the refetched one.
    assert 1 <= len(gebouwd) <= 2


def test_sign_out_ends_the_session(browser: TestClient, provider: Provider, app: Any) -> None:
    make_account(app, "k.de.vries")
    provider.user("sub-1", preferred_username="k.de.vries")
    sign_in(browser, provider, "sub-1")
    page = browser.get("/casussen")
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    out = browser.post("/afmelden", data={"csrf_token": token})
    assert out.status_code == 303
    assert out.headers["location"] == "/afgemeld"
    afgemeld = browser.get("/afgemeld")
    assert f'href="{provider.issuer}/oauth2/end_session?client_id=' in afgemeld.text
    assert "id_token_hint" not in afgemeld.text
    cleared = [h for h in out.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE)]
    assert cleared and "Max-Age=0" in cleared[0]
    assert SESSION_COOKIE not in browser.cookies
    assert browser.get("/casussen").status_code == 303


def test_an_oidc_session_is_renewed_by_regie_not_by_the_id_token(
    browser: TestClient, provider: Provider, app: Any
) -> None:
    """The provider's ID token may last minutes; the MDO goes on in Regie's own session."""
    make_account(app, "k.de.vries")
    provider.user("sub-1", preferred_username="k.de.vries")
    sign_in(browser, provider, "sub-1")
    page = browser.get("/casussen")
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    renewed = browser.post(
        "/sessie/verlengen", data={"csrf_token": token}, headers={"Accept": "application/json"}
    )
    assert renewed.status_code == 200
    assert renewed.json()["verloopt"] >= time.time() + 239 * 60
    assert browser.get("/casussen").status_code == 200
