"""Append events to the hash chain and verify it.

One chain for the whole system, not one per casus: an auditor gets one complete order of
everything that happened, and a deleted event anywhere breaks it. The head row is locked only
for the last moment of a transaction (events are appended just before commit), so requests on
different casussen wait for each other for a millisecond, not for their whole duration.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select as sa_select
from sqlmodel import Session, SQLModel, select

from app.audit.models import GENESIS_HASH, AuditGebeurtenis, AuditKeten

_HASHED = (
    "volgnummer", "tijdstip", "account_id", "gebruikersnaam", "organisatie", "casus_id",
    "actie", "uitkomst", "clientadres", "request_id", "velden", "kenmerken",
)  # fmt: skip


def event_hash(event: Any, vorige_hash: str) -> str:
    """SHA-256 over the previous hash and a canonical JSON of every field but the hash itself."""
    content = {name: _canonical(getattr(event, name)) for name in _HASHED}
    payload = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{vorige_hash}\n{payload}".encode()).hexdigest()


def _canonical(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat(timespec="microseconds")
    if value is not None and not isinstance(value, str | int | list | dict | bool):
        return str(value)
    return value


def append(session: Session, events: Iterable[AuditGebeurtenis]) -> None:
    """Number, link and insert the events; the head row lock serialises concurrent appends."""
    head = session.exec(select(AuditKeten).where(AuditKeten.id == 1).with_for_update()).one()
    for event in events:
        event.volgnummer = head.volgnummer + 1
        event.vorige_hash = head.hash
        event.hash = event_hash(event, head.hash)
        session.add(event)
        head.volgnummer, head.hash = event.volgnummer, event.hash
    session.add(head)
    session.flush()


@dataclass(frozen=True)
class Breuk:
    """The first place where the chain does not hold, and why."""

    volgnummer: int
    reden: str


def verify(session: Session, progress: Callable[[int], None] | None = None) -> Breuk | None:
    """Walk the whole chain in order; None when every event is intact and none is missing."""
    expected_nummer, vorige = 1, GENESIS_HASH
    # Plain rows, not ORM objects: verifying millions of events is dominated by object loading.
    table = SQLModel.metadata.tables["auditgebeurtenis"]
    query = sa_select(table).order_by(table.c.volgnummer).execution_options(yield_per=5000)
    result = session.execute(query)
    try:
        for event in result:
            breuk = _check(event, expected_nummer, vorige)
            if breuk is not None:
                return breuk
            vorige, expected_nummer = event.hash, expected_nummer + 1
            if progress is not None:
                progress(1)
    finally:
        result.close()
    head = session.get(AuditKeten, 1)
    if head is None or head.volgnummer != expected_nummer - 1 or head.hash != vorige:
        return Breuk(expected_nummer, "het einde van de keten is afgeknipt of de kop klopt niet")
    return None


def _check(event: Any, expected_nummer: int, vorige: str) -> Breuk | None:
    if event.volgnummer != expected_nummer:
        return Breuk(expected_nummer, f"gebeurtenis {expected_nummer} ontbreekt")
    if event.vorige_hash != vorige:
        return Breuk(event.volgnummer, "verwijzing naar de vorige gebeurtenis klopt niet")
    if event_hash(event, vorige) != event.hash:
        return Breuk(event.volgnummer, "inhoud is gewijzigd (hash klopt niet)")
    return None


def count(session: Session) -> int:
    head = session.get(AuditKeten, 1)
    return head.volgnummer if head else 0
