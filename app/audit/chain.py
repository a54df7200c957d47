"""Append events to the hash chain and verify it.

One chain for the whole system, not one per casus: an auditor gets one complete order of
everything that happened, and a deleted event anywhere breaks it. The head row is locked only
for the last moment of a transaction (events are appended just before commit), so requests on
different casussen wait for each other for a millisecond, not for their whole duration.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from json.encoder import encode_basestring
from typing import Any

from sqlalchemy import bindparam, insert, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, SQLModel

from app.audit.models import GENESIS_HASH, AuditKeten, Gebeurtenis

_KETEN = SQLModel.metadata.tables["auditketen"]
_GEBEURTENIS = SQLModel.metadata.tables["auditgebeurtenis"]
_HASHED = (
    "volgnummer", "tijdstip", "account_id", "gebruikersnaam", "organisatie", "casus_id",
    "actie", "uitkomst", "clientadres", "request_id", "velden", "kenmerken",
)  # fmt: skip


# Exactly `json.dumps(…, sort_keys=True, separators=(",", ":"), ensure_ascii=False)`, built once:
# json.dumps builds a new encoder on every call that passes options.
_ENCODE = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode


def event_hash(event: Any, vorige_hash: str) -> str:
    """SHA-256 over the previous hash and a canonical JSON of every field but the hash itself."""
    content = {name: _canonical(getattr(event, name)) for name in _HASHED}
    return hashlib.sha256(f"{vorige_hash}\n{_ENCODE(content)}".encode()).hexdigest()


def _canonical(value: Any) -> Any:
    """One field as JSON can hold it: timestamps to the microsecond, UUIDs and the like as text."""
    if hasattr(value, "isoformat"):
        return value.isoformat(timespec="microseconds")
    if value is not None and not isinstance(value, str | int | list | dict | bool):
        return str(value)
    return value


# Built once: every request appends, and composing the statements anew cost more than running
# them.
_KOP_VAST = sa_select(_KETEN.c.volgnummer, _KETEN.c.hash).where(_KETEN.c.id == 1).with_for_update()
_TOEVOEGEN = insert(_GEBEURTENIS)
_KOP_ZETTEN = update(_KETEN).where(_KETEN.c.id == 1)
# On PostgreSQL one event (most requests record just one) and the new head go in one statement:
# an INSERT in a WITH runs in full whether or not the UPDATE reads it. One round trip fewer
# while the head is locked.
_TOEVOEGEN_EN_KOP = _KOP_ZETTEN.values(
    volgnummer=bindparam("kop_volgnummer"), hash=bindparam("kop_hash")
).add_cte(
    _TOEVOEGEN.values({c.name: bindparam(c.name, type_=c.type) for c in _GEBEURTENIS.c}).cte(
        "nieuw"
    )
)


def append(session: Session, events: Sequence[Gebeurtenis]) -> None:
    """Number, link and insert the events; the head row lock serialises concurrent appends.

    One INSERT for the lot, in the request's transaction: its events are written together or
    not at all (on PostgreSQL a lone event rides in the head's UPDATE, `_TOEVOEGEN_EN_KOP`).
    Plain table statements, not ORM objects: this runs on every request, inside the head lock,
    and the unit of work's bookkeeping cost more than the statements themselves. The
    request's own changes are flushed first, so the lock is held only for this.
    """
    if not events:
        return
    session.flush()
    volgnummer, vorige = session.execute(_KOP_VAST).one()
    for event in events:
        volgnummer += 1
        event.volgnummer, event.vorige_hash = volgnummer, vorige
        event.hash = vorige = event_hash(event, vorige)
    if len(events) == 1 and session.get_bind().dialect.name == "postgresql":
        kop = {"kop_volgnummer": volgnummer, "kop_hash": vorige}
        session.execute(_TOEVOEGEN_EN_KOP, events[0].as_row() | kop)
        return
    session.execute(_TOEVOEGEN, [event.as_row() for event in events])
    session.execute(_KOP_ZETTEN, {"volgnummer": volgnummer, "hash": vorige})


@dataclass(frozen=True)
class Breuk:
    """The first place where the chain does not hold, and why."""

    volgnummer: int
    reden: str


def verify(session: Session, progress: Callable[[int], None] | None = None) -> Breuk | None:
    """Walk the whole chain in order; None when every event is intact and none is missing.

    One pass over blocks of plain column text (see `_blocks`), so Python does little more per
    event than write its JSON and hash it. A block that does not hold is noted (its range and
    where the chain stood), the walk goes on as if it held, and once the pass is done the noted
    blocks are walked again through the ORM types and `event_hash`: the first that fails there
    names the first break exactly; one that passes had a stored form the fast path does not know.
    """
    expected_nummer, vorige = 1, GENESIS_HASH
    verdacht: list[tuple[int, int, int, str]] = []
    for blok in _blocks(session):
        if not _block_intact(blok, expected_nummer, vorige):
            verdacht.append((blok[0][0], blok[-1][0], expected_nummer, vorige))
        expected_nummer, vorige = expected_nummer + len(blok), blok[-1][2]
        if progress is not None:
            progress(len(blok))
    for eerste, laatste, nummer, hash_ in verdacht:
        breuk = _check_exactly(session, eerste, laatste, nummer, hash_)
        if breuk is not None:
            return breuk
    head = session.get(AuditKeten, 1)
    if head is None or head.volgnummer != expected_nummer - 1 or head.hash != vorige:
        return Breuk(expected_nummer, "het einde van de keten is afgeknipt of de kop klopt niet")
    return None


_BLOK = 5000
# The hashed fields but volgnummer, in the order json.dumps sorts them: `_digests` writes them so.
_KOLOMMEN = (
    "account_id", "actie", "casus_id", "clientadres", "gebruikersnaam", "kenmerken",
    "organisatie", "request_id", "tijdstip", "uitkomst", "velden",
)  # fmt: skip


def _blocks(session: Session) -> Iterator[Sequence[Any]]:
    """Every event in order, as rows of text: number, links, `_KOLOMMEN`.

    Straight from the driver in the session's transaction: SQLAlchemy's row objects would cost
    more per event than the hashing. On PostgreSQL a COPY, parsed by the driver's C code, which
    streams: the server reads the next rows on its own core while Python hashes these.
    """
    connection = session.connection()
    dbapi = connection.connection.dbapi_connection
    assert dbapi is not None  # a connection in use always has one
    query = _query(connection.dialect.name)
    cursor = dbapi.cursor()
    try:
        if connection.dialect.name == "postgresql":
            with cursor.copy(f"COPY ({query}) TO STDOUT") as copy:
                copy.set_types(["int8"] + ["text"] * (2 + len(_KOLOMMEN)))
                rows = copy.rows()
                while rijen := list(itertools.islice(rows, _BLOK)):
                    yield rijen
        else:
            cursor.execute(query)
            while blok := cursor.fetchmany(_BLOK):
                yield blok
    finally:
        cursor.close()


def _query(dialect: str) -> str:
    """Each column as text in the form `_canonical` gives it: on PostgreSQL timestamps need
    writing out; SQLite holds them and UUIDs in SQLAlchemy's own text forms."""
    if dialect == "sqlite":
        kolommen = ", ".join(_sqlite_value(name) for name in _KOLOMMEN)
    else:
        tijdstip = """to_char(tijdstip AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')"""
        kolommen = ", ".join(tijdstip if name == "tijdstip" else name for name in _KOLOMMEN)
    return (
        f"SELECT volgnummer, vorige_hash, hash, {kolommen} FROM auditgebeurtenis "  # noqa: S608
        "ORDER BY volgnummer"
    )


def _sqlite_value(name: str) -> str:
    """A column as `_canonical` gives it, from how SQLAlchemy stores it on SQLite.

    Timestamps are stored as `YYYY-MM-DD HH:MM:SS.ffffff` in UTC, UUIDs as 32 hex digits.
    """
    if name == "tijdstip":
        vorm = f"length({name}) = 26 AND substr({name}, 11, 1) = ' '"
        anders = f"substr({name}, 1, 10) || 'T' || substr({name}, 12) || '+00:00'"
    elif name in ("account_id", "casus_id"):
        vorm = f"length({name}) = 32"
        anders = " || '-' || ".join(
            f"substr({name}, {start}, {length})"
            for start, length in ((1, 8), (9, 4), (13, 4), (17, 4), (21, 12))
        )
    else:
        return name
    # Any other form goes through as it is: it cannot hash right, so the definition judges it.
    return f"CASE WHEN {vorm} THEN {anders} ELSE {name} END"


def _block_intact(blok: Sequence[Any], expected_nummer: int, vorige: str) -> bool:
    """Numbers without a gap, each row linked to the one before, and every hash right.

    A value the fast path cannot even write (SQLite keeps a blob or broken JSON in any column)
    makes the block not intact, for the definition to name.
    """
    nummers, vorigen, hashes, *_ = zip(*blok, strict=True)
    try:
        return (
            nummers == tuple(range(expected_nummer, expected_nummer + len(blok)))
            and vorigen == (vorige, *hashes[:-1])
            and list(hashes) == _digests(blok)
        )
    except (TypeError, ValueError):
        return False


def _digests(blok: Sequence[Any]) -> list[str]:
    """The hash of every row: its canonical JSON written out in `_KOLOMMEN` order."""
    sha256 = hashlib.sha256  # per block, not per import: a stand-in for hashlib sees every call
    t, j = _tekst, _json
    return [
        sha256(
            f'{vorige}\n{{"account_id":{t(account)},"actie":{t(actie)},"casus_id":{t(casus)},'
            f'"clientadres":{t(adres)},"gebruikersnaam":{t(naam)},"kenmerken":{j(kenmerken)},'
            f'"organisatie":{t(organisatie)},"request_id":{t(request)},"tijdstip":{t(tijdstip)},'
            f'"uitkomst":{t(uitkomst)},"velden":{j(velden)},"volgnummer":{nummer}}}'.encode()
        ).hexdigest()
        for (
            nummer, vorige, _, account, actie, casus, adres, naam, kenmerken, organisatie,
            request, tijdstip, uitkomst, velden,
        ) in blok
    ]  # fmt: skip


def _tekst(waarde: str | None) -> str:
    """A text field as json.dumps(ensure_ascii=False) writes it."""
    return "null" if waarde is None else encode_basestring(waarde)


_EMPTY_JSON = {"[]": "[]", "{}": "{}"}


def _json(stored: str) -> str:
    """A stored JSON column in canonical form; most events have none, so skip parsing those."""
    return _EMPTY_JSON.get(stored) or _ENCODE(json.loads(stored))


def _check_exactly(
    session: Session, eerste: int, laatste: int, expected_nummer: int, vorige: str
) -> Breuk | None:
    """A block's rows again through the ORM types and `event_hash` itself.

    Names the first break as the definition sees it, and clears a block the fast path refused
    only because a stored value had a form SQLAlchemy writes differently (none is known).
    """
    query = (
        sa_select(_GEBEURTENIS)
        .where(_GEBEURTENIS.c.volgnummer.between(eerste, laatste))
        .order_by(_GEBEURTENIS.c.volgnummer)
    )
    try:
        for event in session.execute(query):
            breuk = _check(event, expected_nummer, vorige)
            if breuk is not None:
                return breuk
            vorige, expected_nummer = event.hash, expected_nummer + 1
    except (TypeError, ValueError):
        # A stored value its own column type cannot read back: someone wrote it there.
        return Breuk(expected_nummer, "inhoud is gewijzigd (onleesbaar)")
    return None


def _check(event: Any, expected_nummer: int, vorige: str) -> Breuk | None:
    """One event against the chain so far: its number, its link, its content."""
    if event.volgnummer != expected_nummer:
        return Breuk(expected_nummer, f"gebeurtenis {expected_nummer} ontbreekt")
    if event.vorige_hash != vorige:
        return Breuk(event.volgnummer, "verwijzing naar de vorige gebeurtenis klopt niet")
    if event_hash(event, vorige) != event.hash:
        return Breuk(event.volgnummer, "inhoud is gewijzigd (hash klopt niet)")
    return None


def count(session: Session) -> int:
    """The number of events the head says the chain has (for a progress bar, not for trust)."""
    head = session.get(AuditKeten, 1)
    return head.volgnummer if head else 0
