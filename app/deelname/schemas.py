"""Requests and answers of the invitation API."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from app.enums import CasusRol


class UitnodigingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rol: Literal[CasusRol.OUDER, CasusRol.JEUGDIGE]
    naam: str = Field(min_length=1, max_length=200)
    email: EmailStr = Field(max_length=254)


class UitnodigingStatus(StrEnum):
    OPEN = "open"
    GEACCEPTEERD = "geaccepteerd"
    INGETROKKEN = "ingetrokken"
    VERLOPEN = "verlopen"
    GEBLOKKEERD = "geblokkeerd"


class UitnodigingOut(BaseModel):
    id: uuid.UUID
    rol: CasusRol
    naam: str
    email: str
    status: UitnodigingStatus
    aangemaakt_op: datetime
    verloopt_op: datetime
    gebruikt_op: datetime | None
    # As whom the invitee appears on the casus once accepted ("Ouder/verzorger 2").
    deelnemer: str | None = None


class NieuweUitnodigingOut(BaseModel):
    """The code is in this answer only: hand it over in person, it is stored nowhere."""

    id: uuid.UUID
    rol: CasusRol
    code: str
    verloopt_op: datetime
