"""Web sessions live in the database: signing out ends them wherever the cookie was copied to."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.accounts.models import Account
from app.audit.models import AuditGebeurtenis
from app.auth.sessies import Sessie
from app.config import Settings
from app.db import utcnow
from app.web.session import SESSION_COOKIE
from tests.factories import auth, make_account
from tests.web.test_steps import sign_in


def _sessies(app: Any) -> list[Sessie]:
    with Session(app.state.engine) as session:
        return list(session.exec(select(Sessie)).all())


def _set_times(app: Any, **velden: Any) -> None:
    with Session(app.state.engine) as session:
        for sessie in session.exec(select(Sessie)).all():
            for naam, waarde in velden.items():
                setattr(sessie, naam, waarde)
            session.add(sessie)
        session.commit()


def _copy(browser: TestClient) -> TestClient:
    """Another browser holding the same session cookie (a copied or stolen cookie)."""
    other = TestClient(browser.app, follow_redirects=False)
    other.cookies.set(SESSION_COOKIE, browser.cookies[SESSION_COOKIE])
    return other


def test_signing_out_ends_the_session_for_every_copy_of_the_cookie(app: Any) -> None:
    make_account(app, "anna")
    browser, csrf = sign_in(app, "anna")
    copy = _copy(browser)
    assert copy.get("/casussen").status_code == 200
    out = browser.post("/afmelden", data={"csrf_token": csrf})
    assert out.status_code == 303
    assert _sessies(app) == []
    page = copy.get("/casussen")
    assert page.status_code == 303 and page.headers["location"].startswith("/aanmelden")
    with Session(app.state.engine) as session:
        afmelden = session.exec(
            select(AuditGebeurtenis).where(col(AuditGebeurtenis.actie) == "afmelden")
        ).all()
    assert [e.gebruikersnaam for e in afmelden] == ["anna"]


def test_the_database_holds_only_a_hash_of_the_cookie(app: Any) -> None:
    make_account(app, "anna")
    browser, _ = sign_in(app, "anna")
    geheim = browser.cookies[SESSION_COOKIE]
    [sessie] = _sessies(app)
    assert len(geheim) >= 43 and geheim not in sessie.id
    assert sessie.id == hashlib.sha256(geheim.encode()).hexdigest()
    assert sessie.methode == "dev"


def test_an_expired_session_opens_nothing_and_is_cleared_at_the_next_sign_in(app: Any) -> None:
    make_account(app, "anna")
    browser, _ = sign_in(app, "anna")
    _set_times(app, verloopt_op=utcnow() - timedelta(seconds=1))
    assert browser.get("/casussen").status_code == 303
    sign_in(app, "anna")
    [over] = _sessies(app)
    assert over.verloopt_op > utcnow()


def test_renewing_extends_the_session_but_never_past_its_maximum(app: Any) -> None:
    settings = app.state.settings
    make_account(app, "anna")
    browser, csrf = sign_in(app, "anna")
    begin = utcnow() - timedelta(hours=settings.session_max_hours) + timedelta(minutes=30)
    _set_times(app, aangemaakt_op=begin, verloopt_op=utcnow() + timedelta(minutes=5))
    renewed = browser.post(
        "/sessie/verlengen", data={"csrf_token": csrf}, headers={"Accept": "application/json"}
    )
    assert renewed.status_code == 200
    grens = begin + timedelta(hours=settings.session_max_hours)
    assert renewed.json() == {"verloopt": int(grens.timestamp()), "verlengd": True}
    [sessie] = _sessies(app)
    assert sessie.verloopt_op == grens
    again = browser.post(
        "/sessie/verlengen", data={"csrf_token": csrf}, headers={"Accept": "application/json"}
    )
    assert again.json() == {"verloopt": int(grens.timestamp()), "verlengd": False}


def test_renewing_a_fresh_session_adds_the_idle_limit(app: Any) -> None:
    settings = app.state.settings
    make_account(app, "anna")
    browser, csrf = sign_in(app, "anna")
    _set_times(app, verloopt_op=utcnow() + timedelta(minutes=5))
    renewed = browser.post(
        "/sessie/verlengen", data={"csrf_token": csrf}, headers={"Accept": "application/json"}
    )
    verwacht = utcnow() + timedelta(minutes=settings.session_idle_minutes)
    assert abs(renewed.json()["verloopt"] - verwacht.timestamp()) < 60


def test_a_deactivated_account_is_signed_out_at_its_next_request(app: Any) -> None:
    make_account(app, "anna")
    browser, _ = sign_in(app, "anna")
    assert browser.get("/casussen").status_code == 200
    with Session(app.state.engine) as session:
        account = session.exec(select(Account).where(Account.gebruikersnaam == "anna")).one()
        account.actief = False
        session.add(account)
        session.commit()
    assert browser.get("/casussen").status_code == 303


def test_an_unknown_or_overlong_cookie_is_no_session(app: Any) -> None:
    make_account(app, "anna")
    browser = TestClient(app, follow_redirects=False)
    for cookie in ("a" * 43, "a" * 5000):
        browser.cookies.set(SESSION_COOKIE, cookie)
        assert browser.get("/casussen").status_code == 303


def test_a_new_session_never_starts_longer_than_the_maximum(app: Any, settings: Settings) -> None:
    kort = settings.model_copy(update={"session_idle_minutes": 480, "session_max_hours": 1})
    app.state.settings = kort
    make_account(app, "anna")
    sign_in(app, "anna")
    [sessie] = _sessies(app)
    assert sessie.verloopt_op <= utcnow() + timedelta(hours=1)


def test_signing_in_ends_the_session_the_browser_held(app: Any) -> None:
    """A shared PC: B signs in where A's session was; a copy of A's cookie opens nothing."""
    make_account(app, "anna")
    make_account(app, "bram")
    browser, csrf = sign_in(app, "anna")
    copy = _copy(browser)
    response = browser.post("/aanmelden", data={"csrf_token": csrf, "gebruikersnaam": "bram"})
    assert response.status_code == 303
    assert copy.get("/casussen").status_code == 303
    [sessie] = _sessies(app)
    with Session(app.state.engine) as session:
        assert session.get(Account, sessie.account_id).gebruikersnaam == "bram"  # type: ignore[union-attr]


def test_switching_an_account_off_ends_its_sessions_for_good(
    app: Any, client: TestClient, settings: Settings
) -> None:
    """Switched on again, the account signs in anew: no old (or copied) cookie comes back."""
    make_account(app, "anna")
    make_account(app, "fleur", systeemrollen=("beheerder",))
    browser, _ = sign_in(app, "anna")
    beheer = auth(settings, "fleur")
    uit = client.patch("/api/v1/beheer/accounts/anna", json={"actief": False}, headers=beheer)
    assert uit.status_code == 200, uit.text
    assert _sessies(app) == []
    aan = client.patch("/api/v1/beheer/accounts/anna", json={"actief": True}, headers=beheer)
    assert aan.status_code == 200
    assert browser.get("/casussen").status_code == 303
