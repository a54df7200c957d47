"""The plan in plain Dutch: what ouders and the jeugdige see, and where they add their own words.

The same data as the steps, with the form's plain-language (B1) titles and labels, on one page
that reads well on a phone. Anyone on the casus may open it; the fields for someone's own words
are offered only to whom the policy gives them (veldrechten), and a save is judged again by the
service. Their text is never lost: a conflict or an error shows it again.
"""

from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass, field, replace
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from app.access.service import own_word_fields
from app.context import Context
from app.errors import Validatiefout, Versieconflict
from app.form.definition import TEXTS
from app.handreiking import service as handreiking_service
from app.handreiking.schemas import HandreikingIn
from app.handreiking.voor_gezin import voor_gezin
from app.research.vragenlijst_service import open_for_account
from app.web.deps import Csrf, PostedForm, WebCtx
from app.web.forms import field_errors
from app.web.handreiking import casus_page
from app.web.templating import render

router = APIRouter(include_in_schema=False)

ROLWOORDEN = {
    "regievoerder": "regelt de hulp en houdt het overzicht",
    "betrokkene": "helpt mee",
    "volger": "volgt hoe het gaat",
    "ouder": "ouder of verzorger",
    "jeugdige": "jeugdige",
}
# The consent form (step 6, by the ouder or jeugdige themselves).
GEEN_SOORT = "Kies minstens één soort organisatie."
# The kinds of organisation in plain words (B1), for the consent form.
SOORTWOORDEN = {
    "gemeente": "Gemeente (wijkteam)",
    "gecertificeerde_instelling": "Jeugdbescherming (gecertificeerde instelling)",
    "zorgaanbieder": "Zorgaanbieder (jeugdhulp)",
    "onderwijs": "School",
    "huisarts": "Huisarts",
    "overig": "Andere organisaties",
}
ONBEKENDE_SOORT = "Kies alleen uit de soorten organisaties hieronder."
TE_LANG = "Gebruik hoogstens 2000 tekens."
LIJST_VOL = (
    "Er kunnen geen toestemmingen meer bij in het plan. Vraag de hulpverlener met de regie om "
    "de lijst samen met u na te lopen."
)
ORGANISATIETYPE = "organisatietype"
MELDINGEN = {"opgeslagen", "toestemming"}
TOELICHTING = "Eigen woorden aangevuld op de pagina 'Het plan'."


def _plan(
    request: Request,
    ctx: Context,
    casus_id: uuid.UUID,
    *,
    mijn: dict[str, str] | None = None,
    fouten: dict[str, str] | None = None,
    conflict: bool = False,
    melding: str | None = None,
    toestemming: Toestemmingsformulier | None = None,
    status: int = 200,
) -> Response:
    page = casus_page(ctx, casus_id)
    formulier, inhoud = page["formulier"], page["handreiking"].inhoud
    eigen = _texts(formulier, own_word_fields(ctx, casus_id, formulier))
    opgeslagen = {pad: _value(inhoud, pad) for pad in eigen}
    return render(
        request,
        "casus/plan.html",
        {
            **page,
            "regievoerder": page["casus"].regievoerder,
            "volgende_mdo": handreiking_service.next_meeting(inhoud),
            "gezin": voor_gezin(inhoud),
            "organisatietypen": page["formulier"].vocabulaires[ORGANISATIETYPE],
            "toestemming": toestemming or Toestemmingsformulier(),
            "soortwoorden": SOORTWOORDEN,
            "ctx_naam": ctx.actor.naam,
            "rolwoorden": ROLWOORDEN,
            "eigen": [(pad, _field(formulier, pad)) for pad in eigen],
            "waarden": mijn if mijn is not None else opgeslagen,
            "opgeslagen": opgeslagen,
            "fouten": fouten or {},
            "conflict": conflict,
            "melding": melding,
            "vragenlijsten": [
                uitnodiging
                for uitnodiging, casus in open_for_account(ctx.session, ctx.actor.account_id)
                if casus.id == casus_id
            ],
        },
        status=status,
    )


def _texts(formulier: Any, paden: frozenset[str]) -> list[str]:
    """The text fields among them, for the own-words form."""
    return sorted(p for p in paden if _field(formulier, p).type in TEXTS)


def _value(inhoud: dict[str, Any], pad: str) -> str:
    sectie, veld = pad.split(".")
    waarde = (inhoud.get(sectie) or {}).get(veld)
    return waarde if isinstance(waarde, str) else ""


def _field(formulier: Any, pad: str) -> Any:
    sectie, veld = pad.split(".")
    return formulier.sectie(sectie).per_sleutel[veld]


@router.get("/casussen/{casus_id}/plan")
def plan(
    request: Request, casus_id: uuid.UUID, ctx: WebCtx, melding: str | None = None
) -> Response:
    return _plan(request, ctx, casus_id, melding=melding if melding in MELDINGEN else None)


@router.post("/casussen/{casus_id}/plan", dependencies=[Csrf])
def save_own_words(
    request: Request, casus_id: uuid.UUID, ctx: WebCtx, form: PostedForm
) -> Response:
    """Save the actor's own words into the current plan, as the next revision."""
    page = casus_page(ctx, casus_id)
    eigen = _texts(page["formulier"], own_word_fields(ctx, casus_id, page["formulier"]))
    mijn = {pad: str(form.get(f"veld:{pad}") or "").strip() for pad in eigen}
    inhoud = copy.deepcopy(page["handreiking"].inhoud)
    for pad, tekst in mijn.items():
        sectie, veld = pad.split(".")
        inhoud.setdefault(sectie, {})[veld] = tekst
    basis = str(form.get("basis") or "")
    try:
        handreiking_service.save(
            ctx,
            casus_id,
            basis=int(basis) if basis.isdigit() else 0,
            data=HandreikingIn(inhoud=inhoud, toelichting=TOELICHTING),
        )
    except Validatiefout as exc:
        ctx.audit.failed(exc.code)
        return _plan(request, ctx, casus_id, mijn=mijn, fouten=field_errors(exc), status=422)
    except Versieconflict:
        ctx.audit.failed("versieconflict")
        return _plan(request, ctx, casus_id, mijn=mijn, conflict=True, status=409)
    return RedirectResponse(f"/casussen/{casus_id}/plan?melding=opgeslagen", status_code=303)


@dataclass(frozen=True)
class Toestemmingsformulier:
    """What the ouder chose in the consent form, shown back after an error or a conflict."""

    organisatietypen: tuple[str, ...] = ()
    reikwijdte: str = ""
    fouten: dict[str, str] = field(default_factory=dict)
    conflict: bool = False


@router.post("/casussen/{casus_id}/plan/toestemming", dependencies=[Csrf])
def give_consent(request: Request, casus_id: uuid.UUID, ctx: WebCtx, form: PostedForm) -> Response:
    """Consent from the ouder or jeugdige themselves: a new item in step 6, stamped by Regie."""
    keuze = Toestemmingsformulier(
        organisatietypen=tuple(str(v) for v in form.getlist("organisatietypen")),
        reikwijdte=str(form.get("reikwijdte") or ""),
    )
    basis = str(form.get("basis") or "")
    try:
        handreiking_service.add_consent(
            ctx,
            casus_id,
            basis=int(basis) if basis.isdigit() else 0,
            organisatietypen=list(keuze.organisatietypen),
            reikwijdte=keuze.reikwijdte,
        )
    except Validatiefout as exc:
        ctx.audit.failed(exc.code)
        fouten = _consent_errors(exc)
        return _plan(request, ctx, casus_id, toestemming=replace(keuze, fouten=fouten), status=422)
    except Versieconflict:
        ctx.audit.failed("versieconflict")
        verder = replace(keuze, conflict=True)
        return _plan(request, ctx, casus_id, toestemming=verder, status=409)
    return RedirectResponse(f"/casussen/{casus_id}/plan?melding=toestemming", status_code=303)


def _consent_errors(exc: Validatiefout) -> dict[str, str]:
    """The form's two fields; an error elsewhere is the list of consents being full."""
    fouten: dict[str, str] = {}
    for fout in exc.extra["errors"]:
        pad = str(fout.get("pad", ""))
        if pad == "organisatietypen":
            fouten["organisatietypen"] = GEEN_SOORT
        elif pad.endswith("organisatietypen"):
            fouten["organisatietypen"] = ONBEKENDE_SOORT
        elif pad.endswith("reikwijdte"):
            fouten["reikwijdte"] = TE_LANG
        else:
            fouten.setdefault("organisatietypen", LIJST_VOL)
    return fouten
