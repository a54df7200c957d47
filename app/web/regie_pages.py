"""Continuity in the browser: hand over regie, run an MDO, follow the timeline, see the inbox."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from app.audit import service as audit_service
from app.context import Context
from app.enums import Grondslag
from app.errors import Conflict, Geweigerd, Validatiefout
from app.handreiking import mdo as mdo_service
from app.handreiking.schemas import AfrondenIn, MdoIn
from app.regie import inbox as inbox_service
from app.regie import service as regie_service
from app.regie.models import OverdrachtStatus
from app.regie.schemas import OverdrachtIn
from app.web.deps import Csrf, PostedForm, WebCtx
from app.web.forms import field_errors
from app.web.handreiking import casus_page
from app.web.templating import render

router = APIRouter(include_in_schema=False)

SOORTEN = {
    "casus.aanmaken": "Casus aangemaakt",
    "betrokkene.toevoegen": "Betrokkene toegevoegd",
    "betrokkene.verwijderen": "Betrokkene verwijderd",
    "deelnemer.uitnodigen": "Ouder of jeugdige uitgenodigd",
    "deelnemer.aanmelden": "Ouder of jeugdige doet mee",
    "handreiking.opslaan": "Handreiking opgeslagen",
    "mdo.openen": "MDO gestart",
    "mdo.afronden": "MDO afgerond, plan vastgesteld",
    "overdracht.voorstellen": "Overdracht van de regie voorgesteld",
    "overdracht.accepteren": "Overdracht geaccepteerd: nieuwe regievoerder",
    "overdracht.afwijzen": "Overdracht afgewezen",
    "overdracht.intrekken": "Overdracht ingetrokken",
    "casus.afsluiten": "Casus afgesloten",
    "casus.heropenen": "Casus heropend",
    "handreiking.afdrukken": "Handreiking afgedrukt",
}
INBOX = {
    "overdracht": "U bent gevraagd de regie over te nemen",
    "toegevoegd": "U bent toegevoegd aan een casus",
    "mdo_voorbereiden": "Er komt een MDO aan",
    "te_laat": "Het MDO (de evaluatie) is te laat",
    "vragenlijst": "Vul een korte vragenlijst in over de samenwerking",
}


def _back(path: str, melding: str) -> RedirectResponse:
    return RedirectResponse(f"{path}?melding={melding}", status_code=303)


@router.get("/casussen/{casus_id}/overdracht")
def handover_page(request: Request, casus_id: uuid.UUID, ctx: WebCtx) -> Response:
    return render(request, "casus/overdracht.html", _handover_context(ctx, casus_id, request))


def _handover_context(
    ctx: Context, casus_id: uuid.UUID, request: Request, **extra: Any
) -> dict[str, Any]:
    page = casus_page(ctx, casus_id)
    overdrachten = regie_service.list_for_casus(ctx, casus_id)
    open_ = next((o for o in overdrachten if o.status is OverdrachtStatus.VOORGESTELD), None)
    return {
        **page,
        "open": open_,
        "eerder": [o for o in overdrachten if o is not open_],
        "fouten": {},
        "waarden": {},
        "melding": request.query_params.get("melding"),
        **extra,
    }


@router.post("/casussen/{casus_id}/overdracht", dependencies=[Csrf])
def propose(
    request: Request,
    casus_id: uuid.UUID,
    ctx: WebCtx,
    opvolger: Annotated[str, Form(max_length=100)] = "",
    toelichting: Annotated[str, Form(max_length=4000)] = "",
    verlaat_casus: Annotated[str | None, Form()] = None,
    grondslag: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    waarden = {
        "opvolger": opvolger,
        "toelichting": toelichting,
        "verlaat_casus": bool(verlaat_casus),
        "grondslag": grondslag,
    }
    fouten = {}
    if not opvolger:
        fouten["opvolger"] = "Kies wie de regie overneemt."
    if not toelichting.strip():
        fouten["toelichting"] = "Schrijf een overdrachtsnotitie: wat moet de opvolger weten?"
    if grondslag and grondslag not in set(Grondslag):
        fouten["grondslag"] = "Kies een van de gronden hieronder."
    if not fouten:
        try:
            data = OverdrachtIn(
                opvolger=opvolger,
                toelichting=toelichting,
                verlaat_casus=bool(verlaat_casus),
                grondslag=Grondslag(grondslag) if grondslag else None,
            )
            regie_service.propose(ctx, casus_id, data)
            return _back(f"/casussen/{casus_id}/overdracht", "voorgesteld")
        except (Validatiefout, Conflict) as exc:
            ctx.audit.failed(exc.code)
            fouten = field_errors(exc)
    context = _handover_context(ctx, casus_id, request, fouten=fouten, waarden=waarden)
    return render(request, "casus/overdracht.html", context, status=422)


@router.post("/casussen/{casus_id}/overdracht/{overdracht_id}/{antwoord}", dependencies=[Csrf])
def answer(
    request: Request,
    casus_id: uuid.UUID,
    overdracht_id: uuid.UUID,
    antwoord: str,
    ctx: WebCtx,
    reden: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Accept, decline (with a reason) or withdraw; the service decides who may do which."""
    try:
        if antwoord == "accepteren":
            regie_service.accept(ctx, casus_id, overdracht_id)
            return _back(f"/casussen/{casus_id}", "regie-overgenomen")
        if antwoord == "afwijzen":
            regie_service.decline(ctx, casus_id, overdracht_id, reden)
        elif antwoord == "intrekken":
            regie_service.withdraw(ctx, casus_id, overdracht_id)
        else:
            raise Geweigerd("Dit antwoord bestaat niet.")
    except (Validatiefout, Conflict) as exc:
        ctx.audit.failed(exc.code)
        context = _handover_context(
            ctx, casus_id, request, fouten=field_errors(exc), waarden={"reden": reden}
        )
        return render(request, "casus/overdracht.html", context, status=exc.status)
    return _back(f"/casussen/{casus_id}/overdracht", antwoord)


@router.get("/casussen/{casus_id}/mdo")
def meeting_page(request: Request, casus_id: uuid.UUID, ctx: WebCtx) -> Response:
    return render(request, "casus/mdo.html", _meeting_context(ctx, casus_id, request))


def _meeting_context(
    ctx: Context, casus_id: uuid.UUID, request: Request, **extra: Any
) -> dict[str, Any]:
    page = casus_page(ctx, casus_id)
    mdos = mdo_service.list_mdos(ctx, casus_id)
    return {
        **page,
        "lopend": next((m for m in mdos if m.afgerond_op is None), None),
        "mdos": mdos,
        "vandaag": date.today().isoformat(),
        "fouten": {},
        "melding": request.query_params.get("melding"),
        **extra,
    }


@router.post("/casussen/{casus_id}/mdo", dependencies=[Csrf])
def start_meeting(request: Request, casus_id: uuid.UUID, ctx: WebCtx, form: PostedForm) -> Response:
    try:
        data = MdoIn(
            datum=str(form.get("datum") or ""),
            aanwezigen=[str(v) for v in form.getlist("aanwezigen")],
            ouders_aanwezig=form.get("ouders_aanwezig") == "ja",
            jeugdige_aanwezig=form.get("jeugdige_aanwezig") == "ja",
        )
    except ValueError:
        context = _meeting_context(
            ctx, casus_id, request, fouten={"datum": "Vul de datum van het MDO in."}
        )
        return render(request, "casus/mdo.html", context, status=422)
    try:
        mdo_service.open_mdo(ctx, casus_id, data)
    except (Validatiefout, Conflict) as exc:
        ctx.audit.failed(exc.code)
        context = _meeting_context(ctx, casus_id, request, fouten=field_errors(exc))
        return render(request, "casus/mdo.html", context, status=exc.status)
    return _back(f"/casussen/{casus_id}/mdo", "gestart")


@router.post("/casussen/{casus_id}/mdo/{mdo_id}/afronden", dependencies=[Csrf])
def finish_meeting(
    request: Request,
    casus_id: uuid.UUID,
    mdo_id: uuid.UUID,
    ctx: WebCtx,
    revisie: Annotated[int, Form(ge=1)],
    besluiten: Annotated[str, Form(max_length=4000)] = "",
    vragenlijst: Annotated[str | None, Form(max_length=10)] = None,
) -> Response:
    data = AfrondenIn(revisie=revisie, besluiten=besluiten or None, vragenlijst=bool(vragenlijst))
    try:
        mdo_service.finish_mdo(ctx, casus_id, mdo_id, data)
    except (Validatiefout, Conflict) as exc:
        ctx.audit.failed(exc.code)
        context = _meeting_context(ctx, casus_id, request, fouten=field_errors(exc))
        return render(request, "casus/mdo.html", context, status=exc.status)
    return _back(f"/casussen/{casus_id}/mdo", f"vastgesteld{'-vragenlijst' if vragenlijst else ''}")


@router.get("/casussen/{casus_id}/tijdlijn")
def timeline_page(
    request: Request,
    casus_id: uuid.UUID,
    ctx: WebCtx,
    pagina: Annotated[int, Query(ge=1, le=100000)] = 1,
) -> Response:
    page = casus_page(ctx, casus_id)
    tijdlijn = audit_service.tijdlijn(ctx, casus_id, pagina=pagina, per_pagina=50)
    return render(
        request, "casus/tijdlijn.html", {**page, "tijdlijn": tijdlijn, "soorten": SOORTEN}
    )


@router.get("/inbox")
def inbox_page(request: Request, ctx: WebCtx) -> Response:
    inbox = inbox_service.inbox(ctx)
    return render(request, "inbox.html", {"actor": ctx.actor, "inbox": inbox, "teksten": INBOX})
