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

from sqlalchemy import and_, func
from sqlmodel import Session, col, select

from app.accounts.models import Account, Organisatie
from app.casus.models import Casus, Rol
from app.enums import OrganisatieType
from app.form.completeness import progress
from app.form.definition import Formulier, Formulieren, Privacy
from app.handreiking.models import Mdo, Revisie
from app.regie.models import Overdracht, OverdrachtStatus
from app.research.models import VragenlijstAntwoord
from app.research.vragenlijst import Doelgroep

STAPPEN = range(1, 8)


class StapStatus:
    LEEG = "leeg"
    DEELS = "deels"
    VOLLEDIG = "volledig"


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


def stap_statussen(formulier: Formulier, inhoud: dict[str, Any]) -> tuple[str, ...]:
    """Per step 1..7: empty, partly or fully filled in, decided on emptiness alone (so nothing
    sealed is opened)."""
    per_stap = {p["stap"]: p for p in progress(formulier, inhoud) if p["stap"] is not None}
    return tuple(
        StapStatus.LEEG
        if not per_stap[stap]["ingevuld"]
        else StapStatus.DEELS
        if per_stap[stap]["ontbrekend"]
        else StapStatus.VOLLEDIG
        for stap in STAPPEN
    )


def categorical(
    formulier: Formulier, inhoud: dict[str, Any], sectie: str, veld: str
) -> tuple[str, ...]:
    """The values of a top-level choice field, only if its privacy class lets them leave and
    only those in its closed vocabulary: whatever is stored, nothing typed can come out."""
    definitie = formulier.sectie(sectie)
    veld_def = next((v for v in definitie.velden if v.sleutel == veld), None) if definitie else None
    if veld_def is None or veld_def.privacy is not Privacy.CATEGORICAL:
        return ()
    woorden = set(formulier.vocabulaires.get(veld_def.keuzes or "", ()))
    waarde = (inhoud.get(sectie) or {}).get(veld)
    waarden = waarde if isinstance(waarde, list) else [waarde]
    return tuple(sorted({w for w in waarden if isinstance(w, str) and w in woorden}))


def gemeente(formulier: Formulier, casus: Casus) -> str:
    """The casus' gemeente if it is one of the form's; anything else reads "onbekend"."""
    return (
        casus.gemeente
        if casus.gemeente in formulier.vocabulaires.get("gemeente", ())
        else "onbekend"
    )


def afspraken_per_onderdeel(formulier: Formulier, inhoud: dict[str, Any]) -> dict[str, int]:
    """Count agreements per onderdeel: the onderdeel is categorical, the rest is never read."""
    lijst = (inhoud.get("afspraken") or {}).get("afspraken") or []
    tellingen: Counter[str] = Counter()
    onderdelen = set(formulier.vocabulaires.get("onderdeel", ()))
    for item in lijst:
        onderdeel = item.get("onderdeel") if isinstance(item, dict) else None
        if isinstance(onderdeel, str) and onderdeel in onderdelen:
            tellingen[onderdeel] += 1
    return dict(tellingen)


def month(moment: datetime | date) -> str:
    return f"{moment.year:04d}-{moment.month:02d}"


def iter_feiten(
    session: Session, formulieren: Formulieren, *, nu: datetime, batch: int = 500
) -> Iterator[CasusFeiten]:
    """Every casus in id order, a batch at a time: memory stays flat however many there are."""
    after: uuid.UUID | None = None
    while True:
        query = select(Casus).order_by(col(Casus.id)).limit(batch)
        if after is not None:
            query = query.where(col(Casus.id) > after)
        casussen = list(session.exec(query))
        if not casussen:
            return
        yield from _batch(session, formulieren, casussen, nu)
        after = casussen[-1].id
        session.expunge_all()


def count_casussen(session: Session) -> int:
    return session.exec(select(func.count()).select_from(Casus)).one()


def _batch(
    session: Session, formulieren: Formulieren, casussen: Sequence[Casus], nu: datetime
) -> Iterator[CasusFeiten]:
    ids = [c.id for c in casussen]
    inhoud = _current_content(session, ids)
    rollen = _roles(session, ids)
    mdos = _meetings(session, ids)
    overdrachten = _handovers(session, ids)
    antwoorden = _answers(session, ids)
    for casus in casussen:
        formulier = formulieren[casus.formulierversie]
        document = inhoud.get(casus.id, {})
        accounts, typen = rollen.get(casus.id, (0, ()))
        datums = mdos.get(casus.id, [])
        einde = casus.afgesloten_op or nu
        yield CasusFeiten(
            casus_id=casus.id,
            formulierversie=casus.formulierversie,
            status=casus.status.value,
            gemeente=gemeente(formulier, casus),
            indicaties=categorical(formulier, document, "kop", "indicaties"),
            startmaand=month(casus.aangemaakt_op),
            organisatietypen=typen,
            betrokkenen=accounts,
            mdos=len(datums),
            mdos_afgerond=sum(1 for _, afgerond in datums if afgerond),
            mdo_intervallen_dagen=_intervals([d for d, _ in datums]),
            revisies=casus.revisie,
            overdrachten=overdrachten.get(casus.id, 0),
            duur_weken=max(0, (einde - casus.aangemaakt_op).days // 7),
            stappen=stap_statussen(formulier, document),
            afspraken=afspraken_per_onderdeel(formulier, document),
            antwoorden=antwoorden.get(casus.id, {}),
        )


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
    """Everyone who ever held a role: how many people, and which kinds of organisation."""
    rows = session.exec(
        select(Rol.casus_id, Rol.account_id, Organisatie.type)
        .join(Account, col(Account.id) == col(Rol.account_id))
        .join(Organisatie, col(Organisatie.id) == col(Account.organisatie_id))
        .where(col(Rol.casus_id).in_(ids))
    )
    accounts: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    typen: dict[uuid.UUID, set[str]] = defaultdict(set)
    for casus_id, account_id, soort in rows:
        accounts[casus_id].add(account_id)
        typen[casus_id].add(OrganisatieType(soort).value)
    return {c: (len(accounts[c]), tuple(sorted(typen[c]))) for c in accounts}


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
