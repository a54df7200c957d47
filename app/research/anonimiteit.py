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
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableSequence, Sequence
from dataclasses import dataclass, field
from operator import getitem
from pathlib import Path
from typing import Any, Protocol

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

    def generaliseer(self, combinatie: Combinatie) -> Combinatie:
        kaarten = [ladder.kaart(n) for ladder, n in zip(self.ladders, self.niveaus, strict=True)]
        return tuple(map(getitem, kaarten, combinatie))

    def toegestaan(self, combinatie: Combinatie) -> Combinatie | None:
        """The generalised values, or None when the casus falls in a group smaller than k."""
        grof = self.generaliseer(combinatie)
        return grof if self.klassen[grof] >= self.k else None

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


class Telling:
    """Casussen per exact combination, counted as they are read.

    Each column's values are numbered and a combination is packed into one int of BREED bits
    per column: a hundred thousand casussen with as many distinct combinations then take a
    third of the memory the same tuples of strings would. `combinatie` gives the values back.
    """

    BREED = 20

    def __init__(self, kolommen: int) -> None:
        self.waarden: list[list[str]] = [[] for _ in range(kolommen)]
        self.nummers: list[dict[str, int]] = [{} for _ in range(kolommen)]
        self.aantallen: dict[int, int] = {}

    @classmethod
    def van(cls, basis: Mapping[Combinatie, int], kolommen: int) -> Telling:
        telling = cls(kolommen)
        for combinatie, aantal in basis.items():
            sleutel = telling.sleutel(combinatie)
            telling.aantallen[sleutel] = telling.aantallen.get(sleutel, 0) + aantal
        return telling

    def tel(self, combinatie: Combinatie) -> int:
        """Count one casus; returns its combination's key."""
        sleutel = self.sleutel(combinatie)
        self.aantallen[sleutel] = self.aantallen.get(sleutel, 0) + 1
        return sleutel

    def sleutel(self, combinatie: Combinatie) -> int:
        sleutel = 0
        for nummers, waarden, waarde in zip(self.nummers, self.waarden, combinatie, strict=True):
            nummer = nummers.get(waarde)
            if nummer is None:
                nummer = nummers[waarde] = len(waarden)
                if nummer >> self.BREED:
                    raise ValueError("te veel verschillende waarden in één kolom")
                waarden.append(waarde)
            sleutel = sleutel << self.BREED | nummer
        return sleutel

    def combinatie(self, sleutel: int) -> Combinatie:
        masker = (1 << self.BREED) - 1
        waarden = []
        for kolom in reversed(self.waarden):
            waarden.append(kolom[sleutel & masker])
            sleutel >>= self.BREED
        return tuple(reversed(waarden))


def maak_plan(
    ladders: Sequence[Ladder],
    basis: Mapping[Combinatie, int] | Telling,
    *,
    k: int,
    max_aandeel: float,
    minimum: Sequence[int] | None = None,
) -> Plan:
    """Climb the ladders until at most `max_aandeel` of the casussen sit in groups below k,
    then step back down every rung that turned out not to be needed.

    `minimum` is where each ladder starts and below which it never steps back: a research
    project's earlier exports, so joining two of them on the pseudonym gives nothing finer
    than either. A `Telling` is consumed: its counts move into the plan's own compact form.
    """
    if k < 2:
        raise ValueError("k moet minstens 2 zijn")
    ladders = tuple(ladders)
    telling = basis if isinstance(basis, Telling) else Telling.van(basis, len(ladders))
    codes = _Codes(ladders, telling)
    exact = codes.basis(telling)
    totaal = sum(exact.values())
    budget = math.floor(totaal * max_aandeel)
    vloer = list(minimum) if minimum is not None else [0] * len(ladders)
    niveaus = list(vloer)
    klassen = codes.klassen(exact, niveaus)
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
            proef = codes.hoger(exact, klassen, niveaus, i)
            score = (_te_klein(proef, k), -codes.verschillend(klassen, i), ladders[i].voorkeur)
            del proef
            if beste is None or score < beste[0]:
                beste = (score, i)
        assert beste is not None
        klassen = codes.hoger(exact, klassen, niveaus, beste[1])
        niveaus = _hoger(niveaus, beste[1])
    niveaus, klassen = _terug(codes, exact, niveaus, klassen, k=k, budget=budget, vloer=vloer)
    groepen = Counter({codes.combinatie(sleutel): aantal for sleutel, aantal in klassen.items()})
    return Plan(ladders, tuple(niveaus), k, groepen, totaal)


class _Groepen(Protocol):
    """Counts per packed combination: a dict, or the basis' two arrays."""

    def items(self) -> Iterable[tuple[int, int]]: ...

    def values(self) -> Iterable[int]: ...

    def __iter__(self) -> Iterator[int]: ...


@dataclass
class _Basis:
    """The exact combinations as two parallel arrays of machine words: no object per
    combination, so the largest set of counts costs a few bytes each while the trials run."""

    sleutels: MutableSequence[int]
    aantallen: array[int]

    def items(self) -> Iterable[tuple[int, int]]:
        return zip(self.sleutels, self.aantallen, strict=True)

    def values(self) -> Iterable[int]:
        return self.aantallen

    def __iter__(self) -> Iterator[int]:
        return iter(self.sleutels)


class _Codes:
    """The plan's numbering: every value at every rung of a column numbered, and a combination
    packed into as few bits as those numbers need (one machine word, as a rule).

    A rung changes a combination by swapping one column's number for another, which is a
    lookup and two bit operations instead of a new tuple of strings.
    """

    def __init__(self, ladders: tuple[Ladder, ...], telling: Telling) -> None:
        self.ladders = ladders
        self.telling = telling
        self.waarden = [list(kolom) for kolom in telling.waarden]
        # naar[i][n][c]: the number of exact value c of column i at rung n.
        self.naar = [
            self._treden(ladder, kolom, dict(nummers))
            for ladder, kolom, nummers in zip(ladders, self.waarden, telling.nummers, strict=True)
        ]
        self.bits = [max(1, (len(kolom) - 1).bit_length()) for kolom in self.waarden]
        self.schuif = [sum(self.bits[i + 1 :]) for i in range(len(self.bits))]
        self.masker = [(1 << b) - 1 for b in self.bits]
        self._stappen: dict[tuple[int, int], dict[int, int] | None] = {}

    @staticmethod
    def _treden(ladder: Ladder, kolom: list[str], nummers: dict[str, int]) -> list[list[int]]:
        """Each rung's value of each exact value, numbered; numbers new values in `kolom`."""
        exact = kolom[:]
        treden = []
        for niveau in range(len(ladder.niveaus)):
            rij = []
            for waarde in exact:
                grof = ladder.op(waarde, niveau)
                if grof not in nummers:
                    nummers[grof] = len(kolom)
                    kolom.append(grof)
                rij.append(nummers[grof])
            treden.append(rij)
        return treden

    def basis(self, telling: Telling) -> _Basis:
        """The telling's counts repacked into this numbering; the telling's own dict is let go."""
        aantallen, telling.aantallen = telling.aantallen, {}
        past = sum(self.bits) <= 64
        sleutels: MutableSequence[int] = array("Q") if past else []
        tellingen = array("Q")
        breed, masker = Telling.BREED, (1 << Telling.BREED) - 1
        for sleutel, aantal in aantallen.items():
            smal = 0
            for i in range(len(self.bits)):
                nummer = sleutel >> (breed * (len(self.bits) - 1 - i)) & masker
                smal = smal << self.bits[i] | nummer
            sleutels.append(smal)
            tellingen.append(aantal)
        return _Basis(sleutels, tellingen)

    def combinatie(self, sleutel: int) -> Combinatie:
        return tuple(
            kolom[sleutel >> schuif & masker]
            for kolom, schuif, masker in zip(self.waarden, self.schuif, self.masker, strict=True)
        )

    def klassen(self, exact: _Basis, niveaus: Sequence[int]) -> _Groepen:
        """The groups at these rungs, from the exact combinations (the basis itself when the
        rungs leave every value as it is, so the largest set of counts is not held twice)."""
        wissel = []
        for i, niveau in enumerate(niveaus):
            naar = self.naar[i][niveau]
            if any(nummer != oud for oud, nummer in enumerate(naar)):
                geschoven = [nummer << self.schuif[i] for nummer in naar]
                wissel.append(
                    (self.schuif[i], self.masker[i], ~(self.masker[i] << self.schuif[i]), geschoven)
                )
        if not wissel:
            return exact
        klassen: dict[int, int] = {}
        for sleutel, aantal in exact.items():
            grof = sleutel
            for schuif, masker, wis, naar in wissel:
                grof = grof & wis | naar[sleutel >> schuif & masker]
            klassen[grof] = klassen.get(grof, 0) + aantal
        return klassen

    def hoger(self, exact: _Basis, klassen: _Groepen, niveaus: list[int], index: int) -> _Groepen:
        """The groups with ladder `index` one rung up: from the current groups when the ladder
        is a hierarchy (every value at one rung has a single value one rung up, as month →
        quarter), so each trial groups the ever fewer groups rather than every combination."""
        stap = self._stap(index, niveaus[index])
        if stap is None:
            return self.klassen(exact, _hoger(niveaus, index))
        schuif, masker = self.schuif[index], self.masker[index]
        wis = ~(masker << schuif)
        geschoven = {oud << schuif: nieuw << schuif for oud, nieuw in stap.items()}
        hoger: dict[int, int] = {}
        for sleutel, aantal in klassen.items():
            grof = sleutel & wis | geschoven[sleutel & ~wis]
            hoger[grof] = hoger.get(grof, 0) + aantal
        return hoger

    def verschillend(self, klassen: _Groepen, index: int) -> int:
        schuif, masker = self.schuif[index], self.masker[index]
        return len({sleutel >> schuif & masker for sleutel in klassen})

    def _stap(self, index: int, niveau: int) -> dict[int, int] | None:
        """Rung `niveau` to the next for the values in the data, or None if one value at this
        rung would go to two (then the groups must be made from the exact values)."""
        if (index, niveau) not in self._stappen:
            hier, daar = self.naar[index][niveau], self.naar[index][niveau + 1]
            paren = set(zip(hier, daar, strict=True))
            stap = dict(paren)
            self._stappen[index, niveau] = stap if len(stap) == len(paren) else None
        return self._stappen[index, niveau]


def _terug(
    codes: _Codes,
    exact: _Basis,
    niveaus: list[int],
    klassen: _Groepen,
    *,
    k: int,
    budget: int,
    vloer: list[int],
) -> tuple[list[int], _Groepen]:
    """Undo rungs that are not needed to stay within the budget (most preferred first)."""
    if _te_klein(klassen, k) > budget:
        return niveaus, klassen
    ladders = codes.ladders
    veranderd = True
    while veranderd:
        veranderd = False
        for i in sorted(range(len(ladders)), key=lambda j: -ladders[j].voorkeur):
            if niveaus[i] <= vloer[i]:
                continue
            lager = [n - 1 if j == i else n for j, n in enumerate(niveaus)]
            proef = codes.klassen(exact, lager)
            if _te_klein(proef, k) <= budget:
                niveaus, klassen, veranderd = lager, proef, True
    return niveaus, klassen


def _hoger(niveaus: list[int], index: int) -> list[int]:
    return [n + 1 if i == index else n for i, n in enumerate(niveaus)]


def _te_klein(klassen: _Groepen, k: int) -> int:
    return sum(n for n in klassen.values() if n < k)
