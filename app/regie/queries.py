"""Read-only questions about handovers that other services ask (no authorization here)."""

from __future__ import annotations

import uuid

from sqlmodel import Session, select

from app.regie.models import Overdracht, OverdrachtStatus


def handover_open(session: Session, casus_id: uuid.UUID) -> bool:
    return (
        session.exec(
            select(Overdracht.id).where(
                Overdracht.casus_id == casus_id,
                Overdracht.status == OverdrachtStatus.VOORGESTELD,
            )
        ).first()
        is not None
    )


def successor_of_open_handover(
    session: Session, casus_id: uuid.UUID, account_id: uuid.UUID
) -> bool:
    """Is this person the proposed successor in an open handover of this casus?"""
    return (
        session.exec(
            select(Overdracht.id).where(
                Overdracht.casus_id == casus_id,
                Overdracht.opvolger_id == account_id,
                Overdracht.status == OverdrachtStatus.VOORGESTELD,
            )
        ).first()
        is not None
    )
