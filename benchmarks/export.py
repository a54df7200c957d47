"""Scenario: the anonymised export (issue 7/8), against its floor, in the same run.

Each measurement runs in its own process, so its peak memory is its own. The floor is the
simplest program doing the same storage work: stream the same rows out of the same database
with plain SQL, once, and throw them away — `COPY … TO STDOUT` on PostgreSQL, a plain cursor on
SQLite. Regie's figure is `regie export`, start-up included (one pass over a snapshot into
scratch buckets, the plan, then the buckets read back into the file).
"""

from __future__ import annotations

import sys
import time

from sqlalchemy import make_url

from app.db import snapshot_session, utcnow
from app.form.definition import load_formulieren
from app.research.feiten import iter_feiten
from benchmarks.common import PIEK, REGIE, Omgeving, Resultaat, geheugengroei, run_measured

SCENARIO = "anonieme export"
# The same rows the export reads (each casus with its stored research projection, the people
# per kind of organisation, MDOs, accepted handovers and questionnaire scale answers), once.
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
# What `regie export` imports before it reads a row.
OPSTART = "import app.cli, app.models, app.research.bestand"
BLOK = 5000


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
    toelichting = _opbouw(omgeving, regie_s, vloer_s)
    b, n = omgeving.backend, omgeving.casussen
    return [
        Resultaat(SCENARIO, "wandtijd", b, n, regie_s, vloer_s, "s",
                  f"≤ {MAX_RATIO:g}× vloer", regie_s <= MAX_RATIO * vloer_s, toelichting),
        Resultaat(SCENARIO, "piekgeheugen", b, n, regie_mb, vloer_mb, "MB",
                  f"< {MAX_MB} MB", regie_mb < MAX_MB),
    ]  # fmt: skip


def _opbouw(omgeving: Omgeving, regie_s: float, vloer_s: float) -> str:
    """Where the export's wall time goes: starting up, the floor's rows merely read into Python,
    the facts per casus (`iter_feiten`, the export's one pass over the database), the rest."""
    opstart_s, _ = run_measured(
        [sys.executable, "-c", PIEK + OPSTART], omgeving.env(), omgeving.workdir
    )
    lezen_s = _lezen(omgeving)
    feiten_s = _feiten(omgeving)
    rest_s = max(regie_s - opstart_s - feiten_s, 0.0)
    return (
        f"waarvan {opstart_s:.2f} s opstarten (python + imports van de export); "
        f"de feiten per casus {feiten_s:.2f} s (iter_feiten: de enige gang door de database); "
        f"de rest {rest_s:.2f} s (anonimiseringsplan, kladbestanden, het bestand).\n"
        f"Alleen de rijen van de vloer in Python lezen (dezelfde queries via de driver, in "
        f"blokken van {BLOK}, niets ermee doen) kost al {lezen_s:.2f} s = "
        f"{lezen_s / vloer_s:.1f}× vloer"
    )


def _lezen(omgeving: Omgeving) -> float:
    """Seconds reading the floor's rows into Python tuples through the DB-API driver, as any
    exporter that handles rows in Python must (PostgreSQL: server-side cursors, as the export)."""
    verbinding = omgeving.engine.raw_connection()
    try:
        start = time.perf_counter()
        for i, query in enumerate(QUERIES):
            cursor = (
                verbinding.driver_connection.cursor(name=f"lezen{i}")  # type: ignore[union-attr]
                if omgeving.backend == "postgresql"
                else verbinding.cursor()
            )
            cursor.execute(query)
            while cursor.fetchmany(BLOK):
                pass
            cursor.close()
        return time.perf_counter() - start
    finally:
        verbinding.rollback()
        verbinding.close()


def _feiten(omgeving: Omgeving) -> float:
    """Seconds of the export's pass over the database: every casus' facts, nothing written."""
    formulieren = load_formulieren(omgeving.settings.extra_form_dir, omgeving.settings.form_version)
    session = snapshot_session(omgeving.engine)
    try:
        start = time.perf_counter()
        for _ in iter_feiten(session, formulieren, nu=utcnow()):
            pass
        return time.perf_counter() - start
    finally:
        session.close()


def oordeel(resultaten: list[Resultaat]) -> list[Resultaat]:
    """Flat memory: the largest size within 20% of a tenth of it, per backend."""
    return geheugengroei(resultaten, SCENARIO, MAX_GROEI)
