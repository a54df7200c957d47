"""The living document: read the current revision, save the next one, look back."""

from __future__ import annotations

import uuid
from typing import Any, cast

from sqlalchemy import CursorResult, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from app.access.policy import Actie
from app.access.service import authorize
from app.accounts.models import Account, Organisatie
from app.casus.models import Casus
from app.casus.schemas import PersoonOut
from app.context import Context
from app.db import utcnow
from app.enums import CasusStatus
from app.errors import NietGevonden, Validatiefout, Versieconflict
from app.form.completeness import progress
from app.form.diff import verschil
from app.form.validation import validate
from app.handreiking.models import Revisie
from app.handreiking.schemas import (
    HandreikingIn,
    HandreikingOut,
    RevisieOut,
    RevisieSamenvatting,
    VerschilOut,
    Voortgang,
    Wijziging,
)


def read(ctx: Context, casus_id: uuid.UUID) -> HandreikingOut:
    casus = authorize(ctx, Actie.CASUS_LEZEN, casus_id, handeling="handreiking.lezen")
    revisie = _revision(ctx, casus_id, casus.revisie)
    formulier = ctx.formulieren[casus.formulierversie]
    return HandreikingOut(
        formulierversie=casus.formulierversie,
        revisie=revisie.nummer,
        inhoud=revisie.inhoud,
        voortgang=[Voortgang(**v) for v in progress(formulier, revisie.inhoud)],
    )


def save(ctx: Context, casus_id: uuid.UUID, *, basis: int, data: HandreikingIn) -> int:
    """Write revision basis+1, or refuse because someone saved after `basis`.

    The conditional UPDATE is the optimistic lock (it re-checks under the row lock on
    PostgreSQL); the unique (casus_id, nummer) constraint is the last line of defence.
    """
    casus = authorize(ctx, Actie.HANDREIKING_BEWERKEN, casus_id, handeling="handreiking.opslaan")
    fouten = validate(ctx.formulieren[casus.formulierversie], data.inhoud)
    if fouten:
        raise Validatiefout([f.as_dict() for f in fouten])
    vorige = _revision(ctx, casus_id, casus.revisie).inhoud
    nummer = basis + 1
    ctx.audit.annotate(velden=[w["pad"] for w in verschil(vorige, data.inhoud)], revisie=nummer)
    moved = ctx.session.execute(
        update(Casus)
        .where(col(Casus.id) == casus_id, col(Casus.revisie) == basis)
        .values(_casus_changes(casus, nummer, data.inhoud))
        .execution_options(synchronize_session=False)
    )
    if cast(CursorResult[Any], moved).rowcount != 1:
        raise _stale(ctx, casus_id)
    try:
        with ctx.session.begin_nested():
            ctx.session.add(
                Revisie(
                    casus_id=casus_id,
                    nummer=nummer,
                    formulierversie=casus.formulierversie,
                    inhoud=data.inhoud,
                    auteur_id=ctx.actor.account_id,
                    toelichting=data.toelichting,
                )
            )
    except IntegrityError as exc:
        raise _stale(ctx, casus_id) from exc
    return nummer


def _casus_changes(casus: Casus, nummer: int, inhoud: dict[str, Any]) -> dict[str, Any]:
    changes: dict[str, Any] = {"revisie": nummer, "gewijzigd_op": utcnow()}
    if casus.status is CasusStatus.AANGEMAAKT:
        changes["status"] = CasusStatus.ACTIEF
    gemeente = (inhoud.get("kop") or {}).get("gemeente")
    if gemeente:
        changes["gemeente"] = gemeente
    return changes


def _stale(ctx: Context, casus_id: uuid.UUID) -> Versieconflict:
    current = ctx.session.exec(select(Casus.revisie).where(Casus.id == casus_id)).one()
    return Versieconflict(
        f"Iemand anders heeft de handreiking intussen opgeslagen (nu revisie {current}). "
        "Haal de nieuwe versie op en voeg uw wijzigingen samen.",
        revisie=current,
    )


def _revision(ctx: Context, casus_id: uuid.UUID, nummer: int) -> Revisie:
    revisie = ctx.session.exec(
        select(Revisie).where(Revisie.casus_id == casus_id, Revisie.nummer == nummer)
    ).first()
    if revisie is None:
        raise NietGevonden(f"Revisie {nummer} bestaat niet.")
    return revisie


def _authors(ctx: Context, ids: set[uuid.UUID]) -> dict[uuid.UUID, PersoonOut]:
    rows = ctx.session.exec(
        select(Account, Organisatie)
        .join(Organisatie, col(Organisatie.id) == col(Account.organisatie_id))
        .where(col(Account.id).in_(ids))
    ).all()
    return {
        a.id: PersoonOut(gebruikersnaam=a.gebruikersnaam, naam=a.naam, organisatie=o.naam)
        for a, o in rows
    }


def _summary(revisie: Revisie, auteur: PersoonOut) -> dict[str, Any]:
    return {
        "nummer": revisie.nummer,
        "auteur": auteur,
        "tijdstip": revisie.tijdstip,
        "toelichting": revisie.toelichting,
        "vastgesteld": False,
        "mdo": None,
    }


def list_revisions(ctx: Context, casus_id: uuid.UUID) -> list[RevisieSamenvatting]:
    authorize(ctx, Actie.CASUS_LEZEN, casus_id, handeling="revisies.lezen")
    revisies = ctx.session.exec(
        select(Revisie).where(Revisie.casus_id == casus_id).order_by(col(Revisie.nummer))
    ).all()
    auteurs = _authors(ctx, {r.auteur_id for r in revisies})
    return [RevisieSamenvatting(**_summary(r, auteurs[r.auteur_id])) for r in revisies]


def read_revision(ctx: Context, casus_id: uuid.UUID, nummer: int) -> RevisieOut:
    authorize(ctx, Actie.CASUS_LEZEN, casus_id, handeling="revisie.lezen")
    ctx.audit.annotate(revisie=nummer)
    revisie = _revision(ctx, casus_id, nummer)
    auteur = _authors(ctx, {revisie.auteur_id})[revisie.auteur_id]
    return RevisieOut(
        **_summary(revisie, auteur),
        formulierversie=revisie.formulierversie,
        inhoud=revisie.inhoud,
    )


def diff(ctx: Context, casus_id: uuid.UUID, nummer: int, met: int) -> VerschilOut:
    """What changed from revision `met` to revision `nummer`, field by field."""
    authorize(ctx, Actie.CASUS_LEZEN, casus_id, handeling="verschil.lezen")
    ctx.audit.annotate(revisie=nummer, met=met)
    oud, nieuw = _revision(ctx, casus_id, met), _revision(ctx, casus_id, nummer)
    return VerschilOut(
        van=met,
        naar=nummer,
        wijzigingen=[Wijziging(**w) for w in verschil(oud.inhoud, nieuw.inhoud)],
    )
