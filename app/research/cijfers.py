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
   and its total, a row or column of the table and its margin), a single hidden number could be
   recovered by subtraction. So in every such sum, never exactly one number may be hidden: when
   that happens the smallest other non-zero part is hidden too ("afgeschermd"), or the total when
   no part is left. This is repeated until no sum has exactly one hidden number (hiding one number
   can expose another sum, e.g. a row total in the table's margin). The overall number of
   casussen is published on its own, so it is never the one chosen.
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

import itertools
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
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
from app.research.feiten import STAPPEN, CasusFeiten, StapStatus, iter_feiten
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
    ("6-9", "6 tot 10 betrokkenen", 6),
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
    """One start period: a count per gemeente (in the order of `gemeenten`) and its total."""

    sleutel: str
    label: str
    cellen: list[Telling]
    totaal: Telling


class Kruistabel(Figuur):
    """Casussen per gemeente and start period, after generalisation; margins included."""

    gegeneraliseerd: dict[str, str]
    gemeenten: list[Categorie]
    rijen: list[KruisRij]
    totaal: Telling


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
        return {
            "k": self.k,
            "gegeneraliseerd": self.casussen_per_gemeente_en_periode.gegeneraliseerd,
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
        if feiten.mdo_intervallen_dagen:
            self.mdo_dagen[round(fmean(feiten.mdo_intervallen_dagen))] += 1
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
        waarden: dict[Hashable, int] = {("totaal",): self.totaal}
        for periode, gemeente in itertools.product(perioden, gemeenten):
            waarden[("cel", periode, gemeente)] = plan.klassen[(periode, gemeente)]
        for periode in perioden:
            waarden[("periode", periode)] = sum(plan.klassen[(periode, g)] for g in gemeenten)
        for gemeente in gemeenten:
            waarden[("gemeente", gemeente)] = sum(plan.klassen[(p, gemeente)] for p in perioden)
        sommen: list[tuple[Hashable, Sequence[Hashable]]] = [
            (("periode", p), [("cel", p, g) for g in gemeenten]) for p in perioden
        ]
        sommen += [(("gemeente", g), [("cel", p, g) for p in perioden]) for g in gemeenten]
        sommen.append((("totaal",), [("periode", p) for p in perioden]))
        sommen.append((("totaal",), [("gemeente", g) for g in gemeenten]))
        verborgen = bescherm(waarden, sommen, k=k, vast=frozenset({("totaal",)}))

        def tel(sleutel: Hashable) -> Telling:
            return telling(waarden[sleutel], verborgen.get(sleutel), k)

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
                    cellen=[tel(("cel", p, g)) for g in gemeenten],
                    totaal=tel(("periode", p)),
                )
                for p in perioden
            ],
            totaal=tel(("totaal",)),
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
        for feiten in iter_feiten(session, formulieren, nu=nu):
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
