"""Aggregate figures for researchers: counts and means over all casussen, never a small cell.

One pass over `iter_feiten` (on a snapshot) fills a `Teller`; `Teller.cijfers` turns its counts
into the figures that answer research questions 1, 3 and 4. Like the export, everything comes
from `CasusFeiten`, so no name, no free text and no date finer than a month can reach a figure.

The small-cell rule, applied to every count of casussen:

1. **Generalise first** (only the gemeente × start period table): the export's plan
   (`anonimiteit.maak_plan`) over just the start month and gemeente ladders, so months may become
   quarters or years and gemeenten regions before anything is hidden.
2. **Primary suppression**: a count of 1 to k-1 casussen is not shown; it reads "minder dan k".
   Zero is shown: there is nobody in it to recognise.
3. **Secondary suppression**: wherever a total is published next to its parts (a distribution
   and its total), a single hidden number could be recovered by subtraction. So in every such
   sum, never exactly one number may be hidden: when that happens the smallest other non-zero
   part is hidden too ("afgeschermd"), or the total when no part is left. The overall number of
   casussen is published on its own, so it is never the one chosen. This is enough for a
   distribution: its total is one linear constraint on its own numbers, and no subtraction
   solves one equation with two unknowns.
3a. **The two-way table** (gemeente × start period) is different: with both margins published,
   the row and column sums overlap, and combining them (row 3 − column 3 − column 5 + row 1,
   say) can solve a hidden cell even when no single sum has exactly one hidden number. Choosing
   cells so that no combination works is a hard problem of its own, so the table's inner cells
   are published only when none of them needs hiding (every non-zero cell at least k, after
   generalisation). Otherwise only the two margins are: per gemeente and per period, each
   protected as a distribution with its total. They then share nothing but the total, which is
   published anyway, so nothing can be combined across them. The figure says so when it
   happens (`Kruistabel.cellen_weggelaten`).
4. **Means** (of questionnaire scores, betrokkenen, time between MDOs) are shown only when they
   come from at least k casussen. A mean is a sum in disguise: next to a distribution with a
   hidden cell it could give that cell away, so the mean of a distribution is shown only when
   none of its cells is hidden.

Counts that do not add up to a published total (afspraken per onderdeel: one casus has
agreements on several onderdelen; questionnaire respondents per theme) only get rule 2. This
protects each figure on its own; it does not stop someone combining many different figures over
time (differencing), which is why the figures are for the onderzoeker role only and every call
is in the audit trail.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from statistics import fmean
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Engine

from app.db import snapshot_session, utcnow
from app.form.definition import Formulieren
from app.research.anonimiteit import WEGGELATEN, Ladder, maak_plan
from app.research.feiten import CasusFeiten, iter_feiten
from app.research.kenmerken import STAPPEN, StapStatus
from app.research.service import Onderzoek
from app.research.vragenlijst import SCHAALPUNTEN, Doelgroep, Thema, Vragenlijsten

ONDERZOEKSVRAGEN = {
    1: "Wordt de pilot uitgevoerd zoals bedoeld? Voor hoeveel en welke casussen is de handreiking "
    "gebruikt, met hoeveel betrokkenen, en over welke onderdelen zijn afspraken gemaakt?",
    3: "Hoe ervaren professionals de handreiking: rust, continuïteit en duidelijkheid?",
    4: "Hoe ervaren ouders de handreiking: rust, continuïteit en duidelijkheid?",
}
MAANDEN = (
    "januari", "februari", "maart", "april", "mei", "juni",
    "juli", "augustus", "september", "oktober", "november", "december",
)  # fmt: skip
THEMA_LABEL = {
    Thema.RUST: "Rust",
    Thema.CONTINUITEIT: "Continuïteit",
    Thema.DUIDELIJKHEID: "Duidelijkheid",
}
ONDERDEEL_LABEL = {
    "communicatie-ouders": "Communicatie met ouders",
    "informatiedeling-toestemming": "Informatiedeling en toestemming",
    "overleg-mdo": "Overleg (MDO)",
}
STAP_LABEL = {
    StapStatus.VOLLEDIG: "volledig ingevuld",
    StapStatus.DEELS: "deels ingevuld",
    StapStatus.LEEG: "leeg",
}
# (key, label, lowest value in the bin); a value falls in the last bin whose lowest it reaches.
BETROKKENEN_KLASSEN = (
    ("1", "1 betrokkene", 0),
    ("2", "2 betrokkenen", 2),
    ("3", "3 betrokkenen", 3),
    ("4", "4 betrokkenen", 4),
    ("5", "5 betrokkenen", 5),
    ("6-9", "6 tot en met 9 betrokkenen", 6),
    ("10+", "10 of meer betrokkenen", 10),
)
OVERDRACHT_KLASSEN = (
    ("0", "Geen overdracht", 0),
    ("1", "1 overdracht", 1),
    ("2", "2 overdrachten", 2),
    ("3+", "3 of meer overdrachten", 3),
)
MDO_KLASSEN = (  # in days: 4, 8 and 13 weeks
    ("<4w", "Minder dan 4 weken", 0),
    ("4-8w", "4 tot 8 weken", 28),
    ("8-13w", "8 tot 13 weken", 56),
    ("13w+", "13 weken of meer", 91),
)


class Onderdrukking(StrEnum):
    KLEIN = "minder_dan_k"  # 1 to k-1 casussen
    AFGESCHERMD = "afgeschermd"  # would give a small cell away through a published total


# --- the API's shape ------------------------------------------------------------------------


class Telling(BaseModel):
    """A number of casussen as published: the number, or None and why it is not shown."""

    aantal: int | None
    onderdrukt: Onderdrukking | None = None
    weergave: str


class Categorie(BaseModel):
    sleutel: str
    label: str
    casussen: Telling


class Figuur(BaseModel):
    titel: str
    onderzoeksvraag: int
    vraag: str
    toelichting: str


class Verdeling(Figuur):
    """Casussen over categories that add up to `totaal`; mean and median only when safe."""

    categorieen: list[Categorie]
    totaal: Telling
    gemiddelde: float | None
    mediaan: float | None
    eenheid: str


class KruisRij(BaseModel):
    """One start period: its total, and a count per gemeente (in the order of `gemeenten`).

    `cellen` is empty when the table's inner cells are withheld (see `Kruistabel`).
    """

    sleutel: str
    label: str
    cellen: list[Telling]
    totaal: Telling


class Kruistabel(Figuur):
    """Casussen per gemeente and start period, after generalisation; margins included.

    The inner cells are all there (`cellen_getoond`) or none is: with a small cell among them,
    the margins could give it away in combination, so then only the margins are published and
    `cellen_weggelaten` says why, in words for the reader (module doc, rule 3a).
    """

    gegeneraliseerd: dict[str, str]
    gemeenten: list[Categorie]
    rijen: list[KruisRij]
    totaal: Telling
    cellen_getoond: bool
    cellen_weggelaten: str | None = None


class OnderdeelRij(BaseModel):
    sleutel: str
    label: str
    casussen: Telling
    afspraken: int | None


class AfsprakenFiguur(Figuur):
    onderdelen: list[OnderdeelRij]
    casussen_met_afspraken: Telling


class StapRij(BaseModel):
    stap: int
    titel: str
    volledig: Telling
    deels: Telling
    leeg: Telling


class StappenFiguur(Figuur):
    stappen: list[StapRij]
    totaal: Telling


class ThemaScore(BaseModel):
    thema: Thema
    label: str
    gemiddelde: float | None
    casussen: Telling
    antwoorden: int | None


class ScoreFiguur(Figuur):
    doelgroep: Doelgroep
    schaal: list[str]
    casussen: Telling
    antwoorden: int | None
    themas: list[ThemaScore]


class Cijfers(BaseModel):
    """All figures, each with its title and the research question it answers."""

    k: int
    berekend_op: datetime
    casussen: Telling
    casussen_per_gemeente_en_periode: Kruistabel
    betrokkenen_per_casus: Verdeling
    afspraken_per_onderdeel: AfsprakenFiguur
    stappen_ingevuld: StappenFiguur
    overdrachten: Verdeling
    tijd_tussen_mdos: Verdeling
    ervaringen_professionals: ScoreFiguur
    ervaringen_ouders: ScoreFiguur

    def kenmerken(self) -> dict[str, Any]:
        """For the audit event: what was asked and how it was protected, no figure itself."""
        kruis = self.casussen_per_gemeente_en_periode
        return {
            "k": self.k,
            "gegeneraliseerd": kruis.gegeneraliseerd,
            "kruiscellen_getoond": kruis.cellen_getoond,
        }


# --- the small-cell rule --------------------------------------------------------------------


def bescherm(
    waarden: Mapping[Hashable, int],
    sommen: Iterable[tuple[Hashable, Sequence[Hashable]]],
    *,
    k: int,
    vast: frozenset[Hashable] = frozenset(),
) -> dict[Hashable, Onderdrukking]:
    """Which numbers to hide: 1..k-1 (primary), then never exactly one hidden in a sum.

    `sommen` are (total, parts) relations that a reader of the figure can see; `vast` are
    numbers published elsewhere anyway, never chosen for secondary suppression. Ties go to the
    number that comes first in `waarden`, so the result is the same on every run.

    Sound only for sums that share no hidden number: overlapping sums (the rows and columns of
    a two-way table) can be combined to solve what each alone keeps hidden. Such a table goes
    through `bescherm_kruistabel` instead.
    """
    volgorde = {sleutel: i for i, sleutel in enumerate(waarden)}
    sommen = list(sommen)
    verborgen: dict[Hashable, Onderdrukking] = {
        s: Onderdrukking.KLEIN for s, n in waarden.items() if 0 < n < k
    }
    while True:
        for totaal, delen in sommen:
            onbekend = [s for s in (totaal, *delen) if s in verborgen]
            if len(onbekend) != 1:
                continue
            kandidaten = [s for s in delen if s not in verborgen and waarden[s] > 0]
            if not kandidaten and totaal not in verborgen and totaal not in vast:
                kandidaten = [totaal]
            kandidaten = [s for s in kandidaten if s not in vast]
            if not kandidaten:  # cannot happen while the total is at least k (see module doc)
                continue
            keuze = min(kandidaten, key=lambda s: (waarden[s], volgorde[s]))
            verborgen[keuze] = Onderdrukking.AFGESCHERMD
            break
        else:
            return verborgen


TOTAAL: tuple[str] = ("totaal",)


@dataclass(frozen=True)
class KruisBescherming:
    """What of a gemeente × period table may be published.

    `waarden` holds every number of the table, keyed ("cel", periode, gemeente),
    ("periode", periode), ("gemeente", gemeente) and ("totaal",); `verborgen` the margins (and
    total) that are hidden and why. The inner cells are published only when `cellen_getoond`.
    """

    waarden: dict[Hashable, int]
    verborgen: dict[Hashable, Onderdrukking]
    cellen_getoond: bool


def bescherm_kruistabel(
    klassen: Mapping[tuple[str, ...], int],
    perioden: Sequence[str],
    gemeenten: Sequence[str],
    *,
    k: int,
) -> KruisBescherming:
    """All inner cells when none needs hiding; otherwise only the two margins, each on its own.

    Per-row and per-column secondary suppression is not enough once both margins are published
    (module doc, rule 3a), and finding a safe pattern of hidden cells would take an LP solver
    per cell. Withholding every inner cell leaves nothing to combine: a reader then has two
    distributions that share only their total, and the never-exactly-one-hidden rule protects
    each of them, as it does every other distribution in the figures.
    """
    cellen: dict[Hashable, int] = {
        ("cel", p, g): klassen.get((p, g), 0) for p in perioden for g in gemeenten
    }
    per_periode: dict[Hashable, int] = {
        ("periode", p): sum(klassen.get((p, g), 0) for g in gemeenten) for p in perioden
    }
    per_gemeente: dict[Hashable, int] = {
        ("gemeente", g): sum(klassen.get((p, g), 0) for p in perioden) for g in gemeenten
    }
    totaal = sum(cellen.values())
    waarden: dict[Hashable, int] = {TOTAAL: totaal, **cellen, **per_periode, **per_gemeente}
    if not any(0 < n < k for n in cellen.values()):
        # Every non-zero cell is at least k, so is every sum of them: nothing to hide.
        return KruisBescherming(waarden, {}, cellen_getoond=True)
    verborgen: dict[Hashable, Onderdrukking] = {}
    for marge in (per_periode, per_gemeente):
        verborgen |= bescherm(
            {TOTAAL: totaal, **marge}, [(TOTAAL, list(marge))], k=k, vast=frozenset({TOTAAL})
        )
    return KruisBescherming(waarden, verborgen, cellen_getoond=False)


def cellen_weggelaten(k: int) -> str:
    """Why the table shows no count per gemeente and period together, for the reader."""
    return (
        "De aantallen per gemeente én startperiode samen tonen we niet: minstens één daarvan is "
        f"kleiner dan {k}, ook nadat maanden en gemeenten zijn samengevoegd. Naast de totalen per "
        "gemeente en per startperiode zou zo'n klein aantal uit te rekenen zijn door totalen bij "
        "elkaar op te tellen en van elkaar af te trekken. Daarom tonen we alleen die totalen, "
        "elk apart beschermd."
    )


def telling(aantal: int, reden: Onderdrukking | None, k: int) -> Telling:
    if reden is Onderdrukking.KLEIN:
        return Telling(aantal=None, onderdrukt=reden, weergave=f"minder dan {k}")
    if reden is Onderdrukking.AFGESCHERMD:
        return Telling(aantal=None, onderdrukt=reden, weergave="afgeschermd")
    return Telling(aantal=aantal, weergave=f"{aantal:,}".replace(",", "."))


def periode_label(periode: str) -> str:
    """2026-03 → Maart 2026, 2026-K1 → 1e kwartaal 2026, 2026 → 2026, * → Alle perioden."""
    if periode == WEGGELATEN:
        return "Alle perioden"
    jaar, _, rest = periode.partition("-")
    if not rest:
        return jaar
    if rest.startswith("K"):
        return f"{rest[1:]}e kwartaal {jaar}"
    return f"{MAANDEN[int(rest) - 1].capitalize()} {jaar}"


def onderdeel_label(onderdeel: str) -> str:
    if onderdeel in ONDERDEEL_LABEL:
        return ONDERDEEL_LABEL[onderdeel]
    woorden = onderdeel.replace("-", " ").replace("_", " ")
    return woorden[:1].upper() + woorden[1:]


def _klasse(waarde: float, klassen: Sequence[tuple[str, str, int]]) -> str:
    return next(sleutel for sleutel, _, laagste in reversed(klassen) if waarde >= laagste)


def _mediaan(tellingen: Counter[int]) -> float | None:
    """The median of values kept as value → how often (memory: distinct values only)."""
    n = sum(tellingen.values())
    if n == 0:
        return None
    waarden = sorted(tellingen)
    gezien = 0
    midden: list[int] = []
    for waarde in waarden:
        vorige, gezien = gezien, gezien + tellingen[waarde]
        for positie in ((n - 1) // 2, n // 2):
            if vorige <= positie < gezien:
                midden.append(waarde)
    return fmean(midden)


def _gemiddelde(tellingen: Counter[int]) -> float | None:
    n = sum(tellingen.values())
    return sum(w * a for w, a in tellingen.items()) / n if n else None


# --- one pass -------------------------------------------------------------------------------


@dataclass
class _Score:
    """Questionnaires of one doelgroep (for one theme): how many casussen, answers, points."""

    casussen: int = 0
    antwoorden: int = 0
    som: float = 0.0

    def tel(self, antwoorden: int, som: float = 0.0) -> None:
        self.casussen += 1
        self.antwoorden += antwoorden
        self.som += som


def _thema_score(
    antwoord: Mapping[str, int], thema_van: Mapping[str, Thema], thema: Thema
) -> float | None:
    """One respondent's score on a theme: the mean of their answers to its scale questions."""
    items = [
        v
        for sleutel, v in antwoord.items()
        if thema_van.get(sleutel) is thema and isinstance(v, int) and 1 <= v <= SCHAALPUNTEN
    ]
    return fmean(items) if items else None


class Teller:
    """Everything the figures need, counted in one pass; memory grows with distinct values."""

    def __init__(self, thema_van: Mapping[Doelgroep, Mapping[str, Thema]]) -> None:
        self.thema_van = thema_van
        self.totaal = 0
        self.basis: Counter[tuple[str, str]] = Counter()
        self.betrokkenen: Counter[int] = Counter()
        self.overdrachten: Counter[int] = Counter()
        self.mdo_dagen: Counter[int] = Counter()
        self.afspraken_casussen: Counter[str] = Counter()
        self.afspraken_aantal: Counter[str] = Counter()
        self.met_afspraken = 0
        self.stappen: list[Counter[str]] = [Counter() for _ in STAPPEN]
        self.respondenten: dict[Doelgroep, _Score] = {d: _Score() for d in Doelgroep}
        self.scores: dict[Doelgroep, dict[Thema, _Score]] = {
            d: {t: _Score() for t in Thema} for d in Doelgroep
        }

    def tel(self, feiten: CasusFeiten) -> None:
        self.totaal += 1
        self.basis[(feiten.startmaand, feiten.gemeente)] += 1
        self.betrokkenen[feiten.betrokkenen] += 1
        self.overdrachten[feiten.overdrachten] += 1
        if feiten.mdo_interval_dagen is not None:
            self.mdo_dagen[round(feiten.mdo_interval_dagen)] += 1
        for onderdeel, aantal in feiten.afspraken.items():
            if aantal:
                self.afspraken_casussen[onderdeel] += 1
                self.afspraken_aantal[onderdeel] += aantal
        self.met_afspraken += any(feiten.afspraken.values())
        for teller, status in zip(self.stappen, feiten.stappen, strict=True):
            teller[status] += 1
        for doelgroep, antwoorden in feiten.antwoorden.items():
            self._antwoorden(doelgroep, antwoorden)

    def _antwoorden(self, doelgroep: Doelgroep, antwoorden: list[dict[str, int]]) -> None:
        if not antwoorden:
            return
        self.respondenten[doelgroep].tel(len(antwoorden))
        thema_van = self.thema_van.get(doelgroep, {})
        for thema, score in self.scores[doelgroep].items():
            per_respondent = [
                s for a in antwoorden if (s := _thema_score(a, thema_van, thema)) is not None
            ]
            if per_respondent:
                score.tel(len(per_respondent), sum(per_respondent))

    # --- turning counts into figures -----------------------------------------------------------

    def cijfers(
        self,
        *,
        k: int,
        max_onderdrukt: float,
        ladders: Sequence[Ladder],
        onderdelen: Sequence[str],
        stappen: Mapping[int, str],
        schalen: Mapping[Doelgroep, Sequence[str]],
        berekend_op: datetime,
    ) -> Cijfers:
        totaal = telling(self.totaal, Onderdrukking.KLEIN if 0 < self.totaal < k else None, k)
        return Cijfers(
            k=k,
            berekend_op=berekend_op,
            casussen=totaal,
            casussen_per_gemeente_en_periode=self._kruistabel(k, max_onderdrukt, ladders),
            betrokkenen_per_casus=self._verdeling(
                k,
                self.betrokkenen,
                BETROKKENEN_KLASSEN,
                titel="Betrokkenen per casus",
                toelichting="Iedereen die in de casus een rol had (regievoerder, betrokkene of "
                "volger), ook als die rol later eindigde.",
                eenheid="betrokkenen",
            ),
            afspraken_per_onderdeel=self._afspraken(k, onderdelen),
            stappen_ingevuld=self._stappen(k, stappen, totaal),
            overdrachten=self._verdeling(
                k,
                self.overdrachten,
                OVERDRACHT_KLASSEN,
                titel="Overdrachten van de regie per casus",
                toelichting="Alleen geaccepteerde overdrachten: een voorstel dat werd afgewezen "
                "of ingetrokken telt niet.",
                eenheid="overdrachten",
            ),
            tijd_tussen_mdos=self._verdeling(
                k,
                self.mdo_dagen,
                MDO_KLASSEN,
                titel="Tijd tussen MDO's",
                toelichting="Casussen met minstens twee MDO's, naar de gemiddelde tijd tussen "
                "twee opeenvolgende MDO's in die casus.",
                eenheid="dagen",
            ),
            ervaringen_professionals=self._scores(k, Doelgroep.PROFESSIONAL, schalen),
            ervaringen_ouders=self._scores(k, Doelgroep.OUDER, schalen),
        )

    def _kruistabel(self, k: int, max_onderdrukt: float, ladders: Sequence[Ladder]) -> Kruistabel:
        per_kolom = {ladder.kolom: ladder for ladder in ladders}
        plan = maak_plan(
            (per_kolom["startmaand"], per_kolom["gemeente"]),
            Counter(self.basis),
            k=k,
            max_aandeel=max_onderdrukt,
        )
        perioden = sorted({p for p, _ in plan.klassen})
        gemeenten = sorted({g for _, g in plan.klassen})
        tabel = bescherm_kruistabel(plan.klassen, perioden, gemeenten, k=k)

        def tel(sleutel: Hashable) -> Telling:
            return telling(tabel.waarden[sleutel], tabel.verborgen.get(sleutel), k)

        toelichting = plan.toelichting()["gegeneraliseerd"]
        return Kruistabel(
            titel="Casussen per gemeente en startperiode",
            onderzoeksvraag=1,
            vraag=ONDERZOEKSVRAGEN[1],
            toelichting="Elke casus waarin de handreiking is gestart, naar gemeente en de maand "
            "waarin de casus begon. Waar nodig zijn maanden samengevoegd tot kwartalen of jaren "
            "en gemeenten tot regio's, zodat er zo min mogelijk kleine aantallen overblijven.",
            gegeneraliseerd=dict(toelichting),
            gemeenten=[
                Categorie(sleutel=g, label=g, casussen=tel(("gemeente", g))) for g in gemeenten
            ],
            rijen=[
                KruisRij(
                    sleutel=p,
                    label=periode_label(p),
                    cellen=[tel(("cel", p, g)) for g in gemeenten] if tabel.cellen_getoond else [],
                    totaal=tel(("periode", p)),
                )
                for p in perioden
            ],
            totaal=tel(TOTAAL),
            cellen_getoond=tabel.cellen_getoond,
            cellen_weggelaten=None if tabel.cellen_getoond else cellen_weggelaten(k),
        )

    def _verdeling(
        self,
        k: int,
        waarden: Counter[int],
        klassen: Sequence[tuple[str, str, int]],
        *,
        titel: str,
        toelichting: str,
        eenheid: str,
    ) -> Verdeling:
        per_klasse: Counter[str] = Counter()
        for waarde, aantal in waarden.items():
            per_klasse[_klasse(waarde, klassen)] += aantal
        n = sum(waarden.values())
        cellen: dict[Hashable, int] = {"totaal": n}
        cellen.update({sleutel: per_klasse[sleutel] for sleutel, _, _ in klassen})
        delen = [sleutel for sleutel, _, _ in klassen]
        verborgen = bescherm(cellen, [("totaal", delen)], k=k)
        veilig = n >= k and not verborgen
        gemiddelde = _gemiddelde(waarden) if veilig else None
        mediaan = _mediaan(waarden) if veilig else None
        return Verdeling(
            titel=titel,
            onderzoeksvraag=1,
            vraag=ONDERZOEKSVRAGEN[1],
            toelichting=toelichting,
            categorieen=[
                Categorie(
                    sleutel=sleutel,
                    label=label,
                    casussen=telling(per_klasse[sleutel], verborgen.get(sleutel), k),
                )
                for sleutel, label, _ in klassen
            ],
            totaal=telling(n, verborgen.get("totaal"), k),
            gemiddelde=None if gemiddelde is None else round(gemiddelde, 1),
            mediaan=None if mediaan is None else round(mediaan, 1),
            eenheid=eenheid,
        )

    def _afspraken(self, k: int, onderdelen: Sequence[str]) -> AfsprakenFiguur:
        def rij(onderdeel: str) -> OnderdeelRij:
            casussen = self.afspraken_casussen[onderdeel]
            klein = 0 < casussen < k
            return OnderdeelRij(
                sleutel=onderdeel,
                label=onderdeel_label(onderdeel),
                casussen=telling(casussen, Onderdrukking.KLEIN if klein else None, k),
                afspraken=None if klein else self.afspraken_aantal[onderdeel],
            )

        klein = 0 < self.met_afspraken < k
        return AfsprakenFiguur(
            titel="Afspraken per onderdeel",
            onderzoeksvraag=1,
            vraag=ONDERZOEKSVRAGEN[1],
            toelichting="Per onderdeel het aantal casussen met minstens één afspraak daarover, "
            "en hoeveel afspraken dat samen zijn. Eén casus kan afspraken over meer onderdelen "
            "hebben, dus de aantallen tellen niet op tot het totaal.",
            onderdelen=[rij(o) for o in onderdelen],
            casussen_met_afspraken=telling(
                self.met_afspraken, Onderdrukking.KLEIN if klein else None, k
            ),
        )

    def _stappen(self, k: int, titels: Mapping[int, str], totaal: Telling) -> StappenFiguur:
        statussen = (StapStatus.VOLLEDIG, StapStatus.DEELS, StapStatus.LEEG)
        rijen = []
        for stap, teller in zip(STAPPEN, self.stappen, strict=True):
            cellen: dict[Hashable, int] = {"totaal": self.totaal}
            cellen.update({s: teller[s] for s in statussen})
            verborgen = bescherm(cellen, [("totaal", statussen)], k=k, vast=frozenset({"totaal"}))
            tel = {s: telling(teller[s], verborgen.get(s), k) for s in statussen}
            rijen.append(
                StapRij(
                    stap=stap,
                    titel=titels.get(stap, f"Stap {stap}"),
                    volledig=tel[StapStatus.VOLLEDIG],
                    deels=tel[StapStatus.DEELS],
                    leeg=tel[StapStatus.LEEG],
                )
            )
        return StappenFiguur(
            titel="Ingevulde stappen",
            onderzoeksvraag=1,
            vraag=ONDERZOEKSVRAGEN[1],
            toelichting="Per stap van de handreiking: in hoeveel casussen is die stap volledig "
            "ingevuld (alles wat nodig is voor het plan), deels ingevuld of nog leeg, in de "
            "laatste versie van de handreiking.",
            stappen=rijen,
            totaal=totaal,
        )

    def _scores(
        self, k: int, doelgroep: Doelgroep, schalen: Mapping[Doelgroep, Sequence[str]]
    ) -> ScoreFiguur:
        def klein(score: _Score) -> Onderdrukking | None:
            return Onderdrukking.KLEIN if 0 < score.casussen < k else None

        def thema(thema: Thema, score: _Score) -> ThemaScore:
            genoeg = score.casussen >= k
            return ThemaScore(
                thema=thema,
                label=THEMA_LABEL[thema],
                gemiddelde=round(score.som / score.antwoorden, 2) if genoeg else None,
                casussen=telling(score.casussen, klein(score), k),
                antwoorden=None if klein(score) else score.antwoorden,
            )

        vraag = 3 if doelgroep is Doelgroep.PROFESSIONAL else 4
        wie = "professionals" if doelgroep is Doelgroep.PROFESSIONAL else "ouders"
        alle = self.respondenten[doelgroep]
        return ScoreFiguur(
            titel=f"Ervaringen van {wie}",
            onderzoeksvraag=vraag,
            vraag=ONDERZOEKSVRAGEN[vraag],
            toelichting=f"Gemiddelde score van {wie} per thema op een schaal van 1 tot en met "
            f"{SCHAALPUNTEN}: per ingevulde vragenlijst het gemiddelde van de vragen over dat "
            f"thema, en daarvan het gemiddelde. Alleen getoond als de antwoorden uit minstens "
            f"{k} casussen komen.",
            doelgroep=doelgroep,
            schaal=list(schalen.get(doelgroep, ())),
            casussen=telling(alle.casussen, klein(alle), k),
            antwoorden=None if klein(alle) else alle.antwoorden,
            themas=[thema(t, score) for t, score in self.scores[doelgroep].items()],
        )


def bereken_cijfers(
    engine: Engine,
    onderzoek: Onderzoek,
    formulieren: Formulieren,
    vragenlijsten: Vragenlijsten,
) -> Cijfers:
    """All figures from one consistent snapshot, read once."""
    thema_van: dict[Doelgroep, dict[str, Thema]] = {d: {} for d in Doelgroep}
    schalen: dict[Doelgroep, Sequence[str]] = {}
    for vragenlijst in vragenlijsten.alle():
        schalen[vragenlijst.doelgroep] = vragenlijst.schaal
        for vraag in vragenlijst.schaalvragen:
            if vraag.thema is not None:
                thema_van[vragenlijst.doelgroep][vraag.sleutel] = vraag.thema
    formulier = formulieren[formulieren.standaard]
    teller = Teller(thema_van)
    nu = utcnow()
    session = snapshot_session(engine)
    try:
        # Closed before the session, on every path: the reading holds its connection.
        with closing(iter_feiten(session, formulieren, nu=nu)) as alle:
            for feiten in alle:
                teller.tel(feiten)
    finally:
        session.close()
    return teller.cijfers(
        k=onderzoek.k,
        max_onderdrukt=onderzoek.max_onderdrukt,
        ladders=onderzoek.ladders,
        onderdelen=formulier.vocabulaires.get("onderdeel", ()),
        stappen={s.stap: s.titel for s in formulier.secties if s.stap},
        schalen=schalen,
        berekend_op=nu,
    )
