"""Shapes for the signed-in account."""

from pydantic import BaseModel


class IkOut(BaseModel):
    gebruikersnaam: str
    naam: str
    organisatie: str
    systeemrollen: list[str]
