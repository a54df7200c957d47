"""What research may know about a casus, streamed without ever holding a key.

This module is where "anonymised by construction" starts: it has no key ring, so it cannot open
a sealed value, and from a revision it keeps only what the form's privacy classes allow:
categorical values, counts, dates reduced to a month, and whether a step holds anything at all.
Everything downstream (export, figures) sees only `CasusFeiten`.

It runs once per casus for every casus, so it reads one plain row per casus (no ORM objects to
build and track), its related rows already counted by the database (see `iter_feiten`).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Connection,
    FromClause,
    Select,
    String,
    case,
    cast,
    distinct,
    func,
    or_,
    select,
    true,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Mapped
from sqlmodel import Session, col

from app.accounts.models import Account, Organisatie
from app.casus.models import Casus, Rol
from app.enums import CasusStatus, OrganisatieType
from app.form.definition import Formulier, Formulieren
from app.handreiking.models import Mdo, Revisie
from app.regie.models import Overdracht, OverdrachtStatus
from app.research.kenmerken import STAPPEN, StapStatus, kenmerken
from app.research.models import VragenlijstAntwoord
from app.research.vragenlijst import Doelgroep

GELDIGE_STATUSSEN = frozenset({StapStatus.LEEG, StapStatus.DEELS, StapStatus.VOLLEDIG})
# Closed lists checked by lookup: a stored value outside them raises (status and the kinds of
# organisation are quasi-identifiers in the export, so an odd value must not pass).
_SOORTEN = {soort.value: soort.value for soort in OrganisatieType}
_STATUSSEN = {status.value: status.value for status in CasusStatus}
# The doelgroepen in the order of `_query`'s answer columns (a tuple: iterating the enum class
# costs more, once per casus).
_DOELGROEPEN = tuple(Doelgroep)


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
    mdo_interval_dagen: float | None  # the mean time between consecutive MDOs
    revisies: int
    overdrachten: int
    duur_weken: int
    stappen: tuple[str, ...]
    afspraken: dict[str, int]
    antwoorden: dict[Doelgroep, list[dict[str, int]]]


@dataclass(frozen=True)
class _Woorden:
    """One form version's vocabularies as sets: made once per version, not once per casus."""

    formulier: Formulier
    gemeenten: frozenset[str]
    indicaties: frozenset[str]
    onderdelen: frozenset[str]

    @classmethod
    def van(cls, formulier: Formulier) -> _Woorden:
        vocabulaires = formulier.vocabulaires
        return cls(
            formulier,
            frozenset(vocabulaires.get("gemeente", ())),
            frozenset(vocabulaires.get("indicatie", ())),
            frozenset(vocabulaires.get("onderdeel", ())),
        )

    def gemeente(self, waarde: str) -> str:
        """The casus' gemeente if it is one of the form's; anything else reads "onbekend"."""
        return waarde if waarde in self.gemeenten else "onbekend"


def iter_feiten(
    session: Session,
    formulieren: Formulieren,
    *,
    nu: datetime,
    per_blok: int = 5000,
) -> Generator[CasusFeiten, None, None]:
    """Every casus, streamed in no particular order: memory stays flat however many there are.

    One query, in the session's transaction (so one snapshot), answers a row per casus with its
    related rows already counted and joined by the database (see `_query`): the database does
    that in C, where a row costs a fraction of what it costs in Python. Plain rows only: the
    ORM's per-row bookkeeping would cost more than the rest of a row.

    On PostgreSQL the driver holds the session's connection until the last row is read or this
    generator is closed: close it before anything else uses the session. Closed early, it
    cancels the query, which leaves the transaction to be rolled back (closing the session
    does that).
    """
    woorden: dict[str, _Woorden] = {}
    rijen = _rijen(session.connection(), per_blok)
    try:
        for rij in rijen:
            formulierversie = rij[1]
            versie = woorden.get(formulierversie)
            if versie is None:
                versie = woorden[formulierversie] = _Woorden.van(formulieren[formulierversie])
            yield _feiten(rij, versie, nu)
    finally:
        rijen.close()


def _rijen(verbinding: Connection, per_blok: int) -> Generator[Sequence[Any], None, None]:
    """The rows of `_query`, as plain tuples, `per_blok` at a time.

    On PostgreSQL a query per casus (lateral), through the driver's streaming (psycopg's
    chunked rows): the server sends rows as it makes them, so it works on the next ones while
    Python handles these. Through a server-side cursor the two would take turns, the server idle
    until the next FETCH. Its constants (the code's own: vocabulary values, a separator) are
    rendered into the statement. A database error is raised as SQLAlchemy raises one, so it is
    answered as any other (a lost server as unreachable, its connection not handed out again).
    SQLite runs in this process, so there is nothing to overlap, and it has no LATERAL: grouped
    per table, through SQLAlchemy.
    """
    if verbinding.dialect.name != "postgresql":
        opties = {"yield_per": per_blok}
        with verbinding.execute(_FEITEN_GEGROEPEERD, execution_options=opties) as result:
            yield from result
        return
    # Planned as costly (a query per casus), so PostgreSQL would compile it to machine code
    # first: that takes longer than it saves, and the first casus would wait for it.
    verbinding.exec_driver_sql("SET LOCAL jit = off")
    dialect = verbinding.dialect
    sql = str(_FEITEN_LATERAAL.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    dbapi = verbinding.connection.dbapi_connection
    if dbapi is None:
        raise RuntimeError("de verbinding van deze sessie is al gesloten")
    cursor = dbapi.cursor()
    try:
        # Empty parameters, so the driver reads the statement as SQLAlchemy wrote it for it
        # (with a literal % doubled).
        yield from cursor.stream(sql, {}, size=per_blok)
    except dialect.loaded_dbapi.Error as exc:
        verloren = dialect.is_disconnect(exc, dbapi, cursor)
        if verloren:
            verbinding.invalidate(exc)
        raise DBAPIError.instance(
            sql, None, exc, dialect.loaded_dbapi.Error, connection_invalidated=verloren
        ) from exc
    finally:
        cursor.close()


def _tekst(kolom: Any) -> ColumnElement[str]:
    """A JSON column as the database's text, parsed here by `_LEES`: the driver's own JSON
    loading (bytes, an encoding to detect) costs a third more, for some 270,000 documents."""
    return cast(kolom, String)


_LEES = json.JSONDecoder().decode

# What research may count of a casus' related rows, each as aggregates over one casus' rows
# (made a query per casus, or per table, by `_per_casus`).
# Everyone who ever held a role (an account belongs to one organisation, so its kind is the
# person's), and the kinds of organisation they came from, once per role (`_soorten` makes them
# distinct).
_ROLLEN = (
    col(Rol.casus_id),
    select(
        func.count(distinct(col(Rol.account_id))).label("mensen"),
        func.aggregate_strings(cast(col(Organisatie.type), String), ",").label("soorten"),
    )
    .select_from(Rol)
    .join(Account, col(Account.id) == col(Rol.account_id))
    .join(Organisatie, col(Organisatie.id) == col(Account.organisatie_id)),
)
# How many MDOs, how many concluded (not when), and the first and last date: the mean time
# between consecutive MDOs is the time from the first to the last over one fewer.
_MDOS = (
    col(Mdo.casus_id),
    select(
        func.count().label("aantal"),
        func.count(col(Mdo.afgerond_op)).label("afgerond"),
        func.min(col(Mdo.datum)).label("eerste"),
        func.max(col(Mdo.datum)).label("laatste"),
    ),
)
_OVERDRACHTEN = (
    col(Overdracht.casus_id),
    select(func.count().label("aantal")).where(
        col(Overdracht.status) == OverdrachtStatus.GEACCEPTEERD
    ),
)
# Scale answers only (the sealed open answers are not even selected): per doelgroep the JSON
# documents joined by commas, a JSON array once bracketed.
_ANTWOORDEN = (
    col(VragenlijstAntwoord.casus_id),
    select(
        *(
            func.aggregate_strings(
                case(
                    (
                        col(VragenlijstAntwoord.doelgroep) == doelgroep,
                        _tekst(col(VragenlijstAntwoord.schaal)),
                    )
                ),
                ",",
            ).label(doelgroep.value)
            for doelgroep in _DOELGROEPEN
        )
    ),
)
# The current revision of a casus saved before the projection was stored on the casus, to
# derive it from (the projection needs no key, so this reads nothing it may not). SQL NULL, or
# the JSON null an ORM write of None stores; only those casussen look their revision up.
_OUD = case(
    (
        or_(col(Casus.kenmerken).is_(None), _tekst(col(Casus.kenmerken)) == "null"),
        select(_tekst(col(Revisie.inhoud)))
        .where(col(Revisie.casus_id) == col(Casus.id), col(Revisie.nummer) == col(Casus.revisie))
        .scalar_subquery(),
    )
)


def _per_casus(
    deel: tuple[Mapped[uuid.UUID], Select[*tuple[Any, ...]]], *, lateraal: bool
) -> tuple[FromClause, ColumnElement[bool]]:
    """Aggregates over one casus' related rows, and how to join them to the casus.

    Lateral (PostgreSQL): a query per casus through the index on its casus id, so the first
    casus is answered at once and the database keeps working while Python handles the rows.
    Grouped per table otherwise (SQLite has no LATERAL): PostgreSQL would then build every
    table's groups before it answers the first casus, and Python would wait for that.
    """
    casus_id, aggregaten = deel
    if lateraal:
        return aggregaten.where(casus_id == col(Casus.id)).lateral(), true()
    groepen = aggregaten.add_columns(casus_id.label("casus_id")).group_by(casus_id).subquery()
    return groepen, groepen.c.casus_id == col(Casus.id)


def _query(*, lateraal: bool) -> Select[*tuple[Any, ...]]:
    """Only what research may see of a casus (no search indexes, no closing reason), a row per
    casus, in the order `_feiten` unpacks it."""
    delen = [
        _per_casus(deel, lateraal=lateraal) for deel in (_ROLLEN, _MDOS, _OVERDRACHTEN, _ANTWOORDEN)
    ]
    (rollen, _), (mdos, _), (overdrachten, _), (antwoorden, _) = delen
    query = select(
        col(Casus.id),
        col(Casus.formulierversie),
        col(Casus.gemeente),
        cast(col(Casus.status), String),
        col(Casus.revisie),
        col(Casus.aangemaakt_op),
        col(Casus.afgesloten_op),
        _tekst(col(Casus.kenmerken)),
        _OUD,
        rollen.c.mensen,
        rollen.c.soorten,
        mdos.c.aantal,
        mdos.c.afgerond,
        mdos.c.eerste,
        mdos.c.laatste,
        overdrachten.c.aantal,
        *(antwoorden.c[doelgroep.value] for doelgroep in _DOELGROEPEN),
    ).select_from(Casus)
    for deel, op in delen:
        query = query.outerjoin(deel, op)
    return query


_FEITEN_LATERAAL = _query(lateraal=True)
_FEITEN_GEGROEPEERD = _query(lateraal=False)


def _feiten(rij: Sequence[Any], versie: _Woorden, nu: datetime) -> CasusFeiten:
    """A casus' facts from its row, every value checked again against its closed list."""
    (
        casus_id,
        formulierversie,
        gemeente,
        status,
        revisie,
        begin,
        einde,
        projectie,
        oud,
        mensen,
        soorten,
        mdos,
        afgerond,
        eerste,
        laatste,
        overdrachten,
        *antwoorden,
    ) = rij
    begin = _utc(begin)
    einde = _utc(einde) if einde is not None else nu
    # A casus without a stored projection: derived from its current revision.
    kenmerk = _LEES(projectie or "null") or kenmerken(versie.formulier, _LEES(oud or "{}"))
    return CasusFeiten(
        casus_id,
        formulierversie,
        _STATUSSEN[status],
        versie.gemeente(gemeente),
        _vocabulary(kenmerk.get("indicaties"), versie.indicaties),
        f"{begin.year:04d}-{begin.month:02d}",  # the month, never the day
        _soorten(soorten),
        mensen or 0,
        mdos or 0,
        afgerond or 0,
        (laatste - eerste).days / (mdos - 1) if mdos and mdos > 1 else None,
        revisie,
        overdrachten or 0,
        max(0, (einde - begin).days // 7),
        _statuses(kenmerk.get("stappen")),
        _counts(kenmerk.get("afspraken"), versie.onderdelen),
        {
            doelgroep: _LEES(f"[{documenten}]")
            for doelgroep, documenten in zip(_DOELGROEPEN, antwoorden, strict=True)
            if documenten
        },
    )


def _utc(moment: datetime) -> datetime:
    """In UTC: read past SQLAlchemy's types, PostgreSQL's come in its session's time zone."""
    return moment.astimezone(UTC)


def _soorten(soorten: str | None) -> tuple[str, ...]:
    """The kinds of organisation, each once, checked against the closed list."""
    return tuple(sorted({_SOORTEN[soort] for soort in soorten.split(",")})) if soorten else ()


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
