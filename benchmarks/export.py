"""Benchmark: the anonymised export at 10k and 100k casussen, against its floor, same run.

Each measurement runs in its own process, so its peak memory (max RSS, from wait4) is its own.
The floor is the simplest program doing the same storage work: stream the same rows (each casus
with its current revision) out of the same database with plain SQL and throw them away —
`COPY … TO STDOUT` on PostgreSQL, a plain cursor on SQLite. Regie's figure is `regie export`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import create_engine, make_url, text

from app.config import Settings
from app.crypto.service import keyring_for
from app.db import make_engine
from app.form.definition import load_formulieren
from app.generator import genereer
from app.research.vragenlijst import load_vragenlijsten

ROWS = (
    "SELECT c.*, r.inhoud FROM casus c JOIN revisie r ON r.casus_id = c.id AND r.nummer = c.revisie"
)
# Each child writes its own peak RSS (VmHWM: this process image only, not the parent it was
# forked from) to the file named in REGIE_BENCH_PIEK when it exits.
PIEK = """
import atexit, os
def _piek():
    with open("/proc/self/status") as status:
        kb = next(line.split()[1] for line in status if line.startswith("VmHWM"))
    with open(os.environ["REGIE_BENCH_PIEK"], "w") as out:
        out.write(kb)
atexit.register(_piek)
"""
REGIE = PIEK + "from app.cli import main; main()"
FLOOR_PG = (
    PIEK
    + f"""
import sys, psycopg
with psycopg.connect(sys.argv[1]) as conn, conn.cursor() as cur:
    with cur.copy("COPY ({ROWS}) TO STDOUT") as copy:
        for block in copy:
            pass
"""
)
FLOOR_SQLITE = (
    PIEK
    + f"""
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1])
cur = conn.execute("{ROWS}")
while cur.fetchmany(1000):
    pass
"""
)


@dataclass(frozen=True)
class Meting:
    backend: str
    casussen: int
    regie_s: float
    vloer_s: float
    regie_mb: float
    vloer_mb: float

    @property
    def ratio(self) -> float:
        return self.regie_s / self.vloer_s if self.vloer_s else float("inf")


def run_measured(args: list[str], env: dict[str, str], workdir: Path) -> tuple[float, float]:
    """Wall time (s) and peak resident memory (MB) of one child process."""
    piek = workdir / "piek"
    start = time.perf_counter()
    subprocess.run(args, env={**env, "REGIE_BENCH_PIEK": str(piek)}, check=True)  # noqa: S603
    elapsed = time.perf_counter() - start
    return elapsed, int(piek.read_text()) / 1024


def measure(backend: str, settings: Settings, casussen: int, workdir: Path) -> Meting:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("REGIE_")},
        "REGIE_DATA_DIR": str(settings.data_dir),
        "REGIE_DATABASE_URL": settings.database_url,
    }
    uit = workdir / f"export-{backend}-{casussen}.csv"
    regie = [sys.executable, "-c", REGIE, "export", "--uit", str(uit)]
    regie_s, regie_mb = run_measured(regie, env, workdir)
    url = make_url(settings.database_url)
    if backend == "postgresql":
        dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
        floor = [sys.executable, "-c", FLOOR_PG, dsn]
    else:
        floor = [sys.executable, "-c", FLOOR_SQLITE, str(url.database)]
    vloer_s, vloer_mb = run_measured(floor, env, workdir)
    uit.unlink(missing_ok=True)
    return Meting(backend, casussen, regie_s, vloer_s, regie_mb, vloer_mb)


def database(backend: str, workdir: Path, pg_admin: str, naam: str) -> str:
    """A fresh, migrated database for one backend."""
    if backend == "sqlite":
        path = workdir / "bench.db"
        path.unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    else:
        admin = create_engine(pg_admin, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{naam}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{naam}"'))
        admin.dispose()
        url = make_url(pg_admin).set(database=naam).render_as_string(hide_password=False)
    env = {**os.environ, "REGIE_DATABASE_URL": url, "REGIE_DATA_DIR": str(workdir)}
    subprocess.run(
        [sys.executable, "-c", "from app.cli import main; main()", "migrate"], env=env, check=True
    )
    return url


def run(
    backends: list[str], sizes: list[int], workdir: Path, pg_admin: str, naam: str = "regie_bench"
) -> list[Meting]:
    """Grow one database per backend through the sizes, measuring at each."""
    metingen = []
    for backend in backends:
        url = database(backend, workdir, pg_admin, naam)
        settings = Settings(data_dir=workdir, database_url=url)
        formulieren = load_formulieren(None, settings.form_version)
        engine = make_engine(settings.database_url)
        gehad = 0
        for size in sorted(sizes):
            genereer(
                engine,
                formulieren[formulieren.standaard],
                keyring_for(settings),
                load_vragenlijsten(),
                size - gehad,
                seed=size,
            )
            gehad = size
            metingen.append(measure(backend, settings, size, workdir))
        engine.dispose()
    return metingen


def oordeel(metingen: list[Meting]) -> list[str]:
    """The issue's targets: ≤ 3× the floor (PostgreSQL's COPY), flat memory under 300 MB."""
    regels = []
    for backend in sorted({m.backend for m in metingen}):
        reeks = sorted((m for m in metingen if m.backend == backend), key=lambda m: m.casussen)
        klein, groot = reeks[0], reeks[-1]
        groei = groot.regie_mb / klein.regie_mb - 1
        regels.append(
            f"- {backend}: tijd {groot.ratio:.1f}× de vloer bij {groot.casussen} casussen "
            f"(doel ≤ 3×: {'gehaald' if groot.ratio <= 3 else 'NIET gehaald'}); geheugen "
            f"{groot.regie_mb:.0f} MB bij {groot.casussen} tegen {klein.regie_mb:.0f} MB bij "
            f"{klein.casussen} (+{groei:.0%}; doel ≤ +20% en < 300 MB: "
            f"{'gehaald' if groei <= 0.2 and groot.regie_mb < 300 else 'NIET gehaald'})"
        )
    return regels


def as_dict(meting: Meting) -> dict[str, float | int | str]:
    return {**asdict(meting), "ratio": round(meting.ratio, 2)}
