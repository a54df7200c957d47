"""The casus and who has which role on it: the access list is this table."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, text
from sqlmodel import Field, SQLModel

from app.db import enum_column, utc_column, utcnow
from app.enums import CasusRol, CasusStatus

_ACTIEF = text("tot IS NULL")
_ACTIEVE_REGIEVOERDER = text("rol = 'regievoerder' AND tot IS NULL")


class Casus(SQLModel, table=True):
    """One casus; `revisie` is the current revision number and so the ETag.

    `gemeente` repeats the header's value for listing and research without decrypting content.
    `zoek_*` are blind indexes (keyed HMACs) of the jeugdige's name and date of birth: members
    can find a casus by them, but the database holds neither in plaintext. `kenmerken` is the
    research projection of the current revision (app.research.kenmerken): vocabulary values and
    counts only, kept here so the export never reads a document. `naam` is the jeugdige's name
    as sealed in the current revision (the very ciphertext, see `naam_in`), so lists of casussen
    show names without reading a 20 KB document per casus.
    """

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    formulierversie: str = Field(max_length=40)
    gemeente: str = Field(max_length=40)
    status: CasusStatus = Field(sa_column=enum_column(CasusStatus))
    revisie: int = Field(ge=1)
    aangemaakt_op: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    gewijzigd_op: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    afgesloten_op: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    afsluitreden: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    zoek_naam: str | None = Field(default=None, max_length=64, index=True)
    zoek_geboortedatum: str | None = Field(default=None, max_length=64, index=True)
    volgende_mdo: date | None = Field(default=None, index=True)
    kenmerken: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    naam: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


# Where a handreiking keeps the jeugdige's name; opened with this path as the field it is bound to.
NAAM_PAD = ("kop", "jeugdige", "naam")
NAAM_VELD = ".".join(NAAM_PAD)


def naam_in(verzegeld: dict[str, Any]) -> str | None:
    """The jeugdige's name in a sealed document, still sealed: what `Casus.naam` holds."""
    kop = verzegeld.get("kop") or {}
    naam = (kop.get("jeugdige") or {}).get("naam")
    return naam if isinstance(naam, str) else None


class Rol(SQLModel, table=True):
    """A role of one account on one casus, from `sinds` until `tot` (NULL while active).

    Ended roles stay for the history. The partial unique indexes make "at most one active
    regievoerder" and "one active role per person" rules of the database itself.
    """

    __table_args__ = (
        Index(
            "uq_rol_een_regievoerder",
            "casus_id",
            unique=True,
            sqlite_where=_ACTIEVE_REGIEVOERDER,
            postgresql_where=_ACTIEVE_REGIEVOERDER,
        ),
        Index(
            "uq_rol_actief_per_account",
            "casus_id",
            "account_id",
            unique=True,
            sqlite_where=_ACTIEF,
            postgresql_where=_ACTIEF,
        ),
        Index(
            "ix_rol_account_actief",
            "account_id",
            "casus_id",
            sqlite_where=_ACTIEF,
            postgresql_where=_ACTIEF,
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    casus_id: uuid.UUID = Field(foreign_key="casus.id", ondelete="RESTRICT", index=True)
    account_id: uuid.UUID = Field(foreign_key="account.id", ondelete="RESTRICT")
    rol: CasusRol = Field(sa_column=enum_column(CasusRol))
    functietitel: str | None = Field(default=None, max_length=200)
    sinds: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    tot: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    toegevoegd_door_id: uuid.UUID | None = Field(
        default=None, foreign_key="account.id", ondelete="RESTRICT"
    )
