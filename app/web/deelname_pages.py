"""Inviting ouders and the jeugdige (the regievoerder's page) and accepting (the invitee's link).

The invitee's pages need no account: the token in the path finds the invitation, the code they
got in person opens it. The token is never echoed into a page, a redirect, the audit trail or a
log line (app/logs.py masks it); the form posts back to its own address.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from app.access.service import casus_rights
from app.auth import sessies
from app.casus import service as casus_service
from app.context import Context
from app.deelname import service
from app.deelname.schemas import UitnodigingIn
from app.deps import UnitOfWork, UowDep
from app.errors import Conflict, NietGevonden, NietIngericht, RegieFout, Verlopen
from app.web import oidc
from app.web.deps import LINK, Csrf, PostedForm, WebCtx, end_previous_session
from app.web.session import CSRF_FIELD, csrf_valid, remember_invitee, start_session
from app.web.templating import render

router = APIRouter(include_in_schema=False)

# The citizens' provider's flow: its own cookie, on its own paths (app/web/burger_pages.py).
BURGER_PAD = "/burger"
BURGER_FLOW = "regie_burger_oidc"

ROLLEN = {"ouder": "Ouder of verzorger", "jeugdige": "Jeugdige (12 jaar of ouder)"}
STATUSSEN = {
    "open": "Nog niet geopend",
    "geaccepteerd": "Geaccepteerd",
    "ingetrokken": "Ingetrokken",
    "verlopen": "Verlopen",
    "geblokkeerd": "Geblokkeerd (te vaak een verkeerde code)",
}
MELDINGEN = {
    "naam": "Vul de naam in van wie u uitnodigt.",
    "email": "Vul een geldig e-mailadres in, zoals naam@voorbeeld.nl.",
    "rol": "Kies of u een ouder of verzorger of de jeugdige uitnodigt.",
}


# The regievoerder ------------------------------------------------------------------------------


def _page(
    request: Request,
    ctx: Context,
    casus_id: uuid.UUID,
    *,
    waarden: dict[str, str] | None = None,
    fouten: dict[str, str] | None = None,
    nieuw: service.NieuweUitnodiging | None = None,
    melding: str | None = None,
    status: int = 200,
) -> Response:
    casus = casus_service.read(ctx, casus_id)
    return render(
        request,
        "casus/uitnodigingen.html",
        {
            "casus": casus,
            "casus_id": casus_id,
            "uitnodigingen": service.list_for_casus(ctx, casus_id),
            "rechten": {a.value for a in casus_rights(ctx, casus_id)},
            "rollen": ROLLEN,
            "statussen": STATUSSEN,
            "waarden": waarden or {},
            "fouten": fouten or {},
            "nieuw": nieuw,
            "melding": melding,
            "uren": ctx.settings.uitnodiging_geldig_uren,
        },
        status=status,
    )


@router.get("/casussen/{casus_id}/uitnodigingen")
def invitations(
    request: Request, casus_id: uuid.UUID, ctx: WebCtx, melding: str | None = None
) -> Response:
    return _page(request, ctx, casus_id, melding=melding if melding == "ingetrokken" else None)


@router.post("/casussen/{casus_id}/uitnodigingen", dependencies=[Csrf])
def invite(request: Request, casus_id: uuid.UUID, ctx: WebCtx, form: PostedForm) -> Response:
    waarden = {k: str(form.get(k) or "").strip() for k in ("rol", "naam", "email")}
    try:
        data = UitnodigingIn.model_validate(waarden)
    except ValidationError as exc:
        fouten = _input_errors(exc)
        casus_service.read(ctx, casus_id)  # a non-member learns nothing from the errors
        ctx.audit.failed("validatiefout")
        return _page(request, ctx, casus_id, waarden=waarden, fouten=fouten, status=422)
    try:
        nieuw = service.invite(ctx, casus_id, data, str(request.base_url))
    except (Conflict, NietIngericht) as exc:
        ctx.audit.failed(exc.code)
        fouten = {"uitnodiging": exc.detail}
        return _page(request, ctx, casus_id, waarden=waarden, fouten=fouten, status=exc.status)
    return _page(request, ctx, casus_id, nieuw=nieuw)


def _input_errors(exc: ValidationError) -> dict[str, str]:
    """One Dutch message per field, in the form's order."""
    velden = {str(e["loc"][0]) for e in exc.errors() if e["loc"]}
    return {veld: MELDINGEN[veld] for veld in ("rol", "naam", "email") if veld in velden}


@router.post("/casussen/{casus_id}/uitnodigingen/{deelname_id}/opnieuw", dependencies=[Csrf])
def reinvite(
    request: Request, casus_id: uuid.UUID, deelname_id: uuid.UUID, ctx: WebCtx
) -> Response:
    """The same person again, with a new link and code; the code is shown once, as after
    inviting."""
    try:
        nieuw = service.reinvite(ctx, casus_id, deelname_id, str(request.base_url))
    except (Conflict, NietIngericht) as exc:
        ctx.audit.failed(exc.code)
        fouten = {"uitnodiging": exc.detail}
        return _page(request, ctx, casus_id, fouten=fouten, status=exc.status)
    return _page(request, ctx, casus_id, nieuw=nieuw)


@router.post("/casussen/{casus_id}/uitnodigingen/{deelname_id}/intrekken", dependencies=[Csrf])
def withdraw(casus_id: uuid.UUID, deelname_id: uuid.UUID, ctx: WebCtx) -> Response:
    service.withdraw(ctx, casus_id, deelname_id)
    return RedirectResponse(
        f"/casussen/{casus_id}/uitnodigingen?melding=ingetrokken", status_code=303
    )


# The invitee -----------------------------------------------------------------------------------

Aanmelder = Callable[[service.Linkverzoek, str, str], service.Toegelaten | service.VerkeerdeCode]


def link_request(request: Request, uow: UnitOfWork) -> service.Linkverzoek:
    state = request.app.state
    return service.Linkverzoek(uow.session, uow.audit, state.keyring, state.settings)


def code_page(
    request: Request, *, terug: bool = False, fout: str | None = None, status: int = 200
) -> Response:
    return render(request, "deelname/code.html", {"fout": fout, "terug": terug}, status=status)


def gone(request: Request, exc: RegieFout, *, terug: bool = False) -> Response:
    """A plain-Dutch page for a link that does not work (404) or no longer works (410)."""
    reden = exc.extra.get("reden", "onbekend") if isinstance(exc, Verlopen) else "onbekend"
    return render(request, "deelname/weg.html", {"reden": reden, "terug": terug}, status=exc.status)


def enter_with_code(
    request: Request,
    token: str,
    uow: UnitOfWork,
    form: FormData,
    aanmelder: Aanmelder,
    *,
    terug: bool = False,
) -> Response:
    """The code opens a session for the invitee's account, scoped by its one role; the same
    for a first invitation and for a link to come back."""
    if not csrf_valid(request, str(form.get(CSRF_FIELD) or "")):
        return code_page(request, terug=terug, fout=_VERLOPEN_FORMULIER, status=400)
    code = str(form.get("code") or "")
    if not code.strip():
        return code_page(request, terug=terug, fout=_GEEN_CODE, status=400)
    try:
        uitkomst = aanmelder(link_request(request, uow), token, code)
    except (NietGevonden, Verlopen) as exc:
        return gone(request, exc, terug=terug)
    if isinstance(uitkomst, service.VerkeerdeCode):
        return code_page(request, terug=terug, fout=_wrong(uitkomst.over, terug), status=400)
    burger_oidc = oidc.citizens(request)
    if burger_oidc is not None:
        # Link and code say which account; the provider must say who, every time.
        koppelen = {"doel": "koppelen", "account": str(uitkomst.account_id)}
        extra = {**koppelen, "casus": str(uitkomst.casus_id)}
        return oidc.start(request, burger_oidc, extra, cookie=BURGER_FLOW, path=BURGER_PAD)
    return sign_in_invitee(request, uow, uitkomst.account_id, uitkomst.casus_id, "link")


def sign_in_invitee(
    request: Request,
    uow: UnitOfWork,
    account_id: uuid.UUID,
    casus_id: uuid.UUID,
    methode: sessies.Methode,
) -> Response:
    """A session for the invitee's account, straight to their plan."""
    response = RedirectResponse(f"/casussen/{casus_id}/plan", status_code=303)
    end_previous_session(request, uow)
    geheim = sessies.begin(uow.session, request.app.state.settings, account_id, methode)
    start_session(request, response, geheim)
    remember_invitee(request, response)
    return response


@router.get("/uitnodiging/{token}", dependencies=[LINK])
def code_form(request: Request, token: str, uow: UowDep) -> Response:
    try:
        service.check_link(link_request(request, uow), token)
    except (NietGevonden, Verlopen) as exc:
        return gone(request, exc)
    return code_page(request)


@router.post("/uitnodiging/{token}", dependencies=[LINK])
def accept(request: Request, token: str, uow: UowDep, form: PostedForm) -> Response:
    return enter_with_code(request, token, uow, form, service.accept)


_GEEN_CODE = "Vul de code in die u van de hulpverlener kreeg."
_VERLOPEN_FORMULIER = (
    "Het formulier was verlopen. Vul de code nog een keer in. "
    "Lukt het steeds niet? Zet cookies aan in uw browser."
)


def _wrong(over: int, terug: bool) -> str:
    if over == 0 and terug:
        return "De code klopt niet. De link is nu geblokkeerd. Vraag een nieuwe link aan."
    if over == 0:
        return (
            "De code klopt niet. De link is nu geblokkeerd. "
            "Vraag de hulpverlener om een nieuwe uitnodiging."
        )
    keer = "nog 1 keer" if over == 1 else f"nog {over} keer"
    return f"De code klopt niet. Kijk of u hem goed hebt overgenomen. U kunt het {keer} proberen."
