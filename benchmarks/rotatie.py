"""Scenario: key rotation over every casus — its throughput, and memory that stays flat.

`regie keys rotate` runs in its own process, on the data folder's dev key file as an operator
would: it adds a new data key, then re-seals every revision and sealed text under it, a batch
of casussen per transaction. Every run adds a key, so every revision is re-sealed each time.
There is no floor: the figure is throughput (casussen and revisions per second), and peak
memory must not grow with the number of casussen (the largest size within 20% of a tenth of it).
"""

from __future__ import annotations

import sys

from sqlalchemy import func
from sqlmodel import Session, select

from app.casus.models import Casus
from app.handreiking.models import Revisie
from benchmarks.common import PIEK, REGIE, Omgeving, Resultaat, geheugengroei, run_measured

SCENARIO = "sleutelrotatie"
MAX_GROEI = 0.2


def meet(omgeving: Omgeving) -> list[Resultaat]:
    """Throughput and peak memory of one full rotation at this size."""
    with Session(omgeving.engine) as session:
        casussen = session.exec(select(func.count()).select_from(Casus)).one()
        revisies = session.exec(select(func.count()).select_from(Revisie)).one()
    seconden, mb = run_measured(
        [sys.executable, "-c", PIEK + REGIE, "keys", "rotate"], omgeving.env(), omgeving.workdir
    )
    b, n = omgeving.backend, omgeving.casussen
    return [
        Resultaat(SCENARIO, "casussen per seconde", b, n, casussen / seconden, None,
                  "casussen/s", "", None),
        Resultaat(SCENARIO, "revisies per seconde", b, n, revisies / seconden, None,
                  f"revisies/s (van {revisies})", "", None),
        Resultaat(SCENARIO, "piekgeheugen", b, n, mb, None, "MB", "vlak", None),
    ]  # fmt: skip


def oordeel(resultaten: list[Resultaat]) -> list[Resultaat]:
    """Flat memory: the largest size's peak within 20% of that at a tenth of it, per backend."""
    return geheugengroei(resultaten, SCENARIO, MAX_GROEI)
