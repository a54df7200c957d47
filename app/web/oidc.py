"""Web sign-in through an OpenID Connect provider: authorization code flow with PKCE (S256).

At the callback the provider's ID token is verified with `OidcProvider.verify_id_token`:
RS256 only, against the provider's JWKS, with `iss` = REGIE_OIDC_ISSUER and
`aud` = REGIE_OIDC_CLIENT_ID, the nonce of this flow and the access token's `at_hash`; the account
name comes from REGIE_OIDC_ACCOUNT_CLAIM. This is a second verifier next to `app.state.keyset`,
which keeps verifying the API's bearer tokens (REGIE_JWT_*/REGIE_JWKS_*): the API and the web
session are separate trust decisions, and neither path changes the other.

After that the browser holds a Regie session (app/auth/sessies), stored in the database: it ends
when the user signs out, after the idle limit, or when the beheerder deactivates the account.

The flow state (state, nonce, PKCE verifier, the page to return to) travels in a short-lived
cookie signed with HMAC-SHA256 under the session secret, so no server-side store is needed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

import httpx
from authlib.common.security import generate_token
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response
from jose import jws, jwt
from jose.backends.base import Key
from jose.exceptions import JOSEError, JWSError

from app import rate_limit
from app.audit.recorder import Uitkomst
from app.auth import sessies
from app.auth.keys import ALGORITHM, REFRESH_INTERVAL, KeySet, SleutelFout, _from_jwks
from app.auth.tokens import MAX_TOKEN_BYTES, load_actor
from app.config import Settings
from app.deps import UnitOfWork, UowDep
from app.errors import Geweigerd, NietGeauthenticeerd, RegieFout
from app.web.deps import AANMELDEN, end_previous_session
from app.web.session import forget_invitee, start_session

FLOW_COOKIE = "regie_oidc"
FLOW_MAX_AGE = 600
CALLBACK_PATH = "/aanmelden/terug"
HTTP_TIMEOUT = 10.0
_REQUIRED = ("exp", "iat", "iss", "aud", "sub")

router = APIRouter(include_in_schema=False)


class AanmeldenMislukt(RegieFout):
    """The round-trip through the provider failed or was tampered with; nothing was changed."""

    status, code, title = 400, "aanmelden_mislukt", "Aanmelden is niet gelukt"


class AccountOnbekend(Geweigerd):
    """The provider vouched for someone who has no active account in Regie."""

    code = "account_onbekend"

    def __init__(self) -> None:
        super().__init__(
            "Dit account is niet bekend of niet actief in Regie. Neem contact op met de "
            "beheerder van Regie in uw organisatie."
        )


class _SleutelOnbekend(Exception):
    """The cached JWKS has no key for this token."""


class OidcProvider:
    """The provider's discovery document and keys, fetched on first use and cached."""

    def __init__(
        self,
        issuer: str,
        client_id: str,
        client_secret: str | None,
        redirect_url: str | None,
        account_claim: str,
    ) -> None:
        self.issuer = issuer.rstrip("/")
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_url = redirect_url
        self.account_claim = account_claim
        self._metadata: dict[str, Any] | None = None
        self._keyset: KeySet | None = None
        self._refreshed = float("-inf")
        self._lock = threading.Lock()

    def metadata(self) -> dict[str, Any]:
        if self._metadata is None:
            url = f"{self.issuer}/.well-known/openid-configuration"
            try:
                response = httpx.get(url, timeout=HTTP_TIMEOUT)
                response.raise_for_status()
                document = response.json()
            except (httpx.HTTPError, ValueError) as exc:
                raise AanmeldenMislukt(
                    "De identiteitsprovider is nu niet bereikbaar. Probeer het later opnieuw."
                ) from exc
            if not isinstance(document, dict) or document.get("issuer") != self.issuer:
                raise AanmeldenMislukt("De identiteitsprovider is onjuist ingesteld.")
            for field in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
                if not isinstance(document.get(field), str):
                    raise AanmeldenMislukt("De identiteitsprovider is onjuist ingesteld.")
            self._metadata = document
        return self._metadata

    def keyset(self, *, refresh: bool = False) -> KeySet:
        """The provider's keys; `refresh` refetches, at most once per REFRESH_INTERVAL.

        The limit keeps a stream of forged tokens from turning into a stream of JWKS fetches.
        """
        with self._lock:
            now = time.monotonic()
            if refresh and self._keyset is not None:
                if now - self._refreshed < REFRESH_INTERVAL:
                    return self._keyset
                self._refreshed = now
            if self._keyset is None or refresh:
                url = self.metadata()["jwks_uri"]
                try:
                    response = httpx.get(url, timeout=HTTP_TIMEOUT)
                    response.raise_for_status()
                    self._keyset = KeySet(_from_jwks(response.json(), url))
                except (httpx.HTTPError, ValueError, SleutelFout) as exc:
                    raise NietGeauthenticeerd("De sleutels van de provider ontbreken.") from exc
            return self._keyset

    def verify_id_token(
        self, token: str, *, nonce: str | None = None, access_token: str | None = None
    ) -> dict[str, Any]:
        """Verified ID-token claims: RS256, provider key, iss, aud, exp; nonce at sign-in.

        A key the cached JWKS does not know (an unknown `kid`, or a failed signature on a
        token without `kid`, as some providers send) refetches the JWKS once, then refuses.
        """
        if len(token) > MAX_TOKEN_BYTES:
            raise NietGeauthenticeerd("Het token is ongeldig.")
        try:
            header = jwt.get_unverified_header(token)
        except JOSEError as exc:
            raise NietGeauthenticeerd("Het token is ongeldig.") from exc
        if header.get("alg") != ALGORITHM:
            raise NietGeauthenticeerd("Het token is ongeldig.")
        kid = header.get("kid")
        cached = self.keyset()
        try:
            claims = self._decode(token, cached.for_kid(kid), access_token)
        except (JWSError, _SleutelOnbekend) as exc:
            fresh = self.keyset(refresh=True)
            if fresh is cached:
                raise NietGeauthenticeerd("Het token is ongeldig.") from exc
            try:
                claims = self._decode(token, fresh.for_kid(kid), access_token)
            except (JWSError, _SleutelOnbekend) as again:
                raise NietGeauthenticeerd("Het token is ongeldig.") from again
        if nonce is not None and not hmac.compare_digest(str(claims.get("nonce", "")), nonce):
            raise NietGeauthenticeerd("Het token hoort niet bij deze aanmelding.")
        return claims

    def _decode(self, token: str, key: Key | None, access_token: str | None) -> dict[str, Any]:
        if key is None:
            raise _SleutelOnbekend()
        jws.verify(token, key, algorithms=[ALGORITHM])  # JWSError: not signed by this key
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=self.client_id,
                issuer=self.issuer,
                access_token=access_token,
                options={
                    **{f"require_{c}": True for c in _REQUIRED},
                    # at_hash binds the ID token to the access token at sign-in only.
                    "verify_at_hash": access_token is not None,
                },
            )
        except JOSEError as exc:
            raise NietGeauthenticeerd("Het token is ongeldig of verlopen.") from exc
        return claims

    def logout_url(self) -> str | None:
        """The provider's end_session page (RP-initiated logout), when it has one.

        Offered as a link on Regie's own "afgemeld" page: a redirect from the sign-out form
        would be blocked by the pages' CSP (form-action 'self'), and no token goes in a URL.
        """
        try:
            endpoint = self.metadata().get("end_session_endpoint")
        except AanmeldenMislukt:
            return None
        if not isinstance(endpoint, str) or not endpoint.startswith(("https://", "http://")):
            return None
        params = {"client_id": self.client_id}
        separator = "&" if "?" in endpoint else "?"
        return f"{endpoint}{separator}{urlencode(params)}"

    def account_name(self, claims: dict[str, Any]) -> str:
        name = claims.get(self.account_claim)
        if not isinstance(name, str) or not name:
            raise AccountOnbekend()
        return name


def for_professionals(settings: Settings) -> OidcProvider | None:
    """The organisations' provider (REGIE_OIDC_*), if configured."""
    if not (settings.oidc_issuer and settings.oidc_client_id):
        return None
    return OidcProvider(
        settings.oidc_issuer,
        settings.oidc_client_id,
        settings.oidc_client_secret,
        settings.oidc_redirect_url,
        settings.oidc_account_claim,
    )


def for_citizens(settings: Settings) -> OidcProvider | None:
    """The citizens' provider (REGIE_BURGER_OIDC_*, e.g. DigiD through a broker), if any."""
    if not (settings.burger_oidc_issuer and settings.burger_oidc_client_id):
        return None
    return OidcProvider(
        settings.burger_oidc_issuer,
        settings.burger_oidc_client_id,
        settings.burger_oidc_client_secret,
        settings.burger_oidc_redirect_url,
        settings.burger_oidc_claim,
    )


def citizens(request: Request) -> OidcProvider | None:
    """The citizens' provider of this app, or None when invitees use link, code and e-mail."""
    burger: OidcProvider | None = getattr(request.app.state, "burger_oidc", None)
    return burger


def provider(request: Request) -> OidcProvider | None:
    """The configured provider of this app, or None when web sign-in is dev-only."""
    oidc: OidcProvider | None = getattr(request.app.state, "oidc", None)
    return oidc


# The flow cookie: base64url(json) "." base64url(hmac-sha256), bound to a purpose and an expiry.


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: bytes, doel: str, body: str) -> str:
    return _b64(hmac.new(secret, f"oidc:{doel}:{body}".encode(), hashlib.sha256).digest())


def sign_flow(
    secret: bytes, data: dict[str, Any], doel: str = FLOW_COOKIE, max_age: int = FLOW_MAX_AGE
) -> str:
    """Signed for one purpose (`doel`, the cookie's name): one kind is never read as another."""
    body = _b64(json.dumps({**data, "verloopt": int(time.time()) + max_age}).encode())
    return f"{body}.{_mac(secret, doel, body)}"


def read_flow(secret: bytes, value: str | None, doel: str = FLOW_COOKIE) -> dict[str, Any] | None:
    """The flow state, or None when the cookie is missing, forged, made for another purpose or
    expired."""
    if not value or value.count(".") != 1:
        return None
    body, mac = value.split(".")
    if not hmac.compare_digest(mac, _mac(secret, doel, body)):
        return None
    try:
        data = json.loads(_unb64(body))
    except ValueError:
        return None
    if not isinstance(data, dict) or int(data.get("verloopt", 0)) < time.time():
        return None
    return data


def use_once(request: Request, soort: str, data: dict[str, Any], waarde: str) -> bool:
    """Whether this signed value is used for the first time. A copy of the cookie (browser
    history, a shared computer) must not let anyone finish the same flow again: its use is
    counted in the database (all processes share it), in a window of its own that is kept
    until well after the value expired."""
    vingerafdruk = hashlib.sha256(f"{soort}:{waarde}".encode()).hexdigest()
    aantal, _ = rate_limit.count(
        request.app.state.engine, f"eenmalig:{vingerafdruk}", nu=float(data["verloopt"])
    )
    return aantal == 1


def start(
    request: Request,
    oidc: OidcProvider,
    extra: dict[str, Any],
    *,
    cookie: str = FLOW_COOKIE,
    path: str = CALLBACK_PATH,
) -> Response:
    """Send the browser to the provider, remembering state, nonce and PKCE verifier, and
    `extra` (where to go after, or what the sign-in is for) in the flow cookie."""
    state, nonce, verifier = generate_token(32), generate_token(32), generate_token(64)
    params = {
        "response_type": "code",
        "scope": "openid profile",
        "client_id": oidc.client_id,
        "redirect_uri": oidc.redirect_url,
        "state": state,
        "nonce": nonce,
        "code_challenge": create_s256_code_challenge(verifier),
        "code_challenge_method": "S256",
    }
    endpoint = oidc.metadata()["authorization_endpoint"]
    separator = "&" if "?" in endpoint else "?"
    response = RedirectResponse(f"{endpoint}{separator}{urlencode(params)}", status_code=303)
    flow = {**extra, "state": state, "nonce": nonce, "verifier": verifier}
    set_signed(request, response, cookie, flow, path=path)
    return response


def set_signed(
    request: Request,
    response: Response,
    cookie: str,
    data: dict[str, Any],
    *,
    path: str,
    max_age: int = FLOW_MAX_AGE,
) -> None:
    """A short-lived cookie holding `data`, signed for this cookie's purpose only."""
    settings: Settings = request.app.state.settings
    response.set_cookie(
        cookie,
        sign_flow(request.app.state.session_secret, data, cookie, max_age),
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=not settings.is_dev,
        path=path,
    )


def end_flow(response: Response, cookie: str = FLOW_COOKIE, path: str = CALLBACK_PATH) -> None:
    response.delete_cookie(cookie, path=path)


def _exchange(oidc: OidcProvider, code: str, verifier: str) -> dict[str, Any]:
    """Trade the code for tokens (client_secret_basic, or a public client with PKCE only)."""
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": oidc.redirect_url,
        "code_verifier": verifier,
    }
    auth: httpx.BasicAuth | None = None
    if oidc.client_secret:
        auth = httpx.BasicAuth(oidc.client_id, oidc.client_secret)
    else:
        data["client_id"] = oidc.client_id
    try:
        response = httpx.post(
            oidc.metadata()["token_endpoint"],
            data=data,
            auth=auth,
            headers={"Accept": "application/json"},
            timeout=HTTP_TIMEOUT,
        )
        response.raise_for_status()
        tokens = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise AanmeldenMislukt(
            "De identiteitsprovider gaf de aanmelding niet vrij. Probeer het opnieuw."
        ) from exc
    if not isinstance(tokens, dict) or not isinstance(tokens.get("id_token"), str):
        raise AanmeldenMislukt("De identiteitsprovider stuurde geen ID-token.")
    return tokens


def refuse(uow: UnitOfWork, reden: str, methode: str = "oidc") -> None:
    kenmerken = {"methode": methode, "reden": reden}
    uow.audit.record("aanmelden", Uitkomst.GEWEIGERD, kenmerken=kenmerken)


@dataclass(frozen=True)
class Antwoord:
    """What a provider sends back to a callback: a code and the state, or an error."""

    code: str | None
    state: str | None
    error: str | None


def provider_answer(
    code: Annotated[str | None, Query(max_length=2048)] = None,
    state: Annotated[str | None, Query(max_length=512)] = None,
    error: Annotated[str | None, Query(max_length=200)] = None,
) -> Antwoord:
    return Antwoord(code, state, error)


AntwoordDep = Annotated[Antwoord, Depends(provider_answer)]


def verified_claims(
    request: Request,
    uow: UnitOfWork,
    oidc: OidcProvider,
    answer: Antwoord,
    *,
    cookie: str = FLOW_COOKIE,
    methode: str = "oidc",
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The provider's answer (code, state, error) checked against this browser's flow, the
    code traded and the ID token verified: its claims, and the flow. Refusals are audited."""
    code, state, error = answer.code, answer.state, answer.error
    flow = read_flow(request.app.state.session_secret, request.cookies.get(cookie), cookie)
    if flow is None or not state or not hmac.compare_digest(str(flow.get("state")), state):
        refuse(uow, "state", methode)
        raise AanmeldenMislukt(
            "Deze aanmelding is verlopen of hoort niet bij deze browser. Meld u opnieuw aan."
        )
    if not use_once(request, cookie, flow, state):
        refuse(uow, "al_gebruikt", methode)
        raise AanmeldenMislukt("Deze aanmelding is al gebruikt. Meld u opnieuw aan.")
    if error or not code:
        refuse(uow, "provider", methode)
        raise AanmeldenMislukt("De identiteitsprovider heeft de aanmelding niet toegestaan.")
    tokens = _exchange(oidc, code, str(flow["verifier"]))
    try:
        claims = oidc.verify_id_token(
            tokens["id_token"],
            nonce=str(flow["nonce"]),
            access_token=tokens.get("access_token"),
        )
    except NietGeauthenticeerd as exc:
        refuse(uow, "id_token", methode)
        raise AanmeldenMislukt("Het bewijs van de identiteitsprovider klopt niet.") from exc
    return claims, flow


@router.get(CALLBACK_PATH, dependencies=[AANMELDEN])
def callback(request: Request, uow: UowDep, answer: AntwoordDep) -> Response:
    """The provider's answer: check state, trade the code, verify the ID token, start a session.

    A refusal raises an error whose event (geweigerd) is written by the unit of work.
    """
    oidc = provider(request)
    if oidc is None:
        raise AanmeldenMislukt("Aanmelden via een identiteitsprovider is niet ingesteld.")
    claims, flow = verified_claims(request, uow, oidc, answer)
    try:
        actor = load_actor(uow.session, oidc.account_name(claims))
    except (NietGeauthenticeerd, AccountOnbekend) as exc:
        refuse(uow, "account")
        raise AccountOnbekend() from exc
    uow.audit.identify(actor)
    uow.audit.record("aanmelden", Uitkomst.TOEGESTAAN, kenmerken={"methode": "oidc"})
    response = RedirectResponse(str(flow["volgende"]), status_code=303)
    settings = request.app.state.settings
    end_previous_session(request, uow)
    start_session(request, response, sessies.begin(uow.session, settings, actor.account_id, "oidc"))
    forget_invitee(response)
    end_flow(response)
    return response
