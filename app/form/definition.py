"""The form definition as typed data: loaded from YAML, checked once, never hard-coded."""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.versioned import load_versioned

DEFINITIONS_DIR = Path(__file__).parent / "definitions"


class VeldType(StrEnum):
    TEKST = "tekst"
    LANGETEKST = "langetekst"
    DATUM = "datum"
    KEUZE = "keuze"
    MEERKEUZE = "meerkeuze"
    JANEE = "janee"
    GETAL = "getal"
    BSN = "bsn"
    GROEP = "groep"
    LIJST = "lijst"
    ROLLEN = "rollen"  # shown from the casus' access list, never stored in the document


class Privacy(StrEnum):
    IDENTIFYING = "identifying"
    FREE_TEXT = "free-text"
    CATEGORICAL = "categorical"
    DATE = "date"
    COUNT = "count"


CONTAINERS = {VeldType.GROEP, VeldType.LIJST}
TEXTS = {VeldType.TEKST, VeldType.LANGETEKST}
CHOICES = {VeldType.KEUZE, VeldType.MEERKEUZE}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Veld(_Strict):
    sleutel: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    type: VeldType
    label: str
    hulptekst: str | None = None
    verplicht: bool = False
    privacy: Privacy | None = None
    max_lengte: int | None = Field(default=None, gt=0)
    keuzes: str | None = None
    max_items: int | None = Field(default=None, gt=0)
    velden: tuple[Veld, ...] = ()
    # The label in plain Dutch (B1), for ouders and the jeugdige; the label serves without it.
    eenvoudig: str | None = None
    # Whose words the field holds ("ouders", "jeugdige"); policies/access.yaml (veldrechten)
    # says which casus roles may change such fields without the right to edit the whole plan.
    van: str | None = Field(default=None, pattern=r"^[a-z]+$")

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        """Each type carries exactly the attributes it needs, so the validator can trust them."""
        if self.type in CONTAINERS:
            if not self.velden:
                raise ValueError(f"{self.sleutel}: een {self.type} heeft velden nodig")
            if self.type is VeldType.LIJST and self.max_items is None:
                raise ValueError(f"{self.sleutel}: een lijst heeft max_items nodig")
        elif self.velden:
            raise ValueError(f"{self.sleutel}: alleen groep en lijst hebben velden")
        if self.type is not VeldType.GROEP and self.privacy is None:
            raise ValueError(f"{self.sleutel}: privacyklasse ontbreekt")
        if self.type in TEXTS and self.max_lengte is None:
            raise ValueError(f"{self.sleutel}: tekstveld heeft max_lengte nodig")
        if (self.type in CHOICES) != (self.keuzes is not None):
            raise ValueError(f"{self.sleutel}: keuzes hoort precies bij keuze en meerkeuze")
        return self

    @cached_property
    def per_sleutel(self) -> dict[str, Veld]:
        """Nested fields by key: documents are walked per request, definitions never change."""
        return {veld.sleutel: veld for veld in self.velden}


class Sectie(_Strict):
    sleutel: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    titel: str
    eenvoudig: str | None = None  # the title in plain Dutch (B1)
    uitleg: str | None = None
    stap: int | None = Field(default=None, ge=1, le=7)
    velden: tuple[Veld, ...]

    @cached_property
    def per_sleutel(self) -> dict[str, Veld]:
        """The section's fields by key (see Veld.per_sleutel)."""
        return {veld.sleutel: veld for veld in self.velden}


class Formulier(_Strict):
    versie: str
    titel: str
    vocabulaires: dict[str, tuple[str, ...]]
    secties: tuple[Sectie, ...]

    @model_validator(mode="after")
    def _references(self) -> Self:
        """Every choice names an existing vocabulary; keys are unique; steps 1..7 each once."""
        keys = [s.sleutel for s in self.secties]
        if len(keys) != len(set(keys)):
            raise ValueError("sectiesleutels zijn niet uniek")
        steps = sorted(s.stap for s in self.secties if s.stap is not None)
        if steps != list(range(1, 8)):
            raise ValueError(f"stappen moeten 1 t/m 7 precies eenmaal zijn, niet {steps}")
        for veld in self.alle_velden():
            if veld.keuzes is not None and veld.keuzes not in self.vocabulaires:
                raise ValueError(f"{veld.sleutel}: onbekende vocabulaire {veld.keuzes}")
        for sectie in self.secties:
            _unique_keys(sectie.velden, sectie.sleutel)
        return self

    def alle_velden(self) -> Iterator[Veld]:
        """Every field, nested ones included, in form order."""
        for sectie in self.secties:
            yield from _walk(sectie.velden)

    def sectie(self, sleutel: str) -> Sectie | None:
        return self._secties.get(sleutel)

    def velden_van(self, wie: frozenset[str]) -> frozenset[str]:
        """The paths (`sectie.veld`) of the top-level fields marked as the words of `wie`."""
        return frozenset(
            f"{sectie.sleutel}.{veld.sleutel}"
            for sectie in self.secties
            for veld in sectie.velden
            if veld.van in wie
        )

    @cached_property
    def _secties(self) -> dict[str, Sectie]:
        return {sectie.sleutel: sectie for sectie in self.secties}


def _walk(velden: tuple[Veld, ...]) -> Iterator[Veld]:
    for veld in velden:
        yield veld
        yield from _walk(veld.velden)


def _unique_keys(velden: tuple[Veld, ...], where: str) -> None:
    keys = [v.sleutel for v in velden]
    if len(keys) != len(set(keys)):
        raise ValueError(f"{where}: veldsleutels zijn niet uniek")
    for veld in velden:
        _unique_keys(veld.velden, f"{where}.{veld.sleutel}")


class DefinitieFout(Exception):
    """A form definition file is broken; start-up stops on it."""


def load_formulier(path: Path) -> Formulier:
    return load_versioned(path, Formulier, DefinitieFout, "formulierdefinitie")


class Formulieren:
    """All known form versions: a casus keeps the version it started with."""

    def __init__(self, formulieren: list[Formulier], standaard: str) -> None:
        self._by_version = {f.versie: f for f in formulieren}
        if standaard not in self._by_version:
            raise DefinitieFout(f"standaardformulier {standaard} bestaat niet")
        self.standaard = standaard

    def get(self, versie: str) -> Formulier | None:
        return self._by_version.get(versie)

    def __getitem__(self, versie: str) -> Formulier:
        return self._by_version[versie]

    def alle(self) -> list[Formulier]:
        return sorted(self._by_version.values(), key=lambda f: f.versie)


def load_formulieren(extra_dir: Path | None, standaard: str) -> Formulieren:
    """Load the shipped definitions plus an optional folder of newer ones."""
    dirs = [DEFINITIONS_DIR, *([extra_dir] if extra_dir else [])]
    paths = sorted(p for d in dirs for p in d.glob("*.yaml"))
    return Formulieren([load_formulier(p) for p in paths], standaard)
