"""Scenario: `regie audit verify` over the whole trail, against hashing its bytes alone.

The trail is first grown to ten reads per casus (1,000,000 events at 100,000 casussen) with the
generator's bulk chain. Regie's figure is `regie audit verify` in its own process: read every
event in order, canonicalise it, hash it, compare the link. The floor is hashlib alone: the very
bytes the verifier hashes (caught from a verification in this process, in this run), passed
through `hashlib.sha256(…).hexdigest()` once more — only that is timed.
"""

from __future__ import annotations

import hashlib
import sys
import time
from typing import Any
from unittest import mock

from sqlmodel import Session

from app.audit import chain
from app.generator import audit_gebeurtenissen
from benchmarks.common import PIEK, REGIE, Omgeving, Resultaat, run_measured

SCENARIO = "audittrail controleren"
PER_CASUS = 10
MAX_RATIO = 3.0


class _Hashlib:
    """Stands in for `hashlib` inside `app.audit.chain`: answers as hashlib does, and times
    hashlib alone over the same bytes, in blocks, so neither memory nor the clock grows with
    the trail's length."""

    BLOK = 10_000

    def __init__(self) -> None:
        self.blok: list[bytes] = []
        self.aantal = 0
        self.seconden = 0.0

    def sha256(self, data: bytes) -> Any:
        self.blok.append(data)
        if len(self.blok) >= self.BLOK:
            self.flush()
        return hashlib.sha256(data)

    def flush(self) -> None:
        sha256, blok = hashlib.sha256, self.blok
        start = time.perf_counter()
        for data in blok:
            sha256(data).hexdigest()
        self.seconden += time.perf_counter() - start
        self.aantal += len(blok)
        self.blok = []


def _vloer(omgeving: Omgeving, events: int) -> float:
    """Seconds hashlib alone takes over the bytes `chain.verify` hashes on this database."""
    vloer = _Hashlib()
    with Session(omgeving.engine) as session, mock.patch.object(chain, "hashlib", vloer):
        breuk = chain.verify(session)
    vloer.flush()
    if breuk is not None or vloer.aantal != events:
        raise RuntimeError(f"vloer ving {vloer.aantal} van {events} gebeurtenissen ({breuk})")
    return vloer.seconden


def _lezen(omgeving: Omgeving) -> float:
    """Seconds only reading the rows `chain.verify` reads (no hashing): what the database costs."""
    with Session(omgeving.engine) as session:
        start = time.perf_counter()
        for _ in chain._blocks(session):
            pass
        return time.perf_counter() - start


def meet(omgeving: Omgeving) -> list[Resultaat]:
    """Verification time against the floor, and events per second, at this size."""
    with Session(omgeving.engine) as session:
        erbij = PER_CASUS * omgeving.casussen - chain.count(session)
    if erbij > 0:
        audit_gebeurtenissen(omgeving.engine, erbij, seed=omgeving.casussen)
    with Session(omgeving.engine) as session:
        events = chain.count(session)
    regie_s, regie_mb = run_measured(
        [sys.executable, "-c", PIEK + REGIE, "audit", "verify"], omgeving.env(), omgeving.workdir
    )
    # Starting Python and importing the CLI is part of the command, but weighs on small trails
    # only: measured apart, so the report can say how much of the figure it is.
    opstart_s, _ = run_measured(
        [sys.executable, "-c", PIEK + "import app.cli"], omgeving.env(), omgeving.workdir
    )
    vloer_s = _vloer(omgeving, events)
    lezen_s = _lezen(omgeving)
    per_event = max(regie_s - opstart_s, 0.0) / events * 1e6
    toelichting = (
        f"waarvan {opstart_s:.2f} s opstarten (python + import app.cli); daarna "
        f"{per_event:.1f} µs per gebeurtenis tegen {vloer_s / events * 1e6:.2f} µs voor hashlib "
        f"en {lezen_s / events * 1e6:.2f} µs voor alleen het lezen van dezelfde rijen"
    )
    b, n = omgeving.backend, omgeving.casussen
    return [
        Resultaat(SCENARIO, "wandtijd", b, n, regie_s, vloer_s, "s",
                  f"≤ {MAX_RATIO:g}× vloer", regie_s <= MAX_RATIO * vloer_s, toelichting),
        Resultaat(SCENARIO, "doorvoer", b, n, events / regie_s, None,
                  f"gebeurtenissen/s (van {events})", "", None),
        Resultaat(SCENARIO, "piekgeheugen", b, n, regie_mb, None, "MB", "", None),
    ]  # fmt: skip
