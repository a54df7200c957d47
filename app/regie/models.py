"""The warm handover of regie: proposed by the regievoerder, answered by the successor."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Index, Text, text
from sqlmodel import Field, SQLModel

from app.db import enum_column, utc_column, utcnow


class OverdrachtStatus(StrEnum):
    VOORGESTELD = "voorgesteld"
    GEACCEPTEERD = "geaccepteerd"
    AFGEWEZEN = "afgewezen"
    INGETROKKEN = "ingetrokken"


_OPEN = text("status = 'voorgesteld'")


class Overdracht(SQLModel, table=True):
    """One proposed handover. At most one open per casus (a partial unique index says so).

    `toelichting` (the handover note) and `reden` (why it was declined) are free text and
    therefore sealed, like every other free text of a casus.
    """

    __table_args__ = (
        Index(
            "uq_overdracht_open",
            "casus_id",
            unique=True,
            sqlite_where=_OPEN,
            postgresql_where=_OPEN,
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    casus_id: uuid.UUID = Field(foreign_key="casus.id", ondelete="RESTRICT", index=True)
    voorgesteld_door_id: uuid.UUID = Field(foreign_key="account.id", ondelete="RESTRICT")
    opvolger_id: uuid.UUID = Field(foreign_key="account.id", ondelete="RESTRICT", index=True)
    status: OverdrachtStatus = Field(sa_column=enum_column(OverdrachtStatus))
    verlaat_casus: bool = False
    toelichting: str = Field(sa_column=Column(Text, nullable=False))
    reden: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    aangemaakt_op: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    afgehandeld_op: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
