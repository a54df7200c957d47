"""Account look-ups that need no signed-in actor."""

from __future__ import annotations

from sqlmodel import Session, col, select

from app.accounts.models import Account, Organisatie


def active_accounts(session: Session) -> list[tuple[Account, Organisatie]]:
    """Every active account with its organisation: the dev sign-in page lists them."""
    rows = session.exec(
        select(Account, Organisatie)
        .join(Organisatie, col(Organisatie.id) == col(Account.organisatie_id))
        .where(col(Account.actief), col(Organisatie.actief))
        .order_by(col(Account.gebruikersnaam))
    ).all()
    return [(account, organisatie) for account, organisatie in rows]
