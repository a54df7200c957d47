"""The single mapping of errors to HTTP answers: RFC 9457 problem+json for the API, the web
layer's Dutch page for pages, and how the OpenAPI document describes them."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.errors import DatabaseOnbereikbaar, RegieFout, Validatiefout

PROBLEM_JSON = "application/problem+json"
RETRY_AFTER_S = 5
_SERVER_WEG = {"57P01", "57P02", "57P03"}
log = logging.getLogger("regie")


def problem(
    request: Request,
    *,
    status: int,
    code: str,
    title: str,
    detail: str,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    """Render one problem document; every error response of the API goes through here."""
    body = {
        "type": f"urn:regie:probleem:{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        "instance": request.url.path,
        **extra,
    }
    headers = {**(headers or {}), **({"WWW-Authenticate": "Bearer"} if status == 401 else {})}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


@dataclass(frozen=True)
class Probleem:
    """One error, before it is rendered as problem+json (API) or as a Dutch page (web)."""

    status: int
    code: str
    title: str
    detail: str
    extra: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)


HtmlRenderer = Callable[[Request, Probleem], Awaitable[Response]]


async def _respond(request: Request, fout: Probleem) -> Response:
    """API paths always get problem+json; pages get the web layer's renderer when there is one."""
    html: HtmlRenderer | None = getattr(request.app.state, "html_error", None)
    if html is not None and not request.url.path.startswith(("/api/", "/health/")):
        response = await html(request, fout)
        response.headers.update(fout.headers)
        return response
    return problem(
        request,
        status=fout.status,
        code=fout.code,
        title=fout.title,
        detail=fout.detail,
        headers=fout.headers,
        **fout.extra,
    )


async def _regie_fout(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RegieFout)
    fout = Probleem(exc.status, exc.code, exc.title, exc.detail, exc.extra, exc.headers)
    return await _respond(request, fout)


async def _validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"pad": ".".join(str(p) for p in e["loc"][1:]) or str(e["loc"][0]), "melding": e["msg"]}
        for e in exc.errors()
    ]
    return await _regie_fout(request, Validatiefout(errors))


_HTTP_CODES = {
    400: ("ongeldig_verzoek", "Ongeldig verzoek", "De inhoud van het verzoek is niet leesbaar."),
    404: ("niet_gevonden", "Niet gevonden", "Deze pagina of bron bestaat niet."),
    405: ("methode_niet_toegestaan", "Methode niet toegestaan", "Deze methode kan hier niet."),
    413: ("te_groot", "Verzoek te groot", "Het verzoek is groter dan toegestaan."),
}


async def _http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code, title, detail = _HTTP_CODES.get(exc.status_code, ("http_fout", "Fout", str(exc.detail)))
    return await _respond(request, Probleem(exc.status_code, code, title, detail))


async def _database(request: Request, exc: Exception) -> Response:
    """A database that does not answer is a 503 the client may retry; any other database
    error is a fault of ours (500)."""
    if not database_onbereikbaar(exc):
        return await unexpected(request, exc)
    log.warning("database onbereikbaar bij %s: %s", request.url.path, type(exc).__name__)
    fout = DatabaseOnbereikbaar()
    headers = {"Retry-After": str(RETRY_AFTER_S)}
    return await _respond(
        request, Probleem(fout.status, fout.code, fout.title, fout.detail, headers=headers)
    )


def database_onbereikbaar(exc: BaseException) -> bool:
    """Whether a database error means "not reachable now" rather than "wrong query".

    A dropped or refused connection (psycopg's OperationalError, or one SQLAlchemy saw
    invalidated), and SQLite's lock wait running out; not a missing table or a constraint.
    """
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    if isinstance(exc.orig, psycopg.OperationalError):
        # No SQLSTATE: the connection itself failed; class 08 and 57P01-03: the server went
        # away or is starting. Not a full disk, a cancelled query or a serialization failure.
        sqlstate = exc.orig.sqlstate
        return sqlstate is None or sqlstate.startswith("08") or sqlstate in _SERVER_WEG
    return isinstance(exc.orig, sqlite3.OperationalError) and "locked" in str(exc.orig)


async def unexpected(request: Request, exc: Exception) -> Response:
    """Log the trace for us, show the client nothing of it."""
    log.error("onverwachte fout bij %s", request.url.path, exc_info=exc)
    detail = "Er ging iets mis aan onze kant. Probeer het later opnieuw."
    return await _respond(request, Probleem(500, "interne_fout", "Er ging iets mis", detail))


def install_handlers(app: FastAPI) -> None:
    """Map every error once: problem+json for the API, a Dutch page for the web. Anything
    unexpected is answered by `RequestContext` with `unexpected`, inside the request-id layer.
    The OpenAPI document describes those same answers (`documenteer_problemen`)."""
    app.add_exception_handler(RegieFout, _regie_fout)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(DBAPIError, _database)
    documenteer_problemen(app)


PROBLEEM_SCHEMA: dict[str, Any] = {
    "title": "Probleem",
    "description": "Een fout als RFC 9457 problem details; `errors` noemt bij een "
    "validatiefout elk veld, andere fouten kunnen eigen velden meesturen (bijv. `revisie`).",
    "type": "object",
    "required": ["type", "title", "status", "detail", "code", "instance"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["pad", "melding"],
                "properties": {"pad": {"type": "string"}, "melding": {"type": "string"}},
            },
        },
    },
}
_PROBLEEM_REF = {"$ref": "#/components/schemas/Probleem"}


def fouten(*statussen: int) -> dict[int | str, dict[str, Any]]:
    """The errors one API route may answer beyond those every API route may answer (401, 403,
    503; 404 when its path names something; 400 and 422 when it takes input); for
    `responses=`."""
    return {status: {"description": _BESCHRIJVING[status]} for status in statussen}


_BESCHRIJVING = {
    400: "De inhoud is geen leesbare JSON.",
    401: "Geen of geen geldig Bearer-token.",
    403: "Aangemeld, maar dit mag u niet.",
    404: "Niet gevonden, of u heeft er geen toegang toe.",
    409: "Kan niet in de huidige toestand (bijv. een afgesloten casus).",
    410: "Verlopen of ingetrokken.",
    412: "De handreiking is intussen gewijzigd; `revisie` noemt de huidige.",
    422: "De invoer is niet geldig; `errors` noemt de velden.",
    428: "If-Match ontbreekt.",
    503: "Even niet beschikbaar (de database, met Retry-After) of niet ingericht.",
}


def documenteer_problemen(app: FastAPI) -> None:
    """Describe every API error as the problem+json document it is, in the OpenAPI document.

    FastAPI documents its own validation shape (HTTPValidationError, application/json), which
    this API never sends; each API operation instead lists the errors every route may answer
    plus those its route declares with `fouten(...)`, all as `Probleem`.
    """
    genereer = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = genereer()
        document.setdefault("components", {}).setdefault("schemas", {})["Probleem"] = (
            PROBLEEM_SCHEMA
        )
        for pad, operaties in document.get("paths", {}).items():
            if not pad.startswith("/api/"):
                continue
            for operatie in operaties.values():
                _documenteer(operatie, noemt_iets="{" in pad)
        schemas = document["components"]["schemas"]
        for ongebruikt in ("HTTPValidationError", "ValidationError"):
            schemas.pop(ongebruikt, None)
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def _documenteer(operatie: dict[str, Any], *, noemt_iets: bool) -> None:
    responses: dict[str, Any] = operatie.setdefault("responses", {})
    altijd = [401, 403, 503]
    if noemt_iets:
        altijd.append(404)
    if "requestBody" in operatie:
        altijd.append(400)
    if "422" in responses:  # FastAPI lists it for every operation that takes input
        altijd.append(422)
    for status in altijd:
        responses[str(status)] = {"description": _BESCHRIJVING[status]}
    for code, response in responses.items():
        if code[0] in "45":
            response["content"] = {PROBLEM_JSON: {"schema": _PROBLEEM_REF}}
    responses["503"]["headers"] = {
        "Retry-After": {"schema": {"type": "integer"}, "description": "Seconden (database)."}
    }
