"""Errors as Dutch pages: a sign-in redirect, a kept-input page after expiry, or a plain page."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from app.errors import Probleem
from app.web.forms import COUNT_SUFFIX
from app.web.session import CSRF_FIELD
from app.web.templating import render

_TECHNICAL = {CSRF_FIELD, "basis", "mdo", "actie"}


async def render_error(request: Request, fout: Probleem) -> Response:
    """The web face of every error; the same 404 page for a missing and a forbidden casus."""
    autosave = request.headers.get("x-regie-autosave") == "1"
    if autosave:
        return JSONResponse({"status": fout.code}, status_code=fout.status)
    if fout.status == 401:
        return await _session_expired(request)
    return render(
        request, "fout.html", {"titel": fout.title, "melding": fout.detail}, status=fout.status
    )


async def _session_expired(request: Request) -> Response:
    if request.method == "GET":
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/aanmelden?volgende={quote(target)}", status_code=303)
    form = await request.form()
    velden = [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
    teksten = [
        (k, v) for k, v in velden if v and k not in _TECHNICAL and not k.endswith(COUNT_SUFFIX)
    ]
    context = {"actie": request.url.path, "velden": velden, "teksten": teksten}
    return render(request, "sessie_verlopen.html", context, status=401)
