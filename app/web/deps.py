"""Web dependencies: the actor from the session cookie, the CSRF check on every form, and the
rate limits on signing in and on personal links."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import Depends, Request
from starlette.datastructures import FormData

from app.auth import sessies
from app.context import Actor, Context
from app.deps import UnitOfWork, UowDep, make_context
from app.errors import Geweigerd, NietGeauthenticeerd
from app.rate_limit import TeVeelPogingen, count
from app.regie.inbox import count as inbox_count
from app.web.session import CSRF_FIELD, csrf_valid, session_cookie

log = logging.getLogger("regie")


def web_actor(request: Request, uow: UnitOfWork) -> Actor:
    """The account of this browser's live session (dev or OIDC alike), named in the audit."""
    geheim = session_cookie(request)
    if geheim is None:
        raise NietGeauthenticeerd("Aanmelden is nodig.")
    actor, verloopt = sessies.actor(uow.session, geheim)
    request.state.sessie_verloopt = int(verloopt.timestamp())
    uow.audit.identify(actor)
    return actor


def end_previous_session(request: Request, uow: UnitOfWork) -> None:
    """Signing in ends the session this browser still held (someone else's, on a shared PC),
    so that no copy of the old cookie stays valid until it expires."""
    geheim = session_cookie(request)
    if geheim:
        sessies.end(uow.session, geheim)


def get_web_context(request: Request, uow: UowDep) -> Context:
    """The actor and everything a page needs, in one trip through the worker threads."""
    ctx = make_context(request, uow, web_actor(request, uow))
    request.state.inbox_aantal = inbox_count(ctx)
    return ctx


WebCtx = Annotated[Context, Depends(get_web_context)]


async def require_csrf(request: Request, uow: UowDep) -> None:
    """Refuse any form post without this browser's CSRF token, before anything changes.

    It takes the unit of work so that the refusal, too, lands in the audit trail.
    """
    form = await request.form()
    submitted = form.get(CSRF_FIELD)
    if not csrf_valid(request, submitted if isinstance(submitted, str) else None):
        raise Geweigerd(
            "Dit formulier is verlopen of komt niet van Regie. Laad de pagina opnieuw en probeer "
            "het nog eens; er is niets gewijzigd."
        )


Csrf = Depends(require_csrf)


async def form_data(request: Request) -> FormData:
    """The posted form, read here on the event loop (reading the body is I/O to await).

    Handlers take it as `PostedForm` so that they can be plain `def`: FastAPI runs those in its
    threadpool, where their blocking database calls stall nobody. An `async def` handler that
    awaited the form itself would run them on the event loop and hold up every other request.
    The form is read once per request and shared with `require_csrf` (Starlette caches it).
    """
    return await request.form()


PostedForm = Annotated[FormData, Depends(form_data)]


def limit(naam: str) -> Any:
    """A dependency refusing a client's attempts past the configured number per minute."""

    def check(request: Request) -> None:
        settings = request.app.state.settings
        adres = request.client.host if request.client else "onbekend"
        aantal, over = count(request.app.state.engine, f"{naam}:{adres}")
        if aantal > settings.aanmelden_per_minuut:
            log.warning("te veel pogingen: %s", naam)
            raise TeVeelPogingen(over)

    return Depends(check)


# Sign-in (the dev form and the provider's callback) and the ouders' personal links, whose
# token is a password: guessing either must be slow.
AANMELDEN = limit("aanmelden")
LINK = limit("link")
