"""Inviting ouders and the jeugdige, and letting them in: a link by e-mail plus a code in person.

Two secrets on two channels: the link alone (a forwarded or intercepted e-mail) opens nothing,
the code alone (overheard in the MDO) opens nothing. Accepting creates an account of the
invitee's own, without organisation or system role, with one role on this one casus; from
then on the ordinary policy decides what they may do, and removing that role (or closing the
casus, after the configured period) ends their access like anyone else's.
"""

from __future__ import annotations

import hmac
import re
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, text, update
from sqlmodel import Session, col, select

from app.access.policy import Actie
from app.access.service import authorize
from app.accounts.models import Account
from app.audit.recorder import AuditRecorder, Uitkomst
from app.casus.models import Casus, Rol
from app.config import Settings
from app.context import Context
from app.crypto.keyring import KeyRing
from app.crypto.service import UITNODIGING_EMAIL as EMAIL
from app.crypto.service import UITNODIGING_NAAM as NAAM
from app.crypto.service import Kluis
from app.db import utcnow
from app.deelname.models import Terugkeerlink, Uitnodiging
from app.deelname.postbus import postbus_voor, uitnodigingsmail
from app.deelname.schemas import UitnodigingIn, UitnodigingOut, UitnodigingStatus
from app.enums import CasusRol, CasusStatus
from app.errors import Conflict, NietGevonden, Verlopen
from app.form.definition import Formulieren
from app.links import TOKEN, publieke_link, token_hash

MAX_OPEN = 10
MAX_POGINGEN = 5
ROLNAMEN = {CasusRol.OUDER: "Ouder/verzorger", CasusRol.JEUGDIGE: "Jeugdige"}
# No 0/O, 1/I/L: the code is read aloud or copied from a note.
_TEKENS = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
_CODE = re.compile(r"[^A-Z0-9]")


def _code_hash(keyring: KeyRing, uitnodiging_id: uuid.UUID, code: str) -> str:
    """Keyed: eight characters could be tried offline against a copy of the table."""
    return keyring.blind_index(f"uitnodiging|{uitnodiging_id}|{code}")


def _normal(code: str) -> str:
    """What the person typed, as the code was made: capitals, without spaces or dashes."""
    return _CODE.sub("", code.upper())[:32]


def email_index(keyring: KeyRing, email: str) -> str:
    """The address as a keyed hash, the same however it was capitalised or padded."""
    return keyring.blind_index(f"uitnodiging-email|{email.strip().lower()}")


def _new_code() -> str:
    return "".join(secrets.choice(_TEKENS) for _ in range(8))


@dataclass(frozen=True)
class NieuweUitnodiging:
    """What the regievoerder hands over in person: the code, shown once and stored nowhere."""

    id: uuid.UUID
    rol: CasusRol
    code: str = field(repr=False)
    verloopt_op: datetime


def invite(
    ctx: Context, casus_id: uuid.UUID, data: UitnodigingIn, base_url: str
) -> NieuweUitnodiging:
    """Invite someone new: accepting makes them an account of their own.

    Two invitations to one address are two people (two ouders may share a mailbox); to give
    the same person a new code, the regievoerder invites them again (`reinvite`).
    """
    authorize(ctx, Actie.DEELNEMERS_UITNODIGEN, casus_id, handeling="deelnemer.uitnodigen")
    return _store_and_send(ctx, casus_id, data, base_url, account_id=None)


def reinvite(
    ctx: Context, casus_id: uuid.UUID, uitnodiging_id: uuid.UUID, base_url: str
) -> NieuweUitnodiging:
    """A new link and code for someone who accepted before (they lost the code, or their role
    ended): the same name, address and role, and accepting keeps their account."""
    authorize(ctx, Actie.DEELNEMERS_UITNODIGEN, casus_id, handeling="deelnemer.opnieuw")
    eerder = ctx.session.exec(
        select(Uitnodiging).where(
            Uitnodiging.id == uitnodiging_id, Uitnodiging.casus_id == casus_id
        )
    ).first()
    if eerder is None:
        raise NietGevonden("Deze uitnodiging bestaat niet bij deze casus.")
    if eerder.account_id is None or eerder.gebruikt_op is None:
        raise Conflict(
            "Deze uitnodiging is nog niet geaccepteerd. Trek haar in en nodig opnieuw uit."
        )
    account = ctx.session.get(Account, eerder.account_id)
    if account is None or not account.actief:
        raise Conflict("Dit account is uitgezet. Nodig deze persoon uit als nieuwe deelnemer.")
    # A second click, or an earlier re-invitation not yet used: only the newest link and code
    # are in play.
    _withdraw_open_for(ctx.session, eerder.account_id)
    kluis = _kluis(ctx.session, ctx.keyring, ctx.formulieren, casus_id)
    data = UitnodigingIn(
        rol=eerder.rol,
        naam=kluis.open_text(casus_id, NAAM, eerder.naam) or "",
        email=kluis.open_text(casus_id, EMAIL, eerder.email) or "",
    )
    ctx.audit.annotate(eerder=str(eerder.id))
    return _store_and_send(ctx, casus_id, data, base_url, account_id=eerder.account_id)


def _withdraw_open_for(session: Session, account_id: uuid.UUID) -> None:
    session.execute(
        update(Uitnodiging)
        .where(
            col(Uitnodiging.account_id) == account_id,
            col(Uitnodiging.gebruikt_op).is_(None),
            col(Uitnodiging.ingetrokken_op).is_(None),
        )
        .values(ingetrokken_op=utcnow())
    )


def _store_and_send(
    ctx: Context,
    casus_id: uuid.UUID,
    data: UitnodigingIn,
    base_url: str,
    *,
    account_id: uuid.UUID | None,
) -> NieuweUitnodiging:
    """Store the invitation and send its link; the caller hands over the code in person.

    The e-mail goes out before the invitation is stored: if it cannot be sent, nothing is
    stored and the regievoerder sees why. At most MAX_OPEN invitations wait per casus.
    `account_id` is set for a re-invitation: the account accepting it will use.
    """
    postbus = postbus_voor(ctx.settings)
    # Two invitations at once must not both pass the limit: hold the casus row until commit.
    ctx.session.exec(select(Casus.id).where(Casus.id == casus_id).with_for_update()).first()
    nu = utcnow()
    if _open_count(ctx.session, casus_id, nu) >= MAX_OPEN:
        raise Conflict(
            f"Er staan al {MAX_OPEN} uitnodigingen open bij deze casus. "
            "Trek eerst een uitnodiging in die niet meer nodig is."
        )
    kluis = _kluis(ctx.session, ctx.keyring, ctx.formulieren, casus_id)
    token, code = secrets.token_urlsafe(32), _new_code()
    uitnodiging = Uitnodiging(
        casus_id=casus_id,
        rol=data.rol,
        naam=kluis.seal_text(casus_id, NAAM, data.naam) or "",
        email=kluis.seal_text(casus_id, EMAIL, data.email) or "",
        email_index=email_index(ctx.keyring, data.email),
        token_hash=token_hash(token),
        code_hash="",
        uitgenodigd_door_id=ctx.actor.account_id,
        aangemaakt_op=nu,
        verloopt_op=nu + timedelta(hours=ctx.settings.uitnodiging_geldig_uren),
        account_id=account_id,
    )
    uitnodiging.code_hash = _code_hash(ctx.keyring, uitnodiging.id, code)
    link = publieke_link(ctx.settings, base_url, f"uitnodiging/{token}")
    terugkomen = publieke_link(ctx.settings, base_url, "terugkomen")
    # Sent before anything is stored: an e-mail that cannot go out leaves no invitation behind
    # (whoever catches the error keeps a clean transaction).
    postbus.verstuur(
        uitnodigingsmail(
            ctx.settings, data.email, data.naam, ctx.actor.naam, link, uitnodiging, terugkomen
        )
    )
    ctx.session.add(uitnodiging)
    ctx.session.flush()
    ctx.audit.annotate(velden=["deelnemers"], uitnodiging=str(uitnodiging.id), rol=data.rol.value)
    return NieuweUitnodiging(uitnodiging.id, data.rol, code, uitnodiging.verloopt_op)


def _open_count(session: Session, casus_id: uuid.UUID, nu: datetime) -> int:
    return session.exec(
        select(func.count())
        .select_from(Uitnodiging)
        .where(
            Uitnodiging.casus_id == casus_id,
            col(Uitnodiging.gebruikt_op).is_(None),
            col(Uitnodiging.ingetrokken_op).is_(None),
            col(Uitnodiging.verloopt_op) > nu,
        )
    ).one()


def _kluis(
    session: Session, keyring: KeyRing, formulieren: Formulieren, casus_id: uuid.UUID
) -> Kluis:
    versie = session.exec(select(Casus.formulierversie).where(Casus.id == casus_id)).one()
    return Kluis(keyring, formulieren[versie])


def status(uitnodiging: Uitnodiging, nu: datetime) -> UitnodigingStatus:
    if uitnodiging.gebruikt_op is not None:
        return UitnodigingStatus.GEACCEPTEERD
    if uitnodiging.ingetrokken_op is not None:
        return UitnodigingStatus.INGETROKKEN
    if uitnodiging.mislukte_pogingen >= MAX_POGINGEN:
        return UitnodigingStatus.GEBLOKKEERD
    if uitnodiging.verloopt_op <= nu:
        return UitnodigingStatus.VERLOPEN
    return UitnodigingStatus.OPEN


def list_for_casus(ctx: Context, casus_id: uuid.UUID) -> list[UitnodigingOut]:
    """The casus' invitations, newest first, with name and address for whoever may invite."""
    authorize(ctx, Actie.DEELNEMERS_UITNODIGEN, casus_id, handeling="uitnodigingen.lezen")
    kluis = _kluis(ctx.session, ctx.keyring, ctx.formulieren, casus_id)
    nu = utcnow()
    rows = ctx.session.exec(
        select(Uitnodiging, Account.naam)
        .outerjoin(Account, col(Account.id) == col(Uitnodiging.account_id))
        .where(Uitnodiging.casus_id == casus_id)
        .order_by(col(Uitnodiging.aangemaakt_op).desc(), col(Uitnodiging.id))
    ).all()
    return [
        UitnodigingOut(
            id=u.id,
            rol=u.rol,
            naam=kluis.open_text(casus_id, NAAM, u.naam) or "",
            email=kluis.open_text(casus_id, EMAIL, u.email) or "",
            status=status(u, nu),
            aangemaakt_op=u.aangemaakt_op,
            verloopt_op=u.verloopt_op,
            gebruikt_op=u.gebruikt_op,
            deelnemer=deelnemer if u.gebruikt_op is not None else None,
        )
        for u, deelnemer in rows
    ]


def withdraw(ctx: Context, casus_id: uuid.UUID, uitnodiging_id: uuid.UUID) -> None:
    """Make an invitation's link stop working. An accepted one is a role by now: end that on
    the Betrokkenen page instead."""
    authorize(ctx, Actie.DEELNEMERS_UITNODIGEN, casus_id, handeling="deelnemer.intrekken")
    uitnodiging = ctx.session.exec(
        select(Uitnodiging)
        .where(Uitnodiging.id == uitnodiging_id, Uitnodiging.casus_id == casus_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if uitnodiging is None:
        raise NietGevonden("Deze uitnodiging bestaat niet bij deze casus.")
    ctx.audit.annotate(velden=["deelnemers"], uitnodiging=str(uitnodiging.id))
    if uitnodiging.gebruikt_op is not None:
        raise Conflict(
            "Deze uitnodiging is al geaccepteerd. Beëindig de rol op de pagina Betrokkenen."
        )
    if uitnodiging.ingetrokken_op is None:
        uitnodiging.ingetrokken_op = utcnow()
        ctx.session.add(uitnodiging)


# Accepting ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Linkverzoek:
    """A request through an invitation link: nobody is signed in yet, so no Context."""

    session: Session
    audit: AuditRecorder
    keyring: KeyRing
    settings: Settings


@dataclass(frozen=True)
class Toegelaten:
    """The account the invitee acts as from now on, and their casus."""

    account_id: uuid.UUID
    casus_id: uuid.UUID


@dataclass(frozen=True)
class VerkeerdeCode:
    """The code did not match; `over` tries are left before the invitation is blocked."""

    over: int


def check_link(link: Linkverzoek, token: str) -> Uitnodiging:
    """The open invitation behind a link: 404 for an unknown link, 410 for one that is done."""
    return _usable(link, token, "deelnemer.link_openen", lock=False)


def accept(link: Linkverzoek, token: str, code: str) -> Toegelaten | VerkeerdeCode:
    """Let the invitee in when the code matches; count a wrong one (and block after
    MAX_POGINGEN). A wrong code is returned, not raised: its count must be committed."""
    uitnodiging = _usable(link, token, "deelnemer.aanmelden", lock=True)
    if not code_matches(link.keyring, uitnodiging, code):
        return wrong_code(link, uitnodiging)
    try:
        account = _account_for(link.session, uitnodiging)
    except Verlopen:
        refuse_pending(link, "account_uit")
        raise
    uitnodiging.gebruikt_op, uitnodiging.account_id = utcnow(), account.id
    link.session.add(uitnodiging)
    link.session.flush()
    link.audit.annotate(velden=["deelnemers"], rol=uitnodiging.rol.value)
    # From here on this person acts: the event (and the timeline) names their new account.
    event = link.audit.pending[-1]
    event.account_id, event.gebruikersnaam = account.id, account.gebruikersnaam
    return Toegelaten(account.id, uitnodiging.casus_id)


def wrong_code(link: Linkverzoek, houder: Uitnodiging | Terugkeerlink) -> VerkeerdeCode:
    """Count a wrong code on the invitation or link it was tried on, and say so in its event."""
    houder.mislukte_pogingen += 1
    link.session.add(houder)
    refuse_pending(link, "verkeerde_code")
    return VerkeerdeCode(max(0, MAX_POGINGEN - houder.mislukte_pogingen))


def refuse_pending(link: Linkverzoek, code: str) -> None:
    """The request's event, recorded as allowed when the link was found, is a refusal after all."""
    event = link.audit.pending[-1]
    event.uitkomst = Uitkomst.GEWEIGERD.value
    event.kenmerken = {**event.kenmerken, "code": code}


def code_matches(keyring: KeyRing, uitnodiging: Uitnodiging, code: str) -> bool:
    """Whether `code` is this invitation's, however the person spaced or capitalised it."""
    verwacht = _code_hash(keyring, uitnodiging.id, _normal(code))
    return hmac.compare_digest(uitnodiging.code_hash, verwacht)


def _account_for(session: Session, uitnodiging: Uitnodiging) -> Account:
    """The invitee's account, with an active role on the casus.

    A re-invitation (`reinvite`) names the account: the same person keeps it, with one name in
    the toegangslog, their answers and their own words, and no second role; links to come
    back that were sent for their older invitation stop working, as its code does. Any other
    invitation makes a new account.
    """
    account = None
    if uitnodiging.account_id is not None:
        account = session.get(Account, uitnodiging.account_id)
        if account is None or not account.actief:
            raise Verlopen("Deze uitnodiging werkt niet meer.", reden="ingetrokken")
        _expire_links_of_earlier(session, uitnodiging)
    account = account or Account(
        gebruikersnaam=f"burger-{uuid.uuid4().hex}",
        naam=_display_name(session, uitnodiging),
        organisatie_id=None,
        systeemrollen=[],
    )
    session.add(account)
    session.flush()
    actief = session.exec(
        select(Rol.id).where(
            Rol.casus_id == uitnodiging.casus_id,
            Rol.account_id == account.id,
            col(Rol.tot).is_(None),
        )
    ).first()
    if actief is None:
        session.add(
            Rol(
                casus_id=uitnodiging.casus_id,
                account_id=account.id,
                rol=uitnodiging.rol,
                toegevoegd_door_id=uitnodiging.uitgenodigd_door_id,
            )
        )
    return account


def _display_name(session: Session, uitnodiging: Uitnodiging) -> str:
    """ "Ouder/verzorger", numbered from the second one on the casus ("Ouder/verzorger 2"), so
    that two parents can be told apart everywhere without their names leaving the seal."""
    if session.get_bind().dialect.name == "postgresql":
        # Two acceptances at once would count the same; SQLite's one writer has them wait.
        # A lock of its own, not the casus row (re-inviting takes that one first).
        sleutel = int.from_bytes(uitnodiging.casus_id.bytes[:8], "big", signed=True)
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": sleutel})
    eerder = session.exec(
        select(func.count(func.distinct(Rol.account_id)))
        .join(Account, col(Account.id) == col(Rol.account_id))
        .where(
            Rol.casus_id == uitnodiging.casus_id,
            Rol.rol == uitnodiging.rol,
            col(Account.organisatie_id).is_(None),
        )
    ).one()
    naam = ROLNAMEN[uitnodiging.rol]
    return naam if eerder == 0 else f"{naam} {eerder + 1}"


def _expire_links_of_earlier(session: Session, uitnodiging: Uitnodiging) -> None:
    eerdere = select(Uitnodiging.id).where(
        Uitnodiging.account_id == uitnodiging.account_id, Uitnodiging.id != uitnodiging.id
    )
    session.execute(
        update(Terugkeerlink)
        .where(
            col(Terugkeerlink.uitnodiging_id).in_(eerdere),
            col(Terugkeerlink.gebruikt_op).is_(None),
            col(Terugkeerlink.verloopt_op) > utcnow(),
        )
        .values(verloopt_op=utcnow())
    )


def _usable(link: Linkverzoek, token: str, handeling: str, *, lock: bool) -> Uitnodiging:
    """Find the invitation and refuse (audited) any that cannot be used any more."""
    uitnodiging = _find(link.session, token, lock=lock)
    if uitnodiging is None:
        link.audit.record(handeling, Uitkomst.GEWEIGERD, kenmerken={"code": "niet_gevonden"})
        raise NietGevonden("Deze link bestaat niet.")
    casus = link.session.get(Casus, uitnodiging.casus_id)
    assert casus is not None  # the foreign key holds it
    reden = status(uitnodiging, utcnow()).value
    if reden == UitnodigingStatus.OPEN and casus.status is CasusStatus.AFGESLOTEN:
        reden = "afgesloten"
    uitkomst = Uitkomst.TOEGESTAAN if reden == UitnodigingStatus.OPEN else Uitkomst.GEWEIGERD
    link.audit.record(
        handeling,
        uitkomst,
        casus_id=uitnodiging.casus_id,
        kenmerken={
            "uitnodiging": str(uitnodiging.id),
            **({} if uitkomst is Uitkomst.TOEGESTAAN else {"code": reden}),
        },
    )
    if uitkomst is Uitkomst.GEWEIGERD:
        raise Verlopen("Deze link werkt niet meer.", reden=reden)
    return uitnodiging


def _find(session: Session, token: str, *, lock: bool) -> Uitnodiging | None:
    if not TOKEN.fullmatch(token):
        return None
    query = select(Uitnodiging).where(Uitnodiging.token_hash == token_hash(token))
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.exec(query).first()
