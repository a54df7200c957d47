"""The toegangslog as members see it: who did what, when; never the values."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel


class ToegangOut(BaseModel):
    tijdstip: datetime
    gebruikersnaam: str | None
    naam: str | None
    organisatie: str | None
    handeling: str
    uitkomst: str
    velden: list[str]
    kenmerken: dict[str, Any]


class ToegangslogPagina(BaseModel):
    resultaten: list[ToegangOut]
    pagina: int
    per_pagina: int
    totaal: int


class GebeurtenisOut(BaseModel):
    tijdstip: datetime
    soort: str
    gebruikersnaam: str | None
    naam: str | None
    organisatie: str | None
    velden: list[str]
    kenmerken: dict[str, Any]


class TijdlijnPagina(BaseModel):
    resultaten: list[GebeurtenisOut]
    pagina: int
    per_pagina: int
    totaal: int
