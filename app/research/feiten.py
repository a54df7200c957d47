"""What research may know about a casus, read in batches without ever holding a key.

This module is where "anonymised by construction" starts: it has no key ring, so it cannot open
a sealed value, and from a revision it keeps only what the form's privacy classes allow:
categorical values, counts, dates reduced to a month, and whether a step holds anything at all.
Everything downstream (export, figures) sees only `CasusFeiten`.

It runs once per casus for every casus, so it reads plain rows (no ORM objects to build and
track), and a batch's related rows by its id range rather than by a list of its ids.
"""

from __future__ import annotations

import itertools
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple, Protocol

from sqlalchemy import ColumnElement, Connection, Row, and_, distinct, func, select, type_coerce
from sqlalchemy.types import NullType
from sqlmodel import Session, col

from app.accounts.models import Account, Organisatie
from app.casus.models import Casus, Rol
from app.enums import OrganisatieType
from app.form.definition import Formulier, Formulieren
from app.handreiking.models import Mdo, Revisie
from app.regie.models import Overdracht, OverdrachtStatus
from app.research.kenmerken import STAPPEN, StapStatus, kenmerken
from app.research.models import VragenlijstAntwoord
from app.research.vragenlijst import Doelgroep

GELDIGE_STATUSSEN = frozenset({StapStatus.LEEG, StapStatus.DEELS, StapStatus.VOLLEDIG})


class CasusFeiten(NamedTuple):
    """One casus as research sees it: no name, no free text, no date finer than a month.

    A named tuple, not a frozen dataclass: one is built for every casus, and a frozen
    dataclass sets its seventeen fields one `object.__setattr__` at a time.
    """

    casus_id: uuid.UUID
    formulierversie: str
    status: str
    gemeente: str
    indicaties: tuple[str, ...]
    startmaand: str
    organisatietypen: tuple[str, ...]
    betrokkenen: int
    mdos: int
    mdos_afgerond: int
    mdo_intervallen_dagen: tuple[int, ...]
    revisies: int
    overdrachten: int
    duur_weken: int
    stappen: tuple[str, ...]
    afspraken: dict[str, int]
    antwoorden: dict[Doelgroep, list[dict[str, int]]]


class _MetGemeente(Protocol):
    @property
    def gemeente(self) -> str: ...


def gemeente(formulier: Formulier, casus: _MetGemeente) -> str:
    """The casus' gemeente if it is one of the form's; anything else reads "onbekend"."""
    return (
        casus.gemeente
        if casus.gemeente in formulier.vocabulaires.get("gemeente", ())
        else "onbekend"
    )


@dataclass(frozen=True)
class _Woorden:
    """One form version's vocabularies as sets: made once per version, not once per casus."""

    formulier: Formulier
    indicaties: frozenset[str]
    onderdelen: frozenset[str]

    @classmethod
    def van(cls, formulier: Formulier) -> _Woorden:
        vocabulaires = formulier.vocabulaires
        return cls(
            formulier,
            frozenset(vocabulaires.get("indicatie", ())),
            frozenset(vocabulaires.get("onderdeel", ())),
        )


def iter_feiten(
    session: Session,
    formulieren: Formulieren,
    *,
    nu: datetime,
    batch: int = 1000,
) -> Iterator[CasusFeiten]:
    """Every casus in id order, a batch at a time: memory stays flat however many there are."""
    # Plain rows through the session's connection (its transaction, so its snapshot): the
    # ORM's per-row bookkeeping would cost more than everything else done with a row.
    verbinding = session.connection()
    woorden: dict[str, _Woorden] = {}
    after: uuid.UUID | None = None
    while True:
        query = _CASUS.order_by(col(Casus.id)).limit(batch)
        if after is not None:
            query = query.where(col(Casus.id) > after)
        casussen = verbinding.execute(query).all()
        if not casussen:
            return
        for versie in {c.formulierversie for c in casussen} - woorden.keys():
            woorden[versie] = _Woorden.van(formulieren[versie])
        reeks = _Reeks(after, casussen[-1].id)
        yield from _batch(verbinding, woorden, casussen, reeks, nu)
        after = casussen[-1].id


def _sleutel(kolom: Any) -> ColumnElement[Any]:
    """A casus id as the driver returns it, to match rows on: made into a UUID object, each of
    the ten or so related rows of a casus would cost more to convert than to read."""
    return type_coerce(kolom, NullType())


# Only what research may see of a casus: no search indexes, no closing reason.
_CASUS = select(
    col(Casus.id),
    _sleutel(col(Casus.id)).label("sleutel"),
    col(Casus.formulierversie),
    col(Casus.gemeente),
    col(Casus.status),
    col(Casus.revisie),
    col(Casus.aangemaakt_op),
    col(Casus.afgesloten_op),
    col(Casus.kenmerken),
)


@dataclass(frozen=True)
class _Reeks:
    """A batch as an id range: casussen come in id order, so (after, last] holds exactly the
    batch, and related rows are found by two comparisons instead of a list of a thousand ids."""

    after: uuid.UUID | None
    last: uuid.UUID

    def bevat(self, casus_id: Any) -> ColumnElement[bool]:
        tot = casus_id <= self.last
        return tot if self.after is None else and_(casus_id > self.after, tot)


def _batch(
    verbinding: Connection,
    woorden: dict[str, _Woorden],
    casussen: Sequence[Row[Any]],
    reeks: _Reeks,
    nu: datetime,
) -> Iterator[CasusFeiten]:
    # Casussen saved before the projection was stored on the casus: derive it once from the
    # current revision (the projection needs no key, so this reads nothing it may not).
    zonder = [c.id for c in casussen if c.kenmerken is None]
    oud = _current_content(verbinding, zonder) if zonder else {}
    rollen = _roles(verbinding, reeks)
    mdos = _meetings(verbinding, reeks)
    overdrachten = _handovers(verbinding, reeks)
    antwoorden = _answers(verbinding, reeks)
    for casus in casussen:
        versie = woorden[casus.formulierversie]
        projectie = casus.kenmerken or kenmerken(versie.formulier, oud.get(casus.sleutel, {}))
        accounts, typen = rollen.get(casus.sleutel, (0, ()))
        datums = sorted(mdos.get(casus.sleutel, ()))
        begin = casus.aangemaakt_op
        einde = casus.afgesloten_op or nu
        yield CasusFeiten(
            casus.id,
            casus.formulierversie,
            casus.status.value,
            gemeente(versie.formulier, casus),
            _vocabulary(projectie.get("indicaties"), versie.indicaties),
            f"{begin.year:04d}-{begin.month:02d}",  # the month, never the day
            typen,
            accounts,
            len(datums),
            sum(1 for _, afgerond in datums if afgerond),
            _intervals([d for d, _ in datums]),
            casus.revisie,
            overdrachten.get(casus.sleutel, 0),
            max(0, (einde - begin).days // 7),
            _statuses(projectie.get("stappen")),
            _counts(projectie.get("afspraken"), versie.onderdelen),
            antwoorden.get(casus.sleutel, {}),
        )


def _vocabulary(waarden: Any, woorden: frozenset[str]) -> tuple[str, ...]:
    """Stored values pass only if they are words of the vocabulary (a second, cheap guard)."""
    return tuple(sorted({w for w in waarden or () if isinstance(w, str) and w in woorden}))


def _statuses(waarden: Any) -> tuple[str, ...]:
    lijst = list(waarden or ())
    geldig = GELDIGE_STATUSSEN
    return tuple(w if w in geldig else StapStatus.LEEG for w in lijst[: len(STAPPEN)]) + (
        StapStatus.LEEG,
    ) * max(0, len(STAPPEN) - len(lijst))


def _counts(tellingen: Any, onderdelen: frozenset[str]) -> dict[str, int]:
    items = tellingen.items() if isinstance(tellingen, dict) else ()
    return {o: n for o, n in items if o in onderdelen and isinstance(n, int) and n > 0}


def _current_content(verbinding: Connection, ids: list[uuid.UUID]) -> dict[Any, dict[str, Any]]:
    rows = verbinding.execute(
        select(_sleutel(col(Revisie.casus_id)), col(Revisie.inhoud))
        .join(
            Casus,
            and_(col(Casus.id) == col(Revisie.casus_id), col(Casus.revisie) == col(Revisie.nummer)),
        )
        .where(col(Revisie.casus_id).in_(ids))
    )
    return {casus_id: dict(inhoud) for casus_id, inhoud in rows}


def _roles(verbinding: Connection, reeks: _Reeks) -> dict[Any, tuple[int, tuple[str, ...]]]:
    """Everyone who ever held a role: how many people, and which kinds of organisation.

    Counted per kind in the database; an account belongs to one organisation, so the people
    per kind add up to the people on the casus.
    """
    rows = verbinding.execute(
        select(
            _sleutel(col(Rol.casus_id)),
            col(Organisatie.type),
            func.count(distinct(col(Rol.account_id))),
        )
        .join(Account, col(Account.id) == col(Rol.account_id))
        .join(Organisatie, col(Organisatie.id) == col(Account.organisatie_id))
        .where(reeks.bevat(col(Rol.casus_id)))
        .group_by(col(Rol.casus_id), col(Organisatie.type))
    )
    accounts: Counter[Any] = Counter()
    typen: dict[Any, set[str]] = defaultdict(set)
    for casus_id, soort, aantal in rows:
        accounts[casus_id] += int(aantal)
        typen[casus_id].add(OrganisatieType(soort).value)
    return {c: (accounts[c], tuple(sorted(typen[c]))) for c in accounts}


def _meetings(verbinding: Connection, reeks: _Reeks) -> dict[Any, list[tuple[date, bool]]]:
    rows = verbinding.execute(
        # Whether it was concluded, not when; in date order per casus, sorted by the caller.
        select(
            _sleutel(col(Mdo.casus_id)), col(Mdo.datum), col(Mdo.afgerond_op).is_not(None)
        ).where(reeks.bevat(col(Mdo.casus_id)))
    )
    out: dict[Any, list[tuple[date, bool]]] = defaultdict(list)
    for casus_id, datum, afgerond in rows:
        out[casus_id].append((datum, bool(afgerond)))
    return out


def _intervals(datums: list[date]) -> tuple[int, ...]:
    return tuple((b - a).days for a, b in itertools.pairwise(datums))


def _handovers(verbinding: Connection, reeks: _Reeks) -> dict[Any, int]:
    rows = verbinding.execute(
        select(_sleutel(col(Overdracht.casus_id)), func.count())
        .where(
            reeks.bevat(col(Overdracht.casus_id)),
            col(Overdracht.status) == OverdrachtStatus.GEACCEPTEERD,
        )
        .group_by(col(Overdracht.casus_id))
    )
    return {casus_id: int(aantal) for casus_id, aantal in rows}


def _answers(
    verbinding: Connection, reeks: _Reeks
) -> dict[Any, dict[Doelgroep, list[dict[str, int]]]]:
    """Scale answers only: the sealed open answers are not even selected."""
    rows = verbinding.execute(
        select(
            _sleutel(col(VragenlijstAntwoord.casus_id)),
            col(VragenlijstAntwoord.doelgroep),
            col(VragenlijstAntwoord.schaal),
        ).where(reeks.bevat(col(VragenlijstAntwoord.casus_id)))
    )
    out: dict[Any, dict[Doelgroep, list[dict[str, int]]]] = defaultdict(lambda: defaultdict(list))
    for casus_id, doelgroep, schaal in rows:
        out[casus_id][Doelgroep(doelgroep)].append(dict(schaal))
    return out
