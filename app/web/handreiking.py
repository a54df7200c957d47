"""The handreiking in the browser: overview as a task list, one step at a time, save and merge."""

from __future__ import annotations

import re
import secrets
import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from app.access.service import authorize_plan
from app.casus import service as casus_service
from app.context import Context
from app.db import utcnow
from app.errors import NietGevonden, SleutelGebruikt, Validatiefout, Versieconflict
from app.form.definition import Formulier, Sectie
from app.form.diff import flatten
from app.form.validation import STAPPEN_AF
from app.handreiking import service as handreiking_service
from app.handreiking.routes import IDEMPOTENCY_KEY
from app.handreiking.schemas import HandreikingIn
from app.web.deps import Csrf, PostedForm, WebCtx
from app.web.forms import field_errors, parse_section
from app.web.merge import Samenvoeging, merge, unflatten
from app.web.templating import NL, render

router = APIRouter(include_in_schema=False)
SAVE_KEY_FIELD = "opslagsleutel"


def casus_page(ctx: Context, casus_id: uuid.UUID) -> dict[str, Any]:
    """What every casus page shows: the casus, its plan, the form, and what I may do.

    One decision for all of it, logged as reading the plan: the page shows the plan.
    """
    inzage = authorize_plan(ctx, casus_id, handeling="handreiking.lezen")
    casus = inzage.casus
    handreiking = handreiking_service.current(ctx, casus, inzage.revisie)
    formulier = ctx.formulieren[casus.formulierversie]
    return {
        "actor": ctx.actor,
        "casus": casus_service.casus_out(ctx, casus),
        "handreiking": handreiking,
        "formulier": formulier,
        "rechten": {a.value for a in inzage.rechten},
        "stappen": _task_list(formulier, handreiking.inhoud, handreiking.voortgang),
    }


def _task_list(
    formulier: Formulier, inhoud: dict[str, Any], voortgang: list[Any]
) -> list[dict[str, Any]]:
    done = set(inhoud.get(STAPPEN_AF) or [])
    by_key = {v.sectie: v for v in voortgang}
    rows = []
    for sectie in formulier.secties:
        filled = by_key[sectie.sleutel].ingevuld
        status = "Afgerond" if sectie.sleutel in done else "Bezig" if filled else "Nog niet gestart"
        rows.append(
            {"sectie": sectie, "status": status, "ontbrekend": by_key[sectie.sleutel].ontbrekend}
        )
    return rows


def _section(formulier: Formulier, sleutel: str) -> Sectie:
    sectie = formulier.sectie(sleutel)
    if sectie is None:
        raise NietGevonden("Deze stap bestaat niet in het formulier van deze casus.")
    return sectie


@router.get("/casussen/{casus_id}")
def overview(request: Request, casus_id: uuid.UUID, ctx: WebCtx) -> Response:
    return render(request, "casus/overzicht.html", casus_page(ctx, casus_id))


@router.get("/casussen/{casus_id}/controleren")
def check_answers(request: Request, casus_id: uuid.UUID, ctx: WebCtx) -> Response:
    """Every step read-only with a "Wijzig" link: what the table checks before fixing the plan."""
    return render(request, "casus/controleren.html", casus_page(ctx, casus_id))


@router.get("/casussen/{casus_id}/stap/{sleutel}")
def step(
    request: Request, casus_id: uuid.UUID, sleutel: str, ctx: WebCtx, mdo: bool = False
) -> Response:
    page = casus_page(ctx, casus_id)
    sectie = _section(page["formulier"], sleutel)
    inhoud = page["handreiking"].inhoud
    return render(
        request,
        "casus/stap.html",
        {
            **page,
            **_neighbours(page["formulier"], sectie),
            "sectie": sectie,
            "waarden": inhoud.get(sleutel) or {},
            "af": sleutel in (inhoud.get(STAPPEN_AF) or []),
            "basis": page["handreiking"].revisie,
            "fouten": {},
            "samenvoeging": None,
            "opgeslagen": request.query_params.get("opgeslagen"),
            "mdo": mdo,
            "opslagsleutel": new_save_key(),
        },
    )


def _neighbours(formulier: Formulier, sectie: Sectie) -> dict[str, Any]:
    secties = list(formulier.secties)
    index = secties.index(sectie)
    return {
        "vorige": secties[index - 1] if index > 0 else None,
        "volgende": secties[index + 1] if index + 1 < len(secties) else None,
        "positie": index + 1,
        "aantal": len(secties),
    }


@router.post("/casussen/{casus_id}/stap/{sleutel}", dependencies=[Csrf])
def save_step(
    request: Request, casus_id: uuid.UUID, sleutel: str, ctx: WebCtx, form: PostedForm
) -> Response:
    autosave = request.headers.get("x-regie-autosave") == "1"
    actie = str(form.get("actie") or "")
    page = casus_page(ctx, casus_id)
    sectie = _section(page["formulier"], sleutel)
    mijn = parse_section(
        sectie, form, actie if actie.startswith(("toevoegen:", "verwijderen:")) else None
    )
    if actie.startswith(("toevoegen:", "verwijderen:")):
        return _form_again(request, page, sectie, form, mijn, {}, None)
    mijn = _take_theirs(ctx, casus_id, sleutel, mijn, form)
    basis = _int(form.get("basis"))
    af = _steps_done(page["handreiking"].inhoud, sleutel, form.get("stap_af"))
    poging = _save_key(form)
    try:
        nummer = _save(ctx, casus_id, page, sleutel, mijn, af, basis, poging)
    except Validatiefout as exc:
        fouten = field_errors(exc)
        ctx.audit.failed(exc.code)
        if autosave:
            return JSONResponse({"status": "ongeldig", "fouten": fouten}, status_code=422)
        return _form_again(request, page, sectie, form, mijn, fouten, None, status=422)
    except Versieconflict:
        ctx.audit.failed("versieconflict")
        if autosave:
            return JSONResponse({"status": "conflict"}, status_code=409)
        samen = _merge_with_current(ctx, casus_id, sleutel, basis, mijn)
        merged = _save_merged(ctx, casus_id, sleutel, samen, af, poging)
        if merged is None:
            return _form_again(request, page, sectie, form, samen.inhoud, {}, samen, status=409)
        nummer = merged
        actie = "samengevoegd" if samen.van_anderen else actie
    if autosave:
        om = utcnow().astimezone(NL).strftime("%H:%M")
        return JSONResponse(
            {"status": "opgeslagen", "revisie": nummer, "om": om, "sleutel": new_save_key()}
        )
    target = _after_save(casus_id, page["formulier"], sectie, actie)
    return RedirectResponse(target, status_code=303)


def _save(
    ctx: Context,
    casus_id: uuid.UUID,
    page: dict[str, Any],
    sleutel: str,
    mijn: dict[str, Any],
    af: list[str],
    basis: int,
    poging: str | None,
) -> int:
    """Save the step into the current document. `poging` is the form's idempotency key: a
    re-sent form whose first post was saved gets that revision back. When the key's save
    holds other content, this post is a new change on top of it and is saved as one."""
    inhoud = {**page["handreiking"].inhoud, sleutel: mijn, STAPPEN_AF: af}
    if not mijn:
        inhoud.pop(sleutel)
    data = HandreikingIn(inhoud=inhoud)
    try:
        return handreiking_service.save(
            ctx, casus_id, basis=basis, data=data, sleutel=poging
        ).nummer
    except SleutelGebruikt:
        ctx.audit.failed(SleutelGebruikt.code)  # this try saved nothing; the next one may
        return handreiking_service.save(ctx, casus_id, basis=basis, data=data).nummer


def _save_merged(
    ctx: Context,
    casus_id: uuid.UUID,
    sleutel: str,
    samen: Samenvoeging,
    af: list[str],
    poging: str | None,
) -> int | None:
    """No field was changed differently by both: save the merge at once, without asking.

    Also covers pressing "Opslaan" while an autosave of the same input is still under way.
    Returns None when the user has to choose (a real conflict, or yet another save in between).
    """
    if samen.conflicten:
        return None
    current = handreiking_service.read(ctx, casus_id)
    try:
        return _save(
            ctx,
            casus_id,
            {"handreiking": current},
            sleutel,
            samen.inhoud,
            af,
            current.revisie,
            poging,
        )
    except Versieconflict:
        ctx.audit.failed("versieconflict")
        return None


def _take_theirs(
    ctx: Context, casus_id: uuid.UUID, sleutel: str, mijn: dict[str, Any], form: FormData
) -> dict[str, Any]:
    """Apply "Hun versie overnemen" from a merge page: those fields get the stored value."""
    chosen = [
        k.removeprefix("keuze:")
        for k, v in form.multi_items()
        if k.startswith("keuze:") and v == "hun"
    ]
    if not chosen:
        return mijn
    hun = flatten({sleutel: handreiking_service.read(ctx, casus_id).inhoud.get(sleutel) or {}})
    flat = flatten({sleutel: mijn})
    for pad in chosen:
        if pad in hun:
            flat[pad] = hun[pad]
        else:
            flat.pop(pad, None)
    return unflatten(flat).get(sleutel) or {}


def _merge_with_current(
    ctx: Context, casus_id: uuid.UUID, sleutel: str, basis: int, mijn: dict[str, Any]
) -> Samenvoeging:
    """Someone saved after `basis`: merge their change of this step with mine, field by field."""
    oud = handreiking_service.read_revision(ctx, casus_id, basis).inhoud.get(sleutel) or {}
    hun = handreiking_service.read(ctx, casus_id).inhoud.get(sleutel) or {}
    samen = merge({sleutel: oud}, {sleutel: hun}, {sleutel: mijn})
    samen.inhoud = samen.inhoud.get(sleutel) or {}
    return samen


def _form_again(
    request: Request,
    page: dict[str, Any],
    sectie: Sectie,
    form: FormData,
    waarden: dict[str, Any],
    fouten: dict[str, str],
    samen: Samenvoeging | None,
    status: int = 200,
) -> Response:
    """The step again with what the user typed: after an error, a list action or a conflict."""
    basis = page["handreiking"].revisie if samen is not None else _int(form.get("basis"))
    return render(
        request,
        "casus/stap.html",
        {
            **page,
            **_neighbours(page["formulier"], sectie),
            "sectie": sectie,
            "waarden": waarden,
            "af": form.get("stap_af") == "ja",
            "basis": basis,
            "fouten": fouten,
            "samenvoeging": samen,
            "opgeslagen": None,
            "mdo": form.get("mdo") == "1",
            "opslagsleutel": _save_key(form) or new_save_key(),
        },
        status=status,
    )


def _steps_done(inhoud: dict[str, Any], sleutel: str, answer: Any) -> list[str]:
    done = [s for s in (inhoud.get(STAPPEN_AF) or []) if s != sleutel]
    return [*done, sleutel] if answer == "ja" else done


def _after_save(casus_id: uuid.UUID, formulier: Formulier, sectie: Sectie, actie: str) -> str:
    secties = list(formulier.secties)
    index = secties.index(sectie)
    if actie == "volgende" and index + 1 < len(secties):
        return f"/casussen/{casus_id}/stap/{secties[index + 1].sleutel}"
    if actie == "overzicht":
        return f"/casussen/{casus_id}"
    if actie == "samengevoegd":  # say so: the page now also shows someone else's changes
        return f"/casussen/{casus_id}/stap/{sectie.sleutel}?opgeslagen=samengevoegd"
    return f"/casussen/{casus_id}/stap/{sectie.sleutel}?opgeslagen=1"


def new_save_key() -> str:
    """A fresh idempotency key for the next save of a form (22 URL-safe characters)."""
    return secrets.token_urlsafe(16)


def _save_key(form: FormData) -> str | None:
    value = form.get(SAVE_KEY_FIELD)
    return value if isinstance(value, str) and re.fullmatch(IDEMPOTENCY_KEY, value) else None


def _int(value: Any) -> int:
    return int(value) if isinstance(value, str) and value.isdigit() else 0
