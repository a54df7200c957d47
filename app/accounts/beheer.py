"""Account management by the functioneel beheerder, who never sees casus content.

A regievoerder cannot disappear from an open casus without a handover: deactivating their
account, or closing their organisation, is refused with the list of casussen to hand over first.
"""

from __future__ import annotations

import uuid

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from app.access.policy import Actie
from app.access.service import authorize_system
from app.accounts.models import Account, Organisatie
from app.accounts.schemas import AccountIn, AccountOut, OrganisatieIn, OrganisatieOut
from app.auth import sessies
from app.casus.models import Casus, Rol
from app.context import Context
from app.enums import CasusRol, CasusStatus, Systeemrol
from app.errors import Conflict, NietGevonden, Validatiefout
from app.regie.models import Overdracht, OverdrachtStatus

DUBBELE_ORGANISATIE = "Er is al een organisatie met deze naam."
DUBBEL_ACCOUNT = "Er is al een account met deze gebruikersnaam."
GEEN_ORGANISATIE = "Kies een bestaande organisatie die actief is."
# Beheerder and onderzoeker never see a casus; together with professional they would.
ALLEEN = frozenset({Systeemrol.BEHEERDER, Systeemrol.ONDERZOEKER})
NIET_SAMEN = (
    "Een beheerder of onderzoeker ziet geen casussen: geef zo'n account alleen die ene rol. "
    "Werkt iemand ook als professional, maak dan een tweede account."
)


def list_organisations(ctx: Context) -> list[OrganisatieOut]:
    authorize_system(ctx, Actie.ACCOUNTS_BEHEREN)
    return _organisations(ctx)


def list_accounts(ctx: Context) -> list[AccountOut]:
    authorize_system(ctx, Actie.ACCOUNTS_BEHEREN)
    return _accounts(ctx)


def overview(ctx: Context) -> tuple[list[OrganisatieOut], list[AccountOut]]:
    """Organisations and accounts for the Beheer page, under one authorization (one event)."""
    authorize_system(ctx, Actie.ACCOUNTS_BEHEREN)
    return _organisations(ctx), _accounts(ctx)


def add_organisation(ctx: Context, data: OrganisatieIn) -> OrganisatieOut:
    """A new, active organisation; its name is unique (regardless of capitals)."""
    authorize_system(ctx, Actie.ACCOUNTS_BEHEREN)
    bestaand = select(Organisatie.id).where(
        func.lower(col(Organisatie.naam)) == func.lower(data.naam)
    )
    if ctx.session.exec(bestaand).first() is not None:
        raise Validatiefout([{"pad": "naam", "melding": DUBBELE_ORGANISATIE}])
    organisatie = Organisatie(naam=data.naam, type=data.type)
    _insert(ctx, organisatie, pad="naam", melding=DUBBELE_ORGANISATIE)
    ctx.audit.annotate(
        velden=["naam", "type"], organisatie=str(organisatie.id), type=data.type.value
    )
    return _organisation_out(organisatie)


def add_account(ctx: Context, data: AccountIn) -> AccountOut:
    """A new, active account in an active organisation; its gebruikersnaam is unique."""
    authorize_system(ctx, Actie.ACCOUNTS_BEHEREN)
    organisatie = ctx.session.get(Organisatie, data.organisatie_id)
    fouten = []
    if organisatie is None or not organisatie.actief:
        fouten.append({"pad": "organisatie_id", "melding": GEEN_ORGANISATIE})
    bestaand = select(Account.id).where(Account.gebruikersnaam == data.gebruikersnaam)
    if ctx.session.exec(bestaand).first() is not None:
        fouten.append({"pad": "gebruikersnaam", "melding": DUBBEL_ACCOUNT})
    rollen = set(data.systeemrollen)
    if len(rollen) > 1 and rollen & ALLEEN:
        fouten.append({"pad": "systeemrollen", "melding": NIET_SAMEN})
    if fouten or organisatie is None:
        raise Validatiefout(fouten)
    account = Account(
        gebruikersnaam=data.gebruikersnaam,
        naam=data.naam,
        organisatie_id=organisatie.id,
        functietitel=data.functietitel or None,
        systeemrollen=sorted({r.value for r in data.systeemrollen}),
    )
    _insert(ctx, account, pad="gebruikersnaam", melding=DUBBEL_ACCOUNT)
    velden = ["gebruikersnaam", "naam", "organisatie", "systeemrollen"]
    ctx.audit.annotate(
        velden=[*velden, *(["functietitel"] if account.functietitel else [])],
        account=account.gebruikersnaam,
        organisatie=str(organisatie.id),
        systeemrollen=account.systeemrollen,
    )
    return _out(account, organisatie)


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
        if account.id == ctx.actor.account_id:
            raise Conflict(
                "U kunt uw eigen account niet uitzetten. Vraag dit een andere beheerder."
            )
        _refuse_while_leading(ctx, [account.id], f"{account.naam} is")
        # Ended, not just paused: switching the account on again opens no old session.
        sessies.end_for_accounts(ctx.session, [account.id])
    account.actief = actief
    ctx.session.add(account)
    ctx.session.flush()
    ctx.audit.annotate(velden=["actief"], account=gebruikersnaam, actief=actief)
    return _out(account, organisatie)


def set_organisation_active(
    ctx: Context, organisatie_id: uuid.UUID, actief: bool
) -> OrganisatieOut:
    authorize_system(ctx, Actie.ACCOUNTS_BEHEREN)
    organisatie = ctx.session.get(Organisatie, organisatie_id)
    if organisatie is None:
        raise NietGevonden("Deze organisatie bestaat niet.")
    if not actief:
        ids = list(
            ctx.session.exec(
                select(Account.id).where(Account.organisatie_id == organisatie_id)
            ).all()
        )
        if ctx.actor.account_id in ids:
            raise Conflict(
                "U kunt uw eigen organisatie niet uitzetten. Vraag dit een andere beheerder."
            )
        _refuse_while_leading(ctx, ids, f"Medewerkers van {organisatie.naam} zijn")
        sessies.end_for_accounts(ctx.session, ids)
    organisatie.actief = actief
    ctx.session.add(organisatie)
    ctx.session.flush()
    ctx.audit.annotate(velden=["actief"], organisatie=str(organisatie_id), actief=actief)
    return _organisation_out(organisatie)


def _organisations(ctx: Context) -> list[OrganisatieOut]:
    rows = ctx.session.exec(select(Organisatie).order_by(col(Organisatie.naam))).all()
    return [_organisation_out(o) for o in rows]


def _accounts(ctx: Context) -> list[AccountOut]:
    rows = ctx.session.exec(
        select(Account, Organisatie)
        .join(Organisatie, col(Organisatie.id) == col(Account.organisatie_id))
        .order_by(col(Account.gebruikersnaam))
    ).all()
    return [_out(a, o) for a, o in rows]


def _insert(ctx: Context, row: Organisatie | Account, *, pad: str, melding: str) -> None:
    """Add a row whose unique name was checked; someone adding the same name a moment
    earlier still gets the message on the field, not an error page."""
    try:
        with ctx.session.begin_nested():
            ctx.session.add(row)
    except IntegrityError as exc:
        raise Validatiefout([{"pad": pad, "melding": melding}]) from exc


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


def _organisation_out(organisatie: Organisatie) -> OrganisatieOut:
    return OrganisatieOut(
        id=organisatie.id, naam=organisatie.naam, type=organisatie.type, actief=organisatie.actief
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
