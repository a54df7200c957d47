"""Handover of regie (warme overdracht): propose, accept, decline, withdraw.

Until the successor accepts, the old regievoerder keeps regie: there is never a moment without
one. Accepting moves the role in one transaction, under a lock on the handover row, so two
answers to the same proposal (accept and withdraw, or two accepts) cannot both take effect.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.access.policy import Actie
from app.access.service import authorize
from app.accounts.models import Account
from app.accounts.service import active_professional, persons
from app.audit.recorder import Uitkomst
from app.casus import toestemming
from app.casus.models import Casus, Rol
from app.context import Context
from app.crypto.service import OVERDRACHT_REDEN as REDEN
from app.crypto.service import OVERDRACHT_TOELICHTING as TOELICHTING
from app.crypto.service import Kluis
from app.db import utcnow
from app.enums import CasusRol
from app.errors import CasusNietGevonden, Conflict, Geweigerd, NietGevonden, Validatiefout
from app.regie.models import Overdracht, OverdrachtStatus
from app.regie.queries import handover_open
from app.regie.schemas import OverdrachtIn, OverdrachtOut


def propose(ctx: Context, casus_id: uuid.UUID, data: OverdrachtIn) -> OverdrachtOut:
    """Propose a successor; a professional not yet on the casus is added as betrokkene first,
    which needs consent or a legal ground like any betrokkene (app.casus.toestemming)."""
    casus = authorize(
        ctx, Actie.OVERDRACHT_VOORSTELLEN, casus_id, handeling="overdracht.voorstellen"
    )
    opvolger = _successor(ctx, data.opvolger)
    if handover_open(ctx.session, casus_id):
        raise Conflict("Er staat al een overdracht open voor deze casus. Trek die eerst in.")
    added = _role(ctx.session, casus_id, opvolger.id) is None
    grond = (
        toestemming.basis(ctx, casus, opvolger, data.grondslag, pad="grondslag") if added else {}
    )
    overdracht = Overdracht(
        casus_id=casus_id,
        voorgesteld_door_id=ctx.actor.account_id,
        opvolger_id=opvolger.id,
        status=OverdrachtStatus.VOORGESTELD,
        verlaat_casus=data.verlaat_casus,
        toelichting=_kluis(ctx, casus).seal_text(casus_id, TOELICHTING, data.toelichting) or "",
    )
    try:
        with ctx.session.begin_nested():  # the new role and the proposal together, or neither
            if added:
                ctx.session.add(
                    Rol(
                        casus_id=casus_id,
                        account_id=opvolger.id,
                        rol=CasusRol.BETROKKENE,
                        toegevoegd_door_id=ctx.actor.account_id,
                    )
                )
            ctx.session.add(overdracht)
    except IntegrityError as exc:
        raise Conflict("Er staat al een overdracht open voor deze casus.") from exc
    ctx.audit.annotate(velden=["overdracht"], overdracht_id=str(overdracht.id))
    if added:  # giving access is an event of its own, on the timeline too
        ctx.audit.record(
            "betrokkene.toevoegen",
            Uitkomst.TOEGESTAAN,
            casus_id=casus_id,
            kenmerken={"rol": CasusRol.BETROKKENE.value, "via": "overdracht", **grond},
        )
        ctx.audit.annotate(velden=["betrokkenen"])
    return _out(ctx, casus, overdracht)


def accept(ctx: Context, casus_id: uuid.UUID, overdracht_id: uuid.UUID) -> OverdrachtOut:
    """The successor takes regie: old role ends, new regievoerder role starts, same moment."""
    casus = authorize(
        ctx, Actie.OVERDRACHT_BEANTWOORDEN, casus_id, handeling="overdracht.accepteren"
    )
    overdracht = _answerable(ctx, casus_id, overdracht_id)
    now = utcnow()
    oud = _lead_role(ctx.session, casus_id)
    nieuw = _role(ctx.session, casus_id, ctx.actor.account_id)
    if nieuw is None:  # removed from the casus a moment ago
        raise CasusNietGevonden()
    for rol in (oud, nieuw):
        if rol is not None:
            rol.tot = now
            ctx.session.add(rol)
    ctx.session.flush()  # end both roles before the new ones meet the unique indexes
    ctx.session.add(
        Rol(
            casus_id=casus_id,
            account_id=ctx.actor.account_id,
            rol=CasusRol.REGIEVOERDER,
            sinds=now,
            toegevoegd_door_id=overdracht.voorgesteld_door_id,
        )
    )
    if oud is not None and not overdracht.verlaat_casus:
        ctx.session.add(
            Rol(
                casus_id=casus_id,
                account_id=oud.account_id,
                rol=CasusRol.BETROKKENE,
                sinds=now,
                functietitel=oud.functietitel,
                toegevoegd_door_id=ctx.actor.account_id,
            )
        )
    _close(ctx, overdracht, OverdrachtStatus.GEACCEPTEERD, now)
    return _out(ctx, casus, overdracht)


def decline(
    ctx: Context, casus_id: uuid.UUID, overdracht_id: uuid.UUID, reden: str
) -> OverdrachtOut:
    casus = authorize(ctx, Actie.OVERDRACHT_BEANTWOORDEN, casus_id, handeling="overdracht.afwijzen")
    overdracht = _answerable(ctx, casus_id, overdracht_id)
    if not reden.strip():
        raise Validatiefout(
            [{"pad": "reden", "melding": "Geef aan waarom u de regie niet overneemt."}]
        )
    overdracht.reden = _kluis(ctx, casus).seal_text(casus_id, REDEN, reden)
    _close(ctx, overdracht, OverdrachtStatus.AFGEWEZEN, utcnow())
    return _out(ctx, casus, overdracht)


def withdraw(ctx: Context, casus_id: uuid.UUID, overdracht_id: uuid.UUID) -> OverdrachtOut:
    casus = authorize(ctx, Actie.OVERDRACHT_INTREKKEN, casus_id, handeling="overdracht.intrekken")
    overdracht = _locked_open(ctx, casus_id, overdracht_id)
    if overdracht.voorgesteld_door_id != ctx.actor.account_id:
        raise Geweigerd("Alleen wie de overdracht voorstelde, kan haar intrekken.")
    _close(ctx, overdracht, OverdrachtStatus.INGETROKKEN, utcnow())
    return _out(ctx, casus, overdracht)


def list_for_casus(ctx: Context, casus_id: uuid.UUID) -> list[OverdrachtOut]:
    casus = authorize(ctx, Actie.CASUS_LEZEN, casus_id, handeling="overdrachten.lezen")
    rows = ctx.session.exec(
        select(Overdracht)
        .where(Overdracht.casus_id == casus_id)
        .order_by(col(Overdracht.aangemaakt_op).desc())
    ).all()
    return [_out(ctx, casus, o) for o in rows]


def _answerable(ctx: Context, casus_id: uuid.UUID, overdracht_id: uuid.UUID) -> Overdracht:
    overdracht = _locked_open(ctx, casus_id, overdracht_id)
    if overdracht.opvolger_id != ctx.actor.account_id:
        raise Geweigerd("Alleen de voorgestelde opvolger kan deze overdracht beantwoorden.")
    return overdracht


def _locked_open(ctx: Context, casus_id: uuid.UUID, overdracht_id: uuid.UUID) -> Overdracht:
    """The proposal, locked until commit; one that was already answered cannot be answered again."""
    overdracht = ctx.session.exec(
        select(Overdracht)
        .where(Overdracht.id == overdracht_id, Overdracht.casus_id == casus_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if overdracht is None:
        raise NietGevonden("Deze overdracht bestaat niet.")
    if overdracht.status is not OverdrachtStatus.VOORGESTELD:
        raise Conflict(f"Deze overdracht is al {overdracht.status.value}.")
    ctx.audit.annotate(overdracht_id=str(overdracht.id))
    return overdracht


def _close(ctx: Context, overdracht: Overdracht, status: OverdrachtStatus, now: datetime) -> None:
    overdracht.status = status
    overdracht.afgehandeld_op = now
    ctx.session.add(overdracht)
    ctx.session.flush()
    moved = status is OverdrachtStatus.GEACCEPTEERD
    ctx.audit.annotate(velden=["overdracht", *(["regievoerder"] if moved else [])])


def _successor(ctx: Context, gebruikersnaam: str) -> Account:
    account = active_professional(ctx.session, gebruikersnaam, pad="opvolger")
    if account.id == ctx.actor.account_id:
        raise Validatiefout([{"pad": "opvolger", "melding": "U hebt de regie al; kies een ander."}])
    return account


def _role(session: Session, casus_id: uuid.UUID, account_id: uuid.UUID) -> Rol | None:
    return session.exec(
        select(Rol)
        .where(Rol.casus_id == casus_id, Rol.account_id == account_id, col(Rol.tot).is_(None))
        .with_for_update()
    ).first()


def _lead_role(session: Session, casus_id: uuid.UUID) -> Rol | None:
    return session.exec(
        select(Rol)
        .where(Rol.casus_id == casus_id, Rol.rol == CasusRol.REGIEVOERDER, col(Rol.tot).is_(None))
        .with_for_update()
    ).first()


def _kluis(ctx: Context, casus: Casus) -> Kluis:
    return ctx.kluis(casus.formulierversie)


def _out(ctx: Context, casus: Casus, overdracht: Overdracht) -> OverdrachtOut:
    mensen = persons(ctx.session, {overdracht.voorgesteld_door_id, overdracht.opvolger_id})
    kluis = _kluis(ctx, casus)
    return OverdrachtOut(
        id=overdracht.id,
        casus_id=overdracht.casus_id,
        status=overdracht.status,
        voorgesteld_door=mensen[overdracht.voorgesteld_door_id],
        opvolger=mensen[overdracht.opvolger_id],
        toelichting=kluis.open_text(casus.id, TOELICHTING, overdracht.toelichting) or "",
        verlaat_casus=overdracht.verlaat_casus,
        reden=kluis.open_text(casus.id, REDEN, overdracht.reden),
        aangemaakt_op=overdracht.aangemaakt_op,
        afgehandeld_op=overdracht.afgehandeld_op,
    )
