"""Shapes of questionnaire invitations and answers in the API (Dutch JSON names).

No shape ever carries an ouder's link token except `OuderLinkOut`, the one response that creates
it; and none links an answer to an invitation or an account.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from app.research.models import Moment
from app.research.vragenlijst import Vragenlijst


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AntwoordIn(_In):
    """A filled-in questionnaire: {sleutel: 1..5} and {sleutel: tekst}; every question optional.

    The values are checked against the invitation's questionnaire version by the service, so
    each error names its question (`schaal.rust_overzicht`).
    """

    schaal: dict[str, Any] = Field(default_factory=dict, max_length=50)
    open: dict[str, Any] = Field(default_factory=dict, max_length=10)


class OuderLinkIn(_In):
    moment: Moment


class UitnodigingOut(BaseModel):
    """An open invitation for the signed-in professional: a pointer, no casus content."""

    id: uuid.UUID
    casus_id: uuid.UUID
    gemeente: str
    moment: Moment
    vragenlijstversie: str
    aangemaakt_op: datetime
    verloopt_op: datetime


class UitnodigingDetail(UitnodigingOut):
    vragenlijst: Vragenlijst


class AntwoordOntvangen(BaseModel):
    uitnodiging_id: uuid.UUID
    beantwoord_op: datetime


class OuderLinkOut(BaseModel):
    """The only time the link is shown: it is not stored and cannot be shown again."""

    id: uuid.UUID
    link: str
    verloopt_op: datetime


class LinkStatus(StrEnum):
    OPEN = "open"
    BEANTWOORD = "beantwoord"
    VERLOPEN = "verlopen"
    INGETROKKEN = "ingetrokken"


class OuderLinkRegel(BaseModel):
    id: uuid.UUID
    moment: Moment
    status: LinkStatus
    aangemaakt_op: datetime
    verloopt_op: datetime


class ProfessionalsTelling(BaseModel):
    """Who was asked and how many answered: counts only, never who answered what."""

    uitgenodigd: int
    beantwoord: int


class VragenlijstenCasusOut(BaseModel):
    professionals: ProfessionalsTelling
    # Invited ouders and the jeugdige with an account of their own (app.deelname), asked in Regie.
    ouders_met_account: ProfessionalsTelling
    ouders: list[OuderLinkRegel]
