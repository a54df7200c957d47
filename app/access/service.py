"""The one decision point: may this actor do this action (on this casus)?"""

from __future__ import annotations

import uuid

from sqlmodel import col, select

from app.access.policy import Actie
from app.casus.models import Casus, Rol
from app.context import Context
from app.enums import CasusRol, CasusStatus
from app.errors import CasusAfgesloten, CasusNietGevonden, Geweigerd


def authorize(ctx: Context, actie: Actie, casus_id: uuid.UUID) -> Casus:
    """Load the casus for `actie`, or refuse.

    A casus the actor has no active role on is indistinguishable from a missing one (404),
    whatever their system roles; only members learn that they lack a right (403).
    """
    rows = ctx.session.exec(
        select(Casus, Rol.rol)
        .join(Rol, col(Rol.casus_id) == col(Casus.id))
        .where(
            col(Casus.id) == casus_id,
            col(Rol.account_id) == ctx.actor.account_id,
            col(Rol.tot).is_(None),
        )
    ).all()
    if not rows:
        raise CasusNietGevonden()
    casus = rows[0][0]
    rollen = {CasusRol(rol) for _, rol in rows}
    if not ctx.policy.casus_allows(rollen, actie):
        raise Geweigerd(f"Uw rol op deze casus staat '{actie}' niet toe.")
    if actie in ctx.policy.alleen_open_casus and casus.status is CasusStatus.AFGESLOTEN:
        raise CasusAfgesloten()
    return casus


def authorize_system(ctx: Context, actie: Actie) -> None:
    """Refuse an action that is not tied to a casus unless a system role allows it."""
    if not ctx.policy.system_allows(set(ctx.actor.systeemrollen), actie):
        raise Geweigerd(f"Uw account mag '{actie}' niet.")
