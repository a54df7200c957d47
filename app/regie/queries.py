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
