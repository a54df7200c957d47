"""Shapes of the handreiking document, its revisions and their differences."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from app.casus.schemas import PersoonOut
from app.db import INT4_MAX


class HandreikingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    inhoud: dict[str, Any]
    toelichting: str | None = Field(default=None, max_length=2000)


class Voortgang(BaseModel):
    sectie: str
    stap: int | None
    ingevuld: bool
    ontbrekend: list[str]


class HandreikingOut(BaseModel):
    formulierversie: str
    revisie: int
    inhoud: dict[str, Any]
    voortgang: list[Voortgang]


class OpgeslagenOut(BaseModel):
    revisie: int


class ToestemmingIn(BaseModel):
    """Consent given by an ouder or the jeugdige: to which kinds of organisation, and what
    information. Who gave it and when is stamped by Regie, never sent."""

    model_config = ConfigDict(extra="forbid")

    organisatietypen: list[str] = Field(min_length=1, max_length=20)
    reikwijdte: str = Field(default="", max_length=4000)  # judged after \r\n -> \n


class RevisieSamenvatting(BaseModel):
    nummer: int
    auteur: PersoonOut
    tijdstip: datetime
    toelichting: str | None
    vastgesteld: bool
    mdo: str | None


class RevisieOut(RevisieSamenvatting):
    formulierversie: str
    inhoud: dict[str, Any]


class Wijziging(BaseModel):
    pad: str
    soort: str
    oud: Any
    nieuw: Any


class VerschilOut(BaseModel):
    van: int
    naar: int
    wijzigingen: list[Wijziging]


class MdoIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    datum: date
    aanwezigen: list[str] = Field(default_factory=list, max_length=50)
    ouders_aanwezig: bool = False
    jeugdige_aanwezig: bool = False


class AfrondenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    revisie: int = Field(ge=1, le=INT4_MAX)
    besluiten: str | None = Field(default=None, max_length=4000)
    vragenlijst: bool = False  # ask everyone on the casus to fill in the questionnaire


class MdoOut(BaseModel):
    id: uuid.UUID
    datum: date
    aanwezigen: list[str]
    ouders_aanwezig: bool
    jeugdige_aanwezig: bool
    geopend_op: datetime
    afgerond_op: datetime | None
    vastgestelde_revisie: int | None
    besluiten: str | None
