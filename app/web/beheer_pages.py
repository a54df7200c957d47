"""The functioneel beheerder's pages: organisations and accounts, never a casus' content.

A refused deactivation names the open casussen to hand over first by gemeente and kenmerk only.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from app.access.policy import Actie
from app.access.service import authorize_system
from app.accounts import beheer
from app.accounts.schemas import AccountIn, AccountOut, OrganisatieIn, OrganisatieOut
from app.context import Context
from app.enums import OrganisatieType, Systeemrol
from app.errors import Conflict, Validatiefout
from app.web.deps import Csrf, PostedForm, WebCtx
from app.web.forms import field_errors
from app.web.templating import render

router = APIRouter(include_in_schema=False)

AAN_UIT = "^(ja|nee)$"
ORGANISATIE_VELDEN = {
    "naam": "Vul de naam van de organisatie in.",
    "type": "Kies het soort organisatie.",
}
ACCOUNT_VELDEN = {
    "naam": "Vul de naam van de medewerker in.",
    "gebruikersnaam": (
        "Vul een gebruikersnaam in van kleine letters en cijfers, eventueel met een punt, "
        "streepje, liggend streepje of @, bijvoorbeeld a.jansen."
    ),
    "organisatie_id": "Kies de organisatie van de medewerker.",
    "functietitel": "Controleer de functie.",
    "systeemrollen": "Kies minstens één rol.",
}
ROLUITLEG = {
    Systeemrol.PROFESSIONAL: "Kan casussen starten en aan casussen worden toegevoegd.",
    Systeemrol.BEHEERDER: "Beheert organisaties en accounts. Ziet geen casussen.",
    Systeemrol.ONDERZOEKER: "Ziet alleen geanonimiseerde cijfers en de export voor onderzoek.",
}
MELDINGEN = {
    "organisatie-toegevoegd": "Organisatie {naam} is toegevoegd.",
    "organisatie-aan": "Organisatie {naam} staat weer aan.",
    "organisatie-uit": "Organisatie {naam} staat uit: haar medewerkers kunnen Regie niet "
    "meer gebruiken.",
    "account-toegevoegd": "Het account van {naam} is toegevoegd en staat aan.",
    "account-aan": "Het account van {naam} staat weer aan.",
    "account-uit": "Het account van {naam} staat uit: {naam} kan Regie niet meer gebruiken.",
}


@router.get("/beheer")
def overview_page(
    request: Request,
    ctx: WebCtx,
    melding: Annotated[str | None, Query(max_length=40)] = None,
    wie: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    organisaties, accounts = beheer.overview(ctx)
    bevestiging = _confirmation(melding, wie, organisaties, accounts)
    return _overview(request, ctx, organisaties, accounts, melding=bevestiging)


def _confirmation(
    melding: str | None,
    wie: str | None,
    organisaties: list[OrganisatieOut],
    accounts: list[AccountOut],
) -> str:
    """After a redirect: say what happened, with the name looked up (never echoing the URL)."""
    namen = {str(o.id): o.naam for o in organisaties} | {a.gebruikersnaam: a.naam for a in accounts}
    if melding not in MELDINGEN or wie not in namen:
        return ""
    return MELDINGEN[melding].format(naam=namen[wie])


def _overview(
    request: Request,
    ctx: Context,
    organisaties: list[OrganisatieOut],
    accounts: list[AccountOut],
    *,
    melding: str = "",
    weigering: Conflict | None = None,
) -> Response:
    context: dict[str, Any] = {
        "actor": ctx.actor,
        "organisaties": organisaties,
        "accounts": accounts,
        "melding": melding,
        "weigering": weigering.detail if weigering else None,
        "casussen": weigering.extra.get("casussen", []) if weigering else [],
    }
    return render(request, "beheer/overzicht.html", context, status=409 if weigering else 200)


@router.post("/beheer/organisaties/{organisatie_id}/actief", dependencies=[Csrf])
def set_organisation_active(
    request: Request,
    organisatie_id: uuid.UUID,
    ctx: WebCtx,
    actief: Annotated[str, Form(pattern=AAN_UIT)],
) -> Response:
    try:
        beheer.set_organisation_active(ctx, organisatie_id, actief == "ja")
    except Conflict as exc:
        return _refused(request, ctx, exc)
    melding = "organisatie-aan" if actief == "ja" else "organisatie-uit"
    return _back(melding, str(organisatie_id))


@router.post("/beheer/accounts/{gebruikersnaam}/actief", dependencies=[Csrf])
def set_account_active(
    request: Request,
    gebruikersnaam: str,
    ctx: WebCtx,
    actief: Annotated[str, Form(pattern=AAN_UIT)],
) -> Response:
    try:
        beheer.set_account_active(ctx, gebruikersnaam, actief == "ja")
    except Conflict as exc:
        return _refused(request, ctx, exc)
    return _back("account-aan" if actief == "ja" else "account-uit", gebruikersnaam)


def _refused(request: Request, ctx: Context, exc: Conflict) -> Response:
    """The overview again, saying why nothing changed (and which casussen to hand over)."""
    ctx.audit.failed(exc.code)
    organisaties, accounts = beheer.overview(ctx)
    return _overview(request, ctx, organisaties, accounts, weigering=exc)


def _back(melding: str, wie: str) -> RedirectResponse:
    query = urlencode({"melding": melding, "wie": wie})
    return RedirectResponse(f"/beheer?{query}", status_code=303)


# Adding an organisation ----------------------------------------------------------------------


@router.get("/beheer/organisaties/nieuw")
def new_organisation_page(request: Request, ctx: WebCtx) -> Response:
    authorize_system(ctx, Actie.ACCOUNTS_BEHEREN)
    return _organisation_form(request, ctx, {}, {})


@router.post("/beheer/organisaties/nieuw", dependencies=[Csrf])
def add_organisation(request: Request, ctx: WebCtx, form: PostedForm) -> Response:
    waarden = {veld: str(form.get(veld) or "") for veld in ORGANISATIE_VELDEN}
    try:
        data = OrganisatieIn.model_validate(waarden)
    except ValidationError as exc:
        authorize_system(ctx, Actie.ACCOUNTS_BEHEREN)  # a refusal comes before remarks on input
        ctx.audit.failed(Validatiefout.code)
        return _organisation_form(request, ctx, waarden, _input_errors(exc, ORGANISATIE_VELDEN))
    try:
        organisatie = beheer.add_organisation(ctx, data)
    except Validatiefout as exc:
        ctx.audit.failed(exc.code)
        return _organisation_form(request, ctx, waarden, field_errors(exc, "naam"))
    return _back("organisatie-toegevoegd", str(organisatie.id))


def _organisation_form(
    request: Request, ctx: Context, waarden: dict[str, str], fouten: dict[str, str]
) -> Response:
    context = {
        "actor": ctx.actor,
        "waarden": waarden,
        "fouten": _in_order(fouten, ORGANISATIE_VELDEN),
        "soorten": list(OrganisatieType),
    }
    return render(request, "beheer/organisatie_nieuw.html", context, status=422 if fouten else 200)


# Adding an account ---------------------------------------------------------------------------


@router.get("/beheer/accounts/nieuw")
def new_account_page(request: Request, ctx: WebCtx) -> Response:
    return _account_form(request, ctx, {}, {})


@router.post("/beheer/accounts/nieuw", dependencies=[Csrf])
def add_account(request: Request, ctx: WebCtx, form: PostedForm) -> Response:
    waarden: dict[str, Any] = {
        veld: str(form.get(veld) or "") for veld in ACCOUNT_VELDEN if veld != "systeemrollen"
    }
    waarden["systeemrollen"] = [str(v) for v in form.getlist("systeemrollen")]
    try:
        data = AccountIn.model_validate(
            {**waarden, "functietitel": waarden["functietitel"] or None}
        )
    except ValidationError as exc:
        authorize_system(ctx, Actie.ACCOUNTS_BEHEREN)  # a refusal comes before remarks on input
        ctx.audit.failed(Validatiefout.code)
        return _account_form(request, ctx, waarden, _input_errors(exc, ACCOUNT_VELDEN))
    try:
        account = beheer.add_account(ctx, data)
    except Validatiefout as exc:
        ctx.audit.failed(exc.code)
        return _account_form(request, ctx, waarden, field_errors(exc, "gebruikersnaam"))
    return _back("account-toegevoegd", account.gebruikersnaam)


def _account_form(
    request: Request, ctx: Context, waarden: dict[str, Any], fouten: dict[str, str]
) -> Response:
    """The form; listing the organisations to choose from is what authorizes the page."""
    organisaties = [o for o in beheer.list_organisations(ctx) if o.actief]
    context = {
        "actor": ctx.actor,
        "waarden": waarden,
        "fouten": _in_order(fouten, ACCOUNT_VELDEN),
        "organisaties": organisaties,
        "rollen": [(rol, ROLUITLEG[rol]) for rol in Systeemrol],
    }
    return render(request, "beheer/account_nieuw.html", context, status=422 if fouten else 200)


def _input_errors(exc: ValidationError, velden: dict[str, str]) -> dict[str, str]:
    """Pydantic's findings as one Dutch sentence per field."""
    fouten: dict[str, str] = {}
    for error in exc.errors():
        veld = str(error["loc"][0]) if error["loc"] else ""
        if error["type"] == "string_too_long":
            melding = f"Gebruik maximaal {error['ctx']['max_length']} tekens."
        else:
            melding = velden.get(veld, "Controleer dit veld.")
        fouten.setdefault(veld, melding)
    return fouten


def _in_order(fouten: dict[str, str], velden: dict[str, str]) -> dict[str, str]:
    """The errors in the order of the form, so the summary reads top to bottom."""
    volgorde = list(velden)
    return dict(
        sorted(fouten.items(), key=lambda f: volgorde.index(f[0]) if f[0] in volgorde else 99)
    )
