"""Signing in and out, "Mijn casussen" and a new casus."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import ValidationError

from app.accounts.service import active_accounts
from app.audit.recorder import Uitkomst
from app.auth import sessies
from app.auth.tokens import load_actor
from app.casus import service as casus_service
from app.casus.schemas import CasusCreate, Zoekvraag
from app.context import Actor
from app.db import INT4_MAX
from app.deps import UnitOfWork, UowDep
from app.errors import NietGeauthenticeerd, NietGevonden, Validatiefout
from app.web import oidc
from app.web.burger_pages import KEUZE_COOKIE
from app.web.deelname_pages import BURGER_PAD
from app.web.deps import AANMELDEN, Csrf, PostedForm, WebCtx, end_previous_session
from app.web.session import end_session, forget_invitee, session_cookie, start_session
from app.web.templating import render

router = APIRouter(include_in_schema=False)


def safe_next(volgende: str | None) -> str:
    """Only local paths: a sign-in link must not bounce the user to another site."""
    if volgende and volgende.startswith("/") and not volgende.startswith("//"):
        return volgende
    return "/casussen"


@router.get("/")
def home() -> RedirectResponse:
    return RedirectResponse("/casussen", status_code=303)


@router.get("/aanmelden")
def sign_in_page(request: Request, uow: UowDep, volgende: str | None = None) -> Response:
    """With OIDC configured: off to the provider (any env). Else dev: choose a demo account."""
    provider = oidc.provider(request)
    if provider is not None:
        return oidc.start(request, provider, {"volgende": safe_next(volgende)})
    if not request.app.state.settings.is_dev:
        raise NietGevonden("Aanmelden gaat via de identiteitsprovider van uw organisatie.")
    accounts = active_accounts(uow.session)
    return render(
        request, "aanmelden.html", {"accounts": accounts, "volgende": safe_next(volgende)}
    )


@router.post("/aanmelden", dependencies=[AANMELDEN, Csrf])
def sign_in(
    request: Request,
    uow: UowDep,
    gebruikersnaam: Annotated[str, Form(max_length=100)],
    volgende: Annotated[str | None, Form()] = None,
) -> Response:
    settings = request.app.state.settings
    if not settings.is_dev or oidc.provider(request) is not None:
        raise NietGevonden("Aanmelden gaat via de identiteitsprovider van uw organisatie.")
    actor = load_actor(uow.session, gebruikersnaam)
    uow.audit.identify(actor)
    uow.audit.record("aanmelden", Uitkomst.TOEGESTAAN, kenmerken={"methode": "dev"})
    response = RedirectResponse(safe_next(volgende), status_code=303)
    end_previous_session(request, uow)
    start_session(request, response, sessies.begin(uow.session, settings, actor.account_id, "dev"))
    forget_invitee(response)
    return response


@router.post("/afmelden", dependencies=[Csrf])
def sign_out(request: Request, uow: UowDep) -> Response:
    """End Regie's session, in the database, so a copy of the cookie opens nothing either.

    With OIDC the next page offers to sign out at the provider too.
    """
    geheim = session_cookie(request)
    actor = _record_sign_out(uow, geheim) if geheim else None
    if geheim:
        sessies.end(uow.session, geheim)
    response = RedirectResponse(_after_sign_out(request, actor), status_code=303)
    end_session(response)
    oidc.end_flow(response)
    # A citizen's pending choice among their plans goes with the session.
    response.delete_cookie(KEUZE_COOKIE, path=BURGER_PAD)
    return response


def _after_sign_out(request: Request, actor: Actor | None) -> str:
    """An invited ouder or jeugdige comes back by a new link; a professional signs in again,
    after the chance to sign out at their provider too."""
    if actor is not None and actor.organisatie is None:
        return "/terugkomen"
    return "/afgemeld" if oidc.provider(request) is not None else "/aanmelden"


def _record_sign_out(uow: UnitOfWork, geheim: str) -> Actor | None:
    """Name who signed out in the audit trail; a session already ended has nothing to record."""
    try:
        actor, _ = sessies.actor(uow.session, geheim)
    except NietGeauthenticeerd:
        return None
    uow.audit.identify(actor)
    uow.audit.record("afmelden", Uitkomst.TOEGESTAAN)
    return actor


@router.get("/afgemeld")
def signed_out(request: Request) -> Response:
    """After signing out with OIDC: not straight back to /aanmelden, which would sign in again."""
    provider = oidc.provider(request)
    return render(
        request, "afgemeld.html", {"provider_logout": provider.logout_url() if provider else None}
    )


@router.post("/sessie/verlengen", dependencies=[Csrf])
def renew_session(
    request: Request, ctx: WebCtx, volgende: Annotated[str | None, Form()] = None
) -> Response:
    """Extend a live session, so a long MDO never ends mid-sentence (up to its maximum length)."""
    geheim = session_cookie(request) or ""
    verloopt, verlengd = sessies.renew(ctx.session, request.app.state.settings, geheim)
    ctx.audit.record("sessie.verlengen", Uitkomst.TOEGESTAAN, kenmerken={"verlengd": verlengd})
    if request.headers.get("accept") == "application/json":
        return JSONResponse({"verloopt": int(verloopt.timestamp()), "verlengd": verlengd})
    return RedirectResponse(safe_next(volgende), status_code=303)


@router.get("/casussen")
def my_casussen(
    request: Request,
    ctx: WebCtx,
    naam: Annotated[str | None, Query(max_length=200)] = None,
    geboortedatum: Annotated[str | None, Query(max_length=10)] = None,
    pagina: Annotated[int, Query(ge=1, le=INT4_MAX)] = 1,
) -> Response:
    fouten: dict[str, str] = {}
    geboren: date | None = None
    if geboortedatum:
        try:
            geboren = date.fromisoformat(geboortedatum)
        except ValueError:
            fouten["geboortedatum"] = "Vul een datum in, bijvoorbeeld 17-04-2012."
    zoek = Zoekvraag(naam=naam or None, geboortedatum=geboren)
    lijst = casus_service.list_mine(ctx, pagina=pagina, per_pagina=25, zoek=zoek)
    return render(
        request,
        "casussen.html",
        {
            "actor": ctx.actor,
            "lijst": lijst,
            "zoek": {"naam": naam or "", "geboortedatum": geboortedatum or ""},
            "fouten": fouten,
        },
    )


@router.get("/casussen/nieuw")
def new_casus_page(request: Request, ctx: WebCtx) -> Response:
    formulier = ctx.formulieren[ctx.formulieren.standaard]
    return render(
        request,
        "casus_nieuw.html",
        {"actor": ctx.actor, "formulier": formulier, "waarden": {}, "fouten": {}},
    )


@router.post("/casussen/nieuw", dependencies=[Csrf])
def create_casus(request: Request, ctx: WebCtx, form: PostedForm) -> Response:
    waarden = {
        "gemeente": str(form.get("gemeente") or ""),
        "naam": str(form.get("naam") or ""),
        "geboortedatum": str(form.get("geboortedatum") or ""),
        "indicaties": [str(v) for v in form.getlist("indicaties")],
    }
    fouten: dict[str, str] = {}
    try:
        data = CasusCreate.model_validate(
            {
                "gemeente": waarden["gemeente"],
                "jeugdige": {"naam": waarden["naam"], "geboortedatum": waarden["geboortedatum"]},
                "indicaties": waarden["indicaties"],
            }
        )
        casus = casus_service.create(ctx, data)
    except ValidationError as exc:
        fouten = {
            ".".join(str(p) for p in e["loc"]).split(".")[-1]: _dutch(e["type"])
            for e in exc.errors()
        }
    except Validatiefout as exc:
        ctx.audit.failed(exc.code)
        fouten = {e["pad"].split(".")[-1]: e["melding"] for e in exc.extra["errors"]}
    if fouten:
        formulier = ctx.formulieren[ctx.formulieren.standaard]
        return render(
            request,
            "casus_nieuw.html",
            {"actor": ctx.actor, "formulier": formulier, "waarden": waarden, "fouten": fouten},
            status=422,
        )
    return RedirectResponse(f"/casussen/{casus.id}", status_code=303)


def _dutch(kind: str) -> str:
    return {
        "missing": "Dit veld is verplicht.",
        "string_too_short": "Dit veld is verplicht.",
        "date_from_datetime_parsing": "Vul een geldige datum in.",
        "date_parsing": "Vul een geldige datum in.",
    }.get(kind, "Controleer dit veld.")
