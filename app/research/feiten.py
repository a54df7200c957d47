"""What research may know about a casus, read in batches without ever holding a key.

This module is where "anonymised by construction" starts: it has no key ring, so it cannot open
a sealed value, and from a revision it keeps only what the form's privacy classes allow:
categorical values, counts, dates reduced to a month, and whether a step holds anything at all.
Everything downstream (export, figures) sees only `CasusFeiten`.
"""

from __future__ import annotations

import itertools
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, distinct, func
from sqlmodel import Session, col, select

from app.accounts.models import Account, Organisatie
from app.casus.models import Casus, Rol
from app.enums import OrganisatieType
from app.form.definition import Formulier, Formulieren
from app.handreiking.models import Mdo, Revisie
from app.regie.models import Overdracht, OverdrachtStatus
from app.research.kenmerken import STAPPEN, StapStatus, kenmerken
from app.research.models import VragenlijstAntwoord
from app.research.vragenlijst import Doelgroep


@dataclass(frozen=True)
class CasusFeiten:
    """One casus as research sees it: no name, no free text, no date finer than a month."""

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
    antwoorden: dict[Doelgroep, list[dict[str, int]]] = field(default_factory=dict)


def gemeente(formulier: Formulier, casus: Casus) -> str:
    """The casus' gemeente if it is one of the form's; anything else reads "onbekend"."""
    return (
        casus.gemeente
        if casus.gemeente in formulier.vocabulaires.get("gemeente", ())
        else "onbekend"
    )


def month(moment: datetime | date) -> str:
    return f"{moment.year:04d}-{moment.month:02d}"


def iter_feiten(
    session: Session,
    formulieren: Formulieren,
    *,
    nu: datetime,
    batch: int = 200,
    volledig: bool = True,
) -> Iterator[CasusFeiten]:
    """Every casus in id order, a batch at a time: memory stays flat however many there are.

    `volledig=False` reads only what the quasi-identifiers need (the export's counting pass):
    MDOs, handovers and questionnaire answers are then left empty.
    """
    after: uuid.UUID | None = None
    while True:
        query = select(Casus).order_by(col(Casus.id)).limit(batch)
        if after is not None:
            query = query.where(col(Casus.id) > after)
        casussen = list(session.exec(query))
        if not casussen:
            return
        yield from _batch(session, formulieren, casussen, nu, volledig=volledig)
        after = casussen[-1].id
        session.expunge_all()


def _batch(
    session: Session,
    formulieren: Formulieren,
    casussen: Sequence[Casus],
    nu: datetime,
    *,
    volledig: bool,
) -> Iterator[CasusFeiten]:
    ids = [c.id for c in casussen]
    # Casussen saved before the projection was stored on the casus: derive it once from the
    # current revision (the projection needs no key, so this reads nothing it may not).
    oud = _current_content(session, [c.id for c in casussen if c.kenmerken is None])
    rollen = _roles(session, ids)
    mdos = _meetings(session, ids) if volledig else {}
    overdrachten = _handovers(session, ids) if volledig else {}
    antwoorden = _answers(session, ids) if volledig else {}
    for casus in casussen:
        formulier = formulieren[casus.formulierversie]
        projectie = casus.kenmerken or kenmerken(formulier, oud.get(casus.id, {}))
        accounts, typen = rollen.get(casus.id, (0, ()))
        datums = mdos.get(casus.id, [])
        einde = casus.afgesloten_op or nu
        yield CasusFeiten(
            casus_id=casus.id,
            formulierversie=casus.formulierversie,
            status=casus.status.value,
            gemeente=gemeente(formulier, casus),
            indicaties=_vocabulary(projectie.get("indicaties"), formulier, "indicatie"),
            startmaand=month(casus.aangemaakt_op),
            organisatietypen=typen,
            betrokkenen=accounts,
            mdos=len(datums),
            mdos_afgerond=sum(1 for _, afgerond in datums if afgerond),
            mdo_intervallen_dagen=_intervals([d for d, _ in datums]),
            revisies=casus.revisie,
            overdrachten=overdrachten.get(casus.id, 0),
            duur_weken=max(0, (einde - casus.aangemaakt_op).days // 7),
            stappen=_statuses(projectie.get("stappen")),
            afspraken=_counts(projectie.get("afspraken"), formulier),
            antwoorden=antwoorden.get(casus.id, {}),
        )


def _vocabulary(waarden: Any, formulier: Formulier, vocabulaire: str) -> tuple[str, ...]:
    """Stored values pass only if they are words of the vocabulary (a second, cheap guard)."""
    woorden = set(formulier.vocabulaires.get(vocabulaire, ()))
    return tuple(sorted({w for w in waarden or () if isinstance(w, str) and w in woorden}))


def _statuses(waarden: Any) -> tuple[str, ...]:
    geldig = {StapStatus.LEEG, StapStatus.DEELS, StapStatus.VOLLEDIG}
    lijst = list(waarden or ())
    return tuple(w if w in geldig else StapStatus.LEEG for w in lijst[: len(STAPPEN)]) + (
        StapStatus.LEEG,
    ) * max(0, len(STAPPEN) - len(lijst))


def _counts(tellingen: Any, formulier: Formulier) -> dict[str, int]:
    onderdelen = set(formulier.vocabulaires.get("onderdeel", ()))
    items = tellingen.items() if isinstance(tellingen, dict) else ()
    return {o: n for o, n in items if o in onderdelen and isinstance(n, int) and n > 0}


def _current_content(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, dict[str, Any]]:
    rows = session.exec(
        select(Revisie.casus_id, Revisie.inhoud)
        .join(
            Casus,
            and_(col(Casus.id) == col(Revisie.casus_id), col(Casus.revisie) == col(Revisie.nummer)),
        )
        .where(col(Revisie.casus_id).in_(ids))
    )
    return {casus_id: dict(inhoud) for casus_id, inhoud in rows}


def _roles(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple[int, tuple[str, ...]]]:
    """Everyone who ever held a role: how many people, and which kinds of organisation.

    Counted per kind in the database; an account belongs to one organisation, so the people
    per kind add up to the people on the casus.
    """
    rows = session.exec(
        select(Rol.casus_id, Organisatie.type, func.count(distinct(col(Rol.account_id))))
        .join(Account, col(Account.id) == col(Rol.account_id))
        .join(Organisatie, col(Organisatie.id) == col(Account.organisatie_id))
        .where(col(Rol.casus_id).in_(ids))
        .group_by(col(Rol.casus_id), col(Organisatie.type))
    )
    accounts: Counter[uuid.UUID] = Counter()
    typen: dict[uuid.UUID, set[str]] = defaultdict(set)
    for casus_id, soort, aantal in rows:
        accounts[casus_id] += int(aantal)
        typen[casus_id].add(OrganisatieType(soort).value)
    return {c: (accounts[c], tuple(sorted(typen[c]))) for c in accounts}


def _meetings(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, list[tuple[date, bool]]]:
    rows = session.exec(
        select(col(Mdo.casus_id), col(Mdo.datum), col(Mdo.afgerond_op))
        .where(col(Mdo.casus_id).in_(ids))
        .order_by(col(Mdo.datum))
    )
    out: dict[uuid.UUID, list[tuple[date, bool]]] = defaultdict(list)
    for casus_id, datum, afgerond_op in rows:
        out[casus_id].append((datum, afgerond_op is not None))
    return out


def _intervals(datums: list[date]) -> tuple[int, ...]:
    return tuple((b - a).days for a, b in itertools.pairwise(datums))


def _handovers(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    rows = session.exec(
        select(Overdracht.casus_id, func.count())
        .where(
            col(Overdracht.casus_id).in_(ids),
            col(Overdracht.status) == OverdrachtStatus.GEACCEPTEERD,
        )
        .group_by(col(Overdracht.casus_id))
    )
    return {casus_id: int(aantal) for casus_id, aantal in rows}


def _answers(
    session: Session, ids: list[uuid.UUID]
) -> dict[uuid.UUID, dict[Doelgroep, list[dict[str, int]]]]:
    """Scale answers only: the sealed open answers are not even selected."""
    rows = session.exec(
        select(
            VragenlijstAntwoord.casus_id, VragenlijstAntwoord.doelgroep, VragenlijstAntwoord.schaal
        ).where(col(VragenlijstAntwoord.casus_id).in_(ids))
    )
    out: dict[uuid.UUID, dict[Doelgroep, list[dict[str, int]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for casus_id, doelgroep, schaal in rows:
        out[casus_id][Doelgroep(doelgroep)].append(dict(schaal))
    return out
