"""Around the plan: who is on the casus, what changed when, who looked, and a copy on paper.

Thin pages: each parses its input, calls the service that authorizes and audits, and renders.
Controls are shown from `casus_rights`, but only the services decide.
"""

from __future__ import annotations

import math
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from app.access.service import casus_rights
from app.audit import service as audit_service
from app.audit.schemas import ToegangOut
from app.casus import membership
from app.casus import service as casus_service
from app.casus.schemas import BetrokkeneIn, RolOut
from app.context import Context
from app.db import INT4_MAX, utcnow
from app.errors import CasusAfgesloten, Conflict, Validatiefout
from app.form.definition import Formulier
from app.form.validation import STAPPEN_AF
from app.handreiking import service as handreiking_service
from app.handreiking.schemas import Wijziging
from app.web.deps import Csrf, PostedForm, WebCtx
from app.web.forms import field_errors
from app.web.labels import field_label, section_of, section_title
from app.web.templating import render

router = APIRouter(include_in_schema=False)

LOG_PER_PAGINA = 50

ROLKEUZES = (
    ("betrokkene", "Betrokkene", "Leest het plan en werkt het mee bij."),
    ("volger", "Volger", "Leest het plan, maar kan niets wijzigen."),
)

HANDELINGEN = {
    "aanmelden": "Aangemeld",
    "verzoek": "Verzoek",
    "casus.aanmaken": "Casus aangemaakt",
    "casus.lezen": "Casus bekeken",
    "casus.in_lijst": "Casus in een lijst getoond",
    "casus.afsluiten": "Casus afgesloten",
    "casus.heropenen": "Casus heropend",
    "handreiking.lezen": "Handreiking bekeken",
    "handreiking.opslaan": "Handreiking gewijzigd",
    "handreiking.afdrukken": "Handreiking afgedrukt",
    "betrokkenen.lezen": "Betrokkenen bekeken",
    "betrokkene.toevoegen": "Betrokkene toegevoegd",
    "betrokkene.verwijderen": "Betrokkene verwijderd",
    "revisies.lezen": "Geschiedenis bekeken",
    "revisie.lezen": "Eerdere versie bekeken",
    "verschil.lezen": "Versies vergeleken",
    "tijdlijn.lezen": "Tijdlijn bekeken",
    "toegangslog.lezen": "Toegangslog bekeken",
    "mdo.openen": "MDO geopend",
    "mdo.afronden": "MDO afgerond",
    "mdos.lezen": "MDO's bekeken",
    "overdracht.voorstellen": "Overdracht voorgesteld",
    "overdracht.accepteren": "Overdracht geaccepteerd",
    "overdracht.afwijzen": "Overdracht afgewezen",
    "overdracht.intrekken": "Overdracht ingetrokken",
    "overdrachten.lezen": "Overdrachten bekeken",
    "vragenlijsten.lezen": "Vragenlijsten bekeken",
    "vragenlijst.uitnodigen": "Link voor de vragenlijst van ouders gemaakt",
    "vragenlijst.intrekken": "Link voor de vragenlijst van ouders ingetrokken",
    "vragenlijst.lezen": "Vragenlijst geopend",
    "vragenlijst.invullen": "Vragenlijst ingevuld",
    "deelnemer.uitnodigen": "Ouder of jeugdige uitgenodigd",
    "deelnemer.intrekken": "Uitnodiging ingetrokken",
    "deelnemer.opnieuw": "Opnieuw uitgenodigd, met een nieuwe code",
    "toestemming.geven": "Toestemming gegeven",
    "deelnemer.koppelen": "Aan de inlog (DigiD) gekoppeld",
    "deelnemer.link_openen": "Uitnodiging geopend",
    "deelnemer.aanmelden": "Met de uitnodiging aangemeld",
    "deelnemer.terugkeer_aanvragen": "Nieuwe link gevraagd om terug te komen",
    "deelnemer.terugkeer_openen": "Nieuwe link geopend",
    "deelnemer.terugkomen": "Met een nieuwe link aangemeld",
    "uitnodigingen.lezen": "Uitnodigingen bekeken",
}
UITKOMSTEN = {"toegestaan": "Toegestaan", "geweigerd": "Geweigerd", "mislukt": "Mislukt"}

_INVOERFOUTEN = {
    ("gebruikersnaam", "string_too_short"): "Vul de gebruikersnaam in.",
    ("gebruikersnaam", "missing"): "Vul de gebruikersnaam in.",
    ("gebruikersnaam", "string_too_long"): "Een gebruikersnaam heeft hoogstens 100 tekens.",
    ("functietitel", "string_too_long"): "Gebruik voor de functie hoogstens 200 tekens.",
}
_ROL_KIEZEN = "Kies of deze persoon betrokkene of volger wordt."


def _rights(ctx: Context, casus_id: uuid.UUID) -> set[str]:
    """What the actor may do here, only to decide which controls to show."""
    return {actie.value for actie in casus_rights(ctx, casus_id)}


# Betrokkenen ---------------------------------------------------------------------------------


@router.get("/casussen/{casus_id}/betrokkenen")
def betrokkenen(
    request: Request,
    casus_id: uuid.UUID,
    ctx: WebCtx,
    toegevoegd: uuid.UUID | None = None,
    verwijderd: bool = False,
) -> Response:
    rollen = membership.list_roles(ctx, casus_id)
    melding = _confirmation(rollen, toegevoegd, verwijderd)
    return _betrokkenen_page(request, ctx, casus_id, rollen, melding=melding)


def _confirmation(rollen: list[RolOut], toegevoegd: uuid.UUID | None, verwijderd: bool) -> str:
    """After a redirect: say what just happened, by looking it up (never echoing the URL)."""
    nieuw = next((r for r in rollen if r.id == toegevoegd), None)
    if nieuw is not None:
        return f"{nieuw.naam} is toegevoegd als {nieuw.rol.value} en kan de casus nu openen."
    if verwijderd:
        return "De betrokkene is verwijderd en heeft vanaf nu geen toegang meer tot deze casus."
    return ""


def _betrokkenen_page(
    request: Request,
    ctx: Context,
    casus_id: uuid.UUID,
    rollen: list[RolOut],
    *,
    waarden: dict[str, str] | None = None,
    fouten: dict[str, str] | None = None,
    melding: str = "",
    status: int = 200,
) -> Response:
    return render(
        request,
        "casus/betrokkenen.html",
        {
            "actor": ctx.actor,
            "casus_id": casus_id,
            "rollen": rollen,
            "rechten": _rights(ctx, casus_id),
            "rolkeuzes": ROLKEUZES,
            "waarden": waarden or {},
            "fouten": fouten or {},
            "melding": melding,
        },
        status=status,
    )


def _betrokkenen_again(
    request: Request,
    ctx: Context,
    casus_id: uuid.UUID,
    waarden: dict[str, str],
    fouten: dict[str, str],
    status: int,
) -> Response:
    """The page again with what was typed and why it did not work; nothing was changed."""
    rollen = membership.list_roles(ctx, casus_id)
    return _betrokkenen_page(
        request, ctx, casus_id, rollen, waarden=waarden, fouten=fouten, status=status
    )


@router.post("/casussen/{casus_id}/betrokkenen", dependencies=[Csrf])
def add_betrokkene(
    request: Request, casus_id: uuid.UUID, ctx: WebCtx, form: PostedForm
) -> Response:
    waarden = {
        sleutel: str(form.get(sleutel) or "").strip()
        for sleutel in ("gebruikersnaam", "rol", "functietitel", "grondslag")
    }
    try:
        data = BetrokkeneIn.model_validate(
            {
                **waarden,
                "functietitel": waarden["functietitel"] or None,
                "grondslag": waarden["grondslag"] or None,
            }
        )
    except ValidationError as exc:
        return _betrokkenen_again(request, ctx, casus_id, waarden, _input_errors(exc), 422)
    try:
        rol = membership.add_role(ctx, casus_id, data)
    except CasusAfgesloten:
        raise
    except (Validatiefout, Conflict) as exc:
        ctx.audit.failed(exc.code)
        fouten = field_errors(exc, "gebruikersnaam")
        return _betrokkenen_again(request, ctx, casus_id, waarden, fouten, exc.status)
    return RedirectResponse(
        f"/casussen/{casus_id}/betrokkenen?toegevoegd={rol.id}", status_code=303
    )


@router.post("/casussen/{casus_id}/betrokkenen/{rol_id}/verwijderen", dependencies=[Csrf])
def remove_betrokkene(
    request: Request, casus_id: uuid.UUID, rol_id: uuid.UUID, ctx: WebCtx
) -> Response:
    try:
        membership.end_role(ctx, casus_id, rol_id)
    except CasusAfgesloten:
        raise
    except Conflict as exc:
        ctx.audit.failed(exc.code)
        fouten = field_errors(exc, f"rol-{rol_id}")
        return _betrokkenen_again(request, ctx, casus_id, {}, fouten, exc.status)
    return RedirectResponse(f"/casussen/{casus_id}/betrokkenen?verwijderd=1", status_code=303)


def _input_errors(exc: ValidationError) -> dict[str, str]:
    """Pydantic's findings as one Dutch sentence per field."""
    fouten: dict[str, str] = {}
    for error in exc.errors():
        veld = str(error["loc"][0]) if error["loc"] else "gebruikersnaam"
        melding = _ROL_KIEZEN if veld == "rol" else _INVOERFOUTEN.get((veld, error["type"]))
        fouten.setdefault(veld, melding or "Controleer dit veld.")
    return fouten


# Geschiedenis --------------------------------------------------------------------------------


@router.get("/casussen/{casus_id}/geschiedenis")
def history(request: Request, casus_id: uuid.UUID, ctx: WebCtx) -> Response:
    revisies = handreiking_service.list_revisions(ctx, casus_id)
    nummers = [r.nummer for r in revisies]
    return render(
        request,
        "casus/geschiedenis.html",
        {
            "actor": ctx.actor,
            "casus_id": casus_id,
            "revisies": list(reversed(revisies)),
            "nummers": nummers,
            "van": nummers[-2] if len(nummers) > 1 else None,
            "naar": nummers[-1] if nummers else None,
        },
    )


@router.get("/casussen/{casus_id}/geschiedenis/vergelijk")
def compare(
    request: Request,
    casus_id: uuid.UUID,
    ctx: WebCtx,
    van: Annotated[int, Query(ge=1, le=INT4_MAX)],
    naar: Annotated[int, Query(ge=1, le=INT4_MAX)],
) -> Response:
    """What changed between two revisions, field by field, and both versions side by side."""
    verschil = handreiking_service.diff(ctx, casus_id, naar, van)
    oud = handreiking_service.read_revision(ctx, casus_id, van)
    nieuw = handreiking_service.read_revision(ctx, casus_id, naar)
    formulier = ctx.formulieren[nieuw.formulierversie]
    return render(
        request,
        "casus/vergelijken.html",
        {
            "actor": ctx.actor,
            "casus_id": casus_id,
            "oud": oud,
            "nieuw": nieuw,
            "formulier": formulier,
            "formulier_oud": ctx.formulieren[oud.formulierversie],
            "groepen": _changes_by_section(formulier, verschil.wijzigingen),
            "aantal": len(verschil.wijzigingen),
        },
    )


def _changes_by_section(formulier: Formulier, wijzigingen: list[Wijziging]) -> list[dict[str, Any]]:
    """Changes grouped under their section, in form order, each with its label as on the form."""
    positie = {sectie.sleutel: index for index, sectie in enumerate(formulier.secties)}
    groepen: dict[str, dict[str, Any]] = {}
    for wijziging in wijzigingen:
        sectie = section_of(formulier, wijziging.pad)
        groep = groepen.setdefault(
            section_title(sectie),
            {
                "titel": section_title(sectie),
                "positie": positie[sectie.sleutel] if sectie else len(positie),
                "rijen": [],
            },
        )
        groep["rijen"].append(
            {
                "veld": field_label(formulier, wijziging.pad),
                "soort": wijziging.soort,
                "oud": _readable(formulier, wijziging.pad, wijziging.oud),
                "nieuw": _readable(formulier, wijziging.pad, wijziging.nieuw),
            }
        )
    return sorted(groepen.values(), key=lambda groep: groep["positie"])


def _readable(formulier: Formulier, pad: str, waarde: Any) -> Any:
    """Steps marked done are stored as section keys; people know them by their titles."""
    if pad == STAPPEN_AF and isinstance(waarde, list):
        return [section_title(formulier.sectie(str(sleutel))) for sleutel in waarde]
    return waarde


# Toegangslog ---------------------------------------------------------------------------------


@router.get("/casussen/{casus_id}/toegangslog")
def access_log(
    request: Request,
    casus_id: uuid.UUID,
    ctx: WebCtx,
    pagina: Annotated[int, Query(ge=1, le=INT4_MAX // LOG_PER_PAGINA)] = 1,
) -> Response:
    log = audit_service.toegangslog(ctx, casus_id, pagina=pagina, per_pagina=LOG_PER_PAGINA)
    return render(
        request,
        "casus/toegangslog.html",
        {
            "actor": ctx.actor,
            "casus_id": casus_id,
            "rijen": [_log_row(regel) for regel in log.resultaten],
            "pagina": log.pagina,
            "paginas": max(1, math.ceil(log.totaal / log.per_pagina)),
            "totaal": log.totaal,
        },
    )


def _log_row(regel: ToegangOut) -> dict[str, Any]:
    """One event in words; a code we have no words for yet is shown as it is, never hidden."""
    ouder = not regel.gebruikersnaam and regel.kenmerken.get("doelgroep") == "ouder"
    wie = "Ouder, via de persoonlijke link" if ouder else regel.naam or regel.gebruikersnaam
    return {
        "wie": wie or "Onbekend",
        "organisatie": "Geen" if ouder else regel.organisatie or "Onbekend",
        "handeling": HANDELINGEN.get(regel.handeling, regel.handeling),
        "uitkomst": UITKOMSTEN.get(regel.uitkomst, regel.uitkomst),
        "tijdstip": regel.tijdstip,
    }


# Afdrukken -----------------------------------------------------------------------------------


@router.get("/casussen/{casus_id}/afdrukken")
def print_page(request: Request, casus_id: uuid.UUID, ctx: WebCtx) -> Response:
    """The whole plan on paper, marked with who printed it and when; the print is audited."""
    casus = casus_service.read(ctx, casus_id)
    handreiking = handreiking_service.print_view(ctx, casus_id)
    return render(
        request,
        "casus/afdrukken.html",
        {
            "actor": ctx.actor,
            "casus": casus,
            "handreiking": handreiking,
            "formulier": ctx.formulieren[casus.formulierversie],
            "afgedrukt_op": utcnow(),
        },
    )
