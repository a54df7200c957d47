"""Invited ouders and jeugdigen signing in through the citizens' provider (DigiD via a broker).

Regie does not know an invitee's citizen identity in advance: it has a name and an e-mail
address. So the first time, the invitation link and the code (two channels, as without the
provider) say which account this is, and the provider's sign-in that follows binds that
account to the person (`Account.burger_index`, a keyed hash of the claim; the claim itself,
which may be a BSN, is never stored). From then on the provider alone brings them back, to
every casus they were invited to; and a link with code can no longer bind the account to
someone else: the provider must name the same person.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select

from app.accounts.models import Account
from app.audit.recorder import Uitkomst
from app.crypto.keyring import KeyRing
from app.deelname.service import Linkverzoek
from app.deelname.terugkeer import live, newest_per_account
from app.errors import Geweigerd


class AnderPersoon(Geweigerd):
    """The provider named someone else than the person this account is bound to."""

    code = "ander_persoon"

    def __init__(self) -> None:
        super().__init__(
            "Deze uitnodiging hoort bij iemand anders. Log in met uw eigen DigiD, of vraag de "
            "hulpverlener om een uitnodiging op uw naam."
        )


@dataclass(frozen=True)
class Plan:
    """A casus this person may come back to, and how they came in (to tell plans apart)."""

    account_id: uuid.UUID
    gebruikersnaam: str
    casus_id: uuid.UUID
    uitgenodigd_op: datetime
    uitgenodigd_door: str


def burger_index(keyring: KeyRing, issuer: str, waarde: str) -> str:
    """Keyed, and bound to the provider: the claim may be a BSN, which must not be stored."""
    return keyring.blind_index(f"burger|{issuer}|{waarde}")


def bind(link: Linkverzoek, account_id: uuid.UUID, casus_id: uuid.UUID, index: str) -> None:
    """Bind the account the link and code opened to the person the provider named; refuse
    (audited) when it is bound to someone else already, or no longer an invitee's account."""
    account = link.session.exec(
        select(Account)
        .where(Account.id == account_id, col(Account.organisatie_id).is_(None))
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    reden = None
    if account is None or not account.actief:
        reden = "account"
    elif account.burger_index not in (None, index):
        reden = "ander_persoon"
    link.audit.record(
        "deelnemer.koppelen",
        Uitkomst.GEWEIGERD if reden else Uitkomst.TOEGESTAAN,
        casus_id=casus_id,
        kenmerken={"code": reden} if reden else {},
    )
    event = link.audit.pending[-1]
    event.account_id = account_id
    if account is not None and not reden:
        event.gebruikersnaam = account.gebruikersnaam
    if reden == "ander_persoon":
        raise AnderPersoon()
    if account is None or reden:
        raise Geweigerd("Dit account kan niet meer gebruikt worden.")
    account.burger_index = index
    link.session.add(account)


def plans(link: Linkverzoek, index: str) -> list[Plan]:
    """Every casus this person may come back to: accounts bound to them, still active, with a
    role on a casus that is open or closed less than the reading period ago."""
    query = live(link.settings).where(Account.burger_index == index)
    invitations = newest_per_account(query, link.session)
    namen = _names(link, [u.uitgenodigd_door_id for u in invitations])
    gebruikers = _usernames(link, [u.account_id for u in invitations if u.account_id])
    return [
        Plan(
            u.account_id,
            gebruikers[u.account_id],
            u.casus_id,
            u.aangemaakt_op,
            namen.get(u.uitgenodigd_door_id, ""),
        )
        for u in invitations
        if u.account_id is not None
    ]


def _names(link: Linkverzoek, ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    rows = link.session.exec(select(Account.id, Account.naam).where(col(Account.id).in_(ids)))
    return dict(rows.all())


def _usernames(link: Linkverzoek, ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    query = select(Account.id, Account.gebruikersnaam).where(col(Account.id).in_(ids))
    return dict(link.session.exec(query).all())


def record_return(link: Linkverzoek, plan: Plan) -> None:
    """On the casus' toegangslog, under the invitee's account, like a return by e-mail link."""
    link.audit.record(
        "deelnemer.terugkomen",
        Uitkomst.TOEGESTAAN,
        casus_id=plan.casus_id,
        kenmerken={"methode": "burger_oidc"},
    )
    event = link.audit.pending[-1]
    event.account_id, event.gebruikersnaam = plan.account_id, plan.gebruikersnaam
