"""Collect a request's audit events and write them with its transaction, or after its failure."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine
from sqlmodel import Session

from app.audit.chain import append
from app.audit.models import Gebeurtenis
from app.db import unit_of_work, utcnow
from app.errors import RegieFout

if TYPE_CHECKING:  # app.context imports this module
    from app.context import Actor


class Uitkomst(StrEnum):
    TOEGESTAAN = "toegestaan"
    GEWEIGERD = "geweigerd"
    MISLUKT = "mislukt"


_REFUSED = {401, 403, 404}


@dataclass
class AuditRecorder:
    """One per request: who is asking, from where, and what they did or tried.

    Events wait here until the unit of work ends. On success they are appended in the same
    transaction as the change (no event, no change). On failure the change is rolled back and
    the events are written on their own, marked geweigerd or mislukt.
    """

    request_id: str | None
    clientadres: str | None
    account_id: uuid.UUID | None = None
    gebruikersnaam: str | None = None
    organisatie: str | None = None
    pending: list[Gebeurtenis] = field(default_factory=list)
    written: list[Gebeurtenis] = field(default_factory=list)

    def identify(self, actor: Actor) -> None:
        """Name who acts in every event of this request from now on."""
        self.account_id, self.gebruikersnaam, self.organisatie = (
            actor.account_id,
            actor.gebruikersnaam,
            actor.organisatie,
        )

    def record(
        self,
        actie: str,
        uitkomst: Uitkomst,
        *,
        casus_id: uuid.UUID | None = None,
        kenmerken: dict[str, Any] | None = None,
    ) -> None:
        self.pending.append(
            Gebeurtenis(
                tijdstip=utcnow(),
                account_id=self.account_id,
                gebruikersnaam=self.gebruikersnaam,
                organisatie=self.organisatie,
                casus_id=casus_id,
                actie=actie,
                uitkomst=uitkomst.value,
                clientadres=self.clientadres,
                request_id=self.request_id,
                kenmerken=kenmerken or {},
            )
        )

    def annotate(
        self,
        *,
        velden: list[str] | None = None,
        casus_id: uuid.UUID | None = None,
        **kenmerken: Any,
    ) -> None:
        """Add what changed (paths only) to the event of the action being carried out."""
        event = self.pending[-1]
        if casus_id is not None:
            event.casus_id = casus_id
        if velden is not None:
            event.velden = sorted(set(velden))
        event.kenmerken = {**event.kenmerken, **kenmerken}

    def failed(self, code: str) -> None:
        """The action was allowed but did not happen (e.g. invalid input shown back on a page)."""
        if not self.pending:
            return
        event = self.pending[-1]
        event.uitkomst = Uitkomst.MISLUKT.value
        event.velden = []
        event.kenmerken = {**event.kenmerken, "code": code}

    def write(self, session: Session) -> None:
        """Append the pending events inside the caller's transaction."""
        if self.pending:
            append(session, self.pending)
            self.written += self.pending
            self.pending = []

    def write_failure(self, engine: Engine, exc: BaseException, fallback: dict[str, Any]) -> None:
        """After a rollback: keep what was refused, mark what was allowed as failed, then write."""
        status = exc.status if isinstance(exc, RegieFout) else 500
        code = exc.code if isinstance(exc, RegieFout) else "interne_fout"
        for event in self.pending:
            if event.uitkomst == Uitkomst.TOEGESTAAN:
                event.uitkomst = Uitkomst.MISLUKT.value
                event.velden = []
            event.kenmerken = {**event.kenmerken, "code": code}
        if not self.pending:
            uitkomst = Uitkomst.GEWEIGERD if status in _REFUSED else Uitkomst.MISLUKT
            self.record(fallback["actie"], uitkomst, casus_id=fallback.get("casus_id"))
            self.pending[-1].kenmerken = {"code": code, **fallback.get("kenmerken", {})}
        with unit_of_work(engine) as session:
            self.write(session)
