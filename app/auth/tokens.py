"""Issue dev tokens and verify bearer tokens: RS256 only, with exp, iss, aud and sub required."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from cryptography.hazmat.primitives import serialization
from jose import jwt
from jose.exceptions import JOSEError
from sqlalchemy import Select, bindparam, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from app.accounts.models import Account, Organisatie
from app.auth.keys import ALGORITHM, DEV_KID, Sleutels, ensure_dev_key
from app.config import Settings
from app.context import Actor
from app.db import utcnow
from app.enums import Systeemrol
from app.errors import NietGeauthenticeerd

MAX_TOKEN_BYTES = 8192
_REQUIRED = ("exp", "iss", "aud", "sub")


class DevModeVereist(Exception):
    """Dev tokens exist only in dev mode."""


def issue_dev_token(settings: Settings, gebruikersnaam: str, ttl_seconds: int | None = None) -> str:
    """A token for an existing account, signed with the local dev key; refused outside dev."""
    if not settings.is_dev:
        raise DevModeVereist("regie token werkt alleen met REGIE_ENV=dev")
    now = utcnow()
    claims = {
        "sub": gebruikersnaam,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": int(now.timestamp()),
        "exp": int(
            (now + timedelta(seconds=ttl_seconds or settings.token_ttl_seconds)).timestamp()
        ),
    }
    key = ensure_dev_key(settings)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return jwt.encode(claims, pem, algorithm=ALGORITHM, headers={"kid": DEV_KID})


def verify_claims(token: str, keyset: Sleutels, settings: Settings) -> dict[str, Any]:
    """The verified claims of a token (RS256 only; exp, iss, aud and a non-empty sub required)."""
    if len(token) > MAX_TOKEN_BYTES:
        raise NietGeauthenticeerd("Het token is ongeldig.")
    try:
        header = jwt.get_unverified_header(token)
        if header.get("alg") != ALGORITHM:
            raise NietGeauthenticeerd("Het token is ongeldig.")
        key = keyset.for_kid(header.get("kid"))
        if key is None:
            raise NietGeauthenticeerd("Het token is ongeldig.")
        claims = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            options={f"require_{c}": True for c in _REQUIRED},
        )
    except JOSEError as exc:
        raise NietGeauthenticeerd("Het token is ongeldig of verlopen.") from exc
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        raise NietGeauthenticeerd("Het token is ongeldig.")
    return claims


def active_actors() -> Select[uuid.UUID, str, str, list[str], str | None]:
    """What an Actor is made of, for active accounts of active organisations only.

    Columns, not entities: every request runs this (by name for a bearer token, by session for
    the web), and nothing here is changed.
    """
    return (
        sa_select(
            col(Account.id),
            col(Account.gebruikersnaam),
            col(Account.naam),
            col(Account.systeemrollen),
            col(Organisatie.naam),
        )
        .outerjoin(Organisatie, col(Organisatie.id) == col(Account.organisatie_id))
        .where(
            col(Account.actief),
            or_(col(Account.organisatie_id).is_(None), col(Organisatie.actief)),
        )
    )


def as_actor(rij: Sequence[Any]) -> Actor:
    """The Actor of one row of `active_actors()` (extra columns after it are ignored)."""
    account_id, gebruikersnaam, naam, systeemrollen, organisatie = rij[:5]
    return Actor(
        account_id=account_id,
        gebruikersnaam=gebruikersnaam,
        naam=naam,
        organisatie=organisatie,
        systeemrollen=frozenset(Systeemrol(r) for r in systeemrollen),
    )


# Built once, run with parameters: composing a statement anew costs more than the database
# takes to answer it (measured: 0.33 ms against 0.15 ms), and every request looks its actor up.
_ACTOR_OP_NAAM = active_actors().where(col(Account.gebruikersnaam) == bindparam("naam"))
_PROFESSIONAL_OP_NAAM = _ACTOR_OP_NAAM.where(col(Account.organisatie_id).is_not(None))


def load_actor(session: Session, gebruikersnaam: str, *, burger: bool = False) -> Actor:
    """The active account named by a verified token; an unknown or inactive one is refused.

    An invited ouder or jeugdige (no organisation) signs in only with their invitation, never
    by name through the organisation's identity provider: unless `burger` (dev tokens), such
    an account is refused like an unknown one, whatever a provider's user happens to be called.
    """
    query = _ACTOR_OP_NAAM if burger else _PROFESSIONAL_OP_NAAM
    row = session.execute(query, {"naam": gebruikersnaam}).first()
    if row is None:
        raise NietGeauthenticeerd("Het token is ongeldig.")
    return as_actor(row)
