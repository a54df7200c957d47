"""Account management by the functioneel beheerder, who never sees casus content.

A regievoerder cannot disappear from an open casus without a handover: deactivating their
account, or closing their organisation, is refused with the list of casussen to hand over first.
"""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel
from sqlmodel import col, select

from app.access.policy import Actie
from app.access.service import authorize_system
from app.accounts.models import Account, Organisatie
from app.casus.models import Casus, Rol
from app.context import Context
from app.enums import CasusRol, CasusStatus
from app.errors import Conflict, NietGevonden
from app.regie.models import Overdracht, OverdrachtStatus


class AccountOut(BaseModel):
    gebruikersnaam: str
    naam: str
    organisatie: str
    organisatie_id: uuid.UUID
    functietitel: str | None
    systeemrollen: list[str]
    actief: bool


class ActiefIn(BaseModel):
    actief: bool


def list_accounts(ctx: Context) -> list[AccountOut]:
    authorize_system(ctx, Actie.ACCOUNTS_BEHEREN)
    rows = ctx.session.exec(
        select(Account, Organisatie)
        .join(Organisatie, col(Organisatie.id) == col(Account.organisatie_id))
        .order_by(col(Account.gebruikersnaam))
    ).all()
    return [_out(a, o) for a, o in rows]


def set_account_active(ctx: Context, gebruikersnaam: str, actief: bool) -> AccountOut:
    authorize_system(ctx, Actie.ACCOUNTS_BEHEREN)
    row = ctx.session.exec(
        select(Account, Organisatie)
        .join(Organisatie, col(Organisatie.id) == col(Account.organisatie_id))
        .where(Account.gebruikersnaam == gebruikersnaam)
    ).first()
    if row is None:
        raise NietGevonden("Dit account bestaat niet.")
    account, organisatie = row
    if not actief:
        _refuse_while_leading(ctx, [account.id], f"{account.naam} is")
    account.actief = actief
    ctx.session.add(account)
    ctx.session.flush()
    ctx.audit.annotate(velden=["actief"], account=gebruikersnaam, actief=actief)
    return _out(account, organisatie)


def set_organisation_active(
    ctx: Context, organisatie_id: uuid.UUID, actief: bool
) -> dict[str, Any]:
    authorize_system(ctx, Actie.ACCOUNTS_BEHEREN)
    organisatie = ctx.session.get(Organisatie, organisatie_id)
    if organisatie is None:
        raise NietGevonden("Deze organisatie bestaat niet.")
    if not actief:
        ids = ctx.session.exec(
            select(Account.id).where(Account.organisatie_id == organisatie_id)
        ).all()
        _refuse_while_leading(ctx, list(ids), f"Medewerkers van {organisatie.naam} zijn")
    organisatie.actief = actief
    ctx.session.add(organisatie)
    ctx.session.flush()
    ctx.audit.annotate(velden=["actief"], organisatie=str(organisatie_id), actief=actief)
    return {"id": organisatie.id, "naam": organisatie.naam, "actief": organisatie.actief}


def _refuse_while_leading(ctx: Context, account_ids: list[uuid.UUID], wie: str) -> None:
    leads = ctx.session.exec(
        select(Casus.id, Casus.gemeente)
        .join(Rol, col(Rol.casus_id) == col(Casus.id))
        .where(
            col(Rol.account_id).in_(account_ids),
            col(Rol.tot).is_(None),
            col(Rol.rol) == CasusRol.REGIEVOERDER,
            col(Casus.status) != CasusStatus.AFGESLOTEN,
        )
        .order_by(col(Casus.id))
    ).all()
    waiting = ctx.session.exec(
        select(Overdracht.casus_id, Casus.gemeente)
        .join(Casus, col(Casus.id) == col(Overdracht.casus_id))
        .where(
            col(Overdracht.opvolger_id).in_(account_ids),
            col(Overdracht.status) == OverdrachtStatus.VOORGESTELD,
        )
    ).all()
    leads = [*leads, *waiting]
    if leads:
        raise Conflict(
            f"{wie} regievoerder of voorgestelde opvolger bij {len(leads)} open casus(sen). "
            "Draag de regie daarvan eerst over of trek de overdracht in; daarna kan dit wel.",
            casussen=[{"id": str(i), "gemeente": g} for i, g in leads],
        )


def _out(account: Account, organisatie: Organisatie) -> AccountOut:
    return AccountOut(
        gebruikersnaam=account.gebruikersnaam,
        naam=account.naam,
        organisatie=organisatie.naam,
        organisatie_id=organisatie.id,
        functietitel=account.functietitel,
        systeemrollen=account.systeemrollen,
        actief=account.actief,
    )
