"""Generated casussen at regional scale, for benchmarks and load: fictitious, and fast.

Goes around the services on purpose: bulk inserts of rows shaped exactly as the services write
them (sealed content, blind indexes, one active regievoerder, revisions 1..N), so 100,000
casussen take minutes instead of hours. Every name and text is made up from word lists.

Audit events are chained exactly as `app.audit.chain.append` chains them (the same hash
function, the same head row, locked), only inserted in bulk, so `regie audit verify` walks a
generated trail as it walks a real one.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Engine, func, insert
from sqlmodel import Session, col, select

from app.accounts.models import Account, Organisatie
from app.audit.chain import event_hash
from app.audit.models import AuditGebeurtenis, AuditKeten
from app.audit.recorder import Uitkomst
from app.casus.models import Casus, Rol, naam_in
from app.crypto.keyring import KeyRing
from app.crypto.service import AFSLUITREDEN, OVERDRACHT_TOELICHTING, TOELICHTING, Kluis, search_keys
from app.db import unit_of_work
from app.enums import CasusRol, CasusStatus, OrganisatieType, Systeemrol
from app.form.definition import Formulier, Veld, VeldType
from app.handreiking.models import Mdo, Revisie
from app.regie.models import Overdracht, OverdrachtStatus
from app.research.kenmerken import kenmerken
from app.research.models import Moment, VragenlijstAntwoord
from app.research.vragenlijst import Doelgroep, Vragenlijsten

_WOORDEN = (
    "afspraak gezin school hulp ouders jeugdige zorg overleg plan doel week contact rust "
    "veiligheid begeleiding thuis dagbesteding behandeling netwerk oma buurman sport "
    "vriend huiswerk slapen boosheid angst vertrouwen samen duidelijk stap evaluatie "
    "signaal"
)
WOORDEN = tuple(_WOORDEN.split())
_VOORNAMEN = "Sem Lotte Daan Noor Finn Sara Luuk Evi Milan Tess Jesse Fenna Bram Isa"
VOORNAMEN = tuple(_VOORNAMEN.split())
_ACHTERNAMEN = "Dekker Jansen Bakker Visser Smit Meijer Mulder Bos Vos Peters Hendriks"
ACHTERNAMEN = tuple(_ACHTERNAMEN.split())
POOL = 240
# A region's professionals each hold a caseload, not a share of every casus: one generated
# account per so many casussen gives an account some 150 roles on average (7.5 per casus) from
# 5,000 casussen on (fewer below, where the pool's minimum holds), so PostgreSQL's statistics
# see the spread a real region has.
CASUSSEN_PER_ACCOUNT = 20
BATCH = 500
AUDIT_BATCH = 10_000
# What members mostly do on a casus: read its handreiking, and now and then its other pages.
LEESACTIES = (
    ("handreiking.lezen",) * 6
    + ("casus.lezen",) * 2
    + ("revisies.lezen", "betrokkenen.lezen", "mdos.lezen", "tijdlijn.lezen")
)


@dataclass(frozen=True)
class Lid:
    """A generated professional as the audit trail names them (the recorder's identity)."""

    account_id: uuid.UUID
    gebruikersnaam: str
    organisatie: str


@dataclass(frozen=True)
class Omgeving:
    """What generation needs: the form, keys, questionnaires and the account pool."""

    formulier: Formulier
    keyring: KeyRing
    vragenlijsten: Vragenlijsten
    accounts: list[uuid.UUID]
    leden: dict[uuid.UUID, Lid]


def genereer(
    engine: Engine,
    formulier: Formulier,
    keyring: KeyRing,
    vragenlijsten: Vragenlijsten,
    aantal: int,
    *,
    seed: int = 7,
    audit_per_casus: int = 0,
    voortgang: Callable[[int], None] | None = None,
) -> None:
    """Insert `aantal` casussen in batches, each batch in its own transaction.

    With `audit_per_casus`, each casus also gets that many reads by its members in the audit
    trail (appended to the chain with the batch), so a trail grows along with its casussen.
    """
    rnd = random.Random(seed)  # noqa: S311 - made-up data, not secrets
    pool = account_pool(engine, pool_grootte(aantal_gegenereerd(engine) + aantal))
    leden = {lid.account_id: lid for lid in pool}
    omgeving = Omgeving(formulier, keyring, vragenlijsten, list(leden), leden)
    gedaan = 0
    while gedaan < aantal:
        n = min(BATCH, aantal - gedaan)
        rows = _Rijen()
        for _ in range(n):
            _casus(rnd, omgeving, rows, audit_per_casus)
        with unit_of_work(engine) as session:
            rows.insert(session)
        gedaan += n
        if voortgang is not None:
            voortgang(n)


def aantal_gegenereerd(engine: Engine) -> int:
    """How many generated casussen there are (their regievoerder is a generated account)."""
    with Session(engine) as session:
        return session.exec(
            select(func.count())
            .select_from(Rol)
            .join(Account, col(Account.id) == col(Rol.account_id))
            .where(
                col(Account.gebruikersnaam).startswith("gen."),
                col(Rol.rol) == CasusRol.REGIEVOERDER,
            )
        ).one()


def audit_gebeurtenissen(
    engine: Engine,
    aantal: int,
    *,
    seed: int = 7,
    voortgang: Callable[[int], None] | None = None,
) -> None:
    """Append `aantal` reads of existing casussen by their members to the audit trail, fast.

    The readers are a sample of the people on casussen (by random role id, so a region of
    100,000 casussen is not loaded whole); each batch extends the chain in its own transaction.
    """
    rnd = random.Random(seed)  # noqa: S311 - made-up data, not secrets
    with Session(engine) as session:
        leden = session.exec(
            select(Rol.casus_id, Account.id, Account.gebruikersnaam, Organisatie.naam)
            .join(Account, col(Account.id) == col(Rol.account_id))
            .join(Organisatie, col(Organisatie.id) == col(Account.organisatie_id))
            .where(col(Rol.tot).is_(None))
            .order_by(col(Rol.id))
            .limit(50_000)
        ).all()
        # Carry on from the last event, so the trail stays in time order as it grows.
        laatste = session.exec(
            select(AuditGebeurtenis.tijdstip).join(
                AuditKeten, col(AuditKeten.volgnummer) == col(AuditGebeurtenis.volgnummer)
            )
        ).first()
    if not leden:
        raise ValueError("geen casussen met betrokkenen om auditgebeurtenissen bij te maken")
    tijdstip = laatste or datetime(2026, 1, 1, tzinfo=UTC)
    gedaan = 0
    while gedaan < aantal:
        n = min(AUDIT_BATCH, aantal - gedaan)
        events = []
        for _ in range(n):
            casus_id, account_id, gebruikersnaam, organisatie = rnd.choice(leden)
            tijdstip += timedelta(microseconds=rnd.randrange(1, 30_000_000))
            lid = Lid(account_id, gebruikersnaam, organisatie)
            events.append(_lezing(rnd, casus_id, lid, tijdstip))
        with unit_of_work(engine) as session:
            _keten(session, events)
        gedaan += n
        if voortgang is not None:
            voortgang(n)


def _lezing(
    rnd: random.Random, casus_id: uuid.UUID, lid: Lid, tijdstip: datetime
) -> dict[str, Any]:
    """One allowed read as `AuditRecorder.record` would write it, still without its link."""
    return {
        "tijdstip": tijdstip,
        "account_id": lid.account_id,
        "gebruikersnaam": lid.gebruikersnaam,
        "organisatie": lid.organisatie,
        "casus_id": casus_id,
        "actie": rnd.choice(LEESACTIES),
        "uitkomst": Uitkomst.TOEGESTAAN.value,
        "clientadres": f"10.{rnd.randrange(256)}.{rnd.randrange(256)}.{rnd.randrange(1, 255)}",
        "request_id": str(uuid.UUID(int=rnd.getrandbits(128), version=4)),
        "velden": [],
        "kenmerken": {},
    }


def _keten(session: Session, events: list[dict[str, Any]]) -> None:
    """Number, link and insert events as `chain.append` does, as plain rows instead of objects.

    The same head row is locked and moved, and `event_hash` itself computes every hash, so the
    generated trail cannot drift from what `chain.verify` checks.
    """
    if not events:
        return
    head = session.exec(select(AuditKeten).where(AuditKeten.id == 1).with_for_update()).one()
    nummer, vorige = head.volgnummer, head.hash
    for values in events:
        nummer += 1
        values["volgnummer"], values["vorige_hash"] = nummer, vorige
        vorige = values["hash"] = event_hash(SimpleNamespace(**values), vorige)
    for start in range(0, len(events), 2_000):
        session.execute(insert(AuditGebeurtenis), events[start : start + 2_000])
    head.volgnummer, head.hash = nummer, vorige
    session.add(head)
    session.flush()


def pool_grootte(casussen: int) -> int:
    """How many generated professionals a database of this many casussen has."""
    return max(POOL, -(-casussen // CASUSSEN_PER_ACCOUNT))


def account_pool(engine: Engine, grootte: int) -> list[Lid]:
    """A pool of fictitious professionals across all kinds of organisation, topped up to
    `grootte` (a growing database keeps its accounts and gains new ones)."""
    with unit_of_work(engine) as session:
        bestaand = [
            Lid(*rij)
            for rij in session.exec(
                select(Account.id, Account.gebruikersnaam, Organisatie.naam)
                .join(Organisatie, col(Organisatie.id) == col(Account.organisatie_id))
                .where(col(Account.gebruikersnaam).startswith("gen."))
                # In the order they were made (gen.9999 before gen.10000): the same seed draws
                # the same people, in a grown database as in a fresh one.
                .order_by(func.length(col(Account.gebruikersnaam)), col(Account.gebruikersnaam))
            ).all()
        ]
        if len(bestaand) >= grootte:
            return bestaand
        organisaties = session.exec(
            select(Organisatie).where(col(Organisatie.naam).startswith("Gegenereerd "))
        ).all() or [
            Organisatie(naam=f"Gegenereerd {t.value} {i}", type=t)
            for i in range(12)
            for t in OrganisatieType
        ]
        organisaties = sorted(organisaties, key=lambda o: o.naam)
        nieuw = range(len(bestaand), grootte)
        session.add_all(organisaties)
        session.flush()
        accounts = [
            Account(
                gebruikersnaam=f"gen.{i:04d}",
                naam=f"{VOORNAMEN[i % len(VOORNAMEN)]} {ACHTERNAMEN[i % len(ACHTERNAMEN)]}",
                organisatie_id=organisaties[i % len(organisaties)].id,
                systeemrollen=[Systeemrol.PROFESSIONAL.value],
                # Load accounts, not people: nobody signs in as one (nor sees them in the
                # dev sign-in list), while their casussen count in figures and benchmarks.
                actief=False,
            )
            for i in nieuw
        ]
        session.add_all(accounts)
        session.flush()
        return bestaand + [
            Lid(a.id, a.gebruikersnaam, organisaties[i % len(organisaties)].naam)
            for i, a in zip(nieuw, accounts, strict=True)
        ]


class _Rijen:
    """Rows of one batch, per table, inserted in foreign-key order."""

    def __init__(self) -> None:
        self.tables: dict[type[Any], list[dict[str, Any]]] = {
            t: [] for t in (Casus, Rol, Mdo, Revisie, Overdracht, VragenlijstAntwoord)
        }
        self.audit: list[dict[str, Any]] = []

    def add(self, table: type[Any], **values: Any) -> None:
        self.tables[table].append(values)

    def insert(self, session: Session) -> None:
        for table, rows in self.tables.items():
            if rows:
                session.execute(insert(table), rows)
        _keten(session, self.audit)


def _casus(rnd: random.Random, omgeving: Omgeving, rows: _Rijen, audit: int) -> None:
    casus_id = uuid.uuid4()
    start = datetime(2016, 1, 1, tzinfo=UTC) + timedelta(days=rnd.randrange(3650))
    gesloten = rnd.random() < 0.4
    einde = start + timedelta(days=rnd.randrange(60, 900))
    kluis = Kluis(omgeving.keyring, omgeving.formulier)
    inhoud = _document(rnd, omgeving.formulier)
    mensen = rnd.sample(omgeving.accounts, rnd.randrange(3, 13))
    revisies = rnd.randrange(2, 8)
    sealed = kluis.seal(casus_id, inhoud)
    rows.add(
        Casus,
        id=casus_id,
        formulierversie=omgeving.formulier.versie,
        gemeente=inhoud["kop"]["gemeente"],
        status=CasusStatus.AFGESLOTEN if gesloten else CasusStatus.ACTIEF,
        revisie=revisies,
        aangemaakt_op=start,
        gewijzigd_op=einde,
        afgesloten_op=einde if gesloten else None,
        afsluitreden=kluis.seal_text(casus_id, AFSLUITREDEN, _zin(rnd, 12)) if gesloten else None,
        volgende_mdo=None if gesloten else einde.date() + timedelta(weeks=6),
        kenmerken=kenmerken(omgeving.formulier, inhoud),
        naam=naam_in(sealed),
        **search_keys(omgeving.keyring, inhoud["kop"]),
    )
    for i, account in enumerate(mensen):
        rol = (
            CasusRol.REGIEVOERDER if i == 0 else rnd.choice((CasusRol.BETROKKENE, CasusRol.VOLGER))
        )
        rows.add(
            Rol, id=uuid.uuid4(), casus_id=casus_id, account_id=account, rol=rol,
            functietitel=None, sinds=start, tot=None, toegevoegd_door_id=mensen[0],
        )  # fmt: skip
    for nummer in range(1, revisies + 1):
        rows.add(
            Revisie, id=uuid.uuid4(), casus_id=casus_id, nummer=nummer,
            formulierversie=omgeving.formulier.versie, inhoud=sealed, auteur_id=rnd.choice(mensen),
            tijdstip=start + (einde - start) * nummer / revisies,
            toelichting=kluis.seal_text(casus_id, TOELICHTING, _zin(rnd, 6)),
            sleutel=omgeving.keyring.current, mdo_id=None,
        )  # fmt: skip
    _meetings(rnd, rows, casus_id, mensen[0], start, einde)
    _handovers(rnd, rows, kluis, casus_id, mensen, einde)
    if gesloten:
        _answers(rnd, rows, omgeving.vragenlijsten, casus_id, len(mensen), einde.date())
    # In time order within the casus, so its toegangslog (newest first by volgnummer) reads right.
    for tijdstip in sorted(start + (einde - start) * rnd.random() for _ in range(audit)):
        lid = omgeving.leden[rnd.choice(mensen)]
        rows.audit.append(_lezing(rnd, casus_id, lid, tijdstip))


def _meetings(
    rnd: random.Random, rows: _Rijen, casus_id: uuid.UUID, door: uuid.UUID, start: datetime,
    einde: datetime,
) -> None:  # fmt: skip
    datum = start.date()
    for _ in range(rnd.randrange(1, 6)):
        datum += timedelta(days=rnd.randrange(21, 84))
        rows.add(
            Mdo, id=uuid.uuid4(), casus_id=casus_id, datum=datum, aanwezigen=[],
            ouders_aanwezig=rnd.random() < 0.7, jeugdige_aanwezig=rnd.random() < 0.4,
            geopend_door_id=door, geopend_op=start, afgerond_op=einde, vastgestelde_revisie=1,
            besluiten=None,
        )  # fmt: skip


def _handovers(
    rnd: random.Random, rows: _Rijen, kluis: Kluis, casus_id: uuid.UUID, mensen: list[uuid.UUID],
    einde: datetime,
) -> None:  # fmt: skip
    for _ in range(rnd.choice((0, 0, 0, 1, 1, 2))):
        rows.add(
            Overdracht, id=uuid.uuid4(), casus_id=casus_id, voorgesteld_door_id=mensen[0],
            opvolger_id=mensen[1], status=OverdrachtStatus.GEACCEPTEERD, verlaat_casus=False,
            toelichting=kluis.seal_text(casus_id, OVERDRACHT_TOELICHTING, _zin(rnd, 20)),
            reden=None, aangemaakt_op=einde, afgehandeld_op=einde,
        )  # fmt: skip


def _answers(
    rnd: random.Random, rows: _Rijen, vragenlijsten: Vragenlijsten, casus_id: uuid.UUID,
    mensen: int, datum: date,
) -> None:  # fmt: skip
    for doelgroep, aantal in (
        (Doelgroep.PROFESSIONAL, rnd.randrange(mensen)),
        (Doelgroep.OUDER, rnd.randrange(3)),
    ):
        vragenlijst = vragenlijsten.huidige(doelgroep)
        for _ in range(aantal):
            rows.add(
                VragenlijstAntwoord, id=uuid.uuid4(), casus_id=casus_id, doelgroep=doelgroep,
                moment=Moment.AFSLUITING, vragenlijstversie=vragenlijst.versie, datum=datum,
                schaal={v.sleutel: rnd.randint(1, 5) for v in vragenlijst.schaalvragen}, open={},
            )  # fmt: skip


def _document(rnd: random.Random, formulier: Formulier) -> dict[str, Any]:
    """A plausible, fully filled handreiking (texts of realistic length, made-up names)."""
    return {s.sleutel: _object(rnd, formulier, s.velden) for s in formulier.secties}


def _object(rnd: random.Random, formulier: Formulier, velden: tuple[Veld, ...]) -> dict[str, Any]:
    return {v.sleutel: _value(rnd, formulier, v) for v in velden if v.type is not VeldType.ROLLEN}


def _value(rnd: random.Random, formulier: Formulier, veld: Veld) -> Any:
    if veld.type is VeldType.GROEP:
        return _object(rnd, formulier, veld.velden)
    if veld.type is VeldType.LIJST:
        aantal = rnd.randrange(1, min(veld.max_items or 1, 6) + 1)
        return [_object(rnd, formulier, veld.velden) for _ in range(aantal)]
    keuzes = formulier.vocabulaires.get(veld.keuzes or "", ())
    maken: dict[VeldType, Callable[[], Any]] = {
        VeldType.KEUZE: lambda: rnd.choice(keuzes),
        VeldType.MEERKEUZE: lambda: sorted(set(rnd.sample(keuzes, rnd.randrange(1, 3)))),
        VeldType.JANEE: lambda: rnd.random() < 0.5,
        VeldType.DATUM: lambda: (
            date(2010, 1, 1) + timedelta(days=rnd.randrange(5000))
        ).isoformat(),
        VeldType.GETAL: lambda: rnd.randrange(10),
        VeldType.BSN: lambda: None,
        VeldType.TEKST: lambda: _naam(rnd) if veld.sleutel in ("naam", "wie") else _zin(rnd, 5),
        VeldType.LANGETEKST: lambda: _zin(rnd, min((veld.max_lengte or 400) // 8, 60)),
    }
    return maken[veld.type]()


def _naam(rnd: random.Random) -> str:
    return f"{rnd.choice(VOORNAMEN)} {rnd.choice(ACHTERNAMEN)}"


def _zin(rnd: random.Random, woorden: int) -> str:
    return " ".join(rnd.choices(WOORDEN, k=woorden)).capitalize() + "."
