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
from operator import getitem
from pathlib import Path
from typing import Any

import yaml

WEGGELATEN = "*"
SCHEIDING = ";"
REGIO_FILE = Path(__file__).parent / "regio.yaml"

Combinatie = tuple[str, ...]


class Kaart(dict[str, str]):
    """Values to their value at one rung, each worked out once: a column has few distinct
    values, a casus list many, and a plan generalises every combination several times over."""

    def __init__(self, grof: Callable[[str], str]) -> None:
        super().__init__()
        self.grof = grof

    def __missing__(self, waarde: str) -> str:
        self[waarde] = uitkomst = self.grof(waarde)
        return uitkomst


@dataclass(frozen=True)
class Ladder:
    """One quasi-identifier and its rungs; rung 0 is the exact value."""

    kolom: str
    niveaus: tuple[str, ...]
    grof: Callable[[str, int], str]
    voorkeur: int = 0  # on a tie, the ladder with the lowest number is coarsened first
    _kaarten: dict[int, Kaart] = field(default_factory=dict, compare=False, repr=False)

    def kaart(self, niveau: int) -> Kaart:
        """Exact values to this rung (memoised)."""
        if niveau not in self._kaarten:
            self._kaarten[niveau] = Kaart(lambda waarde: self.grof(waarde, niveau))
        return self._kaarten[niveau]

    def op(self, waarde: str, niveau: int) -> str:
        """The value at a rung."""
        return self.kaart(niveau)[waarde]


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


def _alleen_weglaten(waarde: str, niveau: int) -> str:
    return waarde if niveau == 0 else WEGGELATEN


def _aantal(waarde: str, niveau: int) -> str:
    if niveau == 0:
        return waarde
    if niveau == 1:
        n = int(waarde)
        return "10+" if n >= 10 else f"{(n - 1) // 3 * 3 + 1}-{(n - 1) // 3 * 3 + 3}"
    return WEGGELATEN


def ladders(regio_van: Mapping[str, str]) -> tuple[Ladder, ...]:
    """The quasi-identifiers: what someone who knows a family could know about its casus.

    In the order of `export.combinatie`; `voorkeur` says which to coarsen first on a tie
    (gemeente last: it is what the region's research questions are asked per).
    """
    return (
        Ladder("startmaand", ("maand", "kwartaal", "jaar", "weggelaten"), _maand, 0),
        Ladder("indicaties", ("exact", "hoofdgroep", "weggelaten"), _indicaties, 2),
        Ladder("organisatietypen", ("exact", "aantal", "weggelaten"), _organisatietypen, 3),
        Ladder("gemeente", ("gemeente", "regio", "Twente"), _gemeente(regio_van), 6),
        Ladder("status", ("exact", "weggelaten"), _alleen_weglaten, 5),
        Ladder("formulierversie", ("exact", "weggelaten"), _alleen_weglaten, 4),
        Ladder("aantal_betrokkenen", ("exact", "klasse", "weggelaten"), _aantal, 1),
    )


@dataclass(frozen=True)
class Plan:
    """What an export (or a figure) generalises and suppresses; decided before a row is written."""

    ladders: tuple[Ladder, ...]
    niveaus: tuple[int, ...]
    k: int
    klassen: Counter[Combinatie]
    totaal: int

    @property
    def kaarten(self) -> list[Kaart]:
        """Per column, exact values to their value at the plan's rung: what `generaliseer` does
        to a combination, for a caller that works column by column (the export)."""
        return [ladder.kaart(n) for ladder, n in zip(self.ladders, self.niveaus, strict=True)]

    def generaliseer(self, combinatie: Combinatie) -> Combinatie:
        return tuple(map(getitem, self.kaarten, combinatie))

    def toegestaan(self, combinatie: Combinatie) -> Combinatie | None:
        """The generalised values, or None when the casus falls in a group smaller than k: per
        casus what the export does (`kaarten`, then `vrij`)."""
        grof = self.generaliseer(combinatie)
        return grof if self.vrij(grof) else None

    def vrij(self, grof: Combinatie) -> bool:
        """Whether casussen with these generalised values are released: their group holds k."""
        return self.klassen[grof] >= self.k

    def niveau(self, kolom: str) -> str:
        """The rung a column was generalised to, by name (e.g. "kwartaal")."""
        for ladder, niveau in zip(self.ladders, self.niveaus, strict=True):
            if ladder.kolom == kolom:
                return ladder.niveaus[niveau]
        raise KeyError(kolom)

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
            "duur_weken_afgerond_op": duur_eenheid(self.niveau("startmaand")),
            "casussen": self.totaal,
            "rijen": self.rijen,
            "onderdrukt": self.onderdrukt,
        }


def duur_eenheid(startniveau: str) -> int:
    """Weeks the export's duration is rounded down to, as coarse as the start month."""
    return {"maand": 4, "kwartaal": 13, "jaar": 52}.get(startniveau, 52)


def maak_plan(
    ladders: Sequence[Ladder],
    basis: Counter[Combinatie],
    *,
    k: int,
    max_aandeel: float,
    minimum: Sequence[int] | None = None,
) -> Plan:
    """Climb the ladders until at most `max_aandeel` of the casussen sit in groups below k,
    then step back down every rung that turned out not to be needed.

    `minimum` is where each ladder starts and below which it never steps back: a research
    project's earlier exports, so joining two of them on the pseudonym gives nothing finer
    than either.
    """
    if k < 2:
        raise ValueError("k moet minstens 2 zijn")
    ladders = tuple(ladders)
    totaal = sum(basis.values())
    budget = math.floor(totaal * max_aandeel)
    vloer = list(minimum) if minimum is not None else [0] * len(ladders)
    niveaus = list(vloer)
    treden = _Treden(ladders, basis)
    klassen = treden.begin(niveaus)
    while _te_klein(klassen, k) > budget:
        opties = [i for i, ladder in enumerate(ladders) if niveaus[i] < len(ladder.niveaus) - 1]
        if not opties:
            break
        # Fewest casussen left in small groups; on a tie, the column with the most distinct
        # values now (it splits the casussen most), then the preferred order. One trial at a
        # time, keeping only the best one's score: with the current groups and the basis, memory
        # holds at most three sets of counts.
        beste: tuple[tuple[int, int, int], int] | None = None
        for i in opties:
            proef = treden.hoger(klassen, niveaus, i)
            score = (_te_klein(proef, k), -_verschillend(klassen, i), ladders[i].voorkeur)
            del proef
            if beste is None or score < beste[0]:
                beste = (score, i)
        assert beste is not None
        klassen = treden.hoger(klassen, niveaus, beste[1])
        niveaus = _hoger(niveaus, beste[1])
    niveaus, klassen = _terug(ladders, basis, niveaus, klassen, k=k, budget=budget, vloer=vloer)
    return Plan(ladders, tuple(niveaus), k, klassen, totaal)


class _Treden:
    """One rung up a ladder, worked out from the groups at the current rungs when the ladder is
    a hierarchy (every value at one rung has a single value one rung up, as month → quarter), so
    each trial groups the ever fewer groups rather than every distinct combination again."""

    def __init__(self, ladders: tuple[Ladder, ...], basis: Counter[Combinatie]) -> None:
        self.ladders = ladders
        self.basis = basis
        self._exact: list[set[str]] | None = None
        self._stappen: dict[tuple[int, int], dict[str, str] | None] = {}

    def begin(self, niveaus: list[int]) -> Counter[Combinatie]:
        """The groups at the starting rungs: the basis itself when they leave every value as it
        is (a project's first export), so the largest set of counts is not held twice."""
        exact = self._waarden()
        if all(
            all(ladder.op(w, n) == w for w in waarden)
            for ladder, n, waarden in zip(self.ladders, niveaus, exact, strict=True)
        ):
            return self.basis
        return _klassen(self.ladders, self.basis, niveaus)

    def hoger(
        self, klassen: Counter[Combinatie], niveaus: list[int], index: int
    ) -> Counter[Combinatie]:
        """The groups with ladder `index` one rung up."""
        stap = self._stap(index, niveaus[index])
        if stap is None:
            return _klassen(self.ladders, self.basis, _hoger(niveaus, index))
        hoger: Counter[Combinatie] = Counter()
        for combinatie, aantal in klassen.items():
            grof = (*combinatie[:index], stap[combinatie[index]], *combinatie[index + 1 :])
            hoger[grof] = hoger.get(grof, 0) + aantal
        return hoger

    def _stap(self, index: int, niveau: int) -> dict[str, str] | None:
        """Rung `niveau` to the next for the values in the data, or None if one value at this
        rung would go to two (then the groups must be made from the exact values)."""
        if (index, niveau) not in self._stappen:
            ladder = self.ladders[index]
            waarden = self._waarden()[index]
            paren = {(ladder.op(w, niveau), ladder.op(w, niveau + 1)) for w in waarden}
            stap = dict(paren)
            self._stappen[index, niveau] = stap if len(stap) == len(paren) else None
        return self._stappen[index, niveau]

    def _waarden(self) -> list[set[str]]:
        """Each column's distinct exact values."""
        if self._exact is None:
            self._exact = [{c[i] for c in self.basis} for i in range(len(self.ladders))]
        return self._exact


def _terug(
    ladders: tuple[Ladder, ...],
    basis: Counter[Combinatie],
    niveaus: list[int],
    klassen: Counter[Combinatie],
    *,
    k: int,
    budget: int,
    vloer: list[int],
) -> tuple[list[int], Counter[Combinatie]]:
    """Undo rungs that are not needed to stay within the budget (most preferred first)."""
    if _te_klein(klassen, k) > budget:
        return niveaus, klassen
    veranderd = True
    while veranderd:
        veranderd = False
        for i in sorted(range(len(ladders)), key=lambda j: -ladders[j].voorkeur):
            if niveaus[i] <= vloer[i]:
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
    """The groups at these rungs, from the exact combinations."""
    kaarten = [ladder.kaart(n) for ladder, n in zip(ladders, niveaus, strict=True)]
    klassen: Counter[Combinatie] = Counter()
    for combinatie, aantal in basis.items():
        grof = tuple(map(getitem, kaarten, combinatie))
        klassen[grof] = klassen.get(grof, 0) + aantal
    return klassen


def _te_klein(klassen: Counter[Combinatie], k: int) -> int:
    return sum(n for n in klassen.values() if n < k)
