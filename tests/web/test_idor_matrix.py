"""The IDOR matrix of the web UI: every casus page and form × every kind of non-member.

A non-member gets exactly the page a casus that does not exist gets: the same status (404) and
the same Dutch error page, nothing changes, and the refusal is audited. Forms are posted with
the browser's valid CSRF token and fields that would succeed for the member (the control test
shows they do), so the 404 is never a CSRF refusal or an input error in disguise.

The routes, the seeded casus and the kinds of non-member are those of the API matrix
(tests/api/test_idor_matrix.py; its docstring says why the proposed opvolger is not one). The
deactivated account signs in first and is deactivated after: its session ends with it, so a
page sends it to the sign-in page (303) and a form post gets the kept-input page (401), exactly
as for a missing casus. As there, each route's whole row is one test on one seeded casus.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import replace
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from tests.api.test_idor_matrix import (
    ACCOUNT,
    ANDERS,
    GEEN_OVERDRACHT,
    NIEUW,
    OPVOLGER,
    OUDER,
    SOORTEN,
    SUBRESOURCES,
    UNSAFE,
    WEB_ROUTES,
    Stand,
    Verzoek,
    Zaad,
    account_id,
    assert_refusal_audited,
    buitenstaander,
    case_id,
    cases,
    kruis,
    stand_van,
    zaai,
)
from tests.web.test_steps import sign_in

S = "/casussen/{casus_id}"
ANTWOORD = S + "/overdracht/{overdracht_id}/{antwoord}"
VERZOEKEN: dict[tuple[str, str], tuple[Verzoek, ...]] = {
    ("GET", S + "/geschiedenis/vergelijk"): (Verzoek(query="?van=2&naar=3"),),
    ("POST", S + "/stap/{sleutel}"): (
        Verzoek({"basis": "{revisie}", "situatie.krachten": "Een betrokken opa."}),
    ),
    ("POST", S + "/overdracht"): (
        Verzoek(
            {"opvolger": NIEUW, "toelichting": "Warme overdracht.", "grondslag": "meldcode"},
            stand=GEEN_OVERDRACHT,
        ),
    ),
    ("POST", ANTWOORD): (
        Verzoek({}, door=OPVOLGER, pad={"antwoord": "accepteren"}, naam="accepteren"),
        Verzoek(
            {"reden": "Geen ruimte."}, door=OPVOLGER, pad={"antwoord": "afwijzen"}, naam="afwijzen"
        ),
        Verzoek({}, pad={"antwoord": "intrekken"}, naam="intrekken"),
    ),
    ("POST", S + "/mdo"): (Verzoek({"datum": "2026-12-01"}, stand=Stand(mdo=False)),),
    ("POST", S + "/mdo/{mdo_id}/afronden"): (
        Verzoek({"revisie": "3", "besluiten": "Plan vastgesteld."}),
    ),
    ("POST", S + "/betrokkenen"): (
        Verzoek({"gebruikersnaam": NIEUW, "rol": "volger", "grondslag": "meldcode"}),
    ),
    ("POST", S + "/betrokkenen/{rol_id}/verwijderen"): (Verzoek({}),),
    ("POST", S + "/vragenlijsten"): (Verzoek({"moment": "mdo"}),),
    ("POST", S + "/vragenlijsten/{uitnodiging_id}/intrekken"): (Verzoek({}),),
    ("POST", S + "/uitnodigingen"): (
        Verzoek({"rol": "ouder", "naam": "Oma Test", "email": "oma@example.nl"}),
    ),
    ("POST", S + "/uitnodigingen/{deelname_id}/intrekken"): (Verzoek({}),),
    ("POST", S + "/uitnodigingen/{deelname_id}/opnieuw"): (
        Verzoek({}, stand=Stand(geaccepteerd=True)),
    ),
    ("POST", S + "/plan"): (Verzoek({"basis": "3"}),),
    ("POST", S + "/plan/toestemming"): (
        Verzoek(
            {"basis": "3", "organisatietypen": "huisarts"}, door=OUDER, stand=Stand(ouder=True)
        ),
    ),
}
CASES = cases(WEB_ROUTES, VERZOEKEN)
PER_ROUTE = [pytest.param(*c, id=case_id(*c)) for c in CASES]
SESSIE_EINDE = re.compile(r'data-sessie-verloopt="\d+"')


def test_every_unsafe_page_route_has_a_request() -> None:
    zonder = [(m, p) for m, p in WEB_ROUTES if m in UNSAFE and (m, p) not in VERZOEKEN]
    assert zonder == [], "add a Verzoek (form fields that would succeed) to VERZOEKEN"
    assert set(VERZOEKEN) <= set(WEB_ROUTES)
    assert len(CASES) >= 20


def stuur(
    zaad: Zaad, browser: TestClient, csrf: str, methode: str, pad: str, casus_id: str, v: Verzoek
) -> httpx.Response:
    data = None
    if methode != "GET":
        data = {"csrf_token": csrf, **{k: w.format(**zaad.ids) for k, w in (v.body or {}).items()}}
    response: httpx.Response = browser.request(methode, zaad.url(pad, casus_id, v), data=data)
    return response


def pagina(response: httpx.Response, *ids: str) -> tuple[int, str, str, str]:
    """Status, content type, where it sends the browser, and the page, with the ids in the
    path (and the session's own end time) taken out."""
    tekst = SESSIE_EINDE.sub("", response.text)
    waarheen = response.headers.get("location", "")
    for kenmerk in ids:
        tekst, waarheen = tekst.replace(kenmerk, "{id}"), waarheen.replace(kenmerk, "{id}")
    return response.status_code, response.headers.get("content-type", ""), waarheen, tekst


def assert_as_if_missing(zaad: Zaad, soort: str, methode: str, pad: str, verzoek: Verzoek) -> None:
    naam = ACCOUNT[soort]
    browser, csrf = sign_in(zaad.app, naam)
    with browser:
        buitenstaander(zaad, soort)  # after signing in: the deactivated one had a session
        voor = stand_van(zaad.app)
        ontbrekend = str(uuid.uuid4())
        echt = stuur(zaad, browser, csrf, methode, pad, zaad.casus_id, verzoek)
        nep = stuur(zaad, browser, csrf, methode, pad, ontbrekend, verzoek)
    status, _, waarheen, tekst = pagina(echt, zaad.casus_id)
    if soort == "gedeactiveerd":
        if methode == "GET":
            assert (status, waarheen.split("?")[0]) == (303, "/aanmelden"), status
        else:
            assert status == 401 and "Uw sessie is verlopen" in tekst, status
        code = "niet_geauthenticeerd"
    else:
        assert status == 404 and "Casus niet gevonden" in tekst, (status, tekst[:500])
        code = "casus_niet_gevonden"
    assert pagina(nep, ontbrekend) == pagina(echt, zaad.casus_id)
    assert stand_van(zaad.app) == voor
    wie = None if soort == "gedeactiveerd" else account_id(zaad.app, naam)
    assert_refusal_audited(zaad.app, echt, zaad.casus_id, wie, code)


def assert_succeeds_for_the_member(zaad: Zaad, methode: str, pad: str, verzoek: Verzoek) -> None:
    """The control: the same page or form works for the member (a page, or a redirect after
    a saved form), so the non-members' 404 is about access only."""
    browser, csrf = sign_in(zaad.app, verzoek.door)
    with browser:
        response = stuur(zaad, browser, csrf, methode, pad, zaad.casus_id, verzoek)
    assert response.status_code in (200, 303), (response.status_code, response.text[:2000])
    if response.status_code == 303:
        assert not response.headers["location"].startswith("/aanmelden")


@pytest.mark.parametrize(("methode", "pad", "verzoek"), PER_ROUTE)
def test_every_non_member_gets_the_missing_casus_answer_then_the_member_succeeds(
    client: TestClient,
    app: Any,
    settings: Settings,
    subtests: pytest.Subtests,
    methode: str,
    pad: str,
    verzoek: Verzoek,
) -> None:
    """One route's whole row on one seeded casus (why: see the API matrix's twin test)."""
    zaad = zaai(client, app, settings, verzoek.stand)
    for soort in SOORTEN:
        with subtests.test(soort=soort):
            assert_as_if_missing(zaad, soort, methode, pad, verzoek)
    with subtests.test(soort="lid (controle)"):
        assert_succeeds_for_the_member(zaad, methode, pad, verzoek)


@pytest.mark.parametrize(
    ("methode", "pad", "verzoek"), [pytest.param(*c, id=case_id(*c)) for c in kruis(CASES)]
)
def test_another_casus_sub_resource_under_your_own_casus_is_a_missing_one(
    client: TestClient, app: Any, settings: Settings, methode: str, pad: str, verzoek: Verzoek
) -> None:
    """The web twin of the API test: this casus' role, overdracht, MDO or link id posted under
    another casus by one who may act there gets the page for an id that does not exist."""
    assert len(kruis(CASES)) >= 6
    zaad = zaai(client, app, settings, verzoek.stand)
    willekeurig = {naam: str(uuid.uuid4()) for naam in SUBRESOURCES}
    nep_zaad = replace(zaad, ids={**zaad.ids, **willekeurig})
    browser, csrf = sign_in(app, ANDERS[verzoek.door])
    voor = stand_van(app)
    with browser:
        echt = stuur(zaad, browser, csrf, methode, pad, zaad.andere_casus_id, verzoek)
        nep = stuur(nep_zaad, browser, csrf, methode, pad, zaad.andere_casus_id, verzoek)
    status, _, _, tekst = pagina(echt)
    assert status == 404 and "Niet gevonden" in tekst, (status, tekst[:500])
    echte_ids = [zaad.ids[n] for n in SUBRESOURCES if n in zaad.ids]
    assert pagina(nep, *willekeurig.values()) == pagina(echt, *echte_ids)
    assert stand_van(app) == voor
