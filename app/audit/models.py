"""The audit trail (NEN 7513): append-only events in one hash chain."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index
from sqlmodel import Field, SQLModel

from app.db import utc_column

GENESIS_HASH = "0" * 64


class AuditGebeurtenis(SQLModel, table=True):
    """One read, change, or refused attempt. Never updated or deleted (a trigger refuses).

    `casus_id` has no foreign key on purpose: an attempt on a casus that does not exist is
    recorded too. `velden` holds paths of changed fields, never their values.
    """

    __table_args__ = (Index("ix_auditgebeurtenis_casus", "casus_id", "volgnummer"),)

    volgnummer: int = Field(
        default=0, sa_column=Column(BigInteger, primary_key=True, autoincrement=False)
    )
    tijdstip: datetime = Field(sa_column=utc_column())
    account_id: uuid.UUID | None = None
    gebruikersnaam: str | None = Field(default=None, max_length=100)
    organisatie: str | None = Field(default=None, max_length=200)
    casus_id: uuid.UUID | None = None
    actie: str = Field(max_length=60)
    uitkomst: str = Field(max_length=20)
    clientadres: str | None = Field(default=None, max_length=64)
    request_id: str | None = Field(default=None, max_length=64)
    velden: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    kenmerken: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    vorige_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class AuditKeten(SQLModel, table=True):
    """The chain's head: last number and hash. Locked while appending; also catches a cut tail."""

    id: int = Field(default=1, primary_key=True)
    volgnummer: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    hash: str = Field(default=GENESIS_HASH, max_length=64)


@dataclass(slots=True)
class Gebeurtenis:
    """An event waiting for its place in the chain, as a plain object.

    A request can record dozens of events (a list records every casus it shows); building a
    validated table model for each cost more than the request's own work. `chain.append`
    numbers, links and inserts them as rows of AuditGebeurtenis.
    """

    tijdstip: datetime
    actie: str
    uitkomst: str
    account_id: uuid.UUID | None = None
    gebruikersnaam: str | None = None
    organisatie: str | None = None
    casus_id: uuid.UUID | None = None
    clientadres: str | None = None
    request_id: str | None = None
    velden: list[str] = field(default_factory=list)
    kenmerken: dict[str, Any] = field(default_factory=dict)
    volgnummer: int = 0
    vorige_hash: str = ""
    hash: str = ""

    def as_row(self) -> dict[str, Any]:
        """The values for one INSERT into auditgebeurtenis (shallow: the event is done)."""
        return {name: getattr(self, name) for name in _KOLOMMEN}


_KOLOMMEN = tuple(f.name for f in fields(Gebeurtenis))
