"""Small-cell protection: every combination of quasi-identifiers is shared by at least k casussen.

Quasi-identifiers are the values someone who knows a family could match on: gemeente, the set of
indicaties, the start month and the kinds of organisation involved. Each has a ladder of ever
coarser values (month → quarter → year → *). The plan climbs the ladders, one rung at a time,
choosing the rung that leaves the fewest casussen in too-small groups, until at most a set share of
casussen is left over; then it steps back down every rung that was not needed. Only the casussen
still in too-small groups are suppressed. The plan is computed from counts alone, so it
needs one pass over the data and memory that grows with the number of distinct combinations,
not with the number of casussen.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

WEGGELATEN = "*"
SCHEIDING = ";"
REGIO_FILE = Path(__file__).parent / "regio.yaml"

Combinatie = tuple[str, ...]


@dataclass(frozen=True)
class Ladder:
    """One quasi-identifier and its rungs; rung 0 is the exact value."""

    kolom: str
    niveaus: tuple[str, ...]
    grof: Callable[[str, int], str]
    _cache: dict[tuple[str, int], str] = field(default_factory=dict, compare=False, repr=False)

    def op(self, waarde: str, niveau: int) -> str:
        """The value at a rung (memoised: a column has few distinct values, a casus list many)."""
        key = (waarde, niveau)
        if key not in self._cache:
            self._cache[key] = self.grof(waarde, niveau)
        return self._cache[key]


def _maand(waarde: str, niveau: int) -> str:
    jaar, _, maand = waarde.partition("-")
    if niveau == 0:
        return waarde
    if niveau == 1:
        return f"{jaar}-K{(int(maand) - 1) // 3 + 1}"
    return jaar if niveau == 2 else WEGGELATEN


def _indicaties(waarde: str, niveau: int) -> str:
    if niveau == 0:
        return waarde
    if niveau == 1 and waarde:
        # OB3b, OB3c → OB3: the main group of the Twents Model without its subtype.
        groepen = {code[:3] if code.startswith("OB") else code for code in waarde.split(SCHEIDING)}
        return SCHEIDING.join(sorted(groepen))
    return WEGGELATEN if niveau > 1 else waarde


def _organisatietypen(waarde: str, niveau: int) -> str:
    if niveau == 0:
        return waarde
    if niveau == 1:
        aantal = len([t for t in waarde.split(SCHEIDING) if t])
        return f"{aantal} soort{'en' if aantal != 1 else ''}"
    return WEGGELATEN


def load_regio(path: Path = REGIO_FILE) -> dict[str, str]:
    """gemeente → regio, from data; a gemeente missing there generalises straight to Twente."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))["regio"]
    return {gemeente: regio for regio, gemeenten in raw.items() for gemeente in gemeenten}


def _gemeente(regio_van: Mapping[str, str]) -> Callable[[str, int], str]:
    def grof(waarde: str, niveau: int) -> str:
        if niveau == 0:
            return waarde
        return regio_van.get(waarde, "Twente") if niveau == 1 else "Twente"

    return grof


def ladders(regio_van: Mapping[str, str]) -> tuple[Ladder, ...]:
    """The quasi-identifiers, in the order the plan prefers to coarsen them (gemeente last:
    it is what the region's research questions are asked per)."""
    return (
        Ladder("startmaand", ("maand", "kwartaal", "jaar", "weggelaten"), _maand),
        Ladder("indicaties", ("exact", "hoofdgroep", "weggelaten"), _indicaties),
        Ladder("organisatietypen", ("exact", "aantal", "weggelaten"), _organisatietypen),
        Ladder("gemeente", ("gemeente", "regio", "Twente"), _gemeente(regio_van)),
    )


@dataclass(frozen=True)
class Plan:
    """What an export (or a figure) generalises and suppresses; decided before a row is written."""

    ladders: tuple[Ladder, ...]
    niveaus: tuple[int, ...]
    k: int
    klassen: Counter[Combinatie]
    totaal: int

    def generaliseer(self, combinatie: Combinatie) -> Combinatie:
        return tuple(
            ladder.op(waarde, niveau)
            for ladder, waarde, niveau in zip(self.ladders, combinatie, self.niveaus, strict=True)
        )

    def toegestaan(self, combinatie: Combinatie) -> Combinatie | None:
        """The generalised values, or None when the casus falls in a group smaller than k."""
        grof = self.generaliseer(combinatie)
        return grof if self.klassen[grof] >= self.k else None

    @property
    def onderdrukt(self) -> int:
        return sum(n for n in self.klassen.values() if n < self.k)

    @property
    def rijen(self) -> int:
        return self.totaal - self.onderdrukt

    def toelichting(self) -> dict[str, Any]:
        """The plan in words, for the export's headers, side file and audit event."""
        return {
            "k": self.k,
            "gegeneraliseerd": {
                ladder.kolom: ladder.niveaus[niveau]
                for ladder, niveau in zip(self.ladders, self.niveaus, strict=True)
            },
            "casussen": self.totaal,
            "rijen": self.rijen,
            "onderdrukt": self.onderdrukt,
        }


def maak_plan(
    ladders: Sequence[Ladder], basis: Counter[Combinatie], *, k: int, max_aandeel: float
) -> Plan:
    """Climb the ladders until at most `max_aandeel` of the casussen sit in groups below k,
    then step back down every rung that turned out not to be needed."""
    if k < 2:
        raise ValueError("k moet minstens 2 zijn")
    ladders = tuple(ladders)
    totaal = sum(basis.values())
    budget = math.floor(totaal * max_aandeel)
    niveaus = [0] * len(ladders)
    klassen = _klassen(ladders, basis, niveaus)
    while _te_klein(klassen, k) > budget:
        opties = [i for i, ladder in enumerate(ladders) if niveaus[i] < len(ladder.niveaus) - 1]
        if not opties:
            break
        proeven = {i: _klassen(ladders, basis, _hoger(niveaus, i)) for i in opties}
        # Fewest casussen left in small groups; on a tie, the column with the most distinct
        # values now (it splits the casussen most), then the preferred order.
        beste = min(
            opties,
            key=lambda i: (_te_klein(proeven[i], k), -_verschillend(klassen, i), i),
        )
        niveaus, klassen = _hoger(niveaus, beste), proeven[beste]
    niveaus, klassen = _terug(ladders, basis, niveaus, klassen, k=k, budget=budget)
    return Plan(ladders, tuple(niveaus), k, klassen, totaal)


def _terug(
    ladders: tuple[Ladder, ...],
    basis: Counter[Combinatie],
    niveaus: list[int],
    klassen: Counter[Combinatie],
    *,
    k: int,
    budget: int,
) -> tuple[list[int], Counter[Combinatie]]:
    """Undo rungs that are not needed to stay within the budget (gemeente first)."""
    if _te_klein(klassen, k) > budget:
        return niveaus, klassen
    veranderd = True
    while veranderd:
        veranderd = False
        for i in reversed(range(len(ladders))):
            if niveaus[i] == 0:
                continue
            lager = [n - 1 if j == i else n for j, n in enumerate(niveaus)]
            proef = _klassen(ladders, basis, lager)
            if _te_klein(proef, k) <= budget:
                niveaus, klassen, veranderd = lager, proef, True
    return niveaus, klassen


def _verschillend(klassen: Counter[Combinatie], index: int) -> int:
    return len({combinatie[index] for combinatie in klassen})


def _hoger(niveaus: list[int], index: int) -> list[int]:
    return [n + 1 if i == index else n for i, n in enumerate(niveaus)]


def _klassen(
    ladders: tuple[Ladder, ...], basis: Counter[Combinatie], niveaus: list[int]
) -> Counter[Combinatie]:
    klassen: Counter[Combinatie] = Counter()
    for combinatie, aantal in basis.items():
        grof = tuple(
            ladder.op(waarde, niveau)
            for ladder, waarde, niveau in zip(ladders, combinatie, niveaus, strict=True)
        )
        klassen[grof] += aantal
    return klassen


def _te_klein(klassen: Counter[Combinatie], k: int) -> int:
    return sum(n for n in klassen.values() if n < k)
