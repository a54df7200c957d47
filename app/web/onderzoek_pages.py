"""The researcher's dashboard: the figures as charts and tables, and the export to download.

Charts are inline SVG written by hand in a Jinja macro (templates/onderzoek/_grafiek.html).
A chart library would either need JavaScript in the browser (our CSP allows no inline script and
the page must work without it) or produce SVG without a text alternative, so we draw the few
bars ourselves: role="img" with a <title> and <desc>, values as text, and a real table after
every chart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse
from sqlmodel import col, select

from app.access.policy import Actie
from app.access.service import authorize_system
from app.audit.models import AuditGebeurtenis
from app.audit.recorder import Uitkomst
from app.context import Context
from app.deps import SnapshotDep
from app.enums import Formaat
from app.research import routes as api
from app.research.cijfers import (
    ONDERZOEKSVRAGEN,
    Categorie,
    Cijfers,
    ScoreFiguur,
    Telling,
    Verdeling,
    bereken_cijfers,
)
from app.web.deps import WebCtx
from app.web.templating import render

router = APIRouter(include_in_schema=False)

KOLOMMEN = {
    "startmaand": "Startmaand",
    "indicaties": "Indicaties",
    "organisatietypen": "Soorten organisatie",
    "gemeente": "Gemeente",
}
NIVEAUS = {
    "maand": "per maand (niet gegeneraliseerd)",
    "kwartaal": "samengevoegd tot kwartalen",
    "jaar": "samengevoegd tot jaren",
    "weggelaten": "weggelaten",
    "exact": "niet gegeneraliseerd",
    "hoofdgroep": "samengevoegd tot hoofdgroepen (bijvoorbeeld OB3)",
    "aantal": "alleen het aantal soorten",
    "gemeente": "per gemeente (niet gegeneraliseerd)",
    "regio": "samengevoegd tot regio's",
    "Twente": "samengevoegd tot heel Twente",
}


@dataclass(frozen=True)
class Staaf:
    """One bar: its label, its length (None: nothing to draw) and the text beside it."""

    label: str
    waarde: float | None
    tekst: str


def staven(categorieen: list[Categorie]) -> list[Staaf]:
    return [Staaf(c.label, c.casussen.aantal, c.casussen.weergave) for c in categorieen]


def staaf(label: str, telling: Telling) -> Staaf:
    return Staaf(label, telling.aantal, telling.weergave)


def komma(waarde: float | None, decimalen: int = 1) -> str:
    """A number the Dutch way: 3,75 → "3,8"; None → ""."""
    if waarde is None:
        return ""
    return f"{waarde:.{decimalen}f}".replace(".", ",")


def laatste_export(ctx: Context) -> dict[str, Any] | None:
    """The actor's own last export, from the audit trail: when, and what it generalised."""
    event = ctx.session.exec(
        select(AuditGebeurtenis)
        .where(
            col(AuditGebeurtenis.account_id) == ctx.actor.account_id,
            col(AuditGebeurtenis.actie) == Actie.ONDERZOEK_EXPORTEREN.value,
            col(AuditGebeurtenis.uitkomst) == Uitkomst.TOEGESTAAN.value,
        )
        .order_by(col(AuditGebeurtenis.volgnummer).desc())
        .limit(1)
    ).first()
    if event is None:
        return None
    kenmerken = event.kenmerken
    gegeneraliseerd = kenmerken.get("gegeneraliseerd") or {}
    return {
        "tijdstip": event.tijdstip,
        "formaat": str(kenmerken.get("formaat", "")).upper(),
        "project": kenmerken.get("project"),
        "k": kenmerken.get("k"),
        "casussen": kenmerken.get("casussen"),
        "rijen": kenmerken.get("rijen"),
        "onderdrukt": kenmerken.get("onderdrukt"),
        "gegeneraliseerd": [
            (KOLOMMEN.get(kolom, kolom), NIVEAUS.get(str(niveau), str(niveau)))
            for kolom, niveau in gegeneraliseerd.items()
        ],
    }


@dataclass(frozen=True)
class Tabel:
    """The table after a chart: a caption, column heads, rows headed by their label."""

    bijschrift: str
    koppen: list[str]
    rijen: list[tuple[str, list[str]]]
    voet: tuple[str, list[str]] | None = None
    breed: bool = False  # may scroll sideways: then it is a focusable region


@dataclass(frozen=True)
class Grafiek:
    id: str
    titel: str
    uitleg: str
    staven: list[Staaf]
    tabel: Tabel
    maximum: float | None = None


@dataclass(frozen=True)
class Blok:
    """One figure on the page: its title, what it shows, its chart(s) and any notes."""

    id: str
    titel: str
    onderzoeksvraag: int
    toelichting: str
    grafieken: list[Grafiek]
    noten: list[str] = field(default_factory=list)
    melding: str | None = None  # what the figure leaves out and why, shown before its charts


def _verdeling(id_: str, figuur: Verdeling, kop: str, gemiddeld: str) -> Blok:
    """`gemiddeld` words the mean and median, e.g. "Gemiddeld {g} betrokkenen (mediaan {m})"."""
    if figuur.gemiddelde is not None:
        noot = gemiddeld.format(g=komma(figuur.gemiddelde), m=komma(figuur.mediaan)) + "."
    else:
        noot = (
            "Gemiddelde en mediaan worden niet getoond: ze komen uit te weinig casussen of "
            "zouden een weggelaten aantal kunnen verraden."
        )
    tabel = Tabel(
        bijschrift=figuur.titel,
        koppen=[kop, "Casussen"],
        rijen=[(c.label, [c.casussen.weergave]) for c in figuur.categorieen],
        voet=("Totaal", [figuur.totaal.weergave]),
    )
    grafiek = Grafiek(
        id_, figuur.titel, "Aantal casussen per groep.", staven(figuur.categorieen), tabel
    )
    return Blok(id_, figuur.titel, figuur.onderzoeksvraag, figuur.toelichting, [grafiek], [noot])


def _kruistabel(cijfers: Cijfers) -> Blok:
    kruis = cijfers.casussen_per_gemeente_en_periode
    per_gemeente = Grafiek(
        "gemeenten",
        "Casussen per gemeente",
        "Aantal casussen per gemeente of regio.",
        staven(kruis.gemeenten),
        Tabel(
            bijschrift="Casussen per gemeente",
            koppen=["Gemeente", "Casussen"],
            rijen=[(g.label, [g.casussen.weergave]) for g in kruis.gemeenten],
            voet=("Totaal", [kruis.totaal.weergave]),
        ),
    )
    if kruis.cellen_getoond:
        tabel = Tabel(
            bijschrift="Casussen per startperiode en gemeente",
            koppen=["Startperiode", *[g.label for g in kruis.gemeenten], "Totaal"],
            rijen=[
                (r.label, [*[c.weergave for c in r.cellen], r.totaal.weergave]) for r in kruis.rijen
            ],
            voet=(
                "Totaal",
                [*[g.casussen.weergave for g in kruis.gemeenten], kruis.totaal.weergave],
            ),
            breed=True,
        )
    else:  # only the margins: the inner cells are withheld (app.research.cijfers, rule 3a)
        tabel = Tabel(
            bijschrift="Casussen per startperiode",
            koppen=["Startperiode", "Casussen"],
            rijen=[(r.label, [r.totaal.weergave]) for r in kruis.rijen],
            voet=("Totaal", [kruis.totaal.weergave]),
        )
    per_periode = Grafiek(
        "perioden",
        "Casussen per startperiode",
        "Aantal casussen per periode waarin de casus begon.",
        [staaf(r.label, r.totaal) for r in kruis.rijen],
        tabel,
    )
    generalisatie = "; ".join(
        f"{KOLOMMEN.get(kolom, kolom)}: {NIVEAUS.get(niveau, niveau)}"
        for kolom, niveau in kruis.gegeneraliseerd.items()
    )
    return Blok(
        "gemeente-periode",
        kruis.titel,
        kruis.onderzoeksvraag,
        kruis.toelichting,
        [per_gemeente, per_periode],
        [f"In deze tabel: {generalisatie}."],
        melding=kruis.cellen_weggelaten,
    )


def _afspraken(cijfers: Cijfers) -> Blok:
    figuur = cijfers.afspraken_per_onderdeel
    tabel = Tabel(
        bijschrift=figuur.titel,
        koppen=["Onderdeel", "Casussen met afspraken", "Afspraken"],
        rijen=[
            (
                o.label,
                [o.casussen.weergave, "niet getoond" if o.afspraken is None else str(o.afspraken)],
            )
            for o in figuur.onderdelen
        ],
    )
    grafiek = Grafiek(
        "afspraken",
        figuur.titel,
        "Aantal casussen met minstens één afspraak per onderdeel.",
        [staaf(o.label, o.casussen) for o in figuur.onderdelen],
        tabel,
    )
    noot = f"Casussen met minstens één afspraak: {figuur.casussen_met_afspraken.weergave}."
    return Blok(
        "afspraken", figuur.titel, figuur.onderzoeksvraag, figuur.toelichting, [grafiek], [noot]
    )


def _stappen(cijfers: Cijfers) -> Blok:
    figuur = cijfers.stappen_ingevuld
    tabel = Tabel(
        bijschrift=figuur.titel,
        koppen=["Stap", "Volledig ingevuld", "Deels ingevuld", "Leeg"],
        rijen=[
            (
                f"Stap {s.stap}: {s.titel}",
                [s.volledig.weergave, s.deels.weergave, s.leeg.weergave],
            )
            for s in figuur.stappen
        ],
    )
    grafiek = Grafiek(
        "stappen",
        "Casussen waarin de stap volledig is ingevuld",
        "Aantal casussen per stap waarin die stap volledig is ingevuld.",
        [staaf(f"Stap {s.stap}", s.volledig) for s in figuur.stappen],
        tabel,
    )
    return Blok("stappen", figuur.titel, figuur.onderzoeksvraag, figuur.toelichting, [grafiek])


def _scores(id_: str, figuur: ScoreFiguur, k: int) -> Blok:
    te_weinig = f"te weinig (minder dan {k} casussen)"
    tabel = Tabel(
        bijschrift=f"{figuur.titel}: gemiddelde score per thema (1 tot en met 5)",
        koppen=["Thema", "Gemiddelde score", "Casussen", "Ingevulde vragenlijsten"],
        rijen=[
            (
                t.label,
                [
                    te_weinig if t.gemiddelde is None else komma(t.gemiddelde, 2),
                    t.casussen.weergave,
                    "niet getoond" if t.antwoorden is None else str(t.antwoorden),
                ],
            )
            for t in figuur.themas
        ],
    )
    grafiek = Grafiek(
        id_,
        f"{figuur.titel}: gemiddelde score per thema",
        "Gemiddelde score per thema op een schaal van 1 tot en met 5.",
        [
            Staaf(t.label, t.gemiddelde, te_weinig if t.gemiddelde is None else komma(t.gemiddelde))
            for t in figuur.themas
        ],
        tabel,
        maximum=5,
    )
    noten = []
    if len(figuur.schaal) == 5:
        noten.append(f"1 betekent “{figuur.schaal[0]}”, 5 “{figuur.schaal[-1]}”.")
    noten.append(f"Casussen met ingevulde vragenlijsten: {figuur.casussen.weergave}.")
    return Blok(id_, figuur.titel, figuur.onderzoeksvraag, figuur.toelichting, [grafiek], noten)


def blokken(cijfers: Cijfers) -> list[Blok]:
    """The figures in the order of the research questions."""
    return [
        _kruistabel(cijfers),
        _verdeling(
            "betrokkenen",
            cijfers.betrokkenen_per_casus,
            "Aantal betrokkenen",
            "Gemiddeld {g} betrokkenen per casus, mediaan {m}",
        ),
        _afspraken(cijfers),
        _stappen(cijfers),
        _verdeling(
            "overdrachten",
            cijfers.overdrachten,
            "Overdrachten",
            "Gemiddeld {g} overdrachten per casus, mediaan {m}",
        ),
        _verdeling(
            "mdos",
            cijfers.tijd_tussen_mdos,
            "Tijd tussen MDO's",
            "Gemiddeld {g} dagen tussen twee MDO's, mediaan {m} dagen",
        ),
        _scores("professionals", cijfers.ervaringen_professionals, cijfers.k),
        _scores("ouders", cijfers.ervaringen_ouders, cijfers.k),
    ]


@router.get("/onderzoek")
def dashboard(request: Request, ctx: WebCtx) -> Response:
    authorize_system(ctx, Actie.ONDERZOEK_CIJFERS)
    laatste = laatste_export(ctx)
    # Nothing is written yet (the audit event waits in ctx.audit and is written at the end of
    # the request): end the request's transaction, so SQLite's write lock (BEGIN IMMEDIATE,
    # app.db) is not held through the full scan, which reads on a snapshot of its own. The
    # request's last read (the last export, above) comes first, so no new transaction is
    # begun until the audit event is written.
    ctx.session.rollback()
    state = request.app.state
    cijfers = bereken_cijfers(state.engine, state.onderzoek, ctx.formulieren, ctx.vragenlijsten)
    ctx.audit.annotate(**cijfers.kenmerken())
    return render(
        request,
        "onderzoek/dashboard.html",
        {
            "actor": ctx.actor,
            "cijfers": cijfers,
            "blokken": blokken(cijfers),
            "vragen": ONDERZOEKSVRAGEN,
            "laatste": laatste,
            "projecten": state.onderzoek.projecten,
            "export_ingericht": state.onderzoek.geheim is not None,
            "max_onderdrukt": round(state.onderzoek.max_onderdrukt * 100),
        },
    )


@router.get("/onderzoek/export.{formaat}")
def download(
    request: Request,
    ctx: WebCtx,
    snapshot: SnapshotDep,
    formaat: Formaat,
    project: Annotated[str | None, Query(max_length=60)] = None,
) -> StreamingResponse:
    """The export as a download: the very same code path, audit event included, as the API."""
    return api.export(request, ctx, snapshot, formaat=formaat, project=project)
