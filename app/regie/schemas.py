"""Shapes of handovers in the API."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from app.casus.schemas import PersoonOut
from app.enums import Grondslag
from app.regie.models import OverdrachtStatus


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OverdrachtIn(_In):
    opvolger: str = Field(min_length=1, max_length=100)
    toelichting: str = Field(min_length=1, max_length=4000)
    verlaat_casus: bool = False
    # For an opvolger not yet on the casus: as for adding a betrokkene (app.casus.toestemming).
    grondslag: Grondslag | None = None


class AfwijzenIn(_In):
    reden: str = Field(min_length=1, max_length=2000)


class OverdrachtOut(BaseModel):
    id: uuid.UUID
    casus_id: uuid.UUID
    status: OverdrachtStatus
    voorgesteld_door: PersoonOut
    opvolger: PersoonOut
    toelichting: str
    verlaat_casus: bool
    reden: str | None
    aangemaakt_op: datetime
    afgehandeld_op: datetime | None
