"""Engine, session and the one unit of work per request."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import Column, ColumnElement, DateTime, Engine, Select, any_, event, func
from sqlalchemy import Enum as SAEnum
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.orm import Mapped
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session, SQLModel, create_engine

# Stable constraint names, so migrations can drop and SQLite batch mode can rebuild them.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# The largest value of an INTEGER column (PostgreSQL's int4). A number a client sends that is
# compared with one is bounded by it: a larger one names nothing, and the driver would refuse it.
INT4_MAX = 2**31 - 1


def among_ids(
    dialect: str, column: Mapped[uuid.UUID], ids: Select[uuid.UUID]
) -> ColumnElement[bool]:
    """`column IN (ids)`, where `ids` is a one-column subquery answered in the same statement;
    on PostgreSQL sent as `column = ANY(ARRAY(ids))`.

    PostgreSQL runs `ARRAY(…)` once, before the rest (an InitPlan), and then looks the outer
    rows up by the array's values. A plain `IN (subquery)` or a join would be planned from the
    subquery's estimated size, the average over all its keys: for an account's casus ids that
    is the average account's caseload, and where that is thousands it reads every casus however
    few are this account's. SQLite drives the lookups from the subquery's rows either way.
    """
    if dialect == "postgresql":
        return column == any_(func.array(ids.scalar_subquery()))
    return column.in_(ids)


def utcnow() -> datetime:
    """The current moment, timezone-aware: every timestamp in Regie is UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as UTC and always read back timezone-aware (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: use app.db.utcnow()")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# How long a writer waits for SQLite's write lock (in this process, and then in the file).
BUSY_TIMEOUT_S = 30
_HOLDS_WRITER = "regie_schrijft"
POOL = 16


def make_engine(url: str, *, foreign_keys: bool = True, pool: int = POOL) -> Engine:
    """Create the engine; SQLite gets WAL, foreign keys and write-serialising transactions.

    Migrations switch SQLite's foreign keys off: rebuilding a table (Alembic batch mode) would
    otherwise trip over the rows that refer to it. `pool` connections are kept, and as many
    again may be opened for a moment: the app admits `pool` requests at once (middleware
    `Toelating`), and a few of those briefly hold a second connection (a failed request's
    audit event, a sign-in's rate count, an export's snapshot).
    """
    if url.startswith("sqlite"):
        _ensure_sqlite_folder(url)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_S},
            hide_parameters=True,
            pool_size=pool,
            max_overflow=pool,
        )
        _tune_sqlite(engine, foreign_keys=foreign_keys)
        return engine
    # hide_parameters: a database error in a log or a trace never shows the values it was
    # writing (sealed or not), only the statement.
    return create_engine(
        url, pool_pre_ping=True, pool_size=pool, max_overflow=pool, hide_parameters=True
    )


def _ensure_sqlite_folder(url: str) -> None:
    """The embedded database lives in the data folder; create it on first use."""
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)


def _tune_sqlite(engine: Engine, *, foreign_keys: bool) -> None:
    """Every request writes (audit), so SQLite transactions take the write lock up front.

    A deferred transaction that reads and then writes fails at once with SQLITE_BUSY when
    another writer committed in between; BEGIN IMMEDIATE waits for the lock instead.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}")
        # Overwrite freed pages: no old ciphertext lingers in the file after a key rotation.
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()

    writer = threading.Lock()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        if connection.get_execution_options().get(SNAPSHOT_OPTION):
            connection.exec_driver_sql("BEGIN")
            return
        # Writers of this process queue here and are woken the moment the lock is free;
        # SQLite's own busy handler (left for other processes) polls with sleeps of up to
        # 100 ms, which under concurrent saves turns into seconds of tail latency. A lock
        # not freed in time is passed by, and SQLite's busy timeout still protects the file.
        if writer.acquire(timeout=BUSY_TIMEOUT_S):
            connection.info[_HOLDS_WRITER] = True
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            _release(connection.info)
            raise

    def _release(info: dict[str, Any]) -> None:
        if info.pop(_HOLDS_WRITER, False):
            writer.release()

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _on_end(connection: Any) -> None:
        _release(connection.info)

    @event.listens_for(engine.pool, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        # A connection back in the pool holds no transaction, whatever path it took there.
        _release(record.info)


SNAPSHOT_OPTION = "regie_snapshot"


def snapshot_session(engine: Engine) -> Session:
    """A read-only session that sees one consistent state of the database until it closes.

    For long reads in several passes (the research export): PostgreSQL gives a repeatable-read
    transaction; SQLite a deferred one, whose WAL snapshot does not block writers meanwhile.
    The caller closes it.
    """
    if engine.dialect.name == "sqlite":
        bound = engine.execution_options(**{SNAPSHOT_OPTION: True})
    else:
        bound = engine.execution_options(
            isolation_level="REPEATABLE READ", postgresql_readonly=True
        )
    return Session(bound, expire_on_commit=False)


@contextmanager
def unit_of_work(engine: Engine) -> Iterator[Session]:
    """One transaction: commit when the block succeeds, roll back when it raises."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def enum_column(enum: type[StrEnum], *, nullable: bool = False) -> Column[Any]:
    """A closed vocabulary stored as its Dutch string value, checked by SQLAlchemy."""
    return Column(
        SAEnum(enum, native_enum=False, length=40, values_callable=lambda e: [m.value for m in e]),
        nullable=nullable,
    )


def utc_column(*, nullable: bool = False) -> Column[Any]:
    return Column(UTCDateTime(), nullable=nullable)
