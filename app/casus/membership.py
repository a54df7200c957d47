"""Who is on a casus: the access list. Adding a role grants access, ending it revokes it at once."""

from __future__ import annotations

import uuid

from sqlalchemy import Uuid, bindparam
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.access.policy import Actie
from app.access.service import authorize
from app.accounts.models import Account, Organisatie
from app.accounts.service import active_professional
from app.casus import toestemming
from app.casus.models import Rol
from app.casus.schemas import BetrokkeneIn, RolOut
from app.context import Context
from app.db import utcnow
from app.enums import CasusRol
from app.errors import Conflict, NietGevonden
from app.regie.queries import successor_of_open_handover

# The casussen an account (parameter "ik") has an active role on, read through
# ix_rol_account_actief alone: the lists of "my" casussen (and the inbox badge on every page)
# select casus rows among these ids (`app.db.among_ids`), not by joining roles to casus, which
# PostgreSQL would plan from the average account's share of all roles.
MIJN_CASUS_IDS = sa_select(col(Rol.casus_id)).where(
    col(Rol.account_id) == bindparam("ik", type_=Uuid()), col(Rol.tot).is_(None)
)


# Everyone with an active role on a casus, in the order they joined: on every casus page. Built
# once, and columns, not entities: mapping three ORM entities per row cost more than the query.
_ACTIEVE_ROLLEN = (
    sa_select(
        col(Rol.id),
        col(Rol.rol),
        col(Rol.functietitel),
        col(Account.functietitel),
        col(Rol.sinds),
        col(Account.gebruikersnaam),
        col(Account.naam),
        col(Organisatie.naam),
        col(Organisatie.type),
    )
    .join(Account, col(Account.id) == col(Rol.account_id))
    .outerjoin(Organisatie, col(Organisatie.id) == col(Account.organisatie_id))
    .where(col(Rol.casus_id) == bindparam("casus_id"), col(Rol.tot).is_(None))
    .order_by(col(Rol.sinds), col(Rol.id))
)


def active_roles(session: Session, casus_id: uuid.UUID) -> list[RolOut]:
    """Everyone with an active role, in the order they joined."""
    rows = session.execute(_ACTIEVE_ROLLEN, {"casus_id": casus_id}).all()
    return [
        RolOut(
            id=rol_id,
            rol=rol,
            functietitel=functietitel or account_functietitel,
            sinds=sinds,
            gebruikersnaam=gebruikersnaam,
            naam=naam,
            organisatie=organisatie,
            organisatietype=organisatietype,
        )
        for (
            rol_id,
            rol,
            functietitel,
            account_functietitel,
            sinds,
            gebruikersnaam,
            naam,
            organisatie,
            organisatietype,
        ) in rows
    ]


def list_roles(ctx: Context, casus_id: uuid.UUID) -> list[RolOut]:
    authorize(ctx, Actie.CASUS_LEZEN, casus_id, handeling="betrokkenen.lezen")
    return active_roles(ctx.session, casus_id)


def add_role(ctx: Context, casus_id: uuid.UUID, data: BetrokkeneIn) -> RolOut:
    """Give a professional a role on the casus; from this commit on they can see it.

    Only with the family's consent for their kind of organisation, or a legal ground
    (app.casus.toestemming); the event records which.
    """
    casus = authorize(ctx, Actie.BETROKKENEN_BEHEREN, casus_id, handeling="betrokkene.toevoegen")
    account = active_professional(ctx.session, data.gebruikersnaam, pad="gebruikersnaam")
    if _active_role(ctx.session, casus_id, account.id) is not None:
        raise Conflict(f"{account.naam} heeft al een rol op deze casus.")
    grond = toestemming.basis(ctx, casus, account, data.grondslag, pad="grondslag")
    rol = Rol(
        casus_id=casus_id,
        account_id=account.id,
        rol=CasusRol(data.rol),
        functietitel=data.functietitel,
        toegevoegd_door_id=ctx.actor.account_id,
    )
    try:
        with ctx.session.begin_nested():
            ctx.session.add(rol)
    except IntegrityError as exc:  # someone added the same person a moment ago
        raise Conflict(f"{account.naam} heeft al een rol op deze casus.") from exc
    ctx.audit.annotate(velden=["betrokkenen"], rol_id=str(rol.id), rol=rol.rol.value, **grond)
    return next(r for r in active_roles(ctx.session, casus_id) if r.id == rol.id)


def end_role(ctx: Context, casus_id: uuid.UUID, rol_id: uuid.UUID) -> None:
    """End a role now; the regievoerder's role ends only through a handover."""
    authorize(ctx, Actie.BETROKKENEN_BEHEREN, casus_id, handeling="betrokkene.verwijderen")
    ctx.audit.annotate(velden=["betrokkenen"], rol_id=str(rol_id))
    rol = ctx.session.get(Rol, rol_id)
    if rol is None or rol.casus_id != casus_id or rol.tot is not None:
        raise NietGevonden("Deze rol bestaat niet of is al beëindigd.")
    if rol.rol is CasusRol.REGIEVOERDER:
        raise Conflict(
            "De regievoerder kan niet verwijderd worden. Draag de regie eerst over aan een ander."
        )
    if successor_of_open_handover(ctx.session, casus_id, rol.account_id):
        raise Conflict("Aan deze persoon is de regie voorgesteld. Trek die overdracht eerst in.")
    rol.tot = utcnow()
    ctx.session.add(rol)
    ctx.session.flush()


def _active_role(session: Session, casus_id: uuid.UUID, account_id: uuid.UUID) -> Rol | None:
    return session.exec(
        select(Rol).where(
            Rol.casus_id == casus_id, Rol.account_id == account_id, col(Rol.tot).is_(None)
        )
    ).first()
