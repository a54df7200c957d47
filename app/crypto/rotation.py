"""Key rotation: re-seal every stored ciphertext with the current data key, batch by batch.

Each batch of casussen is its own transaction, so an interrupted rotation loses nothing and a
second run (`regie keys rotate --hervat`) continues where the first stopped: revisions already
under the current key are skipped. Run one rotation at a time.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Engine, func, text
from sqlmodel import Session, col, or_, select

from app.audit.recorder import AuditRecorder, Uitkomst
from app.casus.models import Casus, naam_in
from app.crypto.keyring import KeyRing, is_envelope, kid_of
from app.crypto.service import (
    AFSLUITREDEN,
    MDO_BESLUITEN,
    OVERDRACHT_REDEN,
    OVERDRACHT_TOELICHTING,
    TOELICHTING,
    UITNODIGING_EMAIL,
    UITNODIGING_NAAM,
    Kluis,
)
from app.db import unit_of_work
from app.deelname.models import Uitnodiging
from app.form.definition import Formulieren
from app.handreiking.models import Mdo, Revisie
from app.regie.models import Overdracht
from app.research.models import VragenlijstAntwoord
from app.research.vragenlijst_service import open_veld

_SQLITE_GUARD = "revisie_onveranderlijk_update"
_SQLITE_GUARD_SQL = (
    f"CREATE TRIGGER {_SQLITE_GUARD} BEFORE UPDATE ON revisie "
    "BEGIN SELECT RAISE(ABORT, 'revisies zijn onveranderlijk'); END"
)


@dataclass
class Rotatie:
    casussen: int = 0
    revisies: int = 0


def count_casussen(engine: Engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(Casus)).one()


def rotate(
    engine: Engine,
    keyring: KeyRing,
    formulieren: Formulieren,
    *,
    batch: int = 200,
    progress: Callable[[int], None] | None = None,
) -> Rotatie:
    """Re-seal all revisions and closing reasons not yet under `keyring.current`."""
    totaal, last_id = Rotatie(), None
    while True:
        with unit_of_work(engine) as session:
            ids = _next_batch(session, last_id, batch)
            if not ids:
                break
            totaal.revisies += _reseal_batch(session, keyring, formulieren, ids)
        totaal.casussen += len(ids)
        last_id = ids[-1]
        if progress is not None:
            progress(len(ids))
    _record(engine, keyring, totaal)
    _purge_old_pages(engine)
    return totaal


def _purge_old_pages(engine: Engine) -> None:
    """SQLite keeps page images in its write-ahead log; fold them in so old ciphertexts go.

    (PostgreSQL keeps dead row versions until VACUUM; the README says to run it afterwards.)
    """
    if engine.dialect.name == "sqlite":
        raw = engine.raw_connection()  # outside any transaction: a checkpoint cannot run inside
        try:
            raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            raw.close()


def _next_batch(session: Session, after: uuid.UUID | None, size: int) -> list[uuid.UUID]:
    query = select(Casus.id).order_by(col(Casus.id)).limit(size)
    if after is not None:
        query = query.where(col(Casus.id) > after)
    return list(session.exec(query).all())


def _reseal_batch(
    session: Session, keyring: KeyRing, formulieren: Formulieren, ids: list[uuid.UUID]
) -> int:
    # Locked: a save in between would otherwise get its new name overwritten with the re-sealed
    # old one (the app keeps serving during a rotation; a save waits for this batch instead).
    locked = select(Casus).where(col(Casus.id).in_(ids)).with_for_update()
    casussen = {c.id: c for c in session.exec(locked)}
    stale = session.exec(
        select(Revisie).where(
            col(Revisie.casus_id).in_(ids),
            or_(col(Revisie.sleutel).is_(None), col(Revisie.sleutel) != keyring.current),
        )
    ).all()
    with _revisions_unlocked(session):
        for revisie in stale:
            kluis = Kluis(keyring, formulieren[revisie.formulierversie])
            _reseal_revision(kluis, revisie)
            session.add(revisie)
            casus = casussen[revisie.casus_id]
            if revisie.nummer == casus.revisie:  # the row's copy of the name follows it
                casus.naam = naam_in(revisie.inhoud)
        for casus in casussen.values():
            kluis = Kluis(keyring, formulieren[casus.formulierversie])
            casus.afsluitreden = _reseal_text(kluis, casus.id, AFSLUITREDEN, casus.afsluitreden)
            session.add(casus)
        _reseal_side_texts(session, keyring, formulieren, casussen)
        session.flush()
    return len(stale)


def _reseal_revision(kluis: Kluis, revisie: Revisie) -> None:
    casus_id = revisie.casus_id
    revisie.inhoud = kluis.reseal(casus_id, revisie.inhoud)
    toelichting = kluis.open_text(casus_id, TOELICHTING, revisie.toelichting)
    revisie.toelichting = kluis.seal_text(casus_id, TOELICHTING, toelichting)
    revisie.sleutel = kluis.keyring.current


def _reseal_text(kluis: Kluis, casus_id: uuid.UUID, field: str, value: str | None) -> str | None:
    """A single sealed text under the current key (plaintext from before encryption too)."""
    if value is None or (is_envelope(value) and kid_of(value) == kluis.keyring.current):
        return value
    return kluis.seal_text(casus_id, field, kluis.open_text(casus_id, field, value))


def _reseal_side_texts(
    session: Session, keyring: KeyRing, formulieren: Formulieren, casussen: dict[uuid.UUID, Casus]
) -> None:
    """Handover notes, decline reasons, MDO decisions, invitees' names and addresses and open
    answers to questionnaires are sealed too: rotate them as well."""
    kluizen = {cid: Kluis(keyring, formulieren[c.formulierversie]) for cid, c in casussen.items()}
    for overdracht in session.exec(
        select(Overdracht).where(col(Overdracht.casus_id).in_(list(casussen)))
    ):
        kluis = kluizen[overdracht.casus_id]
        cid = overdracht.casus_id
        overdracht.toelichting = (
            _reseal_text(kluis, cid, OVERDRACHT_TOELICHTING, overdracht.toelichting) or ""
        )
        overdracht.reden = _reseal_text(kluis, cid, OVERDRACHT_REDEN, overdracht.reden)
        session.add(overdracht)
    for mdo in session.exec(select(Mdo).where(col(Mdo.casus_id).in_(list(casussen)))):
        mdo.besluiten = _reseal_text(
            kluizen[mdo.casus_id], mdo.casus_id, MDO_BESLUITEN, mdo.besluiten
        )
        session.add(mdo)
    for uitnodiging in session.exec(
        select(Uitnodiging).where(col(Uitnodiging.casus_id).in_(list(casussen)))
    ):
        kluis, cid = kluizen[uitnodiging.casus_id], uitnodiging.casus_id
        uitnodiging.naam = _reseal_text(kluis, cid, UITNODIGING_NAAM, uitnodiging.naam) or ""
        uitnodiging.email = _reseal_text(kluis, cid, UITNODIGING_EMAIL, uitnodiging.email) or ""
        session.add(uitnodiging)
    for antwoord in session.exec(
        select(VragenlijstAntwoord).where(col(VragenlijstAntwoord.casus_id).in_(list(casussen)))
    ):
        kluis, cid = kluizen[antwoord.casus_id], antwoord.casus_id
        resealed = {
            sleutel: _reseal_text(kluis, cid, open_veld(sleutel), tekst)
            for sleutel, tekst in antwoord.open.items()
        }
        if resealed != antwoord.open:
            antwoord.open = resealed  # a new dict: JSON columns do not see changes made in place
            session.add(antwoord)


@contextmanager
def _revisions_unlocked(session: Session) -> Iterator[None]:
    """Let this transaction re-seal revisions: the only update the immutability guard allows.

    PostgreSQL: a transaction-local setting the trigger checks. SQLite: the guard trigger is
    dropped and re-created inside the transaction, so a failure rolls both back together.
    """
    sqlite = session.get_bind().dialect.name == "sqlite"
    if sqlite:
        session.execute(text(f"DROP TRIGGER {_SQLITE_GUARD}"))
    else:
        session.execute(text("SELECT set_config('regie.sleutelrotatie', 'aan', true)"))
    yield
    if sqlite:
        session.execute(text(_SQLITE_GUARD_SQL))
    else:
        session.execute(text("SELECT set_config('regie.sleutelrotatie', '', true)"))


def _record(engine: Engine, keyring: KeyRing, totaal: Rotatie) -> None:
    audit = AuditRecorder(request_id="regie-keys-rotate", clientadres=None)
    audit.record(
        "sleutels.roteren",
        Uitkomst.TOEGESTAAN,
        kenmerken={
            "sleutel": keyring.current,
            "casussen": totaal.casussen,
            "revisies": totaal.revisies,
        },
    )
    with unit_of_work(engine) as session:
        audit.write(session)
