"""The researchers' export: one row per casus, pseudonymised, k-anonymous, streamed.

Two passes over one database snapshot. The first counts the quasi-identifier combinations and
decides what to generalise and suppress (see `anonimiteit`); the second writes the rows. Rows are
built from `CasusFeiten` only, so no name and no free text can reach the file: not by mistake, not
encoded, not at all.
"""

from __future__ import annotations

import csv
import io
import json
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from statistics import fmean
from typing import Any

from sqlmodel import Session

from app.form.definition import Formulieren
from app.research.anonimiteit import SCHEIDING, Combinatie, Ladder, Plan, duur_eenheid, maak_plan
from app.research.feiten import CasusFeiten, iter_feiten
from app.research.kenmerken import STAPPEN
from app.research.pseudonym import Pseudonimiseerder
from app.research.vragenlijst import Doelgroep, Vragenlijsten

VOORVOEGSEL = {Doelgroep.PROFESSIONAL: "professionals", Doelgroep.OUDER: "ouders"}
RIJEN_PER_BLOK = 200


class Formaat(StrEnum):
    CSV = "csv"
    JSONL = "jsonl"


MEDIA_TYPE = {Formaat.CSV: "text/csv; charset=utf-8", Formaat.JSONL: "application/jsonl"}


def combinatie(feiten: CasusFeiten) -> Combinatie:
    """The quasi-identifiers of a casus, in the ladders' order."""
    # Interned: a hundred thousand casussen share a few hundred distinct values per column.
    return (
        sys.intern(feiten.startmaand),
        sys.intern(SCHEIDING.join(feiten.indicaties)),
        sys.intern(SCHEIDING.join(feiten.organisatietypen)),
        sys.intern(feiten.gemeente),
        sys.intern(feiten.status),
        sys.intern(feiten.formulierversie),
        sys.intern(str(feiten.betrokkenen)),
    )


def duur(feiten: CasusFeiten, startniveau: str) -> int | None:
    """Weeks, rounded down as coarsely as the start month is generalised: with the day of the
    export known, an open casus' exact duration would give its start date back. Unknown for an
    open casus whose start month is hidden altogether."""
    if startniveau == "weggelaten" and feiten.status != "afgesloten":
        return None
    eenheid = duur_eenheid(startniveau)
    return feiten.duur_weken // eenheid * eenheid


@dataclass(frozen=True)
class Kolommen:
    """The export's columns, derived from the form and questionnaire definitions."""

    onderdelen: tuple[str, ...]
    schaalvragen: dict[Doelgroep, tuple[str, ...]]

    @classmethod
    def uit(cls, formulieren: Formulieren, vragenlijsten: Vragenlijsten) -> Kolommen:
        # Every version's onderdelen: a casus on an older form keeps its agreements counted.
        onderdelen: list[str] = []
        for formulier in formulieren.alle():
            for onderdeel in formulier.vocabulaires.get("onderdeel", ()):
                if onderdeel not in onderdelen:
                    onderdelen.append(onderdeel)
        vragen: dict[Doelgroep, list[str]] = {d: [] for d in Doelgroep}
        for vragenlijst in vragenlijsten.alle():
            for vraag in vragenlijst.schaalvragen:
                if vraag.sleutel not in vragen[vragenlijst.doelgroep]:
                    vragen[vragenlijst.doelgroep].append(vraag.sleutel)
        return cls(tuple(onderdelen), {d: tuple(v) for d, v in vragen.items()})

    def namen(self) -> list[str]:
        namen = [
            "pseudoniem",
            "formulierversie",
            "status",
            "gemeente",
            "indicaties",
            "startmaand",
            "organisatietypen",
            "aantal_betrokkenen",
            "aantal_mdos",
            "aantal_mdos_afgerond",
            "aantal_revisies",
            "aantal_overdrachten",
            "duur_weken",
        ]
        namen += [f"stap_{stap}" for stap in STAPPEN]
        namen += [_afspraakkolom(o) for o in self.onderdelen]
        for doelgroep, vragen in self.schaalvragen.items():
            namen.append(f"{VOORVOEGSEL[doelgroep]}_aantal")
            namen += [f"{VOORVOEGSEL[doelgroep]}_{v}" for v in vragen]
        return namen


def _afspraakkolom(onderdeel: str) -> str:
    return "afspraken_" + onderdeel.replace("-", "_")


def rij(
    feiten: CasusFeiten, grof: Combinatie, pseudoniem: str, kolommen: Kolommen, startniveau: str
) -> dict[str, Any]:
    """One export row. Every value is a category, a count, a month or a mean of scale answers;
    the quasi-identifiers (text) as far as the plan generalised them."""
    startmaand, indicaties, organisatietypen, gemeente, status, versie, betrokkenen = grof
    waarden: dict[str, Any] = {
        "pseudoniem": pseudoniem,
        "formulierversie": versie,
        "status": status,
        "gemeente": gemeente,
        "indicaties": indicaties,
        "startmaand": startmaand,
        "organisatietypen": organisatietypen,
        "aantal_betrokkenen": betrokkenen,
        "aantal_mdos": feiten.mdos,
        "aantal_mdos_afgerond": feiten.mdos_afgerond,
        "aantal_revisies": feiten.revisies,
        "aantal_overdrachten": feiten.overdrachten,
        "duur_weken": duur(feiten, startniveau),
    }
    waarden.update({f"stap_{stap}": s for stap, s in zip(STAPPEN, feiten.stappen, strict=True)})
    waarden.update({_afspraakkolom(o): feiten.afspraken.get(o, 0) for o in kolommen.onderdelen})
    for doelgroep, vragen in kolommen.schaalvragen.items():
        antwoorden = feiten.antwoorden.get(doelgroep, [])
        prefix = VOORVOEGSEL[doelgroep]
        waarden[f"{prefix}_aantal"] = len(antwoorden)
        for vraag in vragen:
            scores = [a[vraag] for a in antwoorden if isinstance(a.get(vraag), int)]
            waarden[f"{prefix}_{vraag}"] = round(fmean(scores), 2) if scores else None
    return waarden


class Export:
    """One export run over one snapshot session (the caller opens and closes it)."""

    def __init__(
        self,
        session: Session,
        formulieren: Formulieren,
        kolommen: Kolommen,
        ladders: tuple[Ladder, ...],
        pseudoniem: Pseudonimiseerder,
        *,
        nu: datetime,
    ) -> None:
        self.session = session
        self.formulieren = formulieren
        self.kolommen = kolommen
        self.ladders = ladders
        self.pseudoniem = pseudoniem
        self.nu = nu

    def _feiten(self, *, volledig: bool = True) -> Iterator[CasusFeiten]:
        return iter_feiten(self.session, self.formulieren, nu=self.nu, volledig=volledig)

    def plan(self, *, k: int, max_aandeel: float, minimum: Sequence[int] | None = None) -> Plan:
        """Pass 1: count the combinations (memory grows with distinct ones, not with casussen)."""
        feiten = self._feiten(volledig=False)
        basis: Counter[Combinatie] = Counter(combinatie(f) for f in feiten)
        return maak_plan(self.ladders, basis, k=k, max_aandeel=max_aandeel, minimum=minimum)

    def rijen(
        self, plan: Plan, *, voortgang: Callable[[int], None] | None = None
    ) -> Iterator[dict[str, Any]]:
        """Pass 2: the rows the plan allows (in casus-id order; `blokken` reorders them)."""
        startniveau = plan.niveau("startmaand")
        for feiten in self._feiten():
            grof = plan.toegestaan(combinatie(feiten))
            if grof is not None:
                pseudoniem = self.pseudoniem(feiten.casus_id)
                yield rij(feiten, grof, pseudoniem, self.kolommen, startniveau)
            if voortgang is not None:
                voortgang(1)

    def blokken(
        self, plan: Plan, formaat: Formaat, *, voortgang: Callable[[int], None] | None = None
    ) -> Iterator[bytes]:
        """The file in chunks, rows ordered by pseudonym.

        In casus-id order, two projects' exports would line up row by row and their different
        pseudonyms would protect nothing. Rows go to buckets on disk by the pseudonym's first
        characters and each bucket is sorted on its own, so memory stays flat.
        """
        schrijver = _CsvSchrijver(self.kolommen.namen()) if formaat is Formaat.CSV else None
        with tempfile.TemporaryDirectory(prefix="regie-export-") as map_:
            emmers = _Emmers(Path(map_))
            for waarden in self.rijen(plan, voortgang=voortgang):
                regel = schrijver.regel(waarden) if schrijver else _jsonl(waarden)
                emmers.voeg_toe(waarden["pseudoniem"], regel)
            if schrijver:
                yield schrijver.kop().encode("utf-8")
            yield from emmers.gesorteerd()


class _Emmers:
    """Lines bucketed on disk by the pseudonym's first two hex digits, read back sorted."""

    def __init__(self, map_: Path) -> None:
        self.map = map_
        self.open: dict[str, Any] = {}

    def voeg_toe(self, pseudoniem: str, regel: str) -> None:
        sleutel = pseudoniem[:2]
        if sleutel not in self.open:
            self.open[sleutel] = (self.map / sleutel).open("w", encoding="utf-8", newline="")
        self.open[sleutel].write(regel)

    def gesorteerd(self) -> Iterator[bytes]:
        for bestand in self.open.values():
            bestand.close()
        for sleutel in sorted(self.open):
            # Every line starts with its pseudonym (CSV's first column, JSONL's first key).
            tekst = (self.map / sleutel).read_text(encoding="utf-8")
            regels = sorted(tekst.splitlines(keepends=True))
            for start in range(0, len(regels), RIJEN_PER_BLOK):
                yield "".join(regels[start : start + RIJEN_PER_BLOK]).encode("utf-8")


class _CsvSchrijver:
    def __init__(self, namen: list[str]) -> None:
        self.namen = namen
        self._uit = io.StringIO()
        self._csv = csv.DictWriter(self._uit, fieldnames=namen, lineterminator="\r\n")

    def kop(self) -> str:
        self._csv.writeheader()
        return self._neem()

    def regel(self, waarden: dict[str, Any]) -> str:
        self._csv.writerow({k: "" if v is None else v for k, v in waarden.items()})
        return self._neem()

    def _neem(self) -> str:
        tekst = self._uit.getvalue()
        self._uit.seek(0)
        self._uit.truncate()
        return tekst


def _jsonl(waarden: dict[str, Any]) -> str:
    return json.dumps(waarden, ensure_ascii=False, separators=(",", ":")) + "\n"
