"""Scenario: the anonymised export (issue 7/8), against its floor, in the same run.

Each measurement runs in its own process, so its peak memory is its own. The floor is the
simplest program doing the same storage work: stream the same rows out of the same database
with plain SQL, once, and throw them away — `COPY … TO STDOUT` on PostgreSQL, a plain cursor on
SQLite. Regie's figure is `regie export`, start-up included (one pass over a snapshot into
scratch buckets, the plan, then the buckets read back into the file).
"""

from __future__ import annotations

import sys

from sqlalchemy import make_url

from benchmarks.common import PIEK, REGIE, Omgeving, Resultaat, geheugengroei, run_measured

SCENARIO = "anonieme export"
# The rows the export's facts are made of (each casus with its stored research projection, the
# people per kind of organisation, MDOs, accepted handovers and questionnaire scale answers),
# once. The export has the database count them per casus and reads a row per casus instead.
QUERIES = (
    "SELECT id, formulierversie, gemeente, status, revisie, aangemaakt_op, afgesloten_op, "
    "kenmerken FROM casus",
    "SELECT r.casus_id, o.type, count(DISTINCT r.account_id) FROM rol r "
    "JOIN account a ON a.id = r.account_id JOIN organisatie o ON o.id = a.organisatie_id "
    "GROUP BY r.casus_id, o.type",
    "SELECT casus_id, datum, afgerond_op FROM mdo",
    "SELECT casus_id, count(*) FROM overdracht WHERE status = 'geaccepteerd' GROUP BY casus_id",
    "SELECT casus_id, doelgroep, schaal FROM vragenlijstantwoord",
)
FLOOR_PG = (
    PIEK
    + f"""
import sys, psycopg
with psycopg.connect(sys.argv[1]) as conn, conn.cursor() as cur:
    for query in {QUERIES!r}:
        with cur.copy(f"COPY ({{query}}) TO STDOUT") as copy:
            for block in copy:
                pass
"""
)
FLOOR_SQLITE = (
    PIEK
    + f"""
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1])
for query in {QUERIES!r}:
    cur = conn.execute(query)
    while cur.fetchmany(1000):
        pass
"""
)
MAX_RATIO = 3.0
MAX_MB = 300
MAX_GROEI = 0.2
# The size the target is set at (100k casussen, against PostgreSQL's COPY): at a tenth of it the
# floor takes a fraction of a second, less than Python takes to start and load the export.
DOEL_CASUSSEN = 100_000
# The export's start-up and its one pass over the casussen, timed inside a process of its own:
# writes the seconds of the imports `regie export` does and of the pass (connecting, the form
# definitions and `iter_feiten` over every casus) to the file named first.
FEITEN = (
    PIEK
    + """
import sys, time
begin = time.perf_counter()
import app.cli, app.models, app.research.bestand
from app.config import get_settings
from app.db import make_engine, snapshot_session, utcnow
from app.form.definition import load_formulieren
from app.research.feiten import iter_feiten
geladen = time.perf_counter()
settings = get_settings()
engine = make_engine(settings.database_url)
session = snapshot_session(engine)
for _ in iter_feiten(session, load_formulieren(settings.extra_form_dir, settings.form_version),
                     nu=utcnow()):
    pass
klaar = time.perf_counter()
session.close()
engine.dispose()
with open(sys.argv[1], "w") as uit:
    uit.write(f"{geladen - begin} {klaar - geladen}")
"""
)


def meet(omgeving: Omgeving) -> list[Resultaat]:
    """Wall time against the floor, and peak memory, of one export at this size."""
    uit = omgeving.workdir / f"export-{omgeving.backend}-{omgeving.casussen}.csv"
    regie_s, regie_mb = run_measured(
        [sys.executable, "-c", PIEK + REGIE, "export", "--uit", str(uit)],
        omgeving.env(),
        omgeving.workdir,
    )
    uit.unlink(missing_ok=True)
    url = make_url(omgeving.settings.database_url)
    if omgeving.backend == "postgresql":
        dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
        floor = [sys.executable, "-c", FLOOR_PG, dsn]
    else:
        floor = [sys.executable, "-c", FLOOR_SQLITE, str(url.database)]
    vloer_s, vloer_mb = run_measured(floor, omgeving.env(), omgeving.workdir)
    toelichting = _opbouw(omgeving, regie_s)
    b, n = omgeving.backend, omgeving.casussen
    return [
        wandtijd(b, n, regie_s, vloer_s, toelichting),
        Resultaat(SCENARIO, "piekgeheugen", b, n, regie_mb, vloer_mb, "MB",
                  f"< {MAX_MB} MB", regie_mb < MAX_MB),
    ]  # fmt: skip


def wandtijd(
    backend: str, casussen: int, regie_s: float, vloer_s: float, toelichting: str
) -> Resultaat:
    """Wall time against the floor, judged where the target is set (100k casussen, against
    PostgreSQL's COPY); elsewhere shown for comparison."""
    beoordeeld = backend == "postgresql" and casussen >= DOEL_CASUSSEN
    doel = f"≤ {MAX_RATIO:g}× vloer"
    if not beoordeeld:
        doel += f" (geldt bij {DOEL_CASUSSEN} op postgresql)"
    gehaald = regie_s <= MAX_RATIO * vloer_s if beoordeeld else None
    return Resultaat(
        SCENARIO, "wandtijd", backend, casussen, regie_s, vloer_s, "s", doel, gehaald, toelichting
    )


def _opbouw(omgeving: Omgeving, regie_s: float) -> str:
    """Where the export's wall time goes, each part measured in a process of its own as the
    export and the floor are: start-up, the pass over every casus, and the rest (by difference,
    so noise may even make it negative)."""
    tijden = omgeving.workdir / "export-tijden"
    kind_s, _ = run_measured(
        [sys.executable, "-c", FEITEN, str(tijden)], omgeving.env(), omgeving.workdir
    )
    imports_s, gang_s = (float(t) for t in tijden.read_text().split())
    opstart_s = kind_s - gang_s  # the interpreter, the imports, and closing down again
    return (
        f"waarvan {opstart_s:.2f} s opstarten en afsluiten (python, waarvan {imports_s:.2f} s "
        f"de imports van de export); {gang_s:.2f} s de gang langs alle casussen (verbinden, "
        f"formulieren laden, iter_feiten); de rest {regie_s - opstart_s - gang_s:.2f} s (de regio "
        "en eerder vrijgegeven niveaus, het anonimiseringsplan, de kladbestanden teruglezen en "
        "het bestand schrijven, de audit)"
    )


def oordeel(resultaten: list[Resultaat]) -> list[Resultaat]:
    """Flat memory: the largest size within 20% of a tenth of it, per backend."""
    return geheugengroei(resultaten, SCENARIO, MAX_GROEI)
