"""The handreiking in the browser without JavaScript: steps, saving, errors, merging, sessions."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.accounts.models import Account
from app.audit.models import AuditGebeurtenis
from app.auth import sessies
from app.config import Settings
from app.db import unit_of_work
from app.web.session import SESSION_COOKIE
from tests.factories import add_role, auth, make_account, new_casus

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
BASIS = re.compile(r'name="basis" value="(\d+)"')


def sign_in(app: Any, gebruikersnaam: str) -> tuple[TestClient, str]:
    """A browser-like client with a session cookie, and its CSRF token."""
    browser = TestClient(app, follow_redirects=False)
    token = CSRF.search(browser.get("/aanmelden").text)
    assert token is not None
    if gebruikersnaam.startswith("burger-"):
        # An invited ouder never signs in by name: their session is what an invitation opens.
        with unit_of_work(app.state.engine) as session:
            wie = select(Account.id).where(Account.gebruikersnaam == gebruikersnaam)
            geheim = sessies.begin(session, app.state.settings, session.exec(wie).one(), "link")
        browser.cookies.set(SESSION_COOKIE, geheim)
        return browser, token.group(1)
    response = browser.post(
        "/aanmelden", data={"csrf_token": token.group(1), "gebruikersnaam": gebruikersnaam}
    )
    assert response.status_code == 303
    return browser, token.group(1)


@pytest.fixture
def setup(client: TestClient, app: Any, settings: Settings) -> dict[str, Any]:
    anna = auth(settings, make_account(app, "anna"))
    make_account(app, "bram")
    make_account(app, "vera")
    casus = new_casus(client, anna)
    add_role(client, anna, casus["id"], "bram", "betrokkene")
    add_role(client, anna, casus["id"], "vera", "volger")
    return {"id": casus["id"], "api": anna}


def step_url(casus_id: str, sectie: str) -> str:
    return f"/casussen/{casus_id}/stap/{sectie}"


def test_every_section_renders_from_the_form_definition(app: Any, setup: dict[str, Any]) -> None:
    browser, _ = sign_in(app, "anna")
    for sectie, titel in [
        ("kop", "Gegevens van de casus"),
        ("betrokkenheid", "Stap 1 van 7: Wie zijn er betrokken?"),
        ("doelen", "Stap 3 van 7: Waar werken we samen naartoe?"),
        ("regie", "Stap 5 van 7: Wie heeft waarover de regie?"),
        ("afspraken", "Afspraken"),
    ]:
        page = browser.get(step_url(setup["id"], sectie))
        assert page.status_code == 200
        assert f"<title>{titel}" in page.text
    regie = browser.get(step_url(setup["id"], "regie")).text
    for label in ("Wat verstaan we in deze casus onder regie?", "Procesregie", "Regel toevoegen"):
        assert label in regie
    assert 'name="regie.procesregie.wie"' in regie
    assert 'for="veld-regie-betekenis"' in regie and 'id="veld-regie-betekenis"' in regie


def test_save_redirects_and_keeps_the_answer(app: Any, setup: dict[str, Any]) -> None:
    browser, csrf = sign_in(app, "anna")
    page = browser.get(step_url(setup["id"], "situatie")).text
    basis = BASIS.search(page)
    assert basis is not None
    response = browser.post(
        step_url(setup["id"], "situatie"),
        data={
            "csrf_token": csrf,
            "basis": basis.group(1),
            "situatie.krachten": "Creatief",
            "situatie.veiligheidsrisico": "nee",
            "stap_af": "ja",
            "actie": "volgende",
        },
    )
    assert response.status_code == 303
    assert response.headers["location"].endswith("/stap/doelen")
    api = browser.get(f"/api/v1/casussen/{setup['id']}/handreiking", headers=setup["api"]).json()
    assert api["inhoud"]["situatie"] == {"krachten": "Creatief", "veiligheidsrisico": False}
    assert api["inhoud"]["stappen_af"] == ["situatie"]
    overview = browser.get(f"/casussen/{setup['id']}").text
    assert "Afgerond" in overview


def test_invalid_input_is_shown_next_to_the_field_and_kept(app: Any, setup: dict[str, Any]) -> None:
    browser, csrf = sign_in(app, "anna")
    response = browser.post(
        step_url(setup["id"], "doelen"),
        data={
            "csrf_token": csrf,
            "basis": "1",
            "doelen.doelen.__aantal": "1",
            "doelen.doelen[0].doel": "Mijn getypte doel",
            "doelen.doelen[0].termijn": "2027-02-30",
            "actie": "opslaan",
        },
    )
    assert response.status_code == 422
    assert "<title>Fout: Stap 3 van 7" in response.text
    assert 'href="#veld-doelen-doelen-0-termijn"' in response.text
    assert 'id="veld-doelen-doelen-0-termijn-fout"' in response.text
    assert 'aria-invalid="true"' in response.text
    assert 'value="Mijn getypte doel"' in response.text
    revisies = browser.get(f"/api/v1/casussen/{setup['id']}/revisies", headers=setup["api"]).json()
    assert len(revisies) == 1


def test_list_rows_are_added_and_removed_without_javascript(
    app: Any, setup: dict[str, Any]
) -> None:
    browser, csrf = sign_in(app, "anna")
    url = step_url(setup["id"], "doelen")
    added = browser.post(
        url,
        data={
            "csrf_token": csrf,
            "basis": "1",
            "doelen.doelen.__aantal": "1",
            "doelen.doelen[0].doel": "Eerste",
            "actie": "toevoegen:doelen.doelen",
        },
    )
    assert added.status_code == 200
    assert 'name="doelen.doelen[1].doel"' in added.text and 'value="Eerste"' in added.text
    removed = browser.post(
        url,
        data={
            "csrf_token": csrf,
            "basis": "1",
            "doelen.doelen.__aantal": "2",
            "doelen.doelen[0].doel": "Eerste",
            "doelen.doelen[1].doel": "Tweede",
            "actie": "verwijderen:doelen.doelen[0]",
        },
    )
    assert 'value="Tweede"' in removed.text and 'value="Eerste"' not in removed.text
    revisies = browser.get(f"/api/v1/casussen/{setup['id']}/revisies", headers=setup["api"]).json()
    assert len(revisies) == 1, "list actions only re-render; nothing is saved"


def _post_step(browser: TestClient, csrf: str, casus_id: str, basis: int, **velden: str) -> Any:
    data = {"csrf_token": csrf, "basis": str(basis), "actie": "opslaan", **velden}
    return browser.post(step_url(casus_id, "situatie"), data=data)


def test_conflict_merges_untouched_fields_and_lets_me_choose(
    app: Any, setup: dict[str, Any]
) -> None:
    anna, anna_csrf = sign_in(app, "anna")
    bram, bram_csrf = sign_in(app, "bram")
    casus_id = setup["id"]
    start = {"situatie.krachten": "Basis", "situatie.zorgen": "Basis"}
    assert _post_step(anna, anna_csrf, casus_id, 1, **start).status_code == 303
    # Both opened revision 2. Bram changes krachten and saves first.
    assert (
        _post_step(
            bram, bram_csrf, casus_id, 2, **{**start, "situatie.krachten": "Van Bram"}
        ).status_code
        == 303
    )
    # Anna, still on revision 2, changes zorgen (only she) and krachten (both of them).
    mine = {"situatie.krachten": "Van Anna", "situatie.zorgen": "Zorg van Anna"}
    conflict = _post_step(anna, anna_csrf, casus_id, 2, **mine)
    assert conflict.status_code == 409
    assert "Iemand anders heeft deze stap intussen opgeslagen" in conflict.text
    assert 'value="Van Anna"' not in conflict.text  # textarea: content, not value
    assert ">Van Anna</textarea>" in conflict.text and ">Zorg van Anna</textarea>" in conflict.text
    assert "Hun versie: <strong>Van Bram</strong>" in conflict.text
    basis = BASIS.search(conflict.text)
    assert basis is not None and basis.group(1) == "3"
    chosen = _post_step(anna, anna_csrf, casus_id, 3, **mine, **{"keuze:situatie.krachten": "hun"})
    assert chosen.status_code == 303
    result = anna.get(f"/api/v1/casussen/{casus_id}/handreiking", headers=setup["api"]).json()
    assert result["inhoud"]["situatie"] == {"krachten": "Van Bram", "zorgen": "Zorg van Anna"}
    assert result["revisie"] == 4


def test_autosave_answers_in_json(app: Any, setup: dict[str, Any]) -> None:
    browser, csrf = sign_in(app, "anna")
    headers = {"X-Regie-Autosave": "1"}
    ok = browser.post(
        step_url(setup["id"], "situatie"),
        headers=headers,
        data={"csrf_token": csrf, "basis": "1", "situatie.krachten": "Auto"},
    )
    assert (
        ok.status_code == 200
        and ok.json()["revisie"] == 2
        and re.match(r"\d\d:\d\d", ok.json()["om"])
    )
    stale = browser.post(
        step_url(setup["id"], "situatie"),
        headers=headers,
        data={"csrf_token": csrf, "basis": "1", "situatie.krachten": "Oud"},
    )
    assert stale.status_code == 409 and stale.json()["status"] == "conflict"
    invalid = browser.post(
        step_url(setup["id"], "situatie"),
        headers=headers,
        data={"csrf_token": csrf, "basis": "2", "situatie.krachten": "x" * 4001},
    )
    assert invalid.status_code == 422 and "situatie.krachten" in invalid.json()["fouten"]
    anonymous = TestClient(app, follow_redirects=False)
    expired = anonymous.post(
        step_url(setup["id"], "situatie"), headers=headers, data={"csrf_token": csrf, "basis": "2"}
    )
    assert expired.status_code in (401, 403)


def test_an_expired_session_keeps_what_was_typed(app: Any, setup: dict[str, Any]) -> None:
    browser, csrf = sign_in(app, "anna")
    browser.cookies.delete("regie_sessie")
    response = browser.post(
        step_url(setup["id"], "situatie"),
        data={"csrf_token": csrf, "basis": "1", "situatie.krachten": "Niet kwijt"},
    )
    assert response.status_code == 401
    assert "Uw sessie is verlopen" in response.text
    assert 'name="situatie.krachten" value="Niet kwijt"' in response.text
    assert "Opnieuw versturen" in response.text
    get = browser.get(step_url(setup["id"], "situatie"))
    assert get.status_code == 303 and get.headers["location"].startswith("/aanmelden?volgende=")


def test_a_volger_reads_but_gets_no_form(app: Any, setup: dict[str, Any]) -> None:
    browser, csrf = sign_in(app, "vera")
    page = browser.get(step_url(setup["id"], "situatie")).text
    assert "U kunt deze stap lezen, niet wijzigen." in page and "data-autosave" not in page
    refused = browser.post(
        step_url(setup["id"], "situatie"),
        data={"csrf_token": csrf, "basis": "1", "situatie.krachten": "Mag niet"},
    )
    assert refused.status_code == 403
    assert "<title>Geen toestemming" in refused.text


def test_missing_or_forged_csrf_changes_nothing(app: Any, setup: dict[str, Any]) -> None:
    browser, _ = sign_in(app, "anna")
    for token in (None, "vervalst"):
        data = {"basis": "1", "situatie.krachten": "Aanval"}
        if token:
            data["csrf_token"] = token
        assert browser.post(step_url(setup["id"], "situatie"), data=data).status_code == 403
    revisies = browser.get(f"/api/v1/casussen/{setup['id']}/revisies", headers=setup["api"]).json()
    assert len(revisies) == 1
    with Session(app.state.engine) as session:
        refused = session.exec(
            select(AuditGebeurtenis).where(
                AuditGebeurtenis.uitkomst == "geweigerd",
                AuditGebeurtenis.casus_id == uuid.UUID(setup["id"]),
            )
        ).all()
    assert len(refused) == 2, "both refused form posts are in the audit trail"
    assert all(e.kenmerken["code"] == "geweigerd" for e in refused)


def test_pages_carry_strict_security_headers(app: Any, setup: dict[str, Any]) -> None:
    browser, _ = sign_in(app, "anna")
    page = browser.get(step_url(setup["id"], "situatie"))
    csp = page.headers["content-security-policy"]
    assert (
        "unsafe-inline" not in csp
        and "script-src 'self'" in csp
        and "frame-ancestors 'none'" in csp
    )
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["cache-control"] == "no-store"
    assert "<script>" not in page.text and "style=" not in page.text


def test_session_cookie_flags(app: Any) -> None:
    browser = TestClient(app, follow_redirects=False)
    make_account(app, "anna")
    token = CSRF.search(browser.get("/aanmelden").text)
    assert token is not None
    response = browser.post(
        "/aanmelden", data={"csrf_token": token.group(1), "gebruikersnaam": "anna"}
    )
    cookie = next(
        v for k, v in response.headers.multi_items() if k == "set-cookie" and "regie_sessie" in v
    )
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # dev over http; production sets Secure (see session._secure)


def test_session_can_be_extended(app: Any, setup: dict[str, Any]) -> None:
    browser, csrf = sign_in(app, "anna")
    page = browser.get(f"/casussen/{setup['id']}").text
    assert "data-sessie-verloopt=" in page
    renewed = browser.post(
        "/sessie/verlengen", data={"csrf_token": csrf}, headers={"Accept": "application/json"}
    )
    assert renewed.status_code == 200 and renewed.json()["verloopt"] > 0


def test_meeting_mode_hides_personal_navigation(app: Any, setup: dict[str, Any]) -> None:
    browser, _ = sign_in(app, "anna")
    page = browser.get(step_url(setup["id"], "doelen") + "?mdo=1").text
    assert "regie-mdo" in page and "Mijn casussen</a></li>" not in page and "Afmelden" not in page
    assert 'aria-current="step"' in page and 'rel="next"' in page and 'rel="prev"' in page


def test_check_page_shows_every_step_read_only_with_change_links(
    app: Any, setup: dict[str, Any]
) -> None:
    browser, _ = sign_in(app, "anna")
    page = browser.get(f"/casussen/{setup['id']}/controleren")
    assert page.status_code == 200
    assert page.text.count(">Wijzig<span") == 9
    assert "Niet ingevuld" in page.text and "Test Jeugdige" in page.text
    volger, _ = sign_in(app, "vera")
    assert ">Wijzig<span" not in volger.get(f"/casussen/{setup['id']}/controleren").text


def test_a_casus_page_is_one_logged_decision_and_no_page_for_outsiders(
    app: Any, setup: dict[str, Any]
) -> None:
    """The casus, its plan and the controls on a page come from one access decision, logged
    once as reading the plan; whoever is not on the casus gets the 404 of a missing one."""
    casus_id = uuid.UUID(setup["id"])

    def logged() -> list[tuple[str, str, str]]:
        with Session(app.state.engine) as session:
            rows = session.exec(
                select(AuditGebeurtenis)
                .where(AuditGebeurtenis.casus_id == casus_id)
                .order_by(col(AuditGebeurtenis.volgnummer))
            ).all()
        return [(e.gebruikersnaam or "", e.actie, e.uitkomst) for e in rows]

    make_account(app, "eva")
    browser, _ = sign_in(app, "anna")
    outsider, _ = sign_in(app, "eva")
    voor = logged()
    assert browser.get(f"/casussen/{setup['id']}/controleren").status_code == 200
    assert logged()[len(voor) :] == [("anna", "handreiking.lezen", "toegestaan")]
    voor = logged()
    onbekend = str(uuid.uuid4())
    missing = outsider.get(f"/casussen/{onbekend}/controleren")
    hidden = outsider.get(f"/casussen/{setup['id']}/controleren")
    assert hidden.status_code == missing.status_code == 404
    assert "Test Jeugdige" not in hidden.text
    assert hidden.text.replace(setup["id"], onbekend) == missing.text
    assert logged()[len(voor) :] == [("eva", "handreiking.lezen", "geweigerd")]
