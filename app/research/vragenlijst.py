"""Questionnaires as versioned data, checked against the pilot plan's limits at start-up."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.versioned import load_versioned

VRAGENLIJSTEN_DIR = Path(__file__).parent / "vragenlijsten"


class Doelgroep(StrEnum):
    PROFESSIONAL = "professional"
    OUDER = "ouder"


class Thema(StrEnum):
    """The three things the pilot wants to know about: research questions 3 and 4."""

    RUST = "rust"
    CONTINUITEIT = "continuiteit"
    DUIDELIJKHEID = "duidelijkheid"


class VraagType(StrEnum):
    SCHAAL = "schaal"
    OPEN = "open"


# From the pilot plan: professionals at most 15 items (3 open), ouders at most 10 (3 open).
GRENZEN: dict[Doelgroep, tuple[int, int]] = {
    Doelgroep.PROFESSIONAL: (15, 3),
    Doelgroep.OUDER: (10, 3),
}
SCHAALPUNTEN = 5


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Vraag(_Strict):
    sleutel: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)
    type: VraagType
    tekst: str
    thema: Thema | None = None
    max_lengte: int | None = Field(default=None, gt=0, le=4000)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        """A scale item belongs to a theme; an open item has a length limit and no theme."""
        if self.type is VraagType.SCHAAL and (self.thema is None or self.max_lengte):
            raise ValueError(f"{self.sleutel}: een schaalvraag heeft een thema en geen max_lengte")
        if self.type is VraagType.OPEN and (self.thema is not None or not self.max_lengte):
            raise ValueError(f"{self.sleutel}: een open vraag heeft max_lengte en geen thema")
        return self


class Vragenlijst(_Strict):
    versie: str = Field(pattern=r"^[a-z][a-z0-9.-]*$", max_length=40)
    doelgroep: Doelgroep
    titel: str
    uitleg: str
    schaal: tuple[str, ...]
    vragen: tuple[Vraag, ...]

    @model_validator(mode="after")
    def _limits(self) -> Self:
        """The pilot promised short questionnaires; a longer one does not load."""
        if len(self.schaal) != SCHAALPUNTEN:
            raise ValueError(f"de schaal heeft precies {SCHAALPUNTEN} punten")
        keys = [v.sleutel for v in self.vragen]
        if len(keys) != len(set(keys)):
            raise ValueError("vraagsleutels zijn niet uniek")
        max_items, max_open = GRENZEN[self.doelgroep]
        if len(self.vragen) > max_items:
            raise ValueError(f"hoogstens {max_items} vragen voor {self.doelgroep}")
        if len(self.open_vragen) > max_open:
            raise ValueError(f"hoogstens {max_open} open vragen voor {self.doelgroep}")
        if not self.schaalvragen:
            raise ValueError("minstens één schaalvraag")
        return self

    @property
    def schaalvragen(self) -> tuple[Vraag, ...]:
        return tuple(v for v in self.vragen if v.type is VraagType.SCHAAL)

    @property
    def open_vragen(self) -> tuple[Vraag, ...]:
        return tuple(v for v in self.vragen if v.type is VraagType.OPEN)


class VragenlijstFout(Exception):
    """A questionnaire file is broken or breaks the limits; start-up stops on it."""


def load_vragenlijst(path: Path) -> Vragenlijst:
    return load_versioned(path, Vragenlijst, VragenlijstFout, "vragenlijst")


class Vragenlijsten:
    """All known versions; new invitations use the newest of each doelgroep, answers keep theirs."""

    def __init__(self, vragenlijsten: list[Vragenlijst]) -> None:
        self._by_version = {v.versie: v for v in vragenlijsten}
        self._current: dict[Doelgroep, Vragenlijst] = {}
        for vragenlijst in sorted(vragenlijsten, key=lambda v: v.versie):
            self._current[vragenlijst.doelgroep] = vragenlijst
        missing = set(Doelgroep) - set(self._current)
        if missing:
            raise VragenlijstFout(f"geen vragenlijst voor {sorted(missing)}")

    def __getitem__(self, versie: str) -> Vragenlijst:
        return self._by_version[versie]

    def huidige(self, doelgroep: Doelgroep) -> Vragenlijst:
        return self._current[doelgroep]

    def alle(self) -> list[Vragenlijst]:
        return sorted(self._by_version.values(), key=lambda v: v.versie)


def load_vragenlijsten(directory: Path = VRAGENLIJSTEN_DIR) -> Vragenlijsten:
    return Vragenlijsten([load_vragenlijst(p) for p in sorted(directory.glob("*.yaml"))])
