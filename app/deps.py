"""Request dependencies: the unit of work (with its audit events), the actor and the context."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from anyio import CancelScope, CapacityLimiter, to_thread
from fastapi import Depends, Query, Request
from sqlmodel import Session

from app.audit.recorder import AuditRecorder
from app.auth.tokens import load_actor, verify_claims
from app.context import Actor, Context
from app.db import INT4_MAX, snapshot_session
from app.errors import NietGeauthenticeerd

log = logging.getLogger("regie")


@dataclass(frozen=True)
class UnitOfWork:
    session: Session
    audit: AuditRecorder


async def get_uow(request: Request) -> AsyncIterator[UnitOfWork]:
    """One transaction per request, committed before the response leaves (scope="function").

    The request's audit events are appended just before commit, so a change and its event
    land together or not at all. When the request fails, the change is rolled back and the
    refused or failed attempt is written in a transaction of its own.

    Async on purpose: opening a session is no I/O (it connects on first use), so that costs
    no trip through the worker threads; the end (commit or rollback, then close) is I/O and
    runs in one. It runs shielded from cancellation, so a client that goes away cannot leave
    the transaction open, and on a limiter of its own, so a full threadpool cannot keep the
    connection from going back to the pool (FastAPI ends sync dependencies the same way).
    """
    uow = UnitOfWork(
        Session(request.app.state.engine, expire_on_commit=False),
        AuditRecorder(
            request_id=request.state.request_id,
            clientadres=request.client.host if request.client else None,
        ),
    )
    try:
        yield uow
    except BaseException as exc:
        with CancelScope(shield=True):
            await to_thread.run_sync(_abort, request, uow, exc, limiter=CapacityLimiter(1))
        raise
    with CancelScope(shield=True):
        await to_thread.run_sync(_finish, request, uow, limiter=CapacityLimiter(1))


def _finish(request: Request, uow: UnitOfWork) -> None:
    """Append the audit events and commit; a commit that fails is handled as a failed request."""
    try:
        uow.audit.write(uow.session)
        uow.session.commit()
    except BaseException as exc:
        _abort(request, uow, exc)
        raise
    _close(request, uow)


def _abort(request: Request, uow: UnitOfWork, exc: BaseException) -> None:
    """Roll back, and write the failed attempt in a transaction of its own."""
    try:
        uow.session.rollback()
        uow.audit.written = []  # rolled back with the change
        try:
            uow.audit.write_failure(request.app.state.engine, exc, _attempt(request, exc))
        except Exception:
            log.exception("auditgebeurtenis van een mislukt verzoek kon niet geschreven worden")
    finally:
        _close(request, uow)


def _close(request: Request, uow: UnitOfWork) -> None:
    uow.session.close()
    request.app.state.metingen.gebeurtenissen(uow.audit.written)


def _attempt(request: Request, exc: BaseException) -> dict[str, Any]:
    """Describe a request that failed before any service recorded what it tried."""
    route = request.scope.get("route")
    casus_id: uuid.UUID | None = None
    try:
        casus_id = uuid.UUID(str(request.path_params.get("casus_id")))
    except ValueError:
        casus_id = None
    return {
        "actie": "aanmelden" if isinstance(exc, NietGeauthenticeerd) else "verzoek",
        "casus_id": casus_id,
        "kenmerken": {"methode": request.method, "route": getattr(route, "path", None)},
    }


UowDep = Annotated[UnitOfWork, Depends(get_uow, scope="function")]


def get_actor(request: Request, uow: UowDep) -> Actor:
    """The account behind the bearer token; anything else is a 401 (and an audit event)."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NietGeauthenticeerd("Aanmelden is nodig: stuur een Bearer-token mee.")
    return actor_from_token(request, uow, token.strip())


def actor_from_token(request: Request, uow: UnitOfWork, token: str) -> Actor:
    """Verify the token, load its active account, and name it in the audit trail.

    The token's expiry is kept on the request, so pages can warn before the session ends.
    """
    state = request.app.state
    claims = verify_claims(token, state.keyset, state.settings)
    request.state.sessie_verloopt = claims["exp"]
    actor = load_actor(uow.session, claims["sub"], burger=state.settings.is_dev)
    uow.audit.identify(actor)
    return actor


ActorDep = Annotated[Actor, Depends(get_actor)]


def make_context(request: Request, uow: UnitOfWork, actor: Actor) -> Context:
    state = request.app.state
    return Context(
        session=uow.session,
        actor=actor,
        audit=uow.audit,
        policy=state.policy,
        formulieren=state.formulieren,
        settings=state.settings,
        keyring=state.keyring,
        vragenlijsten=state.vragenlijsten,
    )


async def get_context(request: Request, uow: UowDep, actor: ActorDep) -> Context:
    """Async on purpose: it only bundles what is already loaded, and a plain function would
    cost every API request one more round trip through the worker threads."""
    return make_context(request, uow, actor)


Ctx = Annotated[Context, Depends(get_context)]
# A page of a list; bounded so its offset stays a number the database takes.
Pagina = Annotated[int, Query(ge=1, le=INT4_MAX)]


def get_snapshot(request: Request) -> Iterator[Session]:
    """A read-only snapshot for long reads (the research export), closed after the response
    has been sent, streamed or broken off, and on every error path before it."""
    session = snapshot_session(request.app.state.engine)
    try:
        yield session
    finally:
        session.close()


SnapshotDep = Annotated[Session, Depends(get_snapshot)]
