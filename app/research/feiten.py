"""What research may know about a casus, streamed without ever holding a key.

This module is where "anonymised by construction" starts: it has no key ring, so it cannot open
a sealed value, and from a revision it keeps only what the form's privacy classes allow:
categorical values, counts, dates reduced to a month, and whether a step holds anything at all.
Everything downstream (export, figures) sees only `CasusFeiten`.

It runs once per casus for every casus, so it reads plain rows (no ORM objects to build and
track), each table in one ordered pass merged by casus id (see `iter_feiten`).
"""

from __future__ import annotations

import itertools
import json
import operator
import uuid
from collections.abc import Generator, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple, Protocol

from sqlalchemy import (
    ColumnElement,
    CursorResult,
    Row,
    String,
    and_,
    cast,
    distinct,
    func,
    or_,
    select,
)
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
# Stored values to their enum's, by lookup: calling the enum class costs more than the row.
# A string enum's members hash as their values, so the driver's strings and members both fit;
# anything else raises, as calling the class would.
_SOORTEN = {soort.value: soort.value for soort in OrganisatieType}
_DOELGROEPEN = {doelgroep.value: doelgroep for doelgroep in Doelgroep}


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
    per_blok: int = 5000,
) -> Generator[CasusFeiten, None, None]:
    """Every casus in id order, streamed: memory stays flat however many there are.

    One query per kind of row, each ordered by casus id and streamed in blocks (server-side
    cursors on PostgreSQL) in the session's transaction, so one snapshot; merged here as a merge
    join. The database scans each table once, not once per batch of casussen, and only plain
    rows reach Python: the ORM's per-row bookkeeping would cost more than the rest of a row.
    """
    verbinding = session.connection()
    # Per statement: on the connection they would stay for the rest of the caller's transaction.
    # `yield_per` streams (server-side cursors) and fetches that many rows at a time.
    opties = {"yield_per": per_blok}
    woorden: dict[str, _Woorden] = {}
    resultaten: list[CursorResult[*tuple[Any, ...]]] = []
    try:
        for query in _GERELATEERD:
            resultaten.append(verbinding.execute(query, execution_options=opties))
        rollen, mdos, overdrachten, antwoorden, oud = (_Volger(r) for r in resultaten)
        casussen = verbinding.execute(_CASUS, execution_options=opties)
        resultaten.append(casussen)
        for casus in casussen:
            sleutel = casus.sleutel
            versie = woorden.get(casus.formulierversie)
            if versie is None:
                versie = woorden[casus.formulierversie] = _Woorden.van(
                    formulieren[casus.formulierversie]
                )
            # Casussen saved before the projection was stored on the casus: derive it from the
            # current revision (the projection needs no key, so this reads nothing it may not).
            vroeger = oud.bij(sleutel)
            projectie = _LEES(casus.kenmerken or "null") or kenmerken(
                versie.formulier, dict(vroeger[0][1]) if vroeger else {}
            )
            yield _feiten(
                casus,
                versie,
                projectie,
                _people(rollen.bij(sleutel)),
                sorted((d, bool(a)) for _, d, a in mdos.bij(sleutel)),
                sum(n for _, n in overdrachten.bij(sleutel)),
                _answers(antwoorden.bij(sleutel)),
                nu,
            )
    finally:
        for resultaat in resultaten:
            resultaat.close()


def _tekst(kolom: Any) -> ColumnElement[str]:
    """A column as the database's text. For casus ids, to match rows on: as UUID objects, the
    ten or so related rows of a casus would cost more to convert, hash and compare (all in
    Python) than to read. For JSON columns, parsed here by `_LEES`: the driver's own JSON
    loading (bytes, an encoding to detect) costs a third more, for some 270,000 documents."""
    return cast(kolom, String)


_LEES = json.JSONDecoder().decode

# Only what research may see of a casus: no search indexes, no closing reason.
_CASUS = select(
    col(Casus.id),
    _tekst(col(Casus.id)).label("sleutel"),
    col(Casus.formulierversie),
    col(Casus.gemeente),
    col(Casus.status),
    col(Casus.revisie),
    col(Casus.aangemaakt_op),
    col(Casus.afgesloten_op),
    _tekst(col(Casus.kenmerken)).label("kenmerken"),
).order_by(col(Casus.id))

# Everyone who ever held a role, counted per kind of organisation in the database: an account
# belongs to one organisation, so the people per kind add up to the people on the casus.
_ROLLEN = (
    select(
        _tekst(col(Rol.casus_id)),
        col(Organisatie.type),
        func.count(distinct(col(Rol.account_id))),
    )
    .join(Account, col(Account.id) == col(Rol.account_id))
    .join(Organisatie, col(Organisatie.id) == col(Account.organisatie_id))
    .group_by(col(Rol.casus_id), col(Organisatie.type))
    .order_by(col(Rol.casus_id))
)
# Whether an MDO was concluded, not when; in date order per casus, sorted in Python.
_MDOS = select(
    _tekst(col(Mdo.casus_id)), col(Mdo.datum), col(Mdo.afgerond_op).is_not(None)
).order_by(col(Mdo.casus_id))
_OVERDRACHTEN = (
    select(_tekst(col(Overdracht.casus_id)), func.count())
    .where(col(Overdracht.status) == OverdrachtStatus.GEACCEPTEERD)
    .group_by(col(Overdracht.casus_id))
    .order_by(col(Overdracht.casus_id))
)
# Scale answers only: the sealed open answers are not even selected.
_ANTWOORDEN = select(
    _tekst(col(VragenlijstAntwoord.casus_id)),
    col(VragenlijstAntwoord.doelgroep),
    _tekst(col(VragenlijstAntwoord.schaal)),
).order_by(col(VragenlijstAntwoord.casus_id))
# The current revision of the casussen without a stored projection (see `iter_feiten`).
_ZONDER_KENMERKEN = (
    select(_tekst(col(Revisie.casus_id)), col(Revisie.inhoud))
    .join(
        Casus,
        and_(col(Casus.id) == col(Revisie.casus_id), col(Casus.revisie) == col(Revisie.nummer)),
    )
    # SQL NULL, or the JSON null an ORM write of None stores.
    .where(or_(col(Casus.kenmerken).is_(None), _tekst(col(Casus.kenmerken)) == "null"))
    .order_by(col(Revisie.casus_id))
)
# In the order `iter_feiten` unpacks them.
_GERELATEERD = (_ROLLEN, _MDOS, _OVERDRACHTEN, _ANTWOORDEN, _ZONDER_KENMERKEN)


class _Volger:
    """One related query's rows, grouped by casus id and taken in step with the casussen.

    Both come in casus-id order, so each group is either the current casus' or a later one's.
    A group for an id that sorts before the current casus cannot exist (every such row has a
    foreign key to a casus of the same snapshot); if one did, `bij` raises.
    """

    def __init__(self, rijen: Iterable[Sequence[Any]]) -> None:
        self._groepen = itertools.groupby(rijen, key=operator.itemgetter(0))
        self._volgende = next(self._groepen, None)

    def bij(self, sleutel: str) -> list[Sequence[Any]]:
        """The rows of this casus (none when it has none); call with ascending ids."""
        if self._volgende is not None and self._volgende[0] < sleutel:
            # Rows of no casus of this snapshot, or two orders that disagree: either way the
            # figures would silently be wrong, so stop.
            raise RuntimeError(f"rijen van casus {self._volgende[0]} vallen buiten de volgorde")
        if self._volgende is None or self._volgende[0] != sleutel:
            return []
        rijen = list(self._volgende[1])
        self._volgende = next(self._groepen, None)
        return rijen


def _feiten(
    casus: Row[*tuple[Any, ...]],
    versie: _Woorden,
    projectie: dict[str, Any],
    mensen: tuple[int, tuple[str, ...]],
    datums: list[tuple[date, bool]],
    overdrachten: int,
    antwoorden: dict[Doelgroep, list[dict[str, int]]],
    nu: datetime,
) -> CasusFeiten:
    begin = casus.aangemaakt_op
    einde = casus.afgesloten_op or nu
    accounts, typen = mensen
    return CasusFeiten(
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
        overdrachten,
        max(0, (einde - begin).days // 7),
        _statuses(projectie.get("stappen")),
        _counts(projectie.get("afspraken"), versie.onderdelen),
        antwoorden,
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


def _people(rijen: list[Sequence[Any]]) -> tuple[int, tuple[str, ...]]:
    """How many people ever held a role, and which kinds of organisation they came from."""
    return sum(n for _, _, n in rijen), tuple(sorted({_SOORTEN[soort] for _, soort, _ in rijen}))


def _intervals(datums: list[date]) -> tuple[int, ...]:
    return tuple((b - a).days for a, b in itertools.pairwise(datums))


def _answers(rijen: list[Sequence[Any]]) -> dict[Doelgroep, list[dict[str, int]]]:
    out: dict[Doelgroep, list[dict[str, int]]] = {}
    for _, doelgroep, schaal in rijen:
        out.setdefault(_DOELGROEPEN[doelgroep], []).append(dict(_LEES(schaal)))
    return out
