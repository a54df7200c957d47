"""The one decision point: may this actor do this action (on this casus)?"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import BindParameter, Row, Select, and_, bindparam
from sqlmodel import col, or_, select

from app.access.policy import Actie
from app.audit.recorder import Uitkomst
from app.casus.models import Casus, Rol
from app.context import Context
from app.db import utcnow
from app.enums import CasusRol, CasusStatus
from app.errors import CasusAfgesloten, CasusNietGevonden, Geweigerd, RegieFout
from app.form.definition import Formulier
from app.handreiking.models import Revisie

# The casus with each active role the actor holds on it (no rows: not a member). Built once
# and run with parameters: it runs on every request about a casus, and composing it anew cost
# more than the database takes to answer it.
_MIJN_ROLLEN = (
    select(Casus, Rol.rol)
    .join(Rol, col(Rol.casus_id) == col(Casus.id))
    .where(
        col(Casus.id) == bindparam("casus_id"),
        col(Rol.account_id) == bindparam("account_id"),
        col(Rol.tot).is_(None),
    )
)
# For a decision: the casus as stored now, not as this session saw it earlier; for a change,
# its row held until commit, so closing cannot slip in between.
_BESLISSEN = _MIJN_ROLLEN.execution_options(populate_existing=True)
_BESLISSEN_VAST = _BESLISSEN.with_for_update(of=Casus)
# The same decision with the casus' current revision alongside, still sealed (access knows the
# plan's model for this alone): reading the plan, or saving the next revision on it, needs it
# right after, and it was a round trip of its own. A non-member gets no row at all (the role is
# an inner join). A member the decision refuses (a faded or closed casus, a right their role
# lacks) does get the sealed revision fetched with it, never opened: it is opened only once the
# decision allows it.
_MET_HUIDIGE = and_(
    col(Revisie.casus_id) == col(Casus.id), col(Revisie.nummer) == col(Casus.revisie)
)
_BESLISSEN_MET_HUIDIGE = _BESLISSEN.add_columns(Revisie).outerjoin(Revisie, _MET_HUIDIGE)
_BESLISSEN_VAST_MET_HUIDIGE = _BESLISSEN_MET_HUIDIGE.with_for_update(of=Casus)
# The decision's statement by (with the plan, locking the casus row).
_BESLUIT: dict[tuple[bool, bool], Select[*tuple[Any, ...]]] = {
    (False, False): _BESLISSEN,
    (False, True): _BESLISSEN_VAST,
    (True, False): _BESLISSEN_MET_HUIDIGE,
    (True, True): _BESLISSEN_VAST_MET_HUIDIGE,
}


def _my_roles(ctx: Context, casus_id: uuid.UUID) -> Sequence[tuple[Casus, str]]:
    return ctx.session.exec(_MIJN_ROLLEN, params=_params(ctx, casus_id)).all()


def _params(ctx: Context, casus_id: uuid.UUID) -> dict[str, Any]:
    return {"casus_id": casus_id, "account_id": ctx.actor.account_id}


def authorize(ctx: Context, actie: Actie, casus_id: uuid.UUID, *, handeling: str) -> Casus:
    """Load the casus for `actie`, or refuse; either way the decision enters the audit trail.

    A casus the actor has no active role on is indistinguishable from a missing one (404),
    whatever their system roles; only members learn that they lack a right (403).
    `handeling` names what is done (e.g. "handreiking.lezen") for the toegangslog.
    """
    row, _, _ = _decide(ctx, actie, casus_id, handeling, own_words=False)
    casus: Casus = row[0]
    return casus


@dataclass(frozen=True)
class Inzage:
    """A casus loaded for reading its plan, from one decision."""

    casus: Casus
    # Its current revision as stored (sealed); None only if the data lost it.
    revisie: Revisie | None
    # What else the actor may do on it (see `casus_rights`), for a page's controls.
    rechten: frozenset[Actie]


def authorize_plan(ctx: Context, casus_id: uuid.UUID, *, handeling: str) -> Inzage:
    """`authorize` for reading the plan (casus.lezen), with the current revision and the actor's
    other rights from the same statement: reading the plan and a casus page need them, and each
    was a query of its own."""
    actie = Actie.CASUS_LEZEN
    row, _, rollen = _decide(ctx, actie, casus_id, handeling, own_words=False, met_plan=True)
    casus: Casus = row[0]
    rechten = _rights(ctx, rollen, closed=casus.status is CasusStatus.AFGESLOTEN)
    return Inzage(casus, row[2], rechten)


@dataclass(frozen=True)
class Bewerkrecht:
    """A casus loaded for saving its plan, and which fields the actor may change in it."""

    casus: Casus
    # None: every field (handreiking.bewerken). Else only the fields the form marks as the
    # words of one of these (policies/access.yaml, veldrechten).
    alleen_van: frozenset[str] | None
    # The casus' current revision as stored (sealed). None if the data lost it, or when a save
    # that held the row first moved the casus on: PostgreSQL then hands this one the casus as
    # it is now, without the revision it had joined, and the casus is past the basis (stale).
    revisie: Revisie | None


def authorize_edit(ctx: Context, casus_id: uuid.UUID, *, handeling: str) -> Bewerkrecht:
    """Load the casus for saving the plan: whole (handreiking.bewerken) or only the actor's
    own words (veldrechten), or refuse as `authorize` does. Which fields a save changes is
    judged afterwards, once it is known, by `check_own_words`. The revision the save builds on
    comes from the same statement: every save decrypts and compares it, and it was a round trip
    of its own."""
    actie = Actie.HANDREIKING_BEWERKEN
    row, eigen, _ = _decide(ctx, actie, casus_id, handeling, own_words=True, met_plan=True)
    return Bewerkrecht(row[0], eigen, row[2])


def check_own_words(
    ctx: Context, formulier: Formulier, recht: Bewerkrecht, paden: list[str]
) -> None:
    """Refuse (403, audited with the refused paths) a save that changes a field outside the
    actor's own words; a save with every right passes untouched."""
    if recht.alleen_van is None:
        return
    eigen = formulier.velden_van(recht.alleen_van)
    buiten = sorted({p for p in paden if not any(_within(p, veld) for veld in eigen)})
    if not buiten:
        return
    event = ctx.audit.pending[-1]
    event.uitkomst = Uitkomst.GEWEIGERD.value
    event.velden = buiten
    event.kenmerken = {**event.kenmerken, "reden": "veld_niet_toegestaan"}
    melding = "U mag dit veld niet wijzigen: het hoort niet bij uw eigen inbreng."
    raise Geweigerd(
        "U mag alleen de velden met uw eigen inbreng wijzigen.",
        errors=[{"pad": pad, "melding": melding} for pad in buiten],
    )


def _within(pad: str, veld: str) -> bool:
    return pad == veld or pad.startswith((f"{veld}.", f"{veld}["))


def _decide(
    ctx: Context,
    actie: Actie,
    casus_id: uuid.UUID,
    handeling: str,
    *,
    own_words: bool,
    met_plan: bool = False,
) -> tuple[Row[*tuple[Any, ...]], frozenset[str] | None, set[CasusRol]]:
    """The one decision: load, judge by the policy, audit, refuse or return the casus' row (the
    casus, the role, and with `met_plan` its current revision; and, with `own_words`, the marks
    the actor is limited to when the action is not theirs), with the actor's roles on it."""
    rows = ctx.session.execute(
        _BESLUIT[met_plan, actie in ctx.policy.alleen_open_casus], _params(ctx, casus_id)
    ).all()
    rollen = {CasusRol(row[1]) for row in rows}
    eigen = None
    if own_words and not ctx.policy.casus_allows(rollen, actie):
        eigen = ctx.policy.own_words(rollen) or None
    refusal = _refusal(ctx, actie, rows, rollen, limited=eigen is not None)
    ctx.audit.record(
        handeling,
        Uitkomst.GEWEIGERD if refusal else Uitkomst.TOEGESTAAN,
        casus_id=casus_id,
        kenmerken={"recht": actie.value, **({"code": refusal.code} if refusal else {})},
    )
    if refusal:
        raise refusal
    return rows[0], eigen, rollen


def _refusal(
    ctx: Context, actie: Actie, rows: Sequence[Any], rollen: set[CasusRol], *, limited: bool
) -> RegieFout | None:
    if not rows:
        return CasusNietGevonden()
    casus: Casus = rows[0][0]
    if _faded(ctx, casus) and CasusRol.REGIEVOERDER not in rollen:
        return CasusNietGevonden()
    if not limited and not ctx.policy.casus_allows(rollen, actie):
        return Geweigerd(f"Uw rol op deze casus staat '{actie}' niet toe.")
    if actie in ctx.policy.alleen_open_casus and casus.status is CasusStatus.AFGESLOTEN:
        return CasusAfgesloten()
    return None


def visible_clause(ctx: Context) -> Any:
    """SQL for "not faded": open, closed recently, or I am its regievoerder (for lists)."""
    return visible_since(fade_moment(ctx))


def fade_moment(ctx: Context) -> datetime:
    """A casus closed before this moment has faded for its members (not its regievoerder)."""
    return utcnow() - timedelta(days=ctx.settings.afgesloten_zichtbaar_dagen)


def visible_since(moment: datetime | BindParameter[datetime]) -> Any:
    """`visible_clause` for a given fade moment, or a parameter for it (a statement built once)."""
    return or_(
        col(Casus.status) != CasusStatus.AFGESLOTEN,
        col(Casus.afgesloten_op) >= moment,
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
    rows = _my_roles(ctx, casus_id)
    rollen = {CasusRol(rol) for _, rol in rows}
    return _rights(ctx, rollen, closed=bool(rows) and rows[0][0].status is CasusStatus.AFGESLOTEN)


def _rights(ctx: Context, rollen: set[CasusRol], *, closed: bool) -> frozenset[Actie]:
    return frozenset(
        actie
        for actie in Actie
        if ctx.policy.casus_allows(rollen, actie)
        and not (closed and actie in ctx.policy.alleen_open_casus)
    )


def own_word_fields(ctx: Context, casus_id: uuid.UUID, formulier: Formulier) -> frozenset[str]:
    """The fields (`sectie.veld`) the actor may change on their own, for the plan page to offer:
    none for whoever edits the whole plan (they have the steps), none on a closed casus.

    Showing is not allowing: a save is judged again by `authorize_edit` and `check_own_words`.
    """
    rows = _my_roles(ctx, casus_id)
    rollen = {CasusRol(rol) for _, rol in rows}
    if not rows or ctx.policy.casus_allows(rollen, Actie.HANDREIKING_BEWERKEN):
        return frozenset()
    if rows[0][0].status is CasusStatus.AFGESLOTEN:
        return frozenset()
    return formulier.velden_van(ctx.policy.own_words(rollen))
