"""Errors as Dutch pages: a sign-in redirect, a kept-input page, or a plain page."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from app.problems import Probleem
from app.web.forms import COUNT_SUFFIX
from app.web.handreiking import SAVE_KEY_FIELD
from app.web.session import CSRF_FIELD, DEELNEMER_COOKIE
from app.web.templating import render

_TECHNICAL = {CSRF_FIELD, "basis", "mdo", "actie", SAVE_KEY_FIELD}


async def render_error(request: Request, fout: Probleem) -> Response:
    """The web face of every error; the same 404 page for a missing and a forbidden casus.

    A form post that could not be handled for a passing reason (the session ended, the
    database did not answer) gets its input back, ready to send again: nothing typed is lost.
    """
    autosave = request.headers.get("x-regie-autosave") == "1"
    if autosave:
        return JSONResponse({"status": fout.code}, status_code=fout.status)
    if fout.status == 401:
        # An invited ouder or jeugdige comes back by a new link, not through /aanmelden.
        deelnemer = bool(request.cookies.get(DEELNEMER_COOKIE))
        if request.method == "GET":
            if deelnemer:
                return RedirectResponse("/terugkomen", status_code=303)
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/aanmelden?volgende={quote(target)}", status_code=303)
        terug = "terugkomen" if deelnemer else "aanmelden"
        return await _kept_input(request, fout, titel="Uw sessie is verlopen", aanmelden=terug)
    if fout.status in (429, 503) and request.method == "POST":
        return await _kept_input(request, fout, titel="Niet verstuurd: probeer het zo opnieuw")
    return render(
        request, "fout.html", {"titel": fout.title, "melding": fout.detail}, status=fout.status
    )


async def _kept_input(
    request: Request, fout: Probleem, *, titel: str, aanmelden: str | None = None
) -> Response:
    """The posted form as hidden fields with one "Opnieuw versturen" button, and what was
    typed shown plainly. A re-sent step carries its idempotency key, so it is saved once."""
    form = await request.form()
    velden = [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
    teksten = [
        (k, v) for k, v in velden if v and k not in _TECHNICAL and not k.endswith(COUNT_SUFFIX)
    ]
    context = {
        "titel": titel,
        "melding": fout.detail,
        "aanmelden": aanmelden,
        "actie": request.url.path,
        "velden": velden,
        "teksten": teksten,
    }
    return render(request, "invoer_bewaard.html", context, status=fout.status)
