"""What every benchmark scenario shares: its result, its environment, measured child processes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, make_url, text

from app.config import Settings

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
REGIE = "from app.cli import main; main()"


@dataclass(frozen=True)
class Resultaat:
    """One figure of one scenario, next to its floor from the same run, judged on its target."""

    scenario: str
    maat: str
    backend: str
    casussen: int
    regie: float
    vloer: float | None
    eenheid: str
    doel: str
    gehaald: bool | None
    # What a figure alone cannot show, e.g. the query plan behind it (kept in report.json).
    toelichting: str = ""
    # When the run that measured it wrote its report: figures kept from an earlier run
    # (`--erbij`) say so in the report.
    gemeten_op: str = ""

    @property
    def ratio(self) -> float | None:
        return self.regie / self.vloer if self.vloer else None

    def as_dict(self) -> dict[str, Any]:
        ratio = self.ratio
        return {**asdict(self), "ratio": None if ratio is None else round(ratio, 2)}


@dataclass(frozen=True)
class Omgeving:
    """One backend's database at one size, as the scenarios see it."""

    backend: str
    settings: Settings
    engine: Engine
    casussen: int
    workdir: Path
    # The largest size of this run, where the long scenarios (the MDO morning) run once.
    grootste: bool = True
    belasting_s: float = 300.0

    def env(self) -> dict[str, str]:
        """The environment for a child process on this database (outer REGIE_* removed)."""
        return {
            **{k: v for k, v in os.environ.items() if not k.startswith("REGIE_")},
            "REGIE_DATA_DIR": str(self.settings.data_dir),
            "REGIE_DATABASE_URL": self.settings.database_url,
        }


def run_measured(args: list[str], env: dict[str, str], workdir: Path) -> tuple[float, float]:
    """Wall time (s) and peak resident memory (MB) of one child process."""
    piek = workdir / "piek"
    start = time.perf_counter()
    subprocess.run(args, env={**env, "REGIE_BENCH_PIEK": str(piek)}, check=True)  # noqa: S603
    elapsed = time.perf_counter() - start
    return elapsed, int(piek.read_text()) / 1024


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
    subprocess.run([sys.executable, "-c", REGIE, "migrate"], env=env, check=True)  # noqa: S603
    return url


def drop_database(pg_admin: str, naam: str) -> None:
    admin = create_engine(pg_admin, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{naam}" WITH (FORCE)'))
    admin.dispose()


GROEI = "geheugengroei"


def geheugengroei(resultaten: list[Resultaat], scenario: str, max_groei: float) -> list[Resultaat]:
    """Flat memory: per backend, the peak at the largest size within `max_groei` of the peak at
    a tenth of that size, as the issue puts it (100,000 against 10,000), or of the smallest size
    when that was not measured. A judgement across sizes, so it is made after all of them ran."""
    uit = []
    for backend in sorted({r.backend for r in resultaten if r.scenario == scenario}):
        reeks = sorted(
            (
                r
                for r in resultaten
                if r.scenario == scenario and r.backend == backend and r.maat == "piekgeheugen"
            ),
            key=lambda r: r.casussen,
        )
        if len(reeks) < 2:
            continue
        groot = reeks[-1]
        klein = next((r for r in reeks if r.casussen * 10 == groot.casussen), reeks[0])
        uit.append(
            Resultaat(
                scenario,
                f"{GROEI} {klein.casussen}→{groot.casussen}",
                backend,
                groot.casussen,
                regie=groot.regie,
                vloer=klein.regie,
                eenheid="MB",
                doel=f"≤ +{max_groei:.0%}",
                gehaald=groot.regie <= klein.regie * (1 + max_groei),
            )
        )
    return uit
