"""Questionnaires: who is asked, and answering in the app or through an ouder's personal link.

Professionals are invited per account when a casus closes (and, when the regievoerder asks for
it, after an MDO); they answer in the app, and only the invited account can. Ouders have no
account: the regievoerder makes a personal link, shown once. Only the SHA-256 of its random
token is stored, so the database cannot give a working link back, and the token never enters
the audit trail, a log line or an error message.

An answer is stored apart from its invitation and without an account: the team sees in the app
who was asked and whether they answered, never what they answered. The database could still
link a sole respondent (app.research.models.VragenlijstAntwoord), so an answer keeps only the
week it came in. Open answers are free text, sealed with the casus' data key.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import BindParameter, ColumnElement, Select, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from app.access.policy import Actie
from app.access.service import authorize, visible_clause
from app.audit.recorder import AuditRecorder, Uitkomst
from app.casus.models import Casus, Rol
from app.config import Settings
from app.context import Context
from app.crypto.keyring import KeyRing
from app.crypto.service import Kluis
from app.db import utcnow
from app.enums import CasusRol, CasusStatus
from app.errors import (
    Conflict,
    NietGevonden,
    RegieFout,
    Validatiefout,
    Verlopen,
)
from app.form.definition import Formulieren
from app.handreiking.models import Mdo
from app.links import TOKEN, publieke_link, token_hash
from app.research.models import Moment, VragenlijstAntwoord, VragenlijstUitnodiging
from app.research.vragenlijst import SCHAALPUNTEN, Doelgroep, Vragenlijst, Vragenlijsten
from app.research.vragenlijst_schemas import (
    AntwoordIn,
    AntwoordOntvangen,
    LinkStatus,
    OuderLinkRegel,
    ProfessionalsTelling,
    UitnodigingDetail,
    UitnodigingOut,
    VragenlijstenCasusOut,
)

MAX_OPEN_LINKS = 10
_NL = ZoneInfo("Europe/Amsterdam")


def open_veld(sleutel: str) -> str:
    """The sealing binding of an open answer (its own column namespace, like other side texts)."""
    return f"kolom:vragenlijst.{sleutel}"


def ouder_link(settings: Settings, base_url: str, token: str) -> str:
    """The absolute link an ouder opens, on the public address of this installation."""
    return publieke_link(settings, base_url, f"vragenlijst/{token}")


# Inviting ------------------------------------------------------------------------------------


def invite_members(
    ctx: Context, casus: Casus, moment: Moment, mdo_id: uuid.UUID | None = None
) -> int:
    """One invitation per account with an active role; annotates the current event with the count.

    Professionals get the professionals' questionnaire; invited ouders and the jeugdige (their
    own accounts, app.deelname) get the ouders' one, answered where they read their plan.
    At closing, an account already invited for this casus' closing (it was closed before and
    reopened) is not asked again; a partial unique index holds the same rule in the database.
    """
    rollen = dict(
        ctx.session.exec(
            select(Rol.account_id, Rol.rol).where(Rol.casus_id == casus.id, col(Rol.tot).is_(None))
        ).all()
    )
    if moment is Moment.AFSLUITING:
        gevraagd = ctx.session.exec(
            select(VragenlijstUitnodiging.account_id).where(
                VragenlijstUitnodiging.casus_id == casus.id,
                VragenlijstUitnodiging.moment == Moment.AFSLUITING,
            )
        ).all()
        rollen = {a: rol for a, rol in rollen.items() if a not in gevraagd}
    now = utcnow()
    for account_id, rol in sorted(rollen.items()):
        doelgroep = Doelgroep.OUDER if rol in OUDERROLLEN else Doelgroep.PROFESSIONAL
        ctx.session.add(
            VragenlijstUitnodiging(
                casus_id=casus.id,
                doelgroep=doelgroep,
                moment=moment,
                vragenlijstversie=ctx.vragenlijsten.huidige(doelgroep).versie,
                mdo_id=mdo_id,
                account_id=account_id,
                aangemaakt_door_id=ctx.actor.account_id,
                aangemaakt_op=now,
                verloopt_op=now + timedelta(days=ctx.settings.vragenlijst_geldig_dagen),
            )
        )
    ctx.session.flush()
    ctx.audit.annotate(vragenlijst_uitgenodigd=len(rollen))
    return len(rollen)


# The casus roles of people who are not professionals: they answer the ouders' questionnaire.
OUDERROLLEN = frozenset({CasusRol.OUDER, CasusRol.JEUGDIGE})


@dataclass(frozen=True)
class NieuweLink:
    """A link just made: the token exists only here, on its way to the one response showing it."""

    id: uuid.UUID
    token: str = field(repr=False)
    verloopt_op: datetime


def create_ouder_link(ctx: Context, casus_id: uuid.UUID, moment: Moment) -> NieuweLink:
    """A personal link for the ouders; at most MAX_OPEN_LINKS open at a time per casus."""
    casus = authorize(
        ctx, Actie.VRAGENLIJST_UITNODIGEN, casus_id, handeling="vragenlijst.uitnodigen"
    )
    # Two requests at once must not both pass the limit: hold the casus row until commit.
    ctx.session.exec(select(Casus.id).where(Casus.id == casus_id).with_for_update()).first()
    if moment is Moment.AFSLUITING and casus.status is not CasusStatus.AFGESLOTEN:
        raise Conflict(
            "De vragenlijst bij het afsluiten kan pas als de casus is afgesloten. "
            "Kies 'mdo' voor een vragenlijst na een MDO."
        )
    now = utcnow()
    if _open_links(ctx.session, casus_id, now) >= MAX_OPEN_LINKS:
        raise Conflict(
            f"Er staan al {MAX_OPEN_LINKS} links voor ouders open bij deze casus. "
            "Trek eerst een link in die niet meer nodig is."
        )
    token = secrets.token_urlsafe(32)
    uitnodiging = VragenlijstUitnodiging(
        casus_id=casus_id,
        doelgroep=Doelgroep.OUDER,
        moment=moment,
        vragenlijstversie=ctx.vragenlijsten.huidige(Doelgroep.OUDER).versie,
        mdo_id=_last_meeting(ctx.session, casus_id) if moment is Moment.MDO else None,
        token_hash=token_hash(token),
        aangemaakt_door_id=ctx.actor.account_id,
        aangemaakt_op=now,
        verloopt_op=now + timedelta(days=ctx.settings.vragenlijst_geldig_dagen),
    )
    ctx.session.add(uitnodiging)
    ctx.session.flush()
    ctx.audit.annotate(uitnodiging=str(uitnodiging.id), doelgroep="ouder", moment=moment.value)
    return NieuweLink(uitnodiging.id, token, uitnodiging.verloopt_op)


def withdraw_link(ctx: Context, casus_id: uuid.UUID, uitnodiging_id: uuid.UUID) -> None:
    """Make an ouder's link stop working; withdrawing twice is fine, an answered one is done."""
    authorize(ctx, Actie.VRAGENLIJST_UITNODIGEN, casus_id, handeling="vragenlijst.intrekken")
    uitnodiging = ctx.session.exec(
        select(VragenlijstUitnodiging)
        .where(
            VragenlijstUitnodiging.id == uitnodiging_id,
            VragenlijstUitnodiging.casus_id == casus_id,
            VragenlijstUitnodiging.doelgroep == Doelgroep.OUDER,
            col(VragenlijstUitnodiging.account_id).is_(None),
        )
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if uitnodiging is None:
        raise NietGevonden("Deze link bestaat niet bij deze casus.")
    ctx.audit.annotate(uitnodiging=str(uitnodiging.id), doelgroep="ouder")
    if uitnodiging.beantwoord_op is not None:
        raise Conflict("De ouders hebben deze vragenlijst al ingevuld: intrekken kan niet meer.")
    if uitnodiging.ingetrokken_op is None:
        uitnodiging.ingetrokken_op = utcnow()
        ctx.session.add(uitnodiging)
        ctx.session.flush()


def list_for_casus(ctx: Context, casus_id: uuid.UUID) -> VragenlijstenCasusOut:
    """Professionals as counts only; the ouders' links with their status, never a token."""
    authorize(ctx, Actie.CASUS_LEZEN, casus_id, handeling="vragenlijsten.lezen")
    rows = ctx.session.exec(
        select(VragenlijstUitnodiging)
        .where(VragenlijstUitnodiging.casus_id == casus_id)
        .order_by(col(VragenlijstUitnodiging.aangemaakt_op).desc(), col(VragenlijstUitnodiging.id))
    ).all()
    professionals = [u for u in rows if u.doelgroep is Doelgroep.PROFESSIONAL]
    met_account = [u for u in rows if u.doelgroep is Doelgroep.OUDER and u.account_id]
    now = utcnow()
    return VragenlijstenCasusOut(
        professionals=_telling(professionals),
        ouders_met_account=_telling(met_account),
        ouders=[
            OuderLinkRegel(
                id=u.id,
                moment=u.moment,
                status=link_status(u, now),
                aangemaakt_op=u.aangemaakt_op,
                verloopt_op=u.verloopt_op,
            )
            for u in rows
            if u.doelgroep is Doelgroep.OUDER and u.account_id is None
        ],
    )


def _telling(uitnodigingen: list[VragenlijstUitnodiging]) -> ProfessionalsTelling:
    beantwoord = sum(1 for u in uitnodigingen if u.beantwoord_op is not None)
    return ProfessionalsTelling(uitgenodigd=len(uitnodigingen), beantwoord=beantwoord)


def link_status(uitnodiging: VragenlijstUitnodiging, now: datetime) -> LinkStatus:
    if uitnodiging.beantwoord_op is not None:
        return LinkStatus.BEANTWOORD
    if uitnodiging.ingetrokken_op is not None:
        return LinkStatus.INGETROKKEN
    if uitnodiging.verloopt_op <= now:
        return LinkStatus.VERLOPEN
    return LinkStatus.OPEN


def _open_links(session: Session, casus_id: uuid.UUID, now: datetime) -> int:
    return session.exec(
        select(func.count()).where(
            VragenlijstUitnodiging.casus_id == casus_id,
            VragenlijstUitnodiging.doelgroep == Doelgroep.OUDER,
            col(VragenlijstUitnodiging.account_id).is_(None),
            col(VragenlijstUitnodiging.beantwoord_op).is_(None),
            col(VragenlijstUitnodiging.ingetrokken_op).is_(None),
            col(VragenlijstUitnodiging.verloopt_op) > now,
        )
    ).one()


def _last_meeting(session: Session, casus_id: uuid.UUID) -> uuid.UUID | None:
    """The MDO an after-MDO questionnaire is about: the last one finished."""
    return session.exec(
        select(Mdo.id)
        .where(Mdo.casus_id == casus_id, col(Mdo.afgerond_op).is_not(None))
        .order_by(col(Mdo.afgerond_op).desc())
        .limit(1)
    ).first()


# Professionals -------------------------------------------------------------------------------


def open_for_account(
    session: Session, account_id: uuid.UUID, *, zichtbaar: ColumnElement[bool] | None = None
) -> list[tuple[VragenlijstUitnodiging, Casus]]:
    """Invitations this account can still answer, on casussen it still has an active role on."""
    rows = session.execute(open_for_account_query(account_id, zichtbaar=zichtbaar)).all()
    return [(uitnodiging, casus) for uitnodiging, casus in rows]


def open_for_account_query(
    account_id: uuid.UUID | BindParameter[uuid.UUID],
    *,
    zichtbaar: ColumnElement[bool] | None = None,
    nu: datetime | BindParameter[datetime] | None = None,
) -> Select[VragenlijstUitnodiging, Casus]:
    """The query of `open_for_account`, at the moment `nu` (default: now). The inbox builds it
    once, with bind parameters for the account, `nu` and `zichtbaar`'s moment.

    `zichtbaar` is `visible_clause(ctx)` or `visible_since(…)` (app.access.service), to leave
    out a casus that has faded for this account, as `_mine` refuses it. Config keeps an
    invitation from outliving the visibility period (app.config), so it only matters when that
    period was shortened.
    """
    mijn_rol = select(Rol.id).where(
        col(Rol.casus_id) == col(Casus.id),
        col(Rol.account_id) == account_id,
        col(Rol.tot).is_(None),
        *([] if zichtbaar is None else [zichtbaar]),
    )
    return (
        sa_select(VragenlijstUitnodiging, Casus)
        .join(Casus, col(Casus.id) == col(VragenlijstUitnodiging.casus_id))
        .where(
            col(VragenlijstUitnodiging.account_id) == account_id,
            mijn_rol.exists(),
            col(VragenlijstUitnodiging.beantwoord_op).is_(None),
            col(VragenlijstUitnodiging.ingetrokken_op).is_(None),
            col(VragenlijstUitnodiging.verloopt_op) > (utcnow() if nu is None else nu),
        )
        .order_by(col(VragenlijstUitnodiging.verloopt_op), col(VragenlijstUitnodiging.id))
    )


def my_open_invitations(ctx: Context) -> list[UitnodigingOut]:
    rows = open_for_account(ctx.session, ctx.actor.account_id, zichtbaar=visible_clause(ctx))
    ctx.audit.record("vragenlijsten.mijn", Uitkomst.TOEGESTAAN, kenmerken={"aantal": len(rows)})
    return [_out(uitnodiging, casus) for uitnodiging, casus in rows]


def read_invitation(ctx: Context, uitnodiging_id: uuid.UUID) -> UitnodigingDetail:
    """The invitation and its questionnaire, for the invited account only."""
    uitnodiging, casus = _mine(ctx, uitnodiging_id, "vragenlijst.lezen")
    return UitnodigingDetail(
        **_out(uitnodiging, casus).model_dump(),
        vragenlijst=ctx.vragenlijsten[uitnodiging.vragenlijstversie],
    )


def answer_as_professional(
    ctx: Context, uitnodiging_id: uuid.UUID, data: AntwoordIn
) -> AntwoordOntvangen:
    uitnodiging, casus = _mine(ctx, uitnodiging_id, "vragenlijst.invullen", lock=True)
    vragenlijst = ctx.vragenlijsten[uitnodiging.vragenlijstversie]
    _store(ctx.session, ctx.kluis(casus.formulierversie), uitnodiging, vragenlijst, data)
    assert uitnodiging.beantwoord_op is not None
    return AntwoordOntvangen(uitnodiging_id=uitnodiging.id, beantwoord_op=uitnodiging.beantwoord_op)


def _mine(
    ctx: Context, uitnodiging_id: uuid.UUID, handeling: str, *, lock: bool = False
) -> tuple[VragenlijstUitnodiging, Casus]:
    """The actor's own invitation, or a refusal (recorded): 404 when not theirs, 410 when done.

    Like answering a handover, who may answer is a rule on the data: the invited account, while
    it still has an active role on the casus and the casus has not faded for it (closed longer
    ago than REGIE_AFGESLOTEN_ZICHTBAAR_DAGEN, unless it is the regievoerder: the same rule as
    every read, app.access.service). Anyone else learns nothing, not even that it exists.
    """
    query = (
        select(VragenlijstUitnodiging, Casus)
        .join(Casus, col(Casus.id) == col(VragenlijstUitnodiging.casus_id))
        .where(VragenlijstUitnodiging.id == uitnodiging_id)
    )
    if lock:
        query = query.with_for_update(of=VragenlijstUitnodiging).execution_options(
            populate_existing=True
        )
    row = ctx.session.exec(query).first()
    refusal: RegieFout | None = None
    if row is None or not _is_mine(ctx, row[0]):
        refusal = NietGevonden("Er is geen vragenlijst met dit kenmerk voor u.")
    else:
        refusal = _gone(row[0], utcnow())
    ctx.audit.record(
        handeling,
        Uitkomst.GEWEIGERD if refusal else Uitkomst.TOEGESTAAN,
        casus_id=row[0].casus_id if row else None,
        kenmerken={
            "uitnodiging": str(uitnodiging_id),
            **({"doelgroep": row[0].doelgroep.value} if row else {}),
            **({"code": refusal.code} if refusal else {}),
        },
    )
    if refusal is not None:
        raise refusal
    assert row is not None
    return row[0], row[1]


def _is_mine(ctx: Context, uitnodiging: VragenlijstUitnodiging) -> bool:
    if uitnodiging.account_id != ctx.actor.account_id:
        return False
    role = ctx.session.exec(
        select(Rol.id)
        .join(Casus, col(Casus.id) == col(Rol.casus_id))
        .where(
            Rol.casus_id == uitnodiging.casus_id,
            Rol.account_id == ctx.actor.account_id,
            col(Rol.tot).is_(None),
            visible_clause(ctx),
        )
    ).first()
    return role is not None


def _out(uitnodiging: VragenlijstUitnodiging, casus: Casus) -> UitnodigingOut:
    return UitnodigingOut(
        id=uitnodiging.id,
        casus_id=uitnodiging.casus_id,
        gemeente=casus.gemeente,
        moment=uitnodiging.moment,
        vragenlijstversie=uitnodiging.vragenlijstversie,
        aangemaakt_op=uitnodiging.aangemaakt_op,
        verloopt_op=uitnodiging.verloopt_op,
    )


# Ouders, through their personal link ---------------------------------------------------------


@dataclass(frozen=True)
class Linkverzoek:
    """A request through an ouder's link: no account, so no actor and no Context.

    `audit` is the request's own recorder (from the unit of work), anonymous: its events carry
    the invitation's id, never the token.
    """

    session: Session
    audit: AuditRecorder
    keyring: KeyRing
    formulieren: Formulieren
    vragenlijsten: Vragenlijsten


@dataclass(frozen=True)
class OuderVragenlijst:
    uitnodiging_id: uuid.UUID
    vragenlijst: Vragenlijst


def open_link(link: Linkverzoek, token: str) -> OuderVragenlijst:
    """The questionnaire behind a link: 404 for an unknown link, 410 for one that is done."""
    uitnodiging = _by_token(link, token, "vragenlijst.lezen")
    return OuderVragenlijst(uitnodiging.id, link.vragenlijsten[uitnodiging.vragenlijstversie])


def answer_by_link(link: Linkverzoek, token: str, data: AntwoordIn) -> None:
    uitnodiging = _by_token(link, token, "vragenlijst.invullen", lock=True)
    casus = link.session.get(Casus, uitnodiging.casus_id)
    assert casus is not None  # the foreign key holds it
    kluis = Kluis(link.keyring, link.formulieren[casus.formulierversie])
    vragenlijst = link.vragenlijsten[uitnodiging.vragenlijstversie]
    _store(link.session, kluis, uitnodiging, vragenlijst, data)


def refuse_link_form(link: Linkverzoek, token: str) -> None:
    """Record a link form refused before anything was read (no valid CSRF token)."""
    uitnodiging = _find_by_token(link.session, token, lock=False)
    link.audit.record(
        "vragenlijst.invullen",
        Uitkomst.GEWEIGERD,
        casus_id=uitnodiging.casus_id if uitnodiging else None,
        kenmerken={
            "doelgroep": Doelgroep.OUDER.value,
            **({"uitnodiging": str(uitnodiging.id)} if uitnodiging else {}),
            "code": "csrf",
        },
    )


def _find_by_token(session: Session, token: str, *, lock: bool) -> VragenlijstUitnodiging | None:
    if not TOKEN.fullmatch(token):
        return None
    query = select(VragenlijstUitnodiging).where(
        VragenlijstUitnodiging.token_hash == token_hash(token),
        VragenlijstUitnodiging.doelgroep == Doelgroep.OUDER,
    )
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.exec(query).first()


def _by_token(
    link: Linkverzoek, token: str, handeling: str, *, lock: bool = False
) -> VragenlijstUitnodiging:
    uitnodiging = _find_by_token(link.session, token, lock=lock)
    refusal: RegieFout | None = (
        NietGevonden("Deze link kennen wij niet.")
        if uitnodiging is None
        else _gone(uitnodiging, utcnow())
    )
    link.audit.record(
        handeling,
        Uitkomst.GEWEIGERD if refusal else Uitkomst.TOEGESTAAN,
        casus_id=uitnodiging.casus_id if uitnodiging else None,
        kenmerken={
            "doelgroep": Doelgroep.OUDER.value,
            **({"uitnodiging": str(uitnodiging.id)} if uitnodiging else {}),
            **({"code": refusal.code} if refusal else {}),
        },
    )
    if refusal is not None:
        raise refusal
    assert uitnodiging is not None
    return uitnodiging


# Answers -------------------------------------------------------------------------------------


def _gone(uitnodiging: VragenlijstUitnodiging, now: datetime) -> Verlopen | None:
    """Why an invitation can no longer be used, in words for whoever holds it."""
    status = link_status(uitnodiging, now)
    if status is LinkStatus.BEANTWOORD:
        return Verlopen("Deze vragenlijst is al ingevuld. Dank u wel!", reden=status.value)
    if status is LinkStatus.INGETROKKEN:
        return Verlopen("Deze vragenlijst is ingetrokken.", reden=status.value)
    if status is LinkStatus.VERLOPEN:
        return Verlopen("De tijd om deze vragenlijst in te vullen is voorbij.", reden=status.value)
    return None


def _store(
    session: Session,
    kluis: Kluis,
    uitnodiging: VragenlijstUitnodiging,
    vragenlijst: Vragenlijst,
    data: AntwoordIn,
) -> None:
    """The answer (open answers sealed) and the invitation marked answered, in one transaction."""
    schaal, open_ = check_answers(vragenlijst, data)
    casus_id = uitnodiging.casus_id
    session.add(
        VragenlijstAntwoord(
            casus_id=casus_id,
            doelgroep=uitnodiging.doelgroep,
            moment=uitnodiging.moment,
            vragenlijstversie=uitnodiging.vragenlijstversie,
            datum=_week_of_today(),
            schaal=schaal,
            open={k: kluis.seal_text(casus_id, open_veld(k), v) for k, v in open_.items()},
        )
    )
    uitnodiging.beantwoord_op = utcnow()
    session.add(uitnodiging)
    session.flush()


def _week_of_today() -> date:
    """The Monday of this ISO week (Dutch time): an answer's day would match its invitation's
    `beantwoord_op` more closely than it needs to (see VragenlijstAntwoord)."""
    vandaag = datetime.now(_NL).date()
    return vandaag - timedelta(days=vandaag.weekday())


def check_answers(
    vragenlijst: Vragenlijst, data: AntwoordIn
) -> tuple[dict[str, int], dict[str, str]]:
    """Every key a question of this version, scales 1..5, texts within their length.

    Every question is optional (an empty text or null is no answer), but an empty questionnaire
    is not an answer. Errors name the question: `schaal.rust_overzicht`, `open.open_goed`.
    """
    schaalvragen = {v.sleutel for v in vragenlijst.schaalvragen}
    open_vragen = {v.sleutel: v for v in vragenlijst.open_vragen}
    fouten: list[dict[str, str]] = []
    schaal: dict[str, int] = {}
    open_: dict[str, str] = {}
    for sleutel, waarde in data.schaal.items():
        pad = f"schaal.{sleutel}"
        if sleutel not in schaalvragen:
            fouten.append({"pad": pad, "melding": "Deze vraag staat niet in de vragenlijst."})
        elif waarde is None:
            continue
        elif type(waarde) is not int or not 1 <= waarde <= SCHAALPUNTEN:
            fouten.append({"pad": pad, "melding": "Kies een van de antwoorden."})
        else:
            schaal[sleutel] = waarde
    for sleutel, waarde in data.open.items():
        pad = f"open.{sleutel}"
        vraag = open_vragen.get(sleutel)
        if vraag is None:
            fouten.append({"pad": pad, "melding": "Deze vraag staat niet in de vragenlijst."})
        elif waarde is None or (isinstance(waarde, str) and not waarde.strip()):
            continue
        elif not isinstance(waarde, str):
            fouten.append({"pad": pad, "melding": "Vul hier tekst in."})
        elif vraag.max_lengte is not None and len(_lines(waarde)) > vraag.max_lengte:
            fouten.append({"pad": pad, "melding": f"Gebruik hoogstens {vraag.max_lengte} tekens."})
        else:
            open_[sleutel] = _lines(waarde)
    if not fouten and not schaal and not open_:
        fouten.append({"pad": "antwoorden", "melding": "Beantwoord minstens één vraag."})
    if fouten:
        raise Validatiefout(fouten)
    return schaal, open_


def _lines(tekst: str) -> str:
    """Browsers send a new line as CRLF but count it as one character, as we do."""
    return tekst.replace("\r\n", "\n")
