"""The floor for the per-request scenarios: the same storage work, and nothing else.

A bare ASGI callable, no framework, served by the same uvicorn on the same database as Regie.
Each request does with plain SQL through the driver (sqlite3 or psycopg) what Regie's route must
do at the least, so the ratio Regie / floor is what authentication, access checks, validation,
encryption, audit and the framework cost on top of the database:

- `PUT /casussen/{id}/handreiking` (If-Match: the revision it builds on): in one transaction,
  the conditional `UPDATE casus SET revisie = revisie + 1 … WHERE id = ? AND revisie = ?` and
  `INSERT INTO revisie` of the request body (the same ≈ 20 KB document Regie receives) as is;
- `GET /casussen/{id}/handreiking`: the stored bytes of the current revision, returned as is;
- `GET /casussen`: one indexed query for the first page of the account's casussen (what
  "Mijn casussen" shows, through `ix_rol_account_actief`), rows serialised with json.dumps.

Every request also writes what Regie must store for it in the same transaction: its audit
events (one per request, plus one per listed casus, as Regie records them), linked into the
hash chain under the locked chain head. An audit row is storage work the brief demands of every
read, so a floor without it would measure a program Regie is not allowed to be. The hash is the
chain's own `event_hash` (hashlib over the canonical row), so the trail stays verifiable.

Blocking database calls run in the same worker-thread pool Regie's plain `def` routes use
(anyio's), one connection per thread, so concurrent clients overlap the same way. SQLite
connections get Regie's settings (foreign keys, busy timeout, secure delete; the file is WAL)
and take the write lock up front for a save, as Regie does. There is no authentication: the
account whose casussen are listed, and who authors the floor's revisions, is fixed at start.
The floor writes `sleutel` NULL: its revisions are plaintext (as legacy documents are), so the
scenario can tell them apart and never measures Regie on them.

`kader()` serves the very same work as FastAPI routes: what the framework the user chose costs
by itself, apart from everything Regie does in it (see `kader`).
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import threading
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Annotated, Any

import anyio.to_thread
import psycopg
from fastapi import Depends, FastAPI, Header, Request, Response

from app.audit.chain import event_hash

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Antwoord = tuple[int, list[tuple[bytes, bytes]], bytes]

# The database: a SQLite file or a libpq URL; the fixed account (canonical UUID text).
DATABASE_ENV = "REGIE_VLOER_DATABASE"
ACCOUNT_ENV = "REGIE_VLOER_ACCOUNT"
PAGINA = 20  # Regie's default page size for GET /api/v1/casussen, the LIMIT below

OPSLAAN = (
    "UPDATE casus SET revisie = revisie + 1, gewijzigd_op = %s "
    "WHERE id = %s AND revisie = %s RETURNING formulierversie"
)
REVISIE = (
    "INSERT INTO revisie (id, casus_id, nummer, formulierversie, inhoud, auteur_id, tijdstip) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s)"
)
LEZEN = (
    "SELECT c.revisie, r.inhoud{tekst} FROM casus c "
    "JOIN revisie r ON r.casus_id = c.id AND r.nummer = c.revisie WHERE c.id = %s"
)
MIJN_CASUSSEN = (
    "SELECT c.id, c.gemeente, c.status, r.rol, c.revisie, c.gewijzigd_op, c.volgende_mdo "
    "FROM rol r JOIN casus c ON c.id = r.casus_id "
    "WHERE r.account_id = %s AND r.tot IS NULL ORDER BY c.gewijzigd_op DESC, c.id LIMIT 20"
)
ACCOUNT = (
    "SELECT a.gebruikersnaam, o.naam FROM account a "
    "JOIN organisatie o ON o.id = a.organisatie_id WHERE a.id = %s"
)
KETENKOP = "SELECT volgnummer, hash FROM auditketen WHERE id = 1{lock}"
KETENKOP_ZETTEN = "UPDATE auditketen SET volgnummer = %s, hash = %s WHERE id = 1"
AUDIT = (
    "INSERT INTO auditgebeurtenis (volgnummer, tijdstip, account_id, gebruikersnaam, "
    "organisatie, casus_id, actie, uitkomst, clientadres, request_id, velden, kenmerken, "
    "vorige_hash, hash) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
)
IfMatch = Annotated[str | None, Header()]
_HANDREIKING = re.compile(r"^/casussen/([0-9a-fA-F-]{32,36})/handreiking$")
_ETAG = re.compile(r'^(?:W/)?"?(\d{1,9})"?$')


class Database:
    """One driver's dialect of the same statements: placeholders, UUIDs, timestamps, BEGIN."""

    def __init__(self, database: str, account: str) -> None:
        self.postgres = database.startswith(("postgresql://", "postgres://"))
        self.database = database
        self.account = self.uuid(account)
        self.begin = "BEGIN" if self.postgres else "BEGIN IMMEDIATE"
        self._local = threading.local()
        self.wie = self._who()

    def _who(self) -> tuple[str, str]:
        """The fixed account's name and organisation, as its audit events carry them."""
        conn = self._connect()
        try:
            row = conn.execute(self.sql(ACCOUNT), (self.account,)).fetchone()
        finally:
            conn.close()
        if row is None:
            raise RuntimeError("vloer: het account bestaat niet")
        return row[0], row[1]

    def sql(self, statement: str) -> str:
        return statement if self.postgres else statement.replace("%s", "?")

    def uuid(self, value: str) -> str:
        """SQLAlchemy keeps UUIDs as 32 hex characters on SQLite, natively on PostgreSQL."""
        parsed = uuid.UUID(value)
        return str(parsed) if self.postgres else parsed.hex

    def now(self) -> Any:
        """A timestamp as SQLAlchemy stores it: timestamptz, or text without zone on SQLite."""
        return self.timestamp(datetime.now(UTC))

    def timestamp(self, moment: datetime) -> Any:
        return moment if self.postgres else moment.strftime("%Y-%m-%d %H:%M:%S.%f")

    def connection(self) -> Any:
        """This worker thread's own connection, opened on first use and kept."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
        return conn

    def _connect(self) -> Any:
        if self.postgres:
            return psycopg.connect(self.database, autocommit=True)
        conn = sqlite3.connect(self.database, isolation_level=None, timeout=30)
        for pragma in ("foreign_keys=ON", "busy_timeout=30000", "secure_delete=ON"):
            conn.execute(f"PRAGMA {pragma}")
        return conn


def audit(db: Database, conn: Any, acties: list[tuple[str, Any]]) -> None:
    """Append one event per (actie, casus id as text or UUID) to the chain, inside the
    caller's transaction."""
    lock = " FOR UPDATE" if db.postgres else ""
    nummer, vorige = conn.execute(db.sql(KETENKOP.format(lock=lock))).fetchone()
    request_id = str(uuid.uuid4())
    for actie, casus in acties:
        nummer += 1
        tijdstip = datetime.now(UTC)
        velden = {
            "volgnummer": nummer, "tijdstip": tijdstip, "account_id": uuid.UUID(db.account),
            "gebruikersnaam": db.wie[0], "organisatie": db.wie[1],
            "casus_id": None if casus is None else uuid.UUID(str(casus)), "actie": actie,
            "uitkomst": "toegestaan", "clientadres": "127.0.0.1", "request_id": request_id,
            "velden": [], "kenmerken": {"recht": actie},
        }  # fmt: skip
        hash_ = event_hash(SimpleNamespace(**velden), vorige)
        rij = (
            nummer, db.timestamp(tijdstip), db.account, *db.wie,
            None if casus is None else db.uuid(str(casus)), actie, "toegestaan",
            "127.0.0.1", request_id, "[]", json.dumps(velden["kenmerken"]), vorige, hash_,
        )  # fmt: skip
        conn.execute(db.sql(AUDIT), rij)
        vorige = hash_
    conn.execute(db.sql(KETENKOP_ZETTEN), (nummer, vorige))


def save(db: Database, casus: str, basis: int, body: bytes) -> Antwoord:
    """Revision basis+1 with the body as its content, or 412 when basis is not current."""
    conn = db.connection()
    now = db.now()
    conn.execute(db.begin)
    try:
        row = conn.execute(db.sql(OPSLAAN), (now, casus, basis)).fetchone()
        if row is None:
            conn.execute("ROLLBACK")
            return 412, [], b""
        revisie = (db.uuid(str(uuid.uuid4())), casus, basis + 1, row[0])
        conn.execute(db.sql(REVISIE), (*revisie, body.decode(), db.account, now))
        audit(db, conn, [("handreiking.opslaan", casus)])
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return 200, [(b"etag", f'"{basis + 1}"'.encode())], b""


def read(db: Database, casus: str) -> Antwoord:
    """The current revision's stored bytes (text of the JSON column, as stored)."""
    sql = LEZEN.format(tekst="::text" if db.postgres else "")
    conn = db.connection()
    conn.execute(db.begin)
    try:
        row = conn.execute(db.sql(sql), (casus,)).fetchone()
        if row is None:
            conn.execute("ROLLBACK")
            return 404, [], b""
        audit(db, conn, [("handreiking.lezen", casus)])
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return 200, [(b"etag", f'"{row[0]}"'.encode())], row[1].encode()


def mine(db: Database) -> Antwoord:
    """The first page of the account's casussen: one query, rows as JSON."""
    conn = db.connection()
    conn.execute(db.begin)
    try:
        rows = conn.execute(db.sql(MIJN_CASUSSEN), (db.account,)).fetchall()
        audit(db, conn, [("casussen.lijst", None)] + [("casus.in_lijst", r[0]) for r in rows])
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return 200, [], json.dumps([list(row) for row in rows], default=str).encode()


def route(db: Database, method: str, path: str, if_match: str | None, body: bytes) -> Antwoord:
    match = _HANDREIKING.match(path)
    if match and method == "PUT":
        basis = _ETAG.match((if_match or "").strip())
        if basis is None:
            return 428, [], b""
        return save(db, db.uuid(match.group(1)), int(basis.group(1)), body)
    if match and method == "GET":
        return read(db, db.uuid(match.group(1)))
    if path == "/casussen" and method == "GET":
        return mine(db)
    return 404, [], b""


def _database() -> Database:
    return Database(os.environ[DATABASE_ENV], os.environ[ACCOUNT_ENV])


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    """The ASGI callable: read the body, do the work in a worker thread, send the bytes."""
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                scope["state"]["db"] = _database()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        return
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    if_match = next((v.decode() for k, v in scope["headers"] if k == b"if-match"), None)
    status, headers, payload = await anyio.to_thread.run_sync(
        route, scope["state"]["db"], scope["method"], scope["path"], if_match, b"".join(chunks)
    )
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


async def _body(request: Request) -> bytes:
    return await request.body()


def kader() -> FastAPI:
    """The floor behind FastAPI, as Regie's routes are written: plain `def` routes, which FastAPI
    runs in the same worker threads, with a typed path parameter, a header parameter and the
    body from a dependency; no middleware, no authentication. The work is `route` itself, so
    Regie / this is what Regie does beyond the framework, and this / the bare floor is what the
    framework alone adds to the same storage work."""

    @asynccontextmanager
    async def lifespan(api: FastAPI) -> AsyncIterator[None]:
        api.state.db = _database()
        yield

    api = FastAPI(lifespan=lifespan, openapi_url=None)

    def antwoord(request: Request, if_match: str | None, inhoud: bytes = b"") -> Response:
        status, headers, payload = route(
            request.app.state.db, request.method, request.url.path, if_match, inhoud
        )
        extra = {k.decode(): v.decode() for k, v in headers}
        return Response(payload, status, extra, media_type="application/json")

    @api.put("/casussen/{casus_id}/handreiking")
    def opslaan(
        casus_id: uuid.UUID,
        request: Request,
        inhoud: Annotated[bytes, Depends(_body)],
        if_match: IfMatch = None,
    ) -> Response:
        return antwoord(request, if_match, inhoud)

    @api.get("/casussen/{casus_id}/handreiking")
    def lezen(casus_id: uuid.UUID, request: Request) -> Response:
        return antwoord(request, None)

    @api.get("/casussen")
    def mijn(request: Request) -> Response:
        return antwoord(request, None)

    return api
