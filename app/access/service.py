"""The one decision point: may this actor do this action (on this casus)?"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlmodel import col, or_, select
from sqlmodel.sql.expression import Select

from app.access.policy import Actie
from app.audit.recorder import Uitkomst
from app.casus.models import Casus, Rol
from app.context import Context
from app.db import utcnow
from app.enums import CasusRol, CasusStatus
from app.errors import CasusAfgesloten, CasusNietGevonden, Geweigerd, RegieFout


def _my_roles(ctx: Context, casus_id: uuid.UUID) -> Select[Casus, str]:
    """The casus with each active role the actor holds on it (no rows: not a member)."""
    return (
        select(Casus, Rol.rol)
        .join(Rol, col(Rol.casus_id) == col(Casus.id))
        .where(
            col(Casus.id) == casus_id,
            col(Rol.account_id) == ctx.actor.account_id,
            col(Rol.tot).is_(None),
        )
    )


def authorize(ctx: Context, actie: Actie, casus_id: uuid.UUID, *, handeling: str) -> Casus:
    """Load the casus for `actie`, or refuse; either way the decision enters the audit trail.

    A casus the actor has no active role on is indistinguishable from a missing one (404),
    whatever their system roles; only members learn that they lack a right (403).
    `handeling` names what is done (e.g. "handreiking.lezen") for the toegangslog.
    """
    query = _my_roles(ctx, casus_id).execution_options(populate_existing=True)
    if actie in ctx.policy.alleen_open_casus:
        # A change holds the casus row until commit, so closing cannot slip in between.
        query = query.with_for_update(of=Casus)
    rows = ctx.session.exec(query).all()
    refusal = _refusal(ctx, actie, rows)
    ctx.audit.record(
        handeling,
        Uitkomst.GEWEIGERD if refusal else Uitkomst.TOEGESTAAN,
        casus_id=casus_id,
        kenmerken={"recht": actie.value, **({"code": refusal.code} if refusal else {})},
    )
    if refusal:
        raise refusal
    return rows[0][0]


def _refusal(ctx: Context, actie: Actie, rows: Sequence[Any]) -> RegieFout | None:
    if not rows:
        return CasusNietGevonden()
    casus: Casus = rows[0][0]
    rollen = {CasusRol(rol) for _, rol in rows}
    if _faded(ctx, casus) and CasusRol.REGIEVOERDER not in rollen:
        return CasusNietGevonden()
    if not ctx.policy.casus_allows(rollen, actie):
        return Geweigerd(f"Uw rol op deze casus staat '{actie}' niet toe.")
    if actie in ctx.policy.alleen_open_casus and casus.status is CasusStatus.AFGESLOTEN:
        return CasusAfgesloten()
    return None


def visible_clause(ctx: Context) -> Any:
    """SQL for "not faded": open, closed recently, or I am its regievoerder (for lists)."""
    since = utcnow() - timedelta(days=ctx.settings.afgesloten_zichtbaar_dagen)
    return or_(
        col(Casus.status) != CasusStatus.AFGESLOTEN,
        col(Casus.afgesloten_op) >= since,
        col(Rol.rol) == CasusRol.REGIEVOERDER,
    )


def _faded(ctx: Context, casus: Casus) -> bool:
    """A closed casus stays visible to its last members for a while, then to the regievoerder."""
    if casus.status is not CasusStatus.AFGESLOTEN or casus.afgesloten_op is None:
        return False
    zichtbaar = timedelta(days=ctx.settings.afgesloten_zichtbaar_dagen)
    return casus.afgesloten_op + zichtbaar < utcnow()


def authorize_system(ctx: Context, actie: Actie) -> None:
    """Refuse an action that is not tied to a casus unless a system role allows it."""
    allowed = ctx.policy.system_allows(set(ctx.actor.systeemrollen), actie)
    uitkomst = Uitkomst.TOEGESTAAN if allowed else Uitkomst.GEWEIGERD
    ctx.audit.record(actie.value, uitkomst, kenmerken={"recht": actie.value})
    if not allowed:
        raise Geweigerd(f"Uw account mag '{actie}' niet.")


def casus_rights(ctx: Context, casus_id: uuid.UUID) -> frozenset[Actie]:
    """What the actor may do on this casus, so pages offer only controls that will work.

    Showing is not allowing: every action is still authorized again when it is carried out.
    """
    rows = ctx.session.exec(_my_roles(ctx, casus_id)).all()
    rollen = {CasusRol(rol) for _, rol in rows}
    closed = bool(rows) and rows[0][0].status is CasusStatus.AFGESLOTEN
    return frozenset(
        actie
        for actie in Actie
        if ctx.policy.casus_allows(rollen, actie)
        and not (closed and actie in ctx.policy.alleen_open_casus)
    )
