"""Questionnaires in the browser: ouders through their personal link, professionals from the inbox,
and the regievoerder's links for the ouders on the casus.

The ouders' pages need no account and no sign-in: the unguessable token in the path is what
opens the one questionnaire behind it. The token is never echoed into a page, a redirect, the
audit trail or a log line (app/logs.py masks it in the access log); the form posts back to the
page's own address (no `action`), and the pages send `Referrer-Policy: no-referrer` (middleware),
so the link does not leak to another site either.

CSRF: the anonymous visitor gets the same signed seed cookie as anyone (app/web/session.py), so
the ouders' form carries a CSRF token like every other form. (Even without it a forged post would
need the token in the path, which another site cannot know.) A refused token shows the form
again with what was typed, never an error page that loses the answers.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from app.access.policy import Actie
from app.access.service import casus_rights
from app.casus import service as casus_service
from app.context import Context
from app.deps import UnitOfWork, UowDep
from app.enums import CasusStatus
from app.errors import Conflict, NietGevonden, RegieFout, Validatiefout, Verlopen
from app.research import vragenlijst_service as service
from app.research.models import Moment
from app.research.vragenlijst import Vragenlijst
from app.research.vragenlijst_schemas import AntwoordIn
from app.web.deps import LINK, Csrf, PostedForm, WebCtx
from app.web.forms import field_errors
from app.web.session import CSRF_FIELD, csrf_valid
from app.web.templating import render

router = APIRouter(include_in_schema=False)

MOMENTEN = {Moment.AFSLUITING: "Bij het afsluiten", Moment.MDO: "Na een MDO"}
STATUSSEN = {
    "open": "Nog niet ingevuld",
    "beantwoord": "Ingevuld",
    "verlopen": "Verlopen",
    "ingetrokken": "Ingetrokken",
}
_FORMULIER_VERLOPEN = (
    "Het formulier was verlopen. Uw antwoorden staan er nog. Kijk ze na en klik nog een keer op "
    "Versturen. Lukt het steeds niet? Zet cookies aan in uw browser."
)


def _answers(form: FormData) -> tuple[AntwoordIn | None, dict[str, str]]:
    """The posted answers (`schaal.<sleutel>`, `open.<sleutel>`) and the values to show again."""
    waarden: dict[str, str] = {}
    schaal: dict[str, Any] = {}
    open_: dict[str, Any] = {}
    for naam, waarde in form.multi_items():
        soort, _, sleutel = naam.partition(".")
        if not isinstance(waarde, str) or not sleutel or soort not in ("schaal", "open"):
            continue
        waarden[naam] = waarde
        if soort == "open":
            open_[sleutel] = waarde
        elif waarde:
            schaal[sleutel] = int(waarde) if waarde.isdigit() and len(waarde) < 3 else waarde
    try:
        return AntwoordIn(schaal=schaal, open=open_), waarden
    except ValidationError:
        return None, waarden


_ONLEESBAAR = {"antwoorden": "Het formulier kon niet gelezen worden. Probeer het nog een keer."}


# Ouders --------------------------------------------------------------------------------------


def _link(request: Request, uow: UnitOfWork) -> service.Linkverzoek:
    state = request.app.state
    return service.Linkverzoek(
        session=uow.session,
        audit=uow.audit,
        keyring=state.keyring,
        formulieren=state.formulieren,
        vragenlijsten=state.vragenlijsten,
    )


def _gone(request: Request, exc: RegieFout) -> Response:
    """A plain-Dutch page for a link that does not work (404) or no longer works (410)."""
    reden = exc.extra.get("reden", "onbekend") if isinstance(exc, Verlopen) else "onbekend"
    return render(request, "vragenlijst/ouder_weg.html", {"reden": reden}, status=exc.status)


def _ouder_form(
    request: Request,
    vragenlijst: Vragenlijst,
    *,
    waarden: dict[str, str] | None = None,
    fouten: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    return render(
        request,
        "vragenlijst/ouder.html",
        {"vragenlijst": vragenlijst, "waarden": waarden or {}, "fouten": fouten or {}},
        status=status,
    )


@router.get("/vragenlijst/bedankt")
def ouder_thanks(request: Request) -> Response:
    return render(request, "vragenlijst/ouder_bedankt.html")


@router.get("/vragenlijst/{token}", dependencies=[LINK])
def ouder_page(request: Request, token: str, uow: UowDep) -> Response:
    link = _link(request, uow)
    try:
        gevonden = service.open_link(link, token)
    except (NietGevonden, Verlopen) as exc:
        return _gone(request, exc)
    return _ouder_form(request, gevonden.vragenlijst)


@router.post("/vragenlijst/{token}", dependencies=[LINK])
def ouder_answer(request: Request, token: str, uow: UowDep, form: PostedForm) -> Response:
    link = _link(request, uow)
    data, waarden = _answers(form)
    submitted = form.get(CSRF_FIELD)
    fouten: dict[str, str] = {}
    if not csrf_valid(request, submitted if isinstance(submitted, str) else None):
        service.refuse_link_form(link, token)
        fouten, status = {"algemeen": _FORMULIER_VERLOPEN}, 403
    elif data is None:
        fouten, status = _ONLEESBAAR, 422
    else:
        try:
            service.answer_by_link(link, token, data)
            return RedirectResponse("/vragenlijst/bedankt", status_code=303)
        except (NietGevonden, Verlopen) as exc:
            return _gone(request, exc)
        except Validatiefout as exc:
            uow.audit.failed(exc.code)
            fouten, status = field_errors(exc), exc.status
    try:  # the form again, with what was typed: shown again, so read again (and recorded)
        gevonden = service.open_link(link, token)
    except (NietGevonden, Verlopen) as exc:
        return _gone(request, exc)
    return _ouder_form(request, gevonden.vragenlijst, waarden=waarden, fouten=fouten, status=status)


# Professionals -------------------------------------------------------------------------------


@router.get("/vragenlijsten/bedankt")
def professional_thanks(request: Request, ctx: WebCtx) -> Response:
    return render(request, "vragenlijst/professional_bedankt.html", {"actor": ctx.actor})


def _professional_form(
    request: Request,
    ctx: Context,
    uitnodiging_id: uuid.UUID,
    *,
    waarden: dict[str, str] | None = None,
    fouten: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    uitnodiging = service.read_invitation(ctx, uitnodiging_id)
    return render(
        request,
        "vragenlijst/professional.html",
        {
            "actor": ctx.actor,
            "uitnodiging": uitnodiging,
            "vragenlijst": uitnodiging.vragenlijst,
            "momenten": MOMENTEN,
            "waarden": waarden or {},
            "fouten": fouten or {},
        },
        status=status,
    )


@router.get("/vragenlijsten/{uitnodiging_id}")
def professional_page(request: Request, uitnodiging_id: uuid.UUID, ctx: WebCtx) -> Response:
    return _professional_form(request, ctx, uitnodiging_id)


@router.post("/vragenlijsten/{uitnodiging_id}", dependencies=[Csrf])
def professional_answer(
    request: Request, uitnodiging_id: uuid.UUID, ctx: WebCtx, form: PostedForm
) -> Response:
    data, waarden = _answers(form)
    if data is None:
        fouten, status = _ONLEESBAAR, 422
    else:
        try:
            service.answer_as_professional(ctx, uitnodiging_id, data)
            return RedirectResponse("/vragenlijsten/bedankt", status_code=303)
        except Validatiefout as exc:
            ctx.audit.failed(exc.code)
            fouten, status = field_errors(exc), exc.status
    return _professional_form(
        request, ctx, uitnodiging_id, waarden=waarden, fouten=fouten, status=status
    )


# The casus: who was asked, and the ouders' links ---------------------------------------------


def _casus_page(
    request: Request,
    ctx: Context,
    casus_id: uuid.UUID,
    *,
    nieuw: dict[str, Any] | None = None,
    fouten: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    casus = casus_service.read(ctx, casus_id)
    overzicht = service.list_for_casus(ctx, casus_id)
    rechten = casus_rights(ctx, casus_id)
    return render(
        request,
        "vragenlijst/casus.html",
        {
            "actor": ctx.actor,
            "casus_id": casus_id,
            "afgesloten": casus.status is CasusStatus.AFGESLOTEN,
            "overzicht": overzicht,
            "mag": Actie.VRAGENLIJST_UITNODIGEN in rechten,
            "momenten": MOMENTEN,
            "statussen": STATUSSEN,
            "dagen": ctx.settings.vragenlijst_geldig_dagen,
            "nieuw": nieuw,
            "fouten": fouten or {},
            "melding": request.query_params.get("melding"),
        },
        status=status,
    )


@router.get("/casussen/{casus_id}/vragenlijsten")
def casus_questionnaires(request: Request, casus_id: uuid.UUID, ctx: WebCtx) -> Response:
    return _casus_page(request, ctx, casus_id)


@router.post("/casussen/{casus_id}/vragenlijsten", dependencies=[Csrf])
def create_link(
    request: Request,
    casus_id: uuid.UUID,
    ctx: WebCtx,
    moment: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Make a link and show it on this response only (no redirect: it is never stored)."""
    if moment not in set(Moment):
        fouten = {"algemeen": "Kies wanneer de ouders de vragenlijst invullen."}
        return _casus_page(request, ctx, casus_id, fouten=fouten, status=422)
    try:
        nieuw = service.create_ouder_link(ctx, casus_id, Moment(moment))
    except Conflict as exc:
        ctx.audit.failed(exc.code)
        return _casus_page(request, ctx, casus_id, fouten=field_errors(exc), status=exc.status)
    link = service.ouder_link(ctx.settings, str(request.base_url), nieuw.token)
    return _casus_page(
        request, ctx, casus_id, nieuw={"link": link, "verloopt_op": nieuw.verloopt_op}
    )


@router.post("/casussen/{casus_id}/vragenlijsten/{uitnodiging_id}/intrekken", dependencies=[Csrf])
def withdraw_link(
    request: Request, casus_id: uuid.UUID, uitnodiging_id: uuid.UUID, ctx: WebCtx
) -> Response:
    try:
        service.withdraw_link(ctx, casus_id, uitnodiging_id)
    except Conflict as exc:
        ctx.audit.failed(exc.code)
        return _casus_page(request, ctx, casus_id, fouten=field_errors(exc), status=exc.status)
    return RedirectResponse(
        f"/casussen/{casus_id}/vragenlijsten?melding=ingetrokken", status_code=303
    )
