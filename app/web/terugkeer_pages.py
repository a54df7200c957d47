"""Coming back to one's plan: ask for a new link by e-mail address, open it with one's code.

No account is signed in on these pages. The answer to the address form is the same whether
the address is known or not, and comes before anything is looked up: the lookup, the new
links, their audit events and the e-mails are a background task after the answer, so its
time gives nothing away either. The link's token is masked in the logs
like an invitation's (app/logs.py) and never echoed into a page.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from email_validator import EmailNotValidError, validate_email
from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import RedirectResponse, Response

from app.audit.recorder import AuditRecorder
from app.db import unit_of_work
from app.deelname import terugkeer
from app.deelname.postbus import postbus_voor
from app.deelname.service import Linkverzoek
from app.deps import UowDep
from app.errors import NietGevonden, Verlopen
from app.web.deelname_pages import code_page, enter_with_code, gone, link_request
from app.web.deps import LINK, PostedForm
from app.web.oidc import citizens
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
        "digid": request.app.state.settings.burger_oidc_naam if citizens(request) else None,
    }
    return render(request, "deelname/terugkomen.html", context, status=status)


@router.get("/terugkomen")
def ask_page(request: Request) -> Response:
    return _page(request)


@router.post("/terugkomen", dependencies=[LINK])
def ask(request: Request, form: PostedForm, taken: BackgroundTasks) -> Response:
    """Answer at once, the same for every valid address; look it up and mail afterwards."""
    email = str(form.get("email") or "").strip()[:320]
    if not csrf_valid(request, str(form.get(CSRF_FIELD) or "")):
        return _page(request, email=email, fout=VERLOPEN_FORMULIER, status=400)
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        return _page(request, email=email, fout=ONGELDIG, status=422)
    state = request.app.state
    taken.add_task(
        _handle,
        state,
        Verzoeker(request.state.request_id, request.client.host if request.client else None),
        email,
        str(request.base_url),
    )
    return RedirectResponse("/terugkomen?verstuurd=1", status_code=303)


@dataclass(frozen=True)
class Verzoeker:
    """Who asked, for the audit trail: the request and the client address, no account."""

    request_id: str
    clientadres: str | None


def _handle(state: Any, verzoeker: Verzoeker, email: str, base_url: str) -> None:
    """Store the links (and their events) in a transaction of its own, then send each e-mail.

    A failure is logged without the address; the person can ask again.
    """
    audit = AuditRecorder(request_id=verzoeker.request_id, clientadres=verzoeker.clientadres)
    try:
        with unit_of_work(state.engine) as session:
            link = Linkverzoek(session, audit, state.keyring, state.settings)
            berichten = terugkeer.request_links(link, email, base_url)
            audit.write(session)
    except Exception as exc:  # noqa: BLE001 - any failure: logged and audited, never raised
        log.error("nieuwe links om terug te komen niet opgeslagen (%s)", type(exc).__name__)
        # As a failed request: what was tried stays in the trail, as failed.
        audit.written = []
        try:
            audit.write_failure(state.engine, exc, {"actie": "deelnemer.terugkeer_aanvragen"})
        except Exception:  # noqa: BLE001 - the database may be what failed
            log.error("auditgebeurtenis van een mislukte aanvraag niet geschreven")
        return
    state.metingen.gebeurtenissen(audit.written)
    for bericht in berichten:
        try:
            postbus_voor(state.settings).verstuur(bericht)
        except Exception as exc:  # noqa: BLE001 - one message's failure stops no other
            # The type only: an SMTP error can carry the address.
            log.warning("e-mail met een nieuwe link niet verstuurd (%s)", type(exc).__name__)


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
