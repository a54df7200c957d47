"""Request and response shapes for casussen and their betrokkenen (Dutch JSON names)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.enums import CasusRol, CasusStatus, Grondslag


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class JeugdigeIn(_In):
    naam: str = Field(min_length=1, max_length=200)
    geboortedatum: date
    bsn: str | None = Field(default=None, max_length=9)


class CasusCreate(_In):
    gemeente: str = Field(min_length=1, max_length=40)
    jeugdige: JeugdigeIn
    indicaties: list[str] = Field(default_factory=list, max_length=10)


class PersoonOut(BaseModel):
    """Who someone is on a casus; an ouder or jeugdige has no organisation (None)."""

    gebruikersnaam: str
    naam: str
    organisatie: str | None


class RolOut(PersoonOut):
    id: uuid.UUID
    rol: CasusRol
    functietitel: str | None
    organisatietype: str | None
    sinds: datetime


class CasusOut(BaseModel):
    id: uuid.UUID
    gemeente: str
    status: CasusStatus
    formulierversie: str
    regievoerder: PersoonOut
    revisie: int
    rollen: list[RolOut]
    aangemaakt_op: datetime
    gewijzigd_op: datetime


class CasusSamenvatting(BaseModel):
    id: uuid.UUID
    gemeente: str
    status: CasusStatus
    mijn_rol: CasusRol
    regievoerder: PersoonOut
    revisie: int
    gewijzigd_op: datetime
    jeugdige_naam: str | None = None
    volgende_mdo: date | None = None


class CasusPagina(BaseModel):
    resultaten: list[CasusSamenvatting]
    pagina: int
    per_pagina: int
    totaal: int


class Zoekvraag(BaseModel):
    """Find my casus by the jeugdige's full name and/or date of birth (exact, case-insensitive)."""

    naam: str | None = Field(default=None, max_length=200)
    geboortedatum: date | None = None


class BetrokkeneIn(_In):
    gebruikersnaam: str = Field(min_length=1, max_length=100)
    rol: Literal["betrokkene", "volger"]
    functietitel: str | None = Field(default=None, max_length=200)
    # Without it, the family's consent recorded in step 6 must cover the organisation's kind.
    grondslag: Grondslag | None = None


class AfsluitenIn(_In):
    reden: str = Field(min_length=1, max_length=2000)
