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
    b, n = omgeving.backend, omgeving.casussen
    return [
        Resultaat(SCENARIO, "wandtijd", b, n, regie_s, vloer_s, "s",
                  f"≤ {MAX_RATIO:g}× vloer", regie_s <= MAX_RATIO * vloer_s),
        Resultaat(SCENARIO, "piekgeheugen", b, n, regie_mb, vloer_mb, "MB",
                  f"< {MAX_MB} MB", regie_mb < MAX_MB),
    ]  # fmt: skip


def oordeel(resultaten: list[Resultaat]) -> list[Resultaat]:
    """Flat memory: the largest size within 20% of a tenth of it, per backend."""
    return geheugengroei(resultaten, SCENARIO, MAX_GROEI)
