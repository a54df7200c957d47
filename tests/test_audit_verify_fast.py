"""`chain.verify`'s fast path: it writes the canonical JSON from the columns' text, yet every hash
is the one `event_hash` computes from the ORM's values, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import inspect
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import Engine, insert, text
from sqlmodel import Session, SQLModel, col, select

from app.audit import chain
from app.audit.models import AuditGebeurtenis, AuditKeten
from app.db import make_engine, snapshot_session, unit_of_work

# Text that json.dumps(ensure_ascii=False) escapes, or deliberately does not.
LASTIG = 'é "aan" \\ \n\t\r\b\f \x01\x1f \x7f \u2028 ☃ 𝄞 </script>'


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


def _event(n: int, **values: Any) -> dict[str, Any]:
    base = {
        "tijdstip": datetime(2026, 3, 1, tzinfo=UTC) + timedelta(seconds=n, microseconds=n),
        "account_id": uuid.uuid4(),
        "gebruikersnaam": f"gebruiker{n}",
        "organisatie": "Gemeente Utrecht",
        "casus_id": uuid.uuid4(),
        "actie": "casus.lezen",
        "uitkomst": "toegestaan",
        "clientadres": "10.0.0.1",
        "request_id": str(uuid.uuid4()),
        "velden": [],
        "kenmerken": {},
    }
    return {**base, **values}


EVENTS = [
    _event(1),
    _event(2, gebruikersnaam=LASTIG, organisatie=LASTIG, clientadres=LASTIG, request_id=LASTIG),
    _event(3, actie=LASTIG, uitkomst=LASTIG[:20]),
    _event(4, account_id=None, gebruikersnaam=None, organisatie=None, casus_id=None),
    _event(5, clientadres=None, request_id=None),
    _event(6, velden=["inhoud.b", "inhoud.a", LASTIG]),
    _event(7, kenmerken={"z": 1, "a": [2.5, None, True], "é": {"y": LASTIG, "b": {}}}),
    _event(8, tijdstip=datetime(2026, 3, 1, 12, 0, tzinfo=UTC)),
    _event(9, tijdstip=datetime(2026, 3, 1, 23, 59, 59, 999999, tzinfo=UTC)),
    _event(10, kenmerken={"aantal": 3}, velden=["mdo"]),
    # Nothing JSON escapes, yet not ASCII.
    _event(11, gebruikersnaam="Zoë ☃ 𝄞 \u2028 \x7f", organisatie="Ĳsselland", actie="lezen"),
]


def _append(engine: Engine, events: list[dict[str, Any]]) -> None:
    """Chain the events with `event_hash` itself, as `chain.append` does."""
    with unit_of_work(engine) as session:
        head = session.exec(select(AuditKeten).where(AuditKeten.id == 1)).one()
        for values in events:
            values["volgnummer"], values["vorige_hash"] = head.volgnummer + 1, head.hash
            values["hash"] = chain.event_hash(SimpleNamespace(**values), head.hash)
            head.volgnummer, head.hash = values["volgnummer"], values["hash"]
        session.execute(insert(AuditGebeurtenis), events)
        session.add(head)


@pytest.fixture
def sqlite_trail(engine: Engine) -> Engine:
    """The events on SQLite, whose columns hold whatever text someone writes there."""
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL stores timestamptz and uuid, not text of one's choosing")
    _append(engine, [dict(e) for e in EVENTS])
    return engine


def _typed_hashes(session: Session) -> list[str]:
    """`event_hash` over the values as the ORM types read them back: the definition."""
    table = SQLModel.metadata.tables["auditgebeurtenis"]
    rows = session.execute(table.select().order_by(table.c.volgnummer))
    return [chain.event_hash(row, row.vorige_hash) for row in rows]


def test_layout_follows_json_dumps_key_order() -> None:
    assert sorted(chain._HASHED) == [*chain._KOLOMMEN, "volgnummer"]
    template = inspect.getsource(chain._digests)
    assert re.findall(r'"(\w+)":', template) == sorted(chain._HASHED)


def test_fast_path_hashes_exactly_what_event_hash_hashes(engine: Engine) -> None:
    _append(engine, [dict(e) for e in EVENTS])
    with Session(engine) as session:
        fast = [digest for blok in chain._blocks(session) for digest in chain._digests(blok)]
        stored = session.exec(
            select(AuditGebeurtenis.hash).order_by(col(AuditGebeurtenis.volgnummer))
        )
        assert fast == _typed_hashes(session) == list(stored)


def test_an_intact_trail_never_takes_the_slow_path(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    _append(engine, [dict(e) for e in EVENTS])

    def refuse(*_: Any) -> None:
        raise AssertionError("fast path refused an intact block")

    monkeypatch.setattr(chain, "_check_exactly", refuse)
    monkeypatch.setattr(chain, "_BLOK", 3)
    progress: list[int] = []
    with Session(engine) as session:
        assert chain.verify(session, progress.append) is None
    assert progress == [3, 3, 3, 2]


def _tamper(engine: Engine, *statements: str) -> None:
    """Bypass the append-only triggers, as someone with DBA rights could."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SET LOCAL session_replication_role = replica"))
        else:
            for trigger in ("update", "delete"):
                connection.execute(text(f"DROP TRIGGER auditgebeurtenis_onveranderlijk_{trigger}"))
        for statement in statements:
            connection.execute(text(statement))


@pytest.mark.parametrize(
    ("statement", "broken_at"),
    [
        ("UPDATE auditgebeurtenis SET actie = 'x' WHERE volgnummer = 7", 7),
        ("DELETE FROM auditgebeurtenis WHERE volgnummer = 7", 7),
        ("DELETE FROM auditgebeurtenis WHERE volgnummer = 4", 4),
        ("UPDATE auditgebeurtenis SET vorige_hash = hash WHERE volgnummer = 9", 9),
        ("DELETE FROM auditgebeurtenis WHERE volgnummer = 10", 10),
    ],
)
def test_breaks_are_named_across_block_boundaries(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, statement: str, broken_at: int
) -> None:
    _append(engine, [dict(e) for e in EVENTS])
    _tamper(engine, statement)
    monkeypatch.setattr(chain, "_BLOK", 3)
    with Session(engine) as session:
        breuk = chain.verify(session)
    assert breuk is not None and breuk.volgnummer == broken_at


def test_a_stored_form_the_fast_path_does_not_know_is_judged_by_the_definition(
    sqlite_trail: Engine,
) -> None:
    engine = sqlite_trail
    # The same instant and UUID in forms SQLAlchemy reads back alike but never writes.
    _tamper(
        engine,
        "UPDATE auditgebeurtenis SET tijdstip = replace(tijdstip, ' ', 'T') || '+00:00', "
        "account_id = upper(account_id) WHERE volgnummer = 5",
    )
    with Session(engine) as session:
        assert chain.verify(session) is None


def test_the_walk_goes_on_after_a_block_the_definition_cleared(
    sqlite_trail: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = sqlite_trail
    _tamper(
        engine,
        "UPDATE auditgebeurtenis SET account_id = upper(account_id) WHERE volgnummer = 2",
        "UPDATE auditgebeurtenis SET uitkomst = 'x' WHERE volgnummer = 8",
    )
    monkeypatch.setattr(chain, "_BLOK", 3)
    progress: list[int] = []
    with Session(engine) as session:
        breuk = chain.verify(session, progress.append)
    assert breuk == chain.Breuk(8, "inhoud is gewijzigd (hash klopt niet)")
    # One pass over the trail; the blocks it doubted are judged after it.
    assert progress == [3, 3, 3, 2]


def test_an_event_added_before_the_first_is_a_break(engine: Engine) -> None:
    _append(engine, [dict(e) for e in EVENTS])
    with unit_of_work(engine) as session:
        session.execute(
            insert(AuditGebeurtenis),
            [{**_event(0), "volgnummer": -1, "vorige_hash": "0" * 64, "hash": "0" * 64}],
        )
    with Session(engine) as session:
        assert chain.verify(session) == chain.Breuk(1, "gebeurtenis 1 ontbreekt")


def test_sqlite_text_the_fast_path_would_not_read_whole_is_judged_by_the_definition(
    sqlite_trail: Engine,
) -> None:
    engine = sqlite_trail
    _tamper(engine, "UPDATE auditgebeurtenis SET casus_id = casus_id || 'zz' WHERE volgnummer = 3")
    with Session(engine) as session:
        breuk = chain.verify(session)
    assert breuk is not None and breuk.volgnummer == 3


def test_people_keep_saving_while_the_trail_is_verified(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`regie audit verify` walks one read-only snapshot: a write between two blocks neither
    waits for the walk (on SQLite it would wait for a held write lock) nor breaks it."""
    _append(engine, [dict(e) for e in EVENTS])
    monkeypatch.setattr(chain, "_BLOK", 3)
    other = make_engine(engine.url.render_as_string(hide_password=False))

    def save_meanwhile(_: int) -> None:
        _append(other, [_event(99)])

    with snapshot_session(engine) as session:
        assert chain.verify(session, save_meanwhile) is None
    other.dispose()
    with Session(engine) as session:
        assert chain.count(session) == len(EVENTS) + 4
        assert chain.verify(session) is None
