"""Generated audit events: bulk-inserted, yet one chain `regie audit verify` finds intact."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, col, select

from app.audit import chain
from app.audit.models import AuditGebeurtenis
from app.casus.models import Rol
from app.config import Settings
from app.crypto.service import keyring_for
from app.db import make_engine
from app.form.definition import load_formulieren
from app.generator import audit_gebeurtenissen, genereer
from app.research.vragenlijst import load_vragenlijsten


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    engine = make_engine(settings.database_url)
    yield engine
    engine.dispose()


def _genereer(engine: Engine, settings: Settings, aantal: int, audit: int | None = None) -> None:
    """Generate casussen; without `audit`, exactly as existing callers do (no keyword)."""
    formulieren = load_formulieren(None, settings.form_version)
    args = (engine, formulieren[formulieren.standaard], keyring_for(settings))
    if audit is None:
        genereer(*args, load_vragenlijsten(), aantal)
    else:
        genereer(*args, load_vragenlijsten(), aantal, audit_per_casus=audit)


def _verify(engine: Engine) -> chain.Breuk | None:
    with Session(engine) as session:
        return chain.verify(session)


def _events(engine: Engine) -> list[AuditGebeurtenis]:
    with Session(engine) as session:
        query = select(AuditGebeurtenis).order_by(col(AuditGebeurtenis.volgnummer))
        return list(session.exec(query).all())


def test_casussen_get_no_audit_events_unless_asked(engine: Engine, settings: Settings) -> None:
    _genereer(engine, settings, 2)
    with Session(engine) as session:
        assert chain.count(session) == 0


def test_generated_events_are_reads_by_members_in_one_intact_chain(
    engine: Engine, settings: Settings
) -> None:
    _genereer(engine, settings, 3, audit=4)
    audit_gebeurtenissen(engine, 25)
    audit_gebeurtenissen(engine, 5, seed=8)  # a second run carries on from the head
    assert _verify(engine) is None
    events = _events(engine)
    with Session(engine) as session:
        assert chain.count(session) == len(events) == 3 * 4 + 25 + 5
        leden = {(r.casus_id, r.account_id) for r in session.exec(select(Rol))}
    assert all((e.casus_id, e.account_id) in leden for e in events)
    assert all(e.uitkomst == "toegestaan" and e.actie.endswith(".lezen") for e in events)
    assert all(e.gebruikersnaam and e.organisatie and e.request_id for e in events)
    tijden = [e.tijdstip for e in events[12:]]
    assert tijden == sorted(tijden)


def test_an_altered_generated_event_breaks_the_chain(engine: Engine, settings: Settings) -> None:
    _genereer(engine, settings, 2, audit=3)
    audit_gebeurtenissen(engine, 10)
    assert _verify(engine) is None
    with engine.begin() as connection:  # bypass the append-only triggers, as a DBA could
        if connection.dialect.name == "postgresql":
            connection.execute(text("SET LOCAL session_replication_role = replica"))
        else:
            connection.execute(text("DROP TRIGGER auditgebeurtenis_onveranderlijk_update"))
        connection.execute(
            text("UPDATE auditgebeurtenis SET casus_id = :ander WHERE volgnummer = 9"),
            {"ander": uuid.uuid4().hex if connection.dialect.name == "sqlite" else uuid.uuid4()},
        )
    breuk = _verify(engine)
    assert breuk is not None and breuk.volgnummer == 9 and "hash" in breuk.reden
