"""The researchers' export: one row per casus, pseudonymised, k-anonymous, streamed.

One pass over one database snapshot, then one over a private scratch directory. The first counts
the quasi-identifier combinations and decides what to generalise and suppress (see
`anonimiteit`), meanwhile putting each casus' row in a bucket on disk with everything but its
quasi-identifiers already formatted: those stay in memory, the bucket gets only a number per
column for its value. The second reads the buckets back and writes the rows the plan allows,
generalised, in pseudonym order. Rows are built from `CasusFeiten` only, so no name and no free
text can reach the file: not by mistake, not encoded, not at all.
"""

from __future__ import annotations

import csv
import json
import shutil
import sys
import tempfile
import weakref
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from operator import getitem
from pathlib import Path
from typing import Any, Protocol, TextIO

from sqlmodel import Session

from app.enums import Formaat
from app.form.definition import Formulieren
from app.research.anonimiteit import SCHEIDING, Combinatie, Ladder, Plan, duur_eenheid, maak_plan
from app.research.feiten import CasusFeiten, iter_feiten
from app.research.kenmerken import STAPPEN
from app.research.pseudonym import Pseudonimiseerder
from app.research.vragenlijst import Doelgroep, Vragenlijsten

VOORVOEGSEL = {Doelgroep.PROFESSIONAL: "professionals", Doelgroep.OUDER: "ouders"}
# The quasi-identifier columns in the file's order (`combinatie` has the ladders' order).
KWASI = (
    "formulierversie",
    "status",
    "gemeente",
    "indicaties",
    "startmaand",
    "organisatietypen",
    "aantal_betrokkenen",
)
TELLINGEN = ("aantal_mdos", "aantal_mdos_afgerond", "aantal_revisies", "aantal_overdrachten")
RIJEN_PER_BLOK = 1000


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


@dataclass(frozen=True)
class Afronding:
    """Weeks, rounded down as coarsely as the start month is generalised: with the day of the
    export known, an open casus' exact duration would give its start date back. Unknown for an
    open casus whose start month is hidden altogether."""

    eenheid: int
    open_onbekend: bool

    @classmethod
    def voor(cls, startniveau: str) -> Afronding:
        return cls(duur_eenheid(startniveau), startniveau == "weggelaten")

    def __call__(self, weken: int, *, afgesloten: bool) -> int | None:
        if self.open_onbekend and not afgesloten:
            return None
        return weken // self.eenheid * self.eenheid


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
        return ["pseudoniem", *KWASI, *TELLINGEN, "duur_weken", *self.achter()]

    def achter(self) -> list[str]:
        """The columns after the duration: steps, agreements, questionnaires."""
        namen = [f"stap_{stap}" for stap in STAPPEN]
        namen += [_afspraakkolom(o) for o in self.onderdelen]
        for doelgroep, vragen in self.schaalvragen.items():
            namen.append(f"{VOORVOEGSEL[doelgroep]}_aantal")
            namen += [f"{VOORVOEGSEL[doelgroep]}_{v}" for v in vragen]
        return namen

    def waarden(self, feiten: CasusFeiten) -> list[Any]:
        """A casus' values for `achter`: step statuses, agreements per onderdeel, and per
        questionnaire the number of answers and the mean of each scale question.

        A casus without agreements, or without answers to a questionnaire (most casussen), has
        the same values there as every other such casus: made once (`_zonder_*`)."""
        afspraken = feiten.afspraken
        waarden: list[Any] = [*feiten.stappen]
        if afspraken:
            waarden += [afspraken.get(o, 0) for o in self.onderdelen]
        else:
            waarden += self._zonder_afspraken
        for doelgroep, vragen in self.schaalvragen.items():
            antwoorden = feiten.antwoorden.get(doelgroep)
            if not antwoorden:
                waarden += self._zonder_antwoorden[doelgroep]
                continue
            waarden.append(len(antwoorden))
            # Per question its scores; a respondent who skipped it (or an odd value) adds none.
            for scores in zip(*[[a.get(v) for v in vragen] for a in antwoorden], strict=True):
                telt = [s for s in scores if isinstance(s, int)]
                # Integers: their sum is exact, so this is fmean's answer without its overhead.
                waarden.append(round(sum(telt) / len(telt), 2) if telt else None)
        return waarden

    @cached_property
    def _zonder_afspraken(self) -> tuple[int, ...]:
        return (0,) * len(self.onderdelen)

    @cached_property
    def _zonder_antwoorden(self) -> dict[Doelgroep, tuple[int | None, ...]]:
        """Per questionnaire nobody answered: no answers, and no mean of any question."""
        return {d: (0, *(None,) * len(vragen)) for d, vragen in self.schaalvragen.items()}


def _afspraakkolom(onderdeel: str) -> str:
    return "afspraken_" + onderdeel.replace("-", "_")


class Export:
    """One export run over one snapshot session (the caller opens and closes it)."""

    def __init__(
        self,
        session: Session,
        formulieren: Formulieren,
        kolommen: Kolommen,
        ladders: tuple[Ladder, ...],
        pseudoniem: Pseudonimiseerder,
        formaat: Formaat,
        *,
        nu: datetime,
    ) -> None:
        self.session = session
        self.formulieren = formulieren
        self.kolommen = kolommen
        self.ladders = ladders
        self.pseudoniem = pseudoniem
        self.nu = nu
        self.opmaak: _Opmaak = _Csv(kolommen.namen()) if formaat is Formaat.CSV else _Jsonl()
        self._achter = kolommen.achter()
        # Per quasi-identifier, the numbers its values get in the buckets (see `_kladregel`).
        self._codes: tuple[_Nummering, ...] = tuple(_Nummering() for _ in ladders)
        self._emmers: _Emmers | None = None

    def plan(
        self,
        *,
        k: int,
        max_aandeel: float,
        minimum: Sequence[int] | None = None,
        voortgang: Callable[[int], None] | None = None,
    ) -> Plan:
        """Pass 1: read each casus once, count its combination (memory grows with distinct
        ones, not with casussen) and put the rest of its row in a bucket on disk."""
        self._emmers = emmers = _Emmers()
        basis: Counter[Combinatie] = Counter()
        # Closed on the way out, also on an error: its cursors end with it, not when collected.
        bron = iter_feiten(self.session, self.formulieren, nu=self.nu)
        try:
            for feiten in _melden(bron, voortgang):
                sleutel = combinatie(feiten)
                basis[sleutel] += 1
                emmers.voeg_toe(self._kladregel(feiten, sleutel))
        except BaseException:
            emmers.opruimen()
            raise
        finally:
            bron.close()
            emmers.sluit()
        return maak_plan(self.ladders, basis, k=k, max_aandeel=max_aandeel, minimum=minimum)

    def _kladregel(self, feiten: CasusFeiten, sleutel: Combinatie) -> str:
        """A casus in a bucket: its pseudonym first (the sort key), the numbers of its
        quasi-identifiers' values, its exact duration and whether it is closed (rounded once the
        plan is known), then its counts and the columns after the duration, formatted.

        A number per column rather than one per combination: a column has a few hundred values
        at most, while a region has nearly as many combinations as casussen, and a map of those
        would be the largest thing the export holds while it plans. The numbers mean nothing
        outside this run: which value each stands for is only in its memory."""
        tellingen = (feiten.mdos, feiten.mdos_afgerond, feiten.revisies, feiten.overdrachten)
        return "\t".join(
            (
                self.pseudoniem(feiten.casus_id),
                ",".join(map(getitem, self._codes, sleutel)),
                str(feiten.duur_weken),
                "1" if feiten.status == "afgesloten" else "",
                self.opmaak.velden(TELLINGEN, tellingen),
                self.opmaak.velden(self._achter, self.kolommen.waarden(feiten)),
            )
        )

    def blokken(
        self, plan: Plan, *, voortgang: Callable[[int], None] | None = None
    ) -> Iterator[bytes]:
        """Pass 2: the file in chunks, rows ordered by pseudonym.

        In casus-id order, two projects' exports would line up row by row and their different
        pseudonyms would protect nothing. Each bucket holds the pseudonyms with the same first
        two hex digits and is sorted on its own, so memory stays flat.
        """
        if self._emmers is None:
            raise RuntimeError("eerst het plan, dan de rijen")
        # Per column, from a value's number: the value at the plan's rung.
        op_trede = [
            {nummer: kaart[waarde] for waarde, nummer in codes.items()}
            for kaart, codes in zip(plan.kaarten, self._codes, strict=True)
        ]
        # Per generalised combination: its values formatted, or None when suppressed. Formatting
        # is the costly part of a row, and there are far fewer such combinations than casussen.
        kwasi: dict[Combinatie, str | None] = {}
        afronding = Afronding.voor(plan.niveau("startmaand"))
        opmaak = self.opmaak
        if kop := opmaak.kop():
            yield kop.encode("utf-8")
        for regels in self._emmers.gesorteerd():
            uit = []
            for regel in regels:
                pseudoniem, nummers, weken, afgesloten, tellingen, achter = regel.split("\t")
                grof = tuple(map(getitem, op_trede, nummers.split(",")))
                if grof not in kwasi:
                    kwasi[grof] = self._kwasi(grof, plan)
                if (velden := kwasi[grof]) is not None:
                    duur = afronding(int(weken), afgesloten=bool(afgesloten))
                    uit.append(opmaak.regel(pseudoniem, velden, tellingen, duur, achter))
            if voortgang is not None:
                voortgang(len(regels))
            if uit:
                yield "".join(uit).encode("utf-8")

    def _kwasi(self, grof: Combinatie, plan: Plan) -> str | None:
        """Generalised values formatted in the file's order, or None when their group is
        smaller than k (the casus is suppressed)."""
        if not plan.vrij(grof):
            return None
        startmaand, indicaties, organisatietypen, gemeente, status, versie, betrokkenen = grof
        waarden = (versie, status, gemeente, indicaties, startmaand, organisatietypen, betrokkenen)
        return self.opmaak.velden(KWASI, waarden)


def _melden(
    feiten: Iterator[CasusFeiten], voortgang: Callable[[int], None] | None
) -> Iterator[CasusFeiten]:
    """Report progress a block at a time: a progress bar's bookkeeping per casus would cost
    more than the casus."""
    if voortgang is None:
        yield from feiten
        return
    gelezen = 0
    for gelezen, casus in enumerate(feiten, 1):
        yield casus
        if gelezen % RIJEN_PER_BLOK == 0:
            voortgang(RIJEN_PER_BLOK)
    voortgang(gelezen % RIJEN_PER_BLOK)


class _Nummering(dict[str, str]):
    """A column's values to numbers (as text, as the bucket holds them), each new value getting
    the next."""

    def __missing__(self, waarde: str) -> str:
        self[waarde] = nummer = str(len(self))
        return nummer


class _Emmers:
    """Lines bucketed on disk by their first two characters (the pseudonym's), read back sorted.

    In a private temporary directory (mkdtemp: mode 0700), removed once read back, on an error,
    or when an export is dropped unread (the finaliser).
    """

    def __init__(self) -> None:
        self.map = Path(tempfile.mkdtemp(prefix="regie-export-"))
        self.opruimen = weakref.finalize(self, shutil.rmtree, self.map, ignore_errors=True)
        self.open: dict[str, TextIO] = {}

    def voeg_toe(self, regel: str) -> None:
        sleutel = regel[:2]
        bestand = self.open.get(sleutel)
        if bestand is None:
            bestand = self.open[sleutel] = (self.map / sleutel).open("w", encoding="utf-8")
        bestand.write(regel + "\n")

    def sluit(self) -> None:
        for bestand in self.open.values():
            bestand.close()

    def gesorteerd(self) -> Iterator[list[str]]:
        try:
            for sleutel in sorted(self.open):
                tekst = (self.map / sleutel).read_text(encoding="utf-8")
                yield sorted(tekst.split("\n")[:-1])
        finally:
            self.opruimen()


class _Opmaak(Protocol):
    """How one format writes a row: in the pieces the two passes make of it, then whole."""

    def kop(self) -> str: ...

    def velden(self, namen: Sequence[str], waarden: Iterable[Any]) -> str: ...

    def regel(
        self, pseudoniem: str, kwasi: str, tellingen: str, duur: int | None, achter: str
    ) -> str: ...


class _Csv:
    """CSV as csv.writer writes it: each piece is a run of its fields, joined as it joins them.

    The header ends in CRLF and the rows in LF, as the export has always written them (its
    buckets were read back with newline translation); readers take either.
    """

    def __init__(self, namen: list[str]) -> None:
        self.namen = namen
        self._csv = csv.writer(_Terug(), lineterminator="")

    def kop(self) -> str:
        return self.velden(self.namen, self.namen) + "\r\n"

    def velden(self, namen: Sequence[str], waarden: Iterable[Any]) -> str:
        tekst: str = self._csv.writerow(waarden)
        return tekst

    def regel(
        self, pseudoniem: str, kwasi: str, tellingen: str, duur: int | None, achter: str
    ) -> str:
        return f"{pseudoniem},{kwasi},{tellingen},{'' if duur is None else duur},{achter}\n"


class _Terug:
    """A file whose write hands its text back: csv.writer's writerow then returns the line."""

    def write(self, tekst: str) -> str:
        return tekst


class _Jsonl:
    """One compact JSON object per line, keys in column order."""

    def __init__(self) -> None:
        self._json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))

    def kop(self) -> str:
        return ""

    def velden(self, namen: Sequence[str], waarden: Iterable[Any]) -> str:
        return self._json.encode(dict(zip(namen, waarden, strict=True)))[1:-1]

    def regel(
        self, pseudoniem: str, kwasi: str, tellingen: str, duur: int | None, achter: str
    ) -> str:
        tekst = "null" if duur is None else duur
        return (
            f'{{"pseudoniem":"{pseudoniem}",{kwasi},{tellingen},"duur_weken":{tekst},{achter}}}\n'
        )
