"""`make bench`: every scenario on SQLite and PostgreSQL, at growing sizes, against its floor
measured in the same run; writes benchmarks/report.md (people) and report.json (tools)."""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import fields, replace
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

from sqlalchemy import text

from app.config import Settings
from app.crypto.service import keyring_for
from app.db import make_engine
from app.form.definition import load_formulieren
from app.generator import genereer
from app.research.vragenlijst import load_vragenlijsten
from benchmarks import audit, belasting, export, requests, rotatie
from benchmarks.common import GROEI, Omgeving, Resultaat, database, drop_database

HERE = Path(__file__).parent
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
# Each scenario module has `meet(Omgeving) -> list[Resultaat]` and may have
# `oordeel(list[Resultaat]) -> list[Resultaat]` for targets across sizes.
SCENARIOS: tuple[ModuleType, ...] = (export, audit, rotatie, requests, belasting)


def run(
    backends: Sequence[str],
    sizes: Sequence[int],
    workdir: Path,
    pg_admin: str,
    *,
    naam: str = "regie_bench",
    scenarios: Sequence[ModuleType] = SCENARIOS,
    log: Callable[[str], None] = print,
    belasting_s: float = 300.0,
) -> list[Resultaat]:
    """Grow one database per backend through the sizes, running every scenario at each."""
    resultaten: list[Resultaat] = []
    for backend in backends:
        url = database(backend, workdir, pg_admin, naam)
        settings = Settings(data_dir=workdir, database_url=url)
        formulieren = load_formulieren(None, settings.form_version)
        engine = make_engine(url)
        gehad = 0
        try:
            for size in sorted(sizes):
                log(f"{backend}: {size} casussen genereren")
                genereer(
                    engine,
                    formulieren[formulieren.standaard],
                    keyring_for(settings),
                    load_vragenlijsten(),
                    size - gehad,
                    seed=size,
                )
                gehad = size
                if backend == "postgresql":
                    # Bulk inserts leave no planner statistics and no visibility map: autovacuum
                    # would make both while the scenarios are timed, as after any bulk load.
                    with engine.connect().execution_options(
                        isolation_level="AUTOCOMMIT"
                    ) as connection:
                        connection.execute(text("VACUUM ANALYZE"))
                omgeving = Omgeving(
                    backend, settings, engine, size, workdir, size == max(sizes), belasting_s
                )
                for scenario in scenarios:
                    log(f"{backend}: {_naam(scenario)} bij {size}")
                    resultaten += scenario.meet(omgeving)
        finally:
            engine.dispose()
            if backend == "postgresql":
                drop_database(pg_admin, naam)
    return resultaten


def oordelen(resultaten: list[Resultaat]) -> list[Resultaat]:
    """The figures with the judgements across sizes (e.g. flat memory), made once every size
    is in: after this run, and after an earlier run's figures were added."""
    eerder = [r for r in resultaten if not r.maat.startswith(GROEI)]
    uit = list(eerder)
    for scenario in SCENARIOS:
        if hasattr(scenario, "oordeel"):
            uit += scenario.oordeel(eerder)
    return uit


def _getal(waarde: float | None) -> str:
    return "" if waarde is None else f"{waarde:.3g}" if waarde < 10 else f"{waarde:.0f}"


def report(resultaten: list[Resultaat], uit: Path, gemeten: str | None = None) -> None:
    """One table per scenario: every figure with its floor, ratio, target and verdict, and
    when it was measured (`gemeten`: this run, the default now)."""
    gemeten = gemeten or nu()
    regels = [
        "# Regie benchmarks",
        "",
        f"Rapport van {gemeten}, {platform.machine()}, Python {platform.python_version()}, "
        "`make bench`. Elke vloer is in dezelfde run gemeten op dezelfde database; per "
        "scenario staat welke run het mat (met `--erbij` blijven cijfers uit een eerdere run).",
        "",
        *_doelen(resultaten),
    ]
    for scenario in SCENARIOS:
        naam = getattr(scenario, "SCENARIO", scenario.__name__)
        if not any(r.scenario == naam for r in resultaten):
            continue
        eigen = [r for r in resultaten if r.scenario == naam]
        regels += [
            f"## {naam}",
            "",
            (scenario.__doc__ or "").split("\n\n", 1)[-1].replace("\n", " ").strip(),
            "",
            _runs(eigen, gemeten),
            "",
            "| maat | backend | casussen | Regie | vloer | verhouding | doel | gehaald |",
            "|---|---|---:|---:|---:|---:|---|---|",
        ]
        for r in eigen:
            ratio = r.ratio
            regels.append(
                f"| {r.maat} | {r.backend} | {r.casussen} | {_getal(r.regie)} {r.eenheid} "
                f"| {_getal(r.vloer)} | {'' if ratio is None else f'{ratio:.1f}×'} | {r.doel} "
                f"| {'—' if r.gehaald is None else 'ja' if r.gehaald else '**nee**'} |"
            )
        toelichtingen = [r for r in eigen if r.toelichting]
        if toelichtingen:
            regels += ["", "<details><summary>Toelichting (query plans, opbouw)</summary>", ""]
            for r in toelichtingen:
                regels += [
                    f"**{r.maat}, {r.backend}, {r.casussen}**",
                    "",
                    "```",
                    r.toelichting,
                    "```",
                    "",
                ]
            regels.append("</details>")
        regels.append("")
    regels += _schaal(resultaten)
    (uit / "report.md").write_text("\n".join(regels), encoding="utf-8")
    data = {"gemeten_op": gemeten, "resultaten": [r.as_dict() for r in resultaten]}
    (uit / "report.json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def _doelen(resultaten: list[Resultaat]) -> list[str]:
    """Every target at a glance, before the scenarios' own tables: how many of its measurements
    met it, and each one's ratio (or figure), so a miss is seen without reading every table."""
    per_doel: dict[tuple[str, str], list[Resultaat]] = {}
    for r in resultaten:
        if r.gehaald is not None:
            per_doel.setdefault((r.scenario, r.maat), []).append(r)
    if not per_doel:
        return []
    regels = [
        "## Doelen",
        "",
        "Elk doel met een oordeel, over de backends en omvangen van dit rapport: hoe vaak het is "
        "gehaald, en per meting de verhouding tot de vloer (of het cijfer zelf). Wat een meting "
        "bij haar doel zegt (zoals of een lijst de index gebruikt), staat erachter. Waar de tijd "
        "heen gaat, staat bij de scenario's hieronder in hun toelichting.",
        "",
        "| scenario | maat | doel | gehaald | per meting |",
        "|---|---|---|---|---|",
    ]
    # In the scenarios' order (named as their sections are), whatever order an earlier run's
    # figures were kept in.
    volgorde = {getattr(s, "SCENARIO", s.__name__): i for i, s in enumerate(SCENARIOS)}
    geordend = sorted(per_doel.items(), key=lambda d: volgorde.get(d[0][0], len(volgorde)))
    for (scenario, maat), reeks in geordend:
        doelen = [_zonder_plannen(r.doel) for r in reeks]
        # The target as every measurement states it, or else only what they share.
        gedeeld = doelen[0] if len(set(doelen)) == 1 else doelen[0].partition("; ")[0]
        metingen = " · ".join(
            f"{r.backend} {r.casussen}: {_meting(r)}{'' if r.gehaald else ' **nee**'}"
            + ("" if doel == gedeeld else f" ({doel.partition('; ')[2]})")
            for r, doel in zip(reeks, doelen, strict=True)
        )
        gehaald = sum(1 for r in reeks if r.gehaald)
        regels.append(
            f"| {scenario} | {maat} | {gedeeld} | {gehaald} van {len(reeks)} | {metingen} |"
        )
    return [*regels, ""]


def _zonder_plannen(doel: str) -> str:
    """A target without the query plans a figure appends to its verdict ("…; via x: plans")."""
    hoofd, _, oordeel = doel.partition("; ")
    return f"{hoofd}; {oordeel.split(': ', 1)[0]}" if oordeel else hoofd


def _meting(r: Resultaat) -> str:
    """What a target judges: the ratio to the floor, a growth, or else the figure itself."""
    ratio = r.ratio
    if ratio is not None and "vloer" in r.doel:
        return f"{ratio:.1f}×"
    if ratio is not None and "%" in r.doel:
        return f"{(ratio - 1) * 100:+.0f}%"
    return f"{_getal(r.regie)} {r.eenheid}"


def nu() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _runs(resultaten: list[Resultaat], gemeten: str) -> str:
    """Which run measured a scenario's figures, per backend. A judgement across sizes (flat
    memory) has no date of its own: it is made from the dated figures beside it."""
    per_backend: dict[str, set[str]] = {}
    for r in resultaten:
        per_backend.setdefault(r.backend, set())
        if r.gemeten_op:
            per_backend[r.backend].add(r.gemeten_op)
    delen = [f"{b} {', '.join(sorted(d or {gemeten}))}" for b, d in sorted(per_backend.items())]
    return "Gemeten in de run van: " + "; ".join(delen) + "."


# A per-request figure counts as flat when the largest size is within this factor of the
# smallest: more data must not make one request slower (indexes, not scans).
VLAK = 1.5


def _schaal(resultaten: list[Resultaat]) -> list[str]:
    """How every figure measured at more than one size grows with the number of casussen."""
    reeksen: dict[tuple[str, str, str], dict[int, Resultaat]] = {}
    for r in resultaten:
        reeksen.setdefault((r.scenario, r.maat, r.backend), {})[r.casussen] = r
    maten = sorted({n for reeks in reeksen.values() if len(reeks) > 1 for n in reeks})
    if not maten:
        return []
    regels = [
        "## Schaal",
        "",
        "Elk cijfer dat bij meer dan één omvang is gemeten, per omvang (Regie, tussen haakjes de "
        "verhouding tot de vloer), en de groei van de kleinste naar de grootste omvang. "
        f"Cijfers per verzoek heten vlak als de groei hoogstens {VLAK:g}× is.",
        "",
        "| scenario | maat | backend | " + " | ".join(str(n) for n in maten) + " | groei |",
        "|---|---|---|" + "---:|" * len(maten) + "---|",
    ]
    for (scenario, maat, backend), reeks in reeksen.items():
        if len(reeks) < 2:
            continue
        cellen = []
        for n in maten:
            cel = reeks.get(n)
            ratio = None if cel is None else cel.ratio
            cellen.append(
                ""
                if cel is None
                else f"{_getal(cel.regie)} {cel.eenheid}"
                + ("" if ratio is None else f" ({ratio:.1f}×)")
            )
        klein, groot = reeks[min(reeks)], reeks[max(reeks)]
        groei = groot.regie / klein.regie if klein.regie else float("nan")
        oordeel = ""
        if scenario == requests.SCENARIO:
            oordeel = " vlak" if groei <= VLAK else " **niet vlak**"
        regels.append(
            f"| {scenario} | {maat} | {backend} | "
            + " | ".join(cellen)
            + f" | {groei:.2f}×{oordeel} |"
        )
    return [*regels, ""]


def _eerder(pad: Path) -> list[Resultaat]:
    """The figures of an earlier run's report.json (its ratio is derived, so dropped), each
    dated by its own run, or else by that report's."""
    data = json.loads(pad.read_text(encoding="utf-8"))
    velden = {f.name for f in fields(Resultaat)}
    figuren = [Resultaat(**{k: v for k, v in r.items() if k in velden}) for r in data["resultaten"]]
    return [f if f.gemeten_op else replace(f, gemeten_op=data["gemeten_op"]) for f in figuren]


def _naam(scenario: ModuleType) -> str:
    return scenario.__name__.rsplit(".", 1)[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--uit", type=Path, default=HERE)
    parser.add_argument("--pg-admin", default=PG_ADMIN)
    parser.add_argument(
        "--scenarios", nargs="+", choices=[_naam(s) for s in SCENARIOS], help="standaard: alle"
    )
    parser.add_argument(
        "--belasting-seconden",
        type=float,
        default=300.0,
        help="hoe lang de MDO-ochtend duurt (standaard vijf minuten, per backend en kant)",
    )
    parser.add_argument(
        "--erbij",
        type=Path,
        help="report.json van een eerdere run: de cijfers die deze run niet opnieuw meet, "
        "blijven in het rapport (elk met de vloer uit zijn eigen run)",
    )
    args = parser.parse_args()
    gekozen = [s for s in SCENARIOS if not args.scenarios or _naam(s) in args.scenarios]
    eerder = _eerder(args.erbij) if args.erbij else []
    # Made before measuring: a folder that cannot be made fails now, not after the whole run.
    args.uit.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="regie-bench-") as workdir:
        resultaten = run(
            args.backends,
            args.sizes,
            Path(workdir),
            args.pg_admin,
            scenarios=gekozen,
            belasting_s=args.belasting_seconden,
        )
    gemeten = nu()
    resultaten = [replace(r, gemeten_op=gemeten) for r in resultaten]
    nieuw = {(r.scenario, r.maat, r.backend, r.casussen) for r in resultaten}
    behouden = [r for r in eerder if (r.scenario, r.maat, r.backend, r.casussen) not in nieuw]
    report(oordelen(behouden + resultaten), args.uit, gemeten)
    print((args.uit / "report.md").read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
