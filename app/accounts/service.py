"""Account look-ups that need no signed-in actor."""

from __future__ import annotations

import uuid

from sqlmodel import Session, col, select

from app.accounts.models import Account, Organisatie
from app.casus.schemas import PersoonOut
from app.enums import Systeemrol
from app.errors import Validatiefout


def active_accounts(session: Session) -> list[tuple[Account, Organisatie]]:
    """Every active account with its organisation: the dev sign-in page lists them."""
    rows = session.exec(
        select(Account, Organisatie)
        .join(Organisatie, col(Organisatie.id) == col(Account.organisatie_id))
        .where(col(Account.actief), col(Organisatie.actief))
        .order_by(col(Account.gebruikersnaam))
    ).all()
    return [(account, organisatie) for account, organisatie in rows]


def persons(session: Session, ids: set[uuid.UUID]) -> dict[uuid.UUID, PersoonOut]:
    """Name and organisation of several accounts in one query (authors, proposers, successors)."""
    if not ids:
        return {}
    rows = session.exec(
        select(Account, Organisatie)
        .outerjoin(Organisatie, col(Organisatie.id) == col(Account.organisatie_id))
        .where(col(Account.id).in_(ids))
    ).all()
    return {
        a.id: PersoonOut(
            gebruikersnaam=a.gebruikersnaam, naam=a.naam, organisatie=o.naam if o else None
        )
        for a, o in rows
    }


def active_professional(session: Session, gebruikersnaam: str, *, pad: str) -> Account:
    """The active professional with this name, or a validation error on field `pad`.

    Only professionals join a casus, as betrokkene, volger or successor of the regievoerder.
    """
    account = session.exec(select(Account).where(Account.gebruikersnaam == gebruikersnaam)).first()
    if (
        account is None
        or not account.actief
        or Systeemrol.PROFESSIONAL not in account.systeemrollen
    ):
        melding = "Er is geen actieve professional met deze gebruikersnaam."
        raise Validatiefout([{"pad": pad, "melding": melding}])
    return account
