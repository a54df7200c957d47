"""Small ASGI layers: request id, safe headers and the last-resort error answer; body limit;
admission (no more requests at work than database connections)."""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
import weakref
from collections.abc import Awaitable, Callable

from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.logs import REQUEST_ID

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
toegang = logging.getLogger("regie.toegang")
API_PREFIX = "/api/v1"
METHODEN = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_API_CSP = "default-src 'none'; frame-ancestors 'none'"
# Pages: only our own files; no inline script or style anywhere, so no 'unsafe-inline'.
_PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'"
)


class RequestContext:
    """Give each request an id (kept from X-Request-ID when sane) and safe response headers.

    It is also where an unexpected error becomes a response (`on_error`): here the response
    still gets the request id and the headers, which Starlette's outermost error layer would
    send without.
    """

    def __init__(
        self, app: ASGIApp, on_error: Callable[[Request, Exception], Awaitable[Response]]
    ) -> None:
        self.app = app
        self.on_error = on_error

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _REQUEST_ID.match(incoming) else str(uuid.uuid4())
        scope.setdefault("state", {})["request_id"] = request_id
        REQUEST_ID.set(request_id)
        path = scope["path"]
        is_docs = path.startswith("/api/v1/docs")
        csp = _API_CSP if path.startswith(("/api/", "/health/")) else _PAGE_CSP

        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = MutableHeaders(scope=message)
                headers["X-Request-ID"] = request_id
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "no-referrer"
                headers["X-Frame-Options"] = "DENY"
                headers.setdefault("Cache-Control", "no-store")
                if not is_docs:
                    headers["Content-Security-Policy"] = csp
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception as exc:
            if started:
                raise
            response = await self.on_error(Request(scope, receive), exc)
            await response(scope, receive, send_with_headers)


class Meting:
    """Time every request for /metrics and write one access line to the log: method, route
    template and status, never the path's values, a query string or a body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        begin = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            seconden = time.perf_counter() - begin
            route, methode = _route(scope), _methode(scope)
            scope["app"].state.metingen.request(methode, route, status, seconden)
            toegang.info(
                "%s %s %s %.1f ms",
                methode,
                route,
                status,
                seconden * 1000,
                extra={"methode": methode, "route": route, "status": status},
            )


def _route(scope: Scope) -> str:
    """The matched route's template (/api/v1/casussen/{casus_id}), never the path itself: a
    label per distinct path would let anyone grow the metrics without bound."""
    route = getattr(scope.get("route"), "path", None)
    if not isinstance(route, str):
        return "niet_gevonden"
    # Routes of the included API router carry their path without its prefix.
    api = scope["path"].startswith(f"{API_PREFIX}/") and not route.startswith(API_PREFIX)
    return f"{API_PREFIX}{route}" if api else route


def _methode(scope: Scope) -> str:
    methode: str = scope["method"]
    return methode if methode in METHODEN else "ANDERS"


class BodyLimit:
    """Refuse bodies over the limit with 413, by header or while streaming, before parsing."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:

            async def refuse() -> Message:
                raise HTTPException(status_code=413)

            await self.app(scope, refuse, send)
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise HTTPException(status_code=413)
            return message

        await self.app(scope, limited, send)


# Nothing to queue for: no database work (readiness is one short query a load balancer needs
# answered even while every admitted request is at work).
_VRIJ = ("/health/", "/metrics", "/static/")


class Toelating:
    """At most `max_gelijktijdig` requests at work at once; the others wait here, on the loop.

    A request holds its database connection across several hops through the worker-thread
    pool (its dependencies, then the route). With more requests in flight than connections,
    threads block waiting for a connection while the requests that hold the connections wait
    for a thread, and everything stands still until the pool gives up after 30 s (measured:
    40 MDOs of 6 people saved 0.7 times a second, p99 30 s). Admitting no more requests than
    the pool holds keeps each admitted request moving; a waiting one holds nothing. A body is
    read before the request queues, so a slow sender cannot hold a slot (nor all of them).
    One semaphore per event loop: a loop's waiters cannot be woken from another loop (one
    loop per process in production; tests may drive one app from several).
    """

    def __init__(self, app: ASGIApp, max_gelijktijdig: int) -> None:
        self.app = app
        self.max_gelijktijdig = max_gelijktijdig
        self._plaatsen: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore]
        self._plaatsen = weakref.WeakKeyDictionary()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(_VRIJ):
            await self.app(scope, receive, send)
            return
        if scope["method"] not in ("GET", "HEAD"):
            try:
                receive = await _read_ahead(receive)
            except HTTPException as exc:  # too large (BodyLimit): answered without a slot
                await self.app(scope, _raising(exc), send)
                return
        loop = asyncio.get_running_loop()
        plaatsen = self._plaatsen.get(loop)
        if plaatsen is None:
            plaatsen = self._plaatsen[loop] = asyncio.Semaphore(self.max_gelijktijdig)
        async with plaatsen:
            await self.app(scope, receive, send)


async def _read_ahead(receive: Receive) -> Receive:
    """The whole body (BodyLimit caps it) read before a request takes a slot, so a client that
    sends it slowly holds no slot meanwhile; the app then reads it from memory."""
    berichten: list[Message] = []
    while True:
        bericht = await receive()
        berichten.append(bericht)
        if bericht["type"] != "http.request" or not bericht.get("more_body", False):
            break

    async def replay() -> Message:
        return berichten.pop(0) if berichten else await receive()

    return replay


def _raising(exc: HTTPException) -> Receive:
    async def refuse() -> Message:
        raise exc

    return refuse
