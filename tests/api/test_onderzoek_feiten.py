"""Reading what research may know of every casus: right in any time zone, and a database that
fails half-way is reported as SQLAlchemy reports any other failure."""

from __future__ import annotations

import threading
import time
import uuid
from contextlib import closing
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text, update
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlmodel import Session, col

from app.casus.models import Casus
from app.config import Settings
from app.db import snapshot_session, unit_of_work, utcnow
from app.form.definition import load_formulieren
from app.research.feiten import CasusFeiten, iter_feiten
from tests.factories import auth, make_account, new_casus


def alle_feiten(session: Session, settings: Settings) -> list[CasusFeiten]:
    formulieren = load_formulieren(None, settings.form_version)
    with closing(iter_feiten(session, formulieren, nu=utcnow())) as feiten:
        return list(feiten)


def alleen_postgresql(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's rows are streamed past SQLAlchemy; SQLite's go through it")


def test_the_start_month_is_utc_whatever_zone_the_database_session_has(
    client: TestClient, app: Any, settings: Settings
) -> None:
    casus_id = uuid.UUID(new_casus(client, auth(settings, make_account(app, "piet")))["id"])
    # Late on the last evening of January in UTC: already February east of Greenwich.
    with unit_of_work(app.state.engine) as session:
        session.execute(
            update(Casus)
            .where(col(Casus.id) == casus_id)
            .values(aangemaakt_op=datetime(2026, 1, 31, 22, 30, tzinfo=UTC))
        )
    with snapshot_session(app.state.engine) as session:
        if app.state.engine.dialect.name == "postgresql":
            session.execute(text("SET LOCAL TimeZone = 'Pacific/Kiritimati'"))  # UTC+14
        [feiten] = [f for f in alle_feiten(session, settings) if f.casus_id == casus_id]
    assert feiten.startmaand == "2026-01"


def _houd_mdo_vast(engine: Engine) -> Session:
    """A transaction holding the MDO table locked, so a reading of it waits."""
    houder = Session(engine)
    houder.execute(text("LOCK TABLE mdo IN ACCESS EXCLUSIVE MODE"))
    return houder


def test_a_database_error_while_streaming_is_raised_as_sqlalchemy_raises_it(
    client: TestClient, app: Any, settings: Settings
) -> None:
    alleen_postgresql(app.state.engine)
    new_casus(client, auth(settings, make_account(app, "piet")))
    with closing(_houd_mdo_vast(app.state.engine)), snapshot_session(app.state.engine) as session:
        session.execute(text("SET LOCAL lock_timeout = '100ms'"))
        with pytest.raises(OperationalError) as fout:
            alle_feiten(session, settings)
    # The query failed, the connection did not: it goes back to the pool as it is.
    assert "lock" in str(fout.value.orig) and not fout.value.connection_invalidated


def test_a_connection_lost_while_streaming_is_not_handed_out_again(
    client: TestClient, app: Any, settings: Settings
) -> None:
    alleen_postgresql(app.state.engine)
    engine = app.state.engine
    new_casus(client, auth(settings, make_account(app, "piet")))
    fouten: list[DBAPIError] = []
    with closing(_houd_mdo_vast(engine)), snapshot_session(engine) as session:
        pid = session.execute(text("SELECT pg_backend_pid()")).scalar_one()

        def lees() -> None:
            try:
                alle_feiten(session, settings)
            except DBAPIError as exc:
                fouten.append(exc)

        lezer = threading.Thread(target=lees)
        lezer.start()
        _wacht_op_slot(engine, pid)
        with engine.connect() as beheer:
            beheer.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        lezer.join(timeout=10)
    assert not lezer.is_alive()
    assert len(fouten) == 1 and fouten[0].connection_invalidated


def _wacht_op_slot(engine: Engine, pid: int) -> None:
    """Until the reading waits for the lock (each look in a transaction of its own: within one,
    PostgreSQL shows the same snapshot of its activity)."""
    tot = time.monotonic() + 10
    while time.monotonic() < tot:
        with engine.connect() as kijker:
            wacht = kijker.execute(
                text("SELECT wait_event_type FROM pg_stat_activity WHERE pid = :pid"),
                {"pid": pid},
            ).scalar_one_or_none()
        if wacht == "Lock":
            return
        time.sleep(0.02)
    raise AssertionError("de lezing wachtte niet op het slot")
