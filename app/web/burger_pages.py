"""Invitees signing in through the citizens' provider (REGIE_BURGER_OIDC_*, e.g. DigiD).

Two ways in, one callback: after an invitation's link and code ("koppelen": bind that account
to the person the provider names), and from /terugkomen ("aanmelden": every casus bound to
that person). Someone invited to several casussen (a parent of two children) chooses one;
the accounts they may choose from travel in a short-lived signed cookie, never in the form.
The flow itself is the organisations' one (app/web/oidc.py): PKCE, state, nonce, RS256 only,
iss and aud of this provider, which is a separate trust decision from the organisations'.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.deelname import burger
from app.deps import UnitOfWork, UowDep
from app.errors import Geweigerd, NietGevonden
from app.web import oidc
from app.web.deelname_pages import BURGER_FLOW, BURGER_PAD, link_request, sign_in_invitee
from app.web.deps import AANMELDEN, PostedForm
from app.web.session import CSRF_FIELD, csrf_seed, csrf_valid
from app.web.templating import render

router = APIRouter(include_in_schema=False)

KEUZE_COOKIE = "regie_burger_keuze"
# The choice among one's plans is made at once, in this browser, once.
KEUZE_MAX_AGE = 300
GEEN_PLAN = (
    "Wij vinden geen plan bij deze inlog. Bent u nog niet eerder binnengekomen? Gebruik dan de "
    "link uit uw uitnodiging en de code van de hulpverlener."
)


def _provider(request: Request) -> oidc.OidcProvider:
    gevonden = oidc.citizens(request)
    if gevonden is None:
        raise NietGevonden("Inloggen voor ouders en jeugdigen gaat hier met een link.")
    return gevonden


@router.get(f"{BURGER_PAD}/aanmelden", dependencies=[AANMELDEN])
def start(request: Request) -> Response:
    """From /terugkomen: off to the citizens' provider."""
    provider = _provider(request)
    return oidc.start(request, provider, {"doel": "aanmelden"}, cookie=BURGER_FLOW, path=BURGER_PAD)


@router.get(f"{BURGER_PAD}/terug", dependencies=[AANMELDEN])
def callback(request: Request, uow: UowDep, answer: oidc.AntwoordDep) -> Response:
    """The provider's answer: bind the account of the invitation, or find the person's plans."""
    provider = _provider(request)
    claims, flow = oidc.verified_claims(
        request, uow, provider, answer, cookie=BURGER_FLOW, methode="burger_oidc"
    )
    index = _index(request, uow, provider, claims)
    if flow.get("doel") == "koppelen":
        response = _bind(request, uow, flow, index)
    else:
        response = _come_back(request, uow, index)
    oidc.end_flow(response, BURGER_FLOW, BURGER_PAD)
    return response


def _index(
    request: Request, uow: UnitOfWork, provider: oidc.OidcProvider, claims: dict[str, Any]
) -> str:
    waarde = claims.get(provider.account_claim)
    if not isinstance(waarde, str) or not waarde:
        oidc.refuse(uow, "claim", "burger_oidc")
        raise oidc.AanmeldenMislukt("De inlog gaf niet door wie u bent. Probeer het opnieuw.")
    return burger.burger_index(request.app.state.keyring, provider.issuer, waarde)


def _bind(request: Request, uow: UnitOfWork, flow: dict[str, Any], index: str) -> Response:
    account_id, casus_id = uuid.UUID(str(flow["account"])), uuid.UUID(str(flow["casus"]))
    burger.bind(link_request(request, uow), account_id, casus_id, index)
    return sign_in_invitee(request, uow, account_id, casus_id, "burger")


def _come_back(request: Request, uow: UnitOfWork, index: str) -> Response:
    link = link_request(request, uow)
    plannen = burger.plans(link, index)
    if not plannen:
        oidc.refuse(uow, "geen_plan", "burger_oidc")
        return render(request, "deelname/geen_plan.html", {"melding": GEEN_PLAN}, status=403)
    if len(plannen) == 1:
        burger.record_return(link, plannen[0])
        return sign_in_invitee(request, uow, plannen[0].account_id, plannen[0].casus_id, "burger")
    response = render(request, "deelname/kiezen.html", {"plannen": plannen})
    keuze = {"index": index, "browser": _browser(request)}
    oidc.set_signed(request, response, KEUZE_COOKIE, keuze, path=BURGER_PAD, max_age=KEUZE_MAX_AGE)
    return response


def _browser(request: Request) -> str:
    """This browser, by its CSRF seed: a copied choice cookie is no use in another one."""
    return hashlib.sha256(csrf_seed(request).encode()).hexdigest()


@router.post(f"{BURGER_PAD}/kiezen", dependencies=[AANMELDEN])
def choose(request: Request, uow: UowDep, form: PostedForm) -> Response:
    """The plan chosen among this person's plans, checked again against the signed choice."""
    waarde = request.cookies.get(KEUZE_COOKIE)
    keuze = oidc.read_flow(request.app.state.session_secret, waarde, KEUZE_COOKIE)
    if (
        waarde is None
        or keuze is None
        or not csrf_valid(request, str(form.get(CSRF_FIELD) or ""))
        or keuze.get("browser") != _browser(request)
        or not oidc.use_once(request, KEUZE_COOKIE, keuze, waarde)
    ):
        oidc.refuse(uow, "keuze", "burger_oidc")
        raise Geweigerd("Deze keuze is verlopen. Log opnieuw in met DigiD.")
    link = link_request(request, uow)
    gekozen = str(form.get("account") or "")
    for plan in burger.plans(link, str(keuze.get("index"))):
        if str(plan.account_id) == gekozen:
            burger.record_return(link, plan)
            response = sign_in_invitee(request, uow, plan.account_id, plan.casus_id, "burger")
            response.delete_cookie(KEUZE_COOKIE, path=BURGER_PAD)
            return response
    raise Geweigerd("Kies een van de plannen op de pagina.")
