"""Immutable revisions of a casus' handreiking."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from app.db import utc_column, utcnow


class Revisie(SQLModel, table=True):
    """One saved state of the whole document; never updated or deleted (a trigger refuses).

    The unique (casus_id, nummer) pair is what makes a lost update impossible even if two
    saves slipped past the optimistic check. Identifying and free-text values in `inhoud` and
    the `toelichting` are ciphertexts; `sleutel` names the data key they were sealed with, so
    key rotation can find what is left to re-encrypt (the one permitted update).
    """

    __table_args__ = (
        UniqueConstraint("casus_id", "nummer", name="uq_revisie_casus_nummer"),
        Index("uq_revisie_idempotentie", "casus_id", "idempotentie_sleutel", unique=True),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    casus_id: uuid.UUID = Field(foreign_key="casus.id", ondelete="RESTRICT")
    nummer: int = Field(ge=1)
    formulierversie: str = Field(max_length=40)
    inhoud: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    auteur_id: uuid.UUID = Field(foreign_key="account.id", ondelete="RESTRICT")
    tijdstip: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    toelichting: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    sleutel: str | None = Field(default=None, max_length=32)
    mdo_id: uuid.UUID | None = Field(default=None, foreign_key="mdo.id", ondelete="RESTRICT")
    idempotentie_sleutel: str | None = Field(default=None, max_length=64)


_MDO_OPEN = text("afgerond_op IS NULL")


class Mdo(SQLModel, table=True):
    """A multidisciplinary meeting: opened on a date, closed by fixing one revision as agreed.

    Revisions saved while it is open are linked to it. At most one open MDO per casus.
    `besluiten` is free text and sealed.
    """

    __table_args__ = (
        Index(
            "uq_mdo_open",
            "casus_id",
            unique=True,
            sqlite_where=_MDO_OPEN,
            postgresql_where=_MDO_OPEN,
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    casus_id: uuid.UUID = Field(foreign_key="casus.id", ondelete="RESTRICT", index=True)
    datum: date
    aanwezigen: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    ouders_aanwezig: bool = False
    jeugdige_aanwezig: bool = False
    geopend_door_id: uuid.UUID = Field(foreign_key="account.id", ondelete="RESTRICT")
    geopend_op: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    afgerond_op: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    vastgestelde_revisie: int | None = None
    besluiten: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
