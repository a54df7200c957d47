"""Shapes for the signed-in account and for the beheerder's organisations and accounts."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict, Field

from app.enums import OrganisatieType, Systeemrol

# Lower case, so "A.Jansen" and "a.jansen" can never be two accounts; `@` for e-mail-like
# names, which identity providers often send as preferred_username.
GEBRUIKERSNAAM = r"^[a-z0-9][a-z0-9._@-]*$"


class IkOut(BaseModel):
    gebruikersnaam: str
    naam: str
    organisatie: str | None
    systeemrollen: list[str]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ActiefIn(_In):
    actief: bool


class OrganisatieIn(_In):
    naam: str = Field(min_length=1, max_length=200)
    type: OrganisatieType


class OrganisatieOut(BaseModel):
    id: uuid.UUID
    naam: str
    type: OrganisatieType
    actief: bool


class AccountIn(_In):
    gebruikersnaam: str = Field(min_length=2, max_length=100, pattern=GEBRUIKERSNAAM)
    naam: str = Field(min_length=1, max_length=200)
    organisatie_id: uuid.UUID
    functietitel: str | None = Field(default=None, max_length=200)
    systeemrollen: list[Systeemrol] = Field(min_length=1, max_length=len(Systeemrol))


class AccountOut(BaseModel):
    gebruikersnaam: str
    naam: str
    organisatie: str
    organisatie_id: uuid.UUID
    functietitel: str | None
    systeemrollen: list[str]
    actief: bool
