"""Request dependencies: the unit of work, the actor and the service context."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session

from app.auth.tokens import load_actor, verify
from app.context import Actor, Context
from app.db import unit_of_work
from app.errors import NietGeauthenticeerd


def get_session(request: Request) -> Iterator[Session]:
    """One transaction per request, committed before the response leaves (scope="function")."""
    with unit_of_work(request.app.state.engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def get_actor(request: Request, session: SessionDep) -> Actor:
    """The account behind the bearer token; anything else is a 401."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NietGeauthenticeerd("Aanmelden is nodig: stuur een Bearer-token mee.")
    state = request.app.state
    return load_actor(session, verify(token.strip(), state.keyset, state.settings))


ActorDep = Annotated[Actor, Depends(get_actor)]


def get_context(request: Request, session: SessionDep, actor: ActorDep) -> Context:
    state = request.app.state
    return Context(
        session=session,
        actor=actor,
        policy=state.policy,
        formulieren=state.formulieren,
        settings=state.settings,
    )


Ctx = Annotated[Context, Depends(get_context)]
