"""SQLite writers of one process queue on a lock of their engine (app/db.py), and whatever way a
transaction ends (commit, rollback, a session closed half-way, a failed statement), the next
writer gets its turn at once rather than after the 30-second busy timeout."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session

from app.db import make_engine, unit_of_work

# Far below the busy timeout (30 s), far above any write here: waiting this long means the
# previous writer's turn was never given back.
TURN_S = 10.0


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'writers.db'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (n INTEGER)"))
    yield engine
    engine.dispose()


def _write(engine: Engine, n: int) -> None:
    with unit_of_work(engine) as session:
        session.execute(text("INSERT INTO t VALUES (:n)"), {"n": n})


def _in_turn(engine: Engine) -> None:
    """Another thread writes, and must finish within TURN_S."""
    done = threading.Event()

    def write() -> None:
        _write(engine, 0)
        done.set()

    thread = threading.Thread(target=write)
    thread.start()
    assert done.wait(TURN_S), "the next writer did not get its turn"
    thread.join()


def _commit(engine: Engine) -> None:
    _write(engine, 1)


def _rollback(engine: Engine) -> None:
    with Session(engine) as session:
        session.execute(text("INSERT INTO t VALUES (2)"))
        session.rollback()


def _closed_half_way(engine: Engine) -> None:
    with Session(engine) as session:
        session.execute(text("INSERT INTO t VALUES (3)"))


def _failed(engine: Engine) -> None:
    with pytest.raises(Exception, match="no such table"), unit_of_work(engine) as session:
        session.execute(text("INSERT INTO missing VALUES (4)"))


@pytest.mark.parametrize("end", [_commit, _rollback, _closed_half_way, _failed])
def test_every_way_a_transaction_ends_gives_the_next_writer_its_turn(
    engine: Engine, end: Callable[[Engine], None]
) -> None:
    end(engine)
    _in_turn(engine)


def test_a_writer_waits_for_the_one_before_it_then_goes(engine: Engine) -> None:
    started = threading.Event()
    with Session(engine) as session:
        session.execute(text("INSERT INTO t VALUES (5)"))

        def write() -> None:
            started.set()
            _write(engine, 6)

        waiting = threading.Thread(target=write)
        waiting.start()
        started.wait()
        waiting.join(timeout=0.3)
        assert waiting.is_alive(), "a second writer got in during the first one's transaction"
        session.commit()
    waiting.join(TURN_S)
    assert not waiting.is_alive()
    with Session(engine) as session:
        assert [n for (n,) in session.execute(text("SELECT n FROM t ORDER BY rowid"))] == [5, 6]
