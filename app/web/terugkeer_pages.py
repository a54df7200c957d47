"""Coming back to one's plan: ask for a new link by e-mail address, open it with one's code.

No account is signed in on these pages. The answer to the address form is the same whether
the address is known or not, and the e-mails go out after the answer, as a background task:
the time of the answer gives nothing away either. The link's token is masked in the logs
like an invitation's (app/logs.py) and never echoed into a page.
"""

from __future__ import annotations

import logging
from email.message import EmailMessage

from email_validator import EmailNotValidError, validate_email
from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import RedirectResponse, Response

from app.config import Settings
from app.deelname import terugkeer
from app.deelname.postbus import postbus_voor
from app.deps import UowDep
from app.errors import NietGevonden, NietIngericht, Verlopen
from app.rate_limit import LINK
from app.web.deelname_pages import code_page, enter_with_code, gone, link_request
from app.web.deps import PostedForm
from app.web.session import CSRF_FIELD, csrf_valid
from app.web.templating import render

router = APIRouter(include_in_schema=False)
log = logging.getLogger("regie")

ONGELDIG = "Vul een geldig e-mailadres in, zoals naam@voorbeeld.nl."
VERLOPEN_FORMULIER = "Het formulier was verlopen. Vul uw e-mailadres nog een keer in."


def _page(
    request: Request, *, email: str = "", fout: str | None = None, status: int = 200
) -> Response:
    verstuurd = request.query_params.get("verstuurd") == "1"
    context = {
        "email": email,
        "fout": fout,
        "verstuurd": verstuurd and fout is None,
        "minuten": request.app.state.settings.terugkeer_geldig_minuten,
    }
    return render(request, "deelname/terugkomen.html", context, status=status)


@router.get("/terugkomen")
def ask_page(request: Request) -> Response:
    return _page(request)


@router.post("/terugkomen", dependencies=[LINK])
def ask(request: Request, uow: UowDep, form: PostedForm, taken: BackgroundTasks) -> Response:
    """Store a link per live invitation of this address; send them after answering."""
    email = str(form.get("email") or "").strip()[:320]
    if not csrf_valid(request, str(form.get(CSRF_FIELD) or "")):
        return _page(request, email=email, fout=VERLOPEN_FORMULIER, status=400)
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        return _page(request, email=email, fout=ONGELDIG, status=422)
    berichten = terugkeer.request_links(link_request(request, uow), email, str(request.base_url))
    if berichten:
        taken.add_task(_send, request.app.state.settings, berichten)
    return RedirectResponse("/terugkomen?verstuurd=1", status_code=303)


def _send(settings: Settings, berichten: list[EmailMessage]) -> None:
    """After the answer: a failure is logged (without the address), the person can ask again."""
    try:
        postbus = postbus_voor(settings)
        for bericht in berichten:
            postbus.verstuur(bericht)
    except NietIngericht:
        log.warning("e-mail met een nieuwe link niet verstuurd")


@router.get("/terugkomen/{token}", dependencies=[LINK])
def code_form(request: Request, token: str, uow: UowDep) -> Response:
    try:
        terugkeer.check(link_request(request, uow), token)
    except (NietGevonden, Verlopen) as exc:
        return gone(request, exc, terug=True)
    return code_page(request, terug=True)


@router.post("/terugkomen/{token}", dependencies=[LINK])
def enter(request: Request, token: str, uow: UowDep, form: PostedForm) -> Response:
    return enter_with_code(request, token, uow, form, terugkeer.accept, terug=True)
