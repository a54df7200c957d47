"""Organisations and the accounts of the people who work for them."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from app.db import enum_column, utc_column, utcnow
from app.enums import OrganisatieType


class Organisatie(SQLModel, table=True):
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    naam: str = Field(max_length=200, unique=True)
    type: OrganisatieType = Field(sa_column=enum_column(OrganisatieType))
    actief: bool = True


class Account(SQLModel, table=True):
    """A professional of an organisation, or (no organisation, no system role) an ouder or
    jeugdige who accepted an invitation to one casus. Their real name is not here: it is
    sealed with the invitation; `naam` says only what they are on the casus. `burger_index`
    is the keyed hash of who the citizens' provider (DigiD) said they are, once bound: the
    same person holds one account per casus, all with the same index."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    gebruikersnaam: str = Field(max_length=100, unique=True)
    naam: str = Field(max_length=200)
    organisatie_id: uuid.UUID | None = Field(
        default=None, foreign_key="organisatie.id", ondelete="RESTRICT", index=True
    )
    functietitel: str | None = Field(default=None, max_length=200)
    systeemrollen: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    actief: bool = True
    burger_index: str | None = Field(default=None, max_length=64, index=True)
    aangemaakt_op: datetime = Field(default_factory=utcnow, sa_column=utc_column())
