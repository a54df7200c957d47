"""Browser sessions, kept in the database so that signing out really ends them.

The cookie holds a random secret; the table holds only its SHA-256, so a copy of the database
opens no session. Every app process reads the same table, so a session started by one process
is honoured by the next, and signing out in one ends it everywhere at once. A session lasts
REGIE_SESSION_IDLE_MINUTES from its start or last renewal, and never longer than
REGIE_SESSION_MAX_HOURS in all: long enough for an MDO morning, not for a forgotten laptop.

With OIDC the provider's ID token proves who signs in, once, at the callback; the session is
Regie's own from then on (ID tokens often last minutes, an MDO lasts hours).
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import Index, bindparam, delete
from sqlmodel import Field, Session, SQLModel, col

from app.accounts.models import Account
from app.auth.tokens import active_actors, as_actor
from app.config import Settings
from app.context import Actor
from app.db import utc_column, utcnow
from app.errors import NietGeauthenticeerd

# How the session began: the dev page, the organisations' provider, an invitation link + code,
# or the citizens' provider (DigiD).
Methode = Literal["dev", "oidc", "link", "burger"]


class Sessie(SQLModel, table=True):
    """One signed-in browser: the hash of its cookie, whose it is, and until when it holds."""

    __table_args__ = (Index("ix_sessie_verloopt_op", "verloopt_op"),)

    id: str = Field(primary_key=True, max_length=64)
    account_id: uuid.UUID = Field(foreign_key="account.id", ondelete="CASCADE", index=True)
    methode: str = Field(max_length=10)
    aangemaakt_op: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    verloopt_op: datetime = Field(sa_column=utc_column())


def _hash(geheim: str) -> str:
    return hashlib.sha256(geheim.encode()).hexdigest()


def begin(session: Session, settings: Settings, account_id: uuid.UUID, methode: Methode) -> str:
    """Store a new session and return the secret for the cookie; expired ones are removed."""
    nu = utcnow()
    session.execute(delete(Sessie).where(col(Sessie.verloopt_op) <= nu))
    geheim = secrets.token_urlsafe(32)
    verloopt = nu + min(
        timedelta(minutes=settings.session_idle_minutes),
        timedelta(hours=settings.session_max_hours),
    )
    sessie = Sessie(id=_hash(geheim), account_id=account_id, methode=methode, verloopt_op=verloopt)
    session.add(sessie)
    return geheim


# Built once (as tokens._ACTOR_OP_NAAM): every page request runs it.
_ACTOR_OP_SESSIE = (
    active_actors()
    .add_columns(col(Sessie.verloopt_op))
    .join(Sessie, col(Sessie.account_id) == col(Account.id))
    .where(col(Sessie.id) == bindparam("sessie"), col(Sessie.verloopt_op) > bindparam("nu"))
)


def actor(session: Session, geheim: str) -> tuple[Actor, datetime]:
    """The active account behind a live session, and when the session ends; else a 401.

    One query: the session, its account and organisation, all three checked at once, so a
    deactivated account or organisation is signed out on its next request.
    """
    row = session.execute(_ACTOR_OP_SESSIE, {"sessie": _hash(geheim), "nu": utcnow()}).first()
    if row is None:
        raise NietGeauthenticeerd("Uw sessie is verlopen of beëindigd. Meld u opnieuw aan.")
    verloopt: datetime = row[-1]
    return as_actor(row), verloopt


def renew(session: Session, settings: Settings, geheim: str) -> tuple[datetime, bool]:
    """Extend a live session by the idle limit, up to its maximum length.

    Returns the new end, and whether it moved: at the maximum the page must say so rather
    than promise more time (WCAG 2.2.1).
    """
    sessie = session.get(Sessie, _hash(geheim))
    if sessie is None or sessie.verloopt_op <= utcnow():
        raise NietGeauthenticeerd("Uw sessie is verlopen of beëindigd. Meld u opnieuw aan.")
    grens = sessie.aangemaakt_op + timedelta(hours=settings.session_max_hours)
    nieuw = min(utcnow() + timedelta(minutes=settings.session_idle_minutes), grens)
    verlengd = nieuw > sessie.verloopt_op
    if verlengd:
        sessie.verloopt_op = nieuw
        session.add(sessie)
    return sessie.verloopt_op, verlengd


def end(session: Session, geheim: str) -> None:
    """Sign this browser out: its session no longer opens anything, wherever the cookie is."""
    session.execute(delete(Sessie).where(col(Sessie.id) == _hash(geheim)))


def end_for_accounts(session: Session, account_ids: list[uuid.UUID]) -> None:
    """End every session of these accounts (the beheerder switched them off)."""
    if account_ids:
        session.execute(delete(Sessie).where(col(Sessie.account_id).in_(account_ids)))
