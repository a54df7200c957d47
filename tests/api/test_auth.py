"""Bearer tokens through the API: every malformed, forged or stale token is a bare 401.

Each refused request must change nothing: the POST that carried the bad token creates no casus.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from functools import cache
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient
from jose import jwe, jwt
from sqlalchemy import func
from sqlmodel import select

from app.accounts.models import Account, Organisatie
from app.auth.tokens import MAX_TOKEN_BYTES
from app.casus.models import Casus
from app.config import Settings
from app.db import unit_of_work
from tests.factories import CASUS, auth, make_account

DEV_KID = "regie-dev"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _segment(obj: dict[str, Any]) -> str:
    return _b64(json.dumps(obj, separators=(",", ":")).encode())


def _claims(settings: Settings, sub: str | None = "anna", **changes: Any) -> dict[str, Any]:
    """Well-formed claims for `sub`; a change to None drops that claim."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": sub,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": now,
        "exp": now + 600,
        **changes,
    }
    return {k: v for k, v in claims.items() if v is not None}


def _dev_pem(settings: Settings) -> str:
    return settings.dev_key_file.read_text()


def _dev_public_pem(settings: Settings) -> bytes:
    return _dev_public(settings, serialization.Encoding.PEM)


def _dev_public(settings: Settings, encoding: serialization.Encoding) -> bytes:
    private = serialization.load_pem_private_key(settings.dev_key_file.read_bytes(), None)
    assert isinstance(private, rsa.RSAPrivateKey)
    return private.public_key().public_bytes(
        encoding, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@cache
def _other_rsa_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def _sign(claims: dict[str, Any], pem: str, kid: str = DEV_KID) -> str:
    return jwt.encode(claims, pem, algorithm="RS256", headers={"kid": kid})


def _signed(settings: Settings, sub: str | None = "anna", **changes: Any) -> str:
    """A token signed with the real dev key: only its claims can be wrong."""
    return _sign(_claims(settings, sub, **changes), _dev_pem(settings))


def _bearer(token: str) -> str:
    return f"Bearer {token}"


def _alg_none(settings: Settings) -> str:
    header = _segment({"alg": "none", "typ": "JWT", "kid": DEV_KID})
    return _bearer(f"{header}.{_segment(_claims(settings))}.")


def _hs256_with_public_key(settings: Settings, key: bytes | None = None) -> str:
    """The key-confusion attack: HMAC keyed with the (public) RSA verification key."""
    signing_input = (
        f"{_segment({'alg': 'HS256', 'typ': 'JWT', 'kid': DEV_KID})}.{_segment(_claims(settings))}"
    )
    secret = _dev_public_pem(settings) if key is None else key
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return _bearer(f"{signing_input}.{_b64(mac)}")


def _hs256_with_der_public_key(settings: Settings) -> str:
    """The same confusion with the key's DER bytes, as some libraries hold it."""
    return _hs256_with_public_key(settings, _dev_public(settings, serialization.Encoding.DER))


def _jwe(settings: Settings) -> str:
    """An encrypted token (five parts, RSA-OAEP to our own public key): never accepted as a JWS,
    whatever it decrypts to."""
    token = jwe.encrypt(
        json.dumps(_claims(settings)),
        _dev_public_pem(settings).decode(),
        algorithm="RSA-OAEP-256",
        encryption="A256GCM",
        kid=DEV_KID,
    ).decode()
    assert token.count(".") == 4
    return _bearer(token)


def _tampered_payload(settings: Settings) -> str:
    """bram's genuine token with its payload swapped for one naming anna."""
    header, _, signature = _signed(settings, "bram").split(".")
    return _bearer(f"{header}.{_segment(_claims(settings, 'anna'))}.{signature}")


def _oversized(settings: Settings) -> str:
    token = _signed(settings, opvulling="x" * MAX_TOKEN_BYTES)
    assert len(token) > MAX_TOKEN_BYTES
    return _bearer(token)


def _basic(_: Settings) -> str:
    return "Basic " + base64.b64encode(b"anna:geheim").decode()


AuthorizationFor = Callable[[Settings], str | None]

BAD_AUTHORIZATION: list[Any] = [
    pytest.param(lambda s: None, id="no-authorization-header"),
    pytest.param(_basic, id="basic-scheme"),
    pytest.param(lambda s: f"Token {_signed(s)}", id="valid-token-under-other-scheme"),
    pytest.param(lambda s: _signed(s), id="valid-token-without-scheme"),
    pytest.param(lambda s: "Bearer", id="bearer-without-token"),
    pytest.param(lambda s: "Bearer    ", id="bearer-with-blank-token"),
    pytest.param(lambda s: "Bearer not-a-jwt", id="garbage-token"),
    pytest.param(_alg_none, id="alg-none"),
    pytest.param(_hs256_with_public_key, id="hs256-keyed-with-rsa-public-key-pem"),
    pytest.param(_hs256_with_der_public_key, id="hs256-keyed-with-rsa-public-key-der"),
    pytest.param(_jwe, id="jwe-encrypted-token"),
    pytest.param(lambda s: _bearer(_signed(s, exp=int(time.time()) - 120)), id="expired"),
    pytest.param(lambda s: _bearer(_signed(s, exp=None)), id="missing-exp"),
    pytest.param(lambda s: _bearer(_signed(s, nbf=int(time.time()) + 600)), id="not-yet-valid"),
    pytest.param(lambda s: _bearer(_signed(s, iat="gisteren")), id="malformed-iat"),
    pytest.param(lambda s: _bearer(_signed(s, iss="iemand-anders")), id="wrong-iss"),
    pytest.param(lambda s: _bearer(_signed(s, iss=None)), id="missing-iss"),
    pytest.param(lambda s: _bearer(_signed(s, aud="andere-app")), id="wrong-aud"),
    pytest.param(lambda s: _bearer(_signed(s, aud=None)), id="missing-aud"),
    pytest.param(lambda s: _bearer(_signed(s, sub=None)), id="missing-sub"),
    pytest.param(lambda s: _bearer(_signed(s, sub="")), id="empty-sub"),
    pytest.param(lambda s: _bearer(_signed(s, "niemand")), id="unknown-account"),
    pytest.param(lambda s: _bearer(_signed(s, "slapend")), id="deactivated-account"),
    pytest.param(lambda s: _bearer(_signed(s, "verweesd")), id="inactive-organisation"),
    pytest.param(_tampered_payload, id="tampered-payload"),
    pytest.param(
        lambda s: _bearer(_sign(_claims(s), _other_rsa_pem())), id="other-rsa-key-same-kid"
    ),
    pytest.param(
        lambda s: _bearer(_sign(_claims(s), _dev_pem(s), kid="onbekend")), id="unknown-kid"
    ),
    pytest.param(_oversized, id="oversized-token"),
]


def _accounts(app: Any) -> None:
    """anna and bram are active; slapend is not; verweesd's organisation is not."""
    for name in ("anna", "bram"):
        make_account(app, name)
    make_account(app, "slapend", actief=False)
    make_account(app, "verweesd")
    with unit_of_work(app.state.engine) as session:
        organisatie = session.exec(
            select(Organisatie)
            .join(Account, Account.organisatie_id == Organisatie.id)  # type: ignore[arg-type]
            .where(Account.gebruikersnaam == "verweesd")
        ).one()
        organisatie.actief = False
        session.add(organisatie)


def _casus_count(app: Any) -> int:
    with unit_of_work(app.state.engine) as session:
        return int(session.exec(select(func.count()).select_from(Casus)).one())


def _assert_bare_401(response: Any, authorization: str | None) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == "Bearer"
    body = response.json()
    assert body["status"] == 401
    assert body["code"] == "niet_geauthenticeerd"
    credential = (authorization or "").rsplit(" ", 1)[-1]
    if len(credential) > 20:
        assert credential not in response.text, "the refusal must not echo the credential"


@pytest.mark.parametrize("authorization_for", BAD_AUTHORIZATION)
def test_bad_token_is_refused_and_nothing_happens(
    client: TestClient, app: Any, settings: Settings, authorization_for: AuthorizationFor
) -> None:
    _accounts(app)
    authorization = authorization_for(settings)
    headers = {} if authorization is None else {"Authorization": authorization}

    created = client.post("/api/v1/casussen", json=CASUS, headers=headers)
    _assert_bare_401(created, authorization)
    _assert_bare_401(client.get("/api/v1/ik", headers=headers), authorization)
    _assert_bare_401(client.get("/api/v1/casussen", headers=headers), authorization)

    assert client.get("/api/v1/casussen", headers=auth(settings, "anna")).json()["totaal"] == 0
    assert _casus_count(app) == 0


def test_valid_token_identifies_the_account(
    client: TestClient, app: Any, settings: Settings
) -> None:
    make_account(app, "anna", systeemrollen=("professional", "onderzoeker"))
    response = client.get("/api/v1/ik", headers={"Authorization": _bearer(_signed(settings))})
    assert response.status_code == 200, response.text
    assert response.json() == {
        "gebruikersnaam": "anna",
        "naam": "Anna",
        "organisatie": "Organisatie van anna",
        "systeemrollen": ["onderzoeker", "professional"],
    }
    created = client.post("/api/v1/casussen", json=CASUS, headers=auth(settings, "anna"))
    assert created.status_code == 201, created.text
    assert _casus_count(app) == 1
