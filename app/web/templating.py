"""Jinja2 set-up and the one way pages are rendered (so the CSRF cookie is never forgotten)."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from app.access.policy import Actie, Policy
from app.context import Actor
from app.web.forms import field_id
from app.web.labels import field_label
from app.web.session import CSRF_FIELD, csrf_token, remember_csrf_seed

TEMPLATES = Jinja2Templates(directory=Path(__file__).resolve().parent.parent / "templates")
NL = ZoneInfo("Europe/Amsterdam")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MAANDEN = (
    "januari", "februari", "maart", "april", "mei", "juni",
    "juli", "augustus", "september", "oktober", "november", "december",
)  # fmt: skip


def datum(value: date | datetime | str | None) -> str:
    """A date as Dutch text: 17 april 2012."""
    if not value:  # None, "" or a missing key (jinja2 Undefined)
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        value = value.astimezone(NL).date()
    return f"{value.day} {MAANDEN[value.month - 1]} {value.year}"


def tijdstip(value: datetime | None) -> str:
    """A moment in Dutch local time: 23 november 2026, 14:02."""
    if value is None:
        return ""
    local = value.astimezone(NL)
    return f"{datum(local.date())}, {local:%H:%M}"


def voorbij(value: date | None) -> bool:
    """Whether a date lies before today in the Netherlands: a planned MDO that did not happen."""
    return value is not None and value < datetime.now(NL).date()


def keuze_tekst(value: str) -> str:
    """A vocabulary value as words: gecertificeerde_instelling -> Gecertificeerde instelling."""
    words = value.replace("_", " ").replace("-", " ")
    return words[:1].upper() + words[1:]


def tekst(value: Any) -> str:
    """Any stored value as readable Dutch text."""
    if isinstance(value, bool):
        return "Ja" if value else "Nee"
    if isinstance(value, list):
        return ", ".join(keuze_tekst(str(v)) for v in value)
    if isinstance(value, str) and _ISO_DATE.match(value):
        return datum(value)
    return "" if value is None else str(value)


TEMPLATES.env.filters["datum"] = datum
TEMPLATES.env.filters["keuze_tekst"] = keuze_tekst
TEMPLATES.env.filters["keuze_paar"] = lambda v: (v, keuze_tekst(v))
TEMPLATES.env.filters["tekst"] = tekst
TEMPLATES.env.filters["veld_id"] = field_id
TEMPLATES.env.filters["tijdstip"] = tijdstip
TEMPLATES.env.tests["voorbij"] = voorbij
TEMPLATES.env.globals["CSRF_FIELD"] = CSRF_FIELD
TEMPLATES.env.globals["veld_label"] = field_label
# Why a professional may join a casus (app.casus.toestemming): consent, or a legal ground.
TEMPLATES.env.globals["GRONDSLAGEN"] = (
    ("", "Toestemming van de ouders of de jeugdige",
     "Vastgelegd in stap 6 (Hoe stemmen we af?), voor het soort organisatie van deze persoon."),
    ("jeugdbeschermingsmaatregel", "Jeugdbeschermingsmaatregel",
     "Een ondertoezichtstelling of voogdij: delen hoort bij de wettelijke taak."),
    ("meldcode", "Meldcode huiselijk geweld en kindermishandeling",
     "De veiligheid van de jeugdige vraagt erom, ook zonder toestemming."),
    ("wettelijke_taak", "Een andere wettelijke taak",
     "Bijvoorbeeld een onderzoek van de Raad voor de Kinderbescherming."),
)  # fmt: skip


def may(request: Request, actor: Actor | None, actie: str) -> bool:
    """Whether the menu offers a system action (e.g. "casus.aanmaken"): the policy decides,
    and the action is authorized again when it is carried out (showing is not allowing)."""
    if actor is None:
        return False
    policy: Policy = request.app.state.policy
    return policy.system_allows(set(actor.systeemrollen), Actie(actie))


TEMPLATES.env.globals["systeem_mag"] = may


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, status: int = 200
) -> HTMLResponse:
    """Render a page with the request's CSRF token; sets the seed cookie on first contact."""
    response = TEMPLATES.TemplateResponse(
        request,
        template,
        {
            "csrf_token": csrf_token(request),
            "sessie_verloopt": getattr(request.state, "sessie_verloopt", None),
            "inbox_aantal": getattr(request.state, "inbox_aantal", None),
            **(context or {}),
        },
        status_code=status,
    )
    remember_csrf_seed(request, response)
    return response
