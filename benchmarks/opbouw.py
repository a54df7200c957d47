"""Where a request's time goes: Regie's own steps, timed in-process around the real code.

The per-request figures compare whole HTTP requests with the floor; this says what the
difference is made of. The real service functions run against the same database, with timers
wrapped around the steps they call (patched where the service looks them up), so nothing is
re-implemented here and the steps cannot drift from what a request does. Whatever the request
took beyond the sum of these steps is HTTP, FastAPI, middleware and dependency injection.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

from fastapi import FastAPI
from sqlalchemy import Engine
from sqlmodel import Session

from app.audit import recorder
from app.audit.recorder import AuditRecorder
from app.auth.tokens import load_actor, verify_claims
from app.context import Context
from app.crypto.service import Kluis
from app.handreiking import service
from app.handreiking.schemas import HandreikingIn, HandreikingOut

# A save's access decision brings the revision it builds on along in the same statement.
BEWERKEN = "toegang met basis (rollen, casus, beleid, basisrevisie)"
# (label, object, attribute): the steps of a read and a save, wrapped where they are looked up.
STAPPEN: tuple[tuple[str, Any, str], ...] = (
    ("toegang (rollen, casus, beleid)", service, "authorize"),
    (BEWERKEN, service, "authorize_edit"),
    ("toegang met revisie (rollen, casus, beleid, huidige revisie)", service, "authorize_plan"),
    ("invoer controleren", service, "validate"),
    ("ontsleutelen", Kluis, "open"),
    ("verschil met vorige", service, "verschil"),
    ("versleutelen", Kluis, "seal"),
    ("voortgang", service, "progress"),
    ("onderzoeksprojectie", service, "kenmerken"),
    ("audit aan keten", recorder, "append"),
)
VERBINDING = "verbinding uit de pool"
WARM = 3
# What Regie must do on top of the floor's storage work, by what the issue asks of a save and a
# read (authentication, access, validation, encryption) and what those imply: a JSON body to
# read and an answer to write, the base revision to decrypt and diff (whose fields changed is
# what the audit and the own-words rule judge), and the research projection the export reads
# instead of any document. The floor writes and reads the same rows, commits and appends the
# same audit row, so those steps are left out, as are Regie's own extras (progress per step)
# and the glue between the steps. A save's access decision brings its base revision along: the
# floor reads neither, so that step is demanded whole. A read's brings the current revision
# along: the floor reads those bytes too, so that step is left out whole, and what is within
# reach for a read errs low (by the access check's own share), never high.
PLICHTEN = frozenset({
    "token controleren", "account laden", "toegang (rollen, casus, beleid)", BEWERKEN,
    "verzoek inlezen (JSON, schema)", "invoer controleren", "ontsleutelen", "verschil met vorige",
    "versleutelen", "onderzoeksprojectie", "antwoord als JSON",
})  # fmt: skip


@dataclass
class _Klok:
    """Milliseconds per step label, summed over the measured requests."""

    ms: dict[str, float] = field(default_factory=dict)

    def wrap(self, label: str, func: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            begin = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                self.add(label, begin)

        return timed

    def add(self, label: str, begin: float) -> None:
        self.ms[label] = self.ms.get(label, 0.0) + (time.perf_counter() - begin) * 1000

    @contextmanager
    def stap(self, label: str) -> Iterator[None]:
        begin = time.perf_counter()
        try:
            yield
        finally:
            self.add(label, begin)


@dataclass(frozen=True)
class Opbouw:
    """Regie's in-process time per request, and its steps as text for the report."""

    per_verzoek_ms: float
    tekst: str
    # Milliseconds per request of each step that is one of PLICHTEN.
    plichten: dict[str, float] = field(default_factory=dict)

    @property
    def plicht_ms(self) -> float:
        return sum(self.plichten.values())


def lezen(app: FastAPI, engine: Engine, token: str, casussen: list[uuid.UUID], n: int) -> Opbouw:
    """A read as the route does it, `n` times round-robin; the steps in ms per request."""

    def een(ctx: Context, casus: uuid.UUID, klok: _Klok) -> None:
        out = service.read(ctx, casus)
        with klok.stap("antwoord als JSON"):
            HandreikingOut.model_validate(out).model_dump_json()

    return _meet(app, engine, token, casussen, n, een)


def opslaan(
    app: FastAPI,
    engine: Engine,
    token: str,
    casussen: list[uuid.UUID],
    revisies: dict[uuid.UUID, int],
    body: bytes,
    n: int,
) -> Opbouw:
    """A save as the route does it (body parsed as FastAPI would), `n` times round-robin."""

    def een(ctx: Context, casus: uuid.UUID, klok: _Klok) -> None:
        with klok.stap("verzoek inlezen (JSON, schema)"):
            data = HandreikingIn.model_validate_json(body)
        revisies[casus] = service.save(ctx, casus, basis=revisies[casus], data=data).nummer

    return _meet(app, engine, token, casussen, n, een)


def _meet(
    app: FastAPI,
    engine: Engine,
    token: str,
    casussen: list[uuid.UUID],
    n: int,
    een: Callable[[Context, uuid.UUID, _Klok], None],
) -> Opbouw:
    state = app.state
    klok = _Klok()
    with ExitStack() as stack:
        for label, owner, naam in STAPPEN:
            wrapped = klok.wrap(label, getattr(owner, naam))
            stack.enter_context(mock.patch.object(owner, naam, wrapped))
        begin = time.perf_counter()
        for i in range(-WARM, n):
            if i == 0:  # first-use costs (caches, prepared statements) stay out of the means
                klok.ms.clear()
                begin = time.perf_counter()
            with Session(engine, expire_on_commit=False) as session:
                with klok.stap(VERBINDING):
                    session.connection()
                with klok.stap("token controleren"):
                    claims = verify_claims(token, state.keyset, state.settings)
                with klok.stap("account laden"):
                    actor = load_actor(session, claims["sub"])
                audit = AuditRecorder(request_id=str(uuid.uuid4()), clientadres="127.0.0.1")
                audit.identify(actor)
                ctx = Context(
                    session=session, actor=actor, audit=audit, policy=state.policy,
                    formulieren=state.formulieren, settings=state.settings,
                    keyring=state.keyring, vragenlijsten=state.vragenlijsten,
                )  # fmt: skip
                een(ctx, casussen[i % len(casussen)], klok)
                audit.write(session)
                with klok.stap("commit"):
                    session.commit()
        totaal = (time.perf_counter() - begin) * 1000
    plichten = {label: ms / n for label, ms in klok.ms.items() if label in PLICHTEN}
    return Opbouw(totaal / n, _tekst(klok.ms, totaal, n), plichten)


def _tekst(ms: dict[str, float], totaal: float, n: int) -> str:
    """One line per step, slowest first, then the ORM and glue left between the steps."""
    regels = [f"in-process {totaal / n:.2f} ms per verzoek, waarvan:"]
    for label, waarde in sorted(ms.items(), key=lambda item: -item[1]):
        regels.append(f"  {label}: {waarde / n:.2f} ms")
    rest = totaal - sum(ms.values())
    regels.append(f"  overig (ORM, sessie, lijm): {rest / n:.2f} ms")
    return "\n".join(regels)
