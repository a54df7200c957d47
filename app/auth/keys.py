"""Verification keys: RSA only, from a PEM or JWKS in production, a local key pair in dev."""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jose import jwk
from jose.backends.base import Key

from app.config import Settings

ALGORITHM = "RS256"
DEV_KID = "regie-dev"
REFRESH_INTERVAL = 30.0
log = logging.getLogger("regie")


class SleutelFout(Exception):
    """Keys are missing or unsafe; the app refuses to start."""


@dataclass(frozen=True)
class KeySet:
    """Public RSA keys as JWKs, by key id; a token naming an unknown kid is refused."""

    keys: dict[str, dict[str, Any]]
    # Each key as python-jose's RS256 verifier, made on first use: handed a JWK, jose builds
    # that object anew for every token (60 µs), more than it then takes to check the signature.
    # On first use, not up front: a malformed key in a provider's set fails only the tokens
    # naming it, as an unknown key would, and never keeps Regie from starting. Its failure is
    # kept too (None), so tokens naming it cannot make Regie build and log it again and again.
    _verifiers: dict[str, Key | None] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def for_kid(self, kid: object) -> Key | None:
        """The verifier for a token's kid; without one, the only key if there is just one.

        The kid comes from an unverified header: anything but a known key id (a number, a
        list) is no key, never an error.
        """
        if kid is None:
            kid = next(iter(self.keys)) if len(self.keys) == 1 else None
        if not isinstance(kid, str) or kid not in self.keys:
            return None
        if kid not in self._verifiers:  # two threads may both build it; either copy serves
            self._verifiers[kid] = self._verifier(kid)
        return self._verifiers[kid]

    def _verifier(self, kid: str) -> Key | None:
        try:
            return jwk.construct(self.keys[kid], ALGORITHM)
        # jose raises many kinds for a broken JWK (JWKError, TypeError, ValueError, ...): any
        # of them means this key verifies nothing.
        except Exception as exc:  # noqa: BLE001
            log.warning("sleutel %s is geen bruikbare RSA-sleutel (%s)", kid, type(exc).__name__)
            return None


def ensure_dev_key(settings: Settings) -> rsa.RSAPrivateKey:
    """Generate the dev signing key once into the data folder (mode 0600), then reuse it."""
    path = settings.dev_key_file
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
    loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(loaded, rsa.RSAPrivateKey):
        raise SleutelFout(f"{path} is geen RSA-sleutel")
    return loaded


def _public_jwk(public: rsa.RSAPublicKey, kid: str) -> dict[str, Any]:
    pem = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return {**jwk.construct(pem.decode(), ALGORITHM).to_dict(), "kid": kid, "use": "sig"}


def _from_pem(path: Path) -> dict[str, dict[str, Any]]:
    try:
        public = serialization.load_pem_public_key(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise SleutelFout(f"publieke sleutel {path} kan niet gelezen worden: {exc}") from exc
    if not isinstance(public, rsa.RSAPublicKey):
        raise SleutelFout(f"{path}: alleen RSA-sleutels worden geaccepteerd")
    return {path.stem: _public_jwk(public, path.stem)}


def _from_jwks(document: Any, source: str) -> dict[str, dict[str, Any]]:
    keys = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(keys, list):
        raise SleutelFout(f"JWKS {source} heeft geen 'keys'-lijst")
    rsa_keys = {
        str(k.get("kid", i)): k
        for i, k in enumerate(keys)
        if isinstance(k, dict) and k.get("kty") == "RSA" and k.get("use", "sig") == "sig"
    }
    if not rsa_keys:
        raise SleutelFout(f"JWKS {source} bevat geen RSA-ondertekeningssleutel")
    return rsa_keys


class Sleutels(Protocol):
    """Where a bearer token's key is looked up by its kid."""

    def for_kid(self, kid: object) -> Key | None: ...


class JwksSleutels:
    """The provider's keys from REGIE_JWKS_URL: fetched at start, and fetched again when a token
    names a kid they do not hold, so the provider can rotate its key without a restart of Regie.

    At most one refetch per REFRESH_INTERVAL: a stream of tokens with made-up kids must not
    become a stream of requests to the provider. A failed refetch keeps the keys there were.
    """

    def __init__(self, url: str, settings: Settings) -> None:
        self.url = url
        self.settings = settings
        self.keyset = self._fetch()
        self._refreshed = time.monotonic()
        self._lock = threading.Lock()

    def for_kid(self, kid: object) -> Key | None:
        key = self.keyset.for_kid(kid)
        if key is None and isinstance(kid, str) and self._refresh(kid):
            key = self.keyset.for_kid(kid)
        return key

    def _refresh(self, kid: str) -> bool:
        with self._lock:
            if self.keyset.for_kid(kid) is not None:  # fetched while this request waited
                return True
            now = time.monotonic()
            if now - self._refreshed < REFRESH_INTERVAL:
                return False
            self._refreshed = now
            try:
                self.keyset = self._fetch()
            except (httpx.HTTPError, ValueError, SleutelFout):
                log.warning("JWKS van %s kon niet opnieuw opgehaald worden", self.url)
                return False
            return True

    def _fetch(self) -> KeySet:
        response = httpx.get(self.url, timeout=10)
        response.raise_for_status()
        keys = _from_jwks(response.json(), self.url)
        if not self.settings.is_dev:
            _refuse_dev_key(self.settings, keys)
        return KeySet(keys)


def load_keyset(settings: Settings) -> Sleutels:
    """The keys tokens are checked against; production refuses to run on the dev key."""
    if settings.jwks_url and not (settings.jwt_public_key_file or settings.jwks_file):
        return JwksSleutels(settings.jwks_url, settings)
    if settings.jwt_public_key_file:
        keys = _from_pem(settings.jwt_public_key_file)
    elif settings.jwks_file:
        keys = _from_jwks(json.loads(settings.jwks_file.read_text()), str(settings.jwks_file))
    elif settings.is_dev:
        keys = {DEV_KID: _public_jwk(ensure_dev_key(settings).public_key(), DEV_KID)}
    else:
        raise SleutelFout(
            "productie zonder sleutel: zet REGIE_JWT_PUBLIC_KEY_FILE, "
            "REGIE_JWKS_FILE of REGIE_JWKS_URL"
        )
    if not settings.is_dev:
        _refuse_dev_key(settings, keys)
    return KeySet(keys)


def _refuse_dev_key(settings: Settings, keys: dict[str, dict[str, Any]]) -> None:
    """A key that matches the dev key in the data folder must never verify production tokens."""
    if not settings.dev_key_file.exists():
        return
    dev = _public_jwk(ensure_dev_key(settings).public_key(), DEV_KID)
    if any(k.get("n") == dev["n"] for k in keys.values()):
        raise SleutelFout("productie weigert te starten met de dev-sleutel")
