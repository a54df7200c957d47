"""MDO sessions: open a meeting, link the revisions saved during it, fix the agreed one.

"Opgeslagen" is not "vastgesteld": only finishing an MDO marks a revision as the agreed plan,
and only a complete one (every field the form calls required) can be agreed.
"""

from __future__ import annotations

import uuid

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.access.policy import Actie
from app.access.service import authorize
from app.accounts.models import Account
from app.casus.models import Casus, Rol
from app.context import Context
from app.crypto.service import MDO_BESLUITEN as BESLUITEN
from app.db import utcnow
from app.errors import Conflict, NietGevonden, Validatiefout
from app.form.completeness import missing_required
from app.handreiking.models import Mdo, Revisie
from app.handreiking.schemas import AfrondenIn, MdoIn, MdoOut
from app.research.models import Moment
from app.research.vragenlijst_service import invite_members


def open_mdo(ctx: Context, casus_id: uuid.UUID, data: MdoIn) -> MdoOut:
    casus = authorize(ctx, Actie.MDO_BEHEREN, casus_id, handeling="mdo.openen")
    _check_attendees(ctx.session, casus_id, data.aanwezigen)
    if open_meeting(ctx.session, casus_id) is not None:
        raise Conflict("Er loopt al een MDO voor deze casus. Rond dat eerst af.")
    mdo = Mdo(
        casus_id=casus_id,
        datum=data.datum,
        aanwezigen=sorted(set(data.aanwezigen)),
        ouders_aanwezig=data.ouders_aanwezig,
        jeugdige_aanwezig=data.jeugdige_aanwezig,
        geopend_door_id=ctx.actor.account_id,
    )
    try:
        with ctx.session.begin_nested():
            ctx.session.add(mdo)
    except IntegrityError as exc:
        raise Conflict("Er loopt al een MDO voor deze casus.") from exc
    ctx.audit.annotate(velden=["mdo"], mdo_id=str(mdo.id))
    return _out(ctx, casus, mdo)


def finish_mdo(ctx: Context, casus_id: uuid.UUID, mdo_id: uuid.UUID, data: AfrondenIn) -> MdoOut:
    """Fix `data.revisie` as this MDO's agreed plan; refused while required fields are empty.

    With `data.vragenlijst`, everyone on the casus is asked the professionals' questionnaire.
    """
    casus = authorize(ctx, Actie.MDO_BEHEREN, casus_id, handeling="mdo.afronden")
    mdo = ctx.session.exec(
        select(Mdo)
        .where(Mdo.id == mdo_id, Mdo.casus_id == casus_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if mdo is None:
        raise NietGevonden("Dit MDO bestaat niet.")
    if mdo.afgerond_op is not None:
        raise Conflict("Dit MDO is al afgerond.")
    revisie = ctx.session.exec(
        select(Revisie).where(Revisie.casus_id == casus_id, Revisie.nummer == data.revisie)
    ).first()
    if revisie is None:
        raise Validatiefout([{"pad": "revisie", "melding": "Deze revisie bestaat niet."}])
    kluis = ctx.kluis(casus.formulierversie)
    ontbrekend = missing_required(
        ctx.formulieren[casus.formulierversie], kluis.open(casus_id, revisie.inhoud)
    )
    if ontbrekend:
        raise Validatiefout(
            [
                {"pad": pad, "melding": "Nodig voor het plan: vul dit in voor het vaststellen."}
                for pad in ontbrekend
            ],
            detail=f"Revisie {data.revisie} is niet compleet: {len(ontbrekend)} veld(en) leeg.",
        )
    mdo.vastgestelde_revisie = data.revisie
    mdo.afgerond_op = utcnow()
    mdo.besluiten = kluis.seal_text(casus_id, BESLUITEN, data.besluiten)
    ctx.session.add(mdo)
    ctx.session.flush()
    ctx.audit.annotate(velden=["mdo"], mdo_id=str(mdo.id), revisie=data.revisie)
    if data.vragenlijst:
        invite_members(ctx, casus, Moment.MDO, mdo_id=mdo.id)
    return _out(ctx, casus, mdo)


def list_mdos(ctx: Context, casus_id: uuid.UUID) -> list[MdoOut]:
    casus = authorize(ctx, Actie.CASUS_LEZEN, casus_id, handeling="mdos.lezen")
    rows = ctx.session.exec(
        select(Mdo).where(Mdo.casus_id == casus_id).order_by(col(Mdo.geopend_op).desc())
    ).all()
    return [_out(ctx, casus, m) for m in rows]


def open_meeting(session: Session, casus_id: uuid.UUID) -> Mdo | None:
    return session.exec(
        select(Mdo).where(Mdo.casus_id == casus_id, col(Mdo.afgerond_op).is_(None))
    ).first()


def agreed_revisions(session: Session, casus_id: uuid.UUID) -> set[int]:
    """The revision numbers some MDO fixed as the agreed plan."""
    rows = session.exec(
        select(Mdo.vastgestelde_revisie).where(
            Mdo.casus_id == casus_id, col(Mdo.vastgestelde_revisie).is_not(None)
        )
    ).all()
    return {n for n in rows if n is not None}


def _check_attendees(session: Session, casus_id: uuid.UUID, namen: list[str]) -> None:
    """Attendees are people on the casus, named by gebruikersnaam."""
    if not namen:
        return
    members = set(
        session.exec(
            select(Account.gebruikersnaam)
            .join(Rol, col(Rol.account_id) == col(Account.id))
            .where(Rol.casus_id == casus_id, col(Rol.tot).is_(None))
        ).all()
    )
    unknown = sorted(set(namen) - members)
    if unknown:
        raise Validatiefout(
            [
                {
                    "pad": "aanwezigen",
                    "melding": f"Niet betrokken bij deze casus: {', '.join(unknown)}.",
                }
            ]
        )


def _out(ctx: Context, casus: Casus, mdo: Mdo) -> MdoOut:
    return MdoOut(
        id=mdo.id,
        datum=mdo.datum,
        aanwezigen=mdo.aanwezigen,
        ouders_aanwezig=mdo.ouders_aanwezig,
        jeugdige_aanwezig=mdo.jeugdige_aanwezig,
        geopend_op=mdo.geopend_op,
        afgerond_op=mdo.afgerond_op,
        vastgestelde_revisie=mdo.vastgestelde_revisie,
        besluiten=ctx.kluis(casus.formulierversie).open_text(casus.id, BESLUITEN, mdo.besluiten),
    )
