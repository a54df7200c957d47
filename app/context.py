"""What every service call needs to know about the request it serves."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlmodel import Session

from app.access.policy import Policy
from app.audit.recorder import AuditRecorder
from app.config import Settings
from app.crypto.keyring import KeyRing
from app.crypto.service import Kluis
from app.enums import Systeemrol
from app.form.definition import Formulieren
from app.research.vragenlijst import Vragenlijsten


@dataclass(frozen=True)
class Actor:
    """The signed-in account, as established by the token: who acts, never who is claimed."""

    account_id: uuid.UUID
    gebruikersnaam: str
    naam: str
    organisatie: str | None  # None: an invited ouder or jeugdige
    systeemrollen: frozenset[Systeemrol]


@dataclass(frozen=True)
class Context:
    """One request's unit of work and the things a service may consult.

    Services take this instead of a long list of arguments; `audit` collects what the request
    read, changed or was refused, to be written with (or after) its transaction.
    """

    session: Session
    actor: Actor
    audit: AuditRecorder
    policy: Policy
    formulieren: Formulieren
    settings: Settings
    keyring: KeyRing
    vragenlijsten: Vragenlijsten

    def kluis(self, formulierversie: str) -> Kluis:
        """Seal and open documents of this form version (privacy classes come from the form)."""
        return Kluis(self.keyring, self.formulieren[formulierversie])
