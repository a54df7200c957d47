"""Coming back: an invitee whose session ended asks for a new link and opens it with their code.

An invitation works once, and a session ends after hours; the invitee must still be able to
read their plan next week without a second invitation (which would also make a second
person of them). They give their e-mail address; every invitation they accepted with it,
whose account still has an active role, gets a fresh one-time link by e-mail. The link is
opened with the code from the first invitation, which the invitee still has: the mailbox
alone opens nothing, as before.

The page answers the same whether the address is known or not, and the e-mail goes out after
the answer (app/web/terugkeer_pages.py), so neither the words nor the time give away who is
invited. At most MAX_PER_UUR links per invitation per hour: the address is no way to flood
someone's mailbox.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage

from sqlalchemy import func, or_
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.accounts.models import Account
from app.audit.recorder import Uitkomst
from app.casus.models import Casus, Rol
from app.config import Settings
from app.db import utcnow
from app.deelname.models import Terugkeerlink, Uitnodiging
from app.deelname.postbus import terugkeermail
from app.deelname.service import (
    MAX_POGINGEN,
    Linkverzoek,
    Toegelaten,
    VerkeerdeCode,
    code_matches,
    email_index,
    wrong_code,
)
from app.errors import NietGevonden, Verlopen
from app.links import TOKEN, publieke_link, token_hash

# Links per invitation per hour. Earlier links keep working until used or expired (each works
# once, with the code), so someone who knows the address cannot cancel the invitee's link; at
# worst they use up this hour's requests.
MAX_PER_UUR = 5


def request_links(link: Linkverzoek, email: str, base_url: str) -> list[EmailMessage]:
    """Store a new link for each of this address's live invitations; return their e-mails.

    Run after the answer went out (app/web/terugkeer_pages.py), in a transaction of its own.
    The request is anonymous: its events name the invitation, not the invitee's account.
    """
    nu = utcnow()
    berichten = []
    index = email_index(link.keyring, email)
    for uitnodiging in _live_invitations(link.session, link.settings, index):
        # Requests at once for one invitation are counted one after the other.
        link.session.exec(
            select(Uitnodiging.id).where(Uitnodiging.id == uitnodiging.id).with_for_update()
        ).first()
        if _recent_count(link.session, uitnodiging.id) >= MAX_PER_UUR:
            _record(link, uitnodiging, Uitkomst.GEWEIGERD, "te_vaak")
            continue
        token = secrets.token_urlsafe(32)
        nieuw = Terugkeerlink(
            uitnodiging_id=uitnodiging.id,
            token_hash=token_hash(token),
            aangemaakt_op=nu,
            verloopt_op=nu + timedelta(minutes=link.settings.terugkeer_geldig_minuten),
        )
        link.session.add(nieuw)
        link.session.flush()
        _record(link, uitnodiging, Uitkomst.TOEGESTAAN, None)
        adres = publieke_link(link.settings, base_url, f"terugkomen/{token}")
        door = link.session.get(Account, uitnodiging.uitgenodigd_door_id)
        berichten.append(
            terugkeermail(link.settings, email, adres, nieuw.verloopt_op, uitnodiging, door)
        )
    return berichten


def live(settings: Settings) -> SelectOfScalar[Uitnodiging]:
    """Accepted invitations whose account is active, with an active role on a casus that is
    open or closed less than REGIE_AFGESLOTEN_ZICHTBAAR_DAGEN ago. What the role may see
    there is the policy's to decide; this only decides whom a link is for."""
    zichtbaar_sinds = utcnow() - timedelta(days=settings.afgesloten_zichtbaar_dagen)
    return (
        select(Uitnodiging)
        .join(Account, col(Account.id) == col(Uitnodiging.account_id))
        .join(Casus, col(Casus.id) == col(Uitnodiging.casus_id))
        .join(
            Rol,
            (col(Rol.account_id) == col(Account.id))
            & (col(Rol.casus_id) == col(Uitnodiging.casus_id))
            & col(Rol.tot).is_(None),
        )
        .where(
            col(Uitnodiging.gebruikt_op).is_not(None),
            col(Account.actief),
            or_(col(Casus.afgesloten_op).is_(None), col(Casus.afgesloten_op) > zichtbaar_sinds),
        )
    )


def _by_link(settings: Settings) -> SelectOfScalar[Uitnodiging]:
    """Live invitations whose invitee may come back by e-mail: with a citizens' provider, an
    account bound to it comes back only through it (app/deelname/burger.py)."""
    query = live(settings)
    if settings.burger_oidc_issuer:
        query = query.where(col(Account.burger_index).is_(None))
    return query


def newest_per_account(query: SelectOfScalar[Uitnodiging], session: Session) -> list[Uitnodiging]:
    """Per account the newest of these invitations: its code is the one the invitee holds."""
    rows = session.exec(query.order_by(col(Uitnodiging.gebruikt_op).desc())).all()
    newest: dict[uuid.UUID | None, Uitnodiging] = {}
    for row in rows:
        newest.setdefault(row.account_id, row)
    return list(newest.values())


def _live_invitations(session: Session, settings: Settings, index: str) -> list[Uitnodiging]:
    return newest_per_account(_by_link(settings).where(Uitnodiging.email_index == index), session)


def _recent_count(session: Session, uitnodiging_id: uuid.UUID) -> int:
    return session.exec(
        select(func.count())
        .select_from(Terugkeerlink)
        .where(
            Terugkeerlink.uitnodiging_id == uitnodiging_id,
            col(Terugkeerlink.aangemaakt_op) > utcnow() - timedelta(hours=1),
        )
    ).one()


def _record(
    link: Linkverzoek, uitnodiging: Uitnodiging, uitkomst: Uitkomst, code: str | None
) -> None:
    """On the casus' toegangslog: a new link was asked for this invitation (no address kept,
    and no account: anyone who knows the address can ask)."""
    link.audit.record(
        "deelnemer.terugkeer_aanvragen",
        uitkomst,
        casus_id=uitnodiging.casus_id,
        kenmerken={"uitnodiging": str(uitnodiging.id), **({"code": code} if code else {})},
    )


# Opening the new link ---------------------------------------------------------------------


@dataclass(frozen=True)
class Gevonden:
    link: Terugkeerlink
    uitnodiging: Uitnodiging


def check(link: Linkverzoek, token: str) -> None:
    """404 for an unknown link, 410 for one that is used, expired, blocked or whose access
    ended; audited either way."""
    _usable(link, token, "deelnemer.terugkeer_openen", lock=False)


def accept(link: Linkverzoek, token: str, code: str) -> Toegelaten | VerkeerdeCode:
    """The invitee's account when the code of their invitation matches; a wrong code counts
    (returned, not raised, so the count is committed) and MAX_POGINGEN block the link."""
    gevonden = _usable(link, token, "deelnemer.terugkomen", lock=True)
    terug, uitnodiging = gevonden.link, gevonden.uitnodiging
    if not code_matches(link.keyring, uitnodiging, code):
        return wrong_code(link, terug)
    terug.gebruikt_op = utcnow()
    link.session.add(terug)
    account = link.session.get(Account, uitnodiging.account_id)
    assert account is not None  # _reason found it live
    # From here on this person acts: the event (and the toegangslog) names their account.
    event = link.audit.pending[-1]
    event.account_id, event.gebruikersnaam = account.id, account.gebruikersnaam
    return Toegelaten(account.id, uitnodiging.casus_id)


def _usable(link: Linkverzoek, token: str, handeling: str, *, lock: bool) -> Gevonden:
    gevonden = _find(link.session, token, lock=lock)
    if gevonden is None:
        link.audit.record(handeling, Uitkomst.GEWEIGERD, kenmerken={"code": "niet_gevonden"})
        raise NietGevonden("Deze link bestaat niet.")
    terug, uitnodiging = gevonden.link, gevonden.uitnodiging
    reden = _reason(link, terug, uitnodiging)
    link.audit.record(
        handeling,
        Uitkomst.GEWEIGERD if reden else Uitkomst.TOEGESTAAN,
        casus_id=uitnodiging.casus_id,
        kenmerken={"uitnodiging": str(uitnodiging.id), **({"code": reden} if reden else {})},
    )
    if reden:
        raise Verlopen("Deze link werkt niet meer.", reden=reden)
    return gevonden


def _reason(link: Linkverzoek, terug: Terugkeerlink, uitnodiging: Uitnodiging) -> str | None:
    """Why this link cannot let anyone in (any more), or None."""
    if terug.gebruikt_op is not None:
        return "geaccepteerd"
    if terug.mislukte_pogingen >= MAX_POGINGEN:
        return "geblokkeerd"
    if terug.verloopt_op <= utcnow():
        return "verlopen"
    if _superseded(link.session, uitnodiging):
        return "vervangen"
    # The role may have ended, or the casus closed, since the link was sent.
    nog = link.session.exec(_by_link(link.settings).where(Uitnodiging.id == uitnodiging.id)).first()
    return None if nog is not None else "beeindigd"


def _superseded(session: Session, uitnodiging: Uitnodiging) -> bool:
    """A newer invitation of the same account was accepted: its code, not this one's, holds."""
    assert uitnodiging.gebruikt_op is not None  # links are made for accepted ones only
    nieuwer = session.exec(
        select(Uitnodiging.id).where(
            Uitnodiging.account_id == uitnodiging.account_id,
            col(Uitnodiging.gebruikt_op) > uitnodiging.gebruikt_op,
        )
    ).first()
    return nieuwer is not None


def _find(session: Session, token: str, *, lock: bool) -> Gevonden | None:
    if not TOKEN.fullmatch(token):
        return None
    query = (
        select(Terugkeerlink, Uitnodiging)
        .join(Uitnodiging, col(Uitnodiging.id) == col(Terugkeerlink.uitnodiging_id))
        .where(Terugkeerlink.token_hash == token_hash(token))
    )
    if lock:
        query = query.with_for_update(of=Terugkeerlink).execution_options(populate_existing=True)
    row = session.exec(query).first()
    return None if row is None else Gevonden(*row)
