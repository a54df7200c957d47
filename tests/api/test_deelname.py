"""Ouders and the jeugdige invited to their own casus: a link by e-mail, a code in person.

Through the real API, the real pages and the real database (both backends); the e-mail is read
back from the dev postbus folder the app writes it to.
"""

from __future__ import annotations

import email
import email.policy
import re
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text, update
from sqlmodel import Session, col, select

from app.audit.models import AuditGebeurtenis
from app.config import Settings
from app.db import unit_of_work, utcnow
from app.deelname import service
from app.deelname.models import Uitnodiging
from app.enums import CasusRol
from app.links import token_hash
from tests.factories import add_burger, add_role, auth, make_account, new_casus

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
LINK = re.compile(r"http://testserver/uitnodiging/([A-Za-z0-9_-]+)")


@pytest.fixture
def casus(client: TestClient, app: Any, settings: Settings) -> dict[str, Any]:
    """A casus of regievoerder Anna, with Bram as betrokkene; and Gert's casus beside it."""
    anna = auth(settings, make_account(app, "anna"))
    bram = auth(settings, make_account(app, "bram"))
    gert = auth(settings, make_account(app, "gert"))
    casus_id = new_casus(client, anna)["id"]
    add_role(client, anna, casus_id, "bram", "betrokkene")
    andere = new_casus(client, gert)["id"]
    return {
        "id": casus_id,
        "url": f"/api/v1/casussen/{casus_id}",
        "anna": anna,
        "bram": bram,
        "andere": andere,
        "gert": gert,
    }


def adres() -> str:
    """A recipient of this test only: the postbus folder is shared by the session's tests."""
    return f"ouder-{uuid.uuid4().hex[:12]}@example.nl"


def invite(client: TestClient, casus: dict[str, Any], aan: str, rol: str = "ouder") -> Any:
    response = client.post(
        f"{casus['url']}/uitnodigingen",
        json={"rol": rol, "naam": "Petra de Vries", "email": aan},
        headers=casus["anna"],
    )
    assert response.status_code == 201, response.text
    return response.json()


def mail(settings: Settings, aan: str) -> email.message.EmailMessage:
    """The one message the app sent to `aan`."""
    gevonden = []
    for pad in sorted(Path(settings.data_dir, "postbus").glob("*.eml")):
        bericht = email.message_from_bytes(pad.read_bytes(), policy=email.policy.default)
        if bericht["To"] == aan:
            gevonden.append(bericht)
    assert len(gevonden) == 1, gevonden
    return gevonden[0]


def token_in(bericht: email.message.EmailMessage) -> str:
    body = bericht.get_body(preferencelist=("plain",))
    assert body is not None
    match = LINK.search(body.get_content())
    assert match is not None, body.get_content()
    return match.group(1)


def open_link(app: Any, token: str) -> tuple[TestClient, str]:
    """A browser that opened the link: the code page and its CSRF token."""
    browser = TestClient(app, follow_redirects=False)
    page = browser.get(f"/uitnodiging/{token}")
    assert page.status_code == 200, page.text
    assert "Vul uw code in" in page.text
    found = CSRF.search(page.text)
    assert found is not None
    return browser, found.group(1)


def enter(browser: TestClient, token: str, csrf: str, code: str) -> Any:
    return browser.post(f"/uitnodiging/{token}", data={"csrf_token": csrf, "code": code})


@dataclass
class Gast:
    """An invitee who opened the link from their e-mail: their browser, on the code page."""

    browser: TestClient
    token: str
    csrf: str
    code: str

    def enter(self, code: str | None = None) -> Any:
        return enter(self.browser, self.token, self.csrf, self.code if code is None else code)


def invited_guest(
    client: TestClient, app: Any, settings: Settings, casus: dict[str, Any], rol: str = "ouder"
) -> Gast:
    """Invite someone, read the link from their e-mail and open it."""
    aan = adres()
    code = invite(client, casus, aan, rol)["code"]
    token = token_in(mail(settings, aan))
    browser, csrf = open_link(app, token)
    return Gast(browser, token, csrf, code)


def accept_newest(app: Any, settings: Settings, aan: str, code: str) -> TestClient:
    """Open the newest invitation mailed to `aan` (the address may be shared by several
    tests' invitations) and enter its code; the signed-in browser."""
    for pad in sorted(Path(settings.data_dir, "postbus").glob("*.eml"), reverse=True):
        bericht = email.message_from_bytes(pad.read_bytes(), policy=email.policy.default)
        if bericht["To"] == aan:
            browser, csrf = open_link(app, token_in(bericht))
            binnen = enter(browser, token_in(bericht), csrf, code)
            assert binnen.status_code == 303, binnen.text
            return browser
    raise AssertionError(f"geen uitnodiging aan {aan}")


def events(app: Any, actie: str) -> list[AuditGebeurtenis]:
    with Session(app.state.engine) as session:
        query = select(AuditGebeurtenis).where(col(AuditGebeurtenis.actie) == actie)
        return list(session.exec(query.order_by(col(AuditGebeurtenis.volgnummer))).all())


def raw(app: Any, table: str) -> str:
    with app.state.engine.connect() as connection:
        return repr(connection.execute(text(f'SELECT * FROM "{table}"')).all())  # noqa: S608


def test_the_link_goes_by_mail_and_the_code_only_to_the_regievoerder(
    client: TestClient, app: Any, settings: Settings, casus: dict[str, Any]
) -> None:
    aan = adres()
    nieuw = invite(client, casus, aan)
    code = nieuw["code"]
    assert re.fullmatch(r"[A-HJ-NP-Z2-9]{8}", code), code
    bericht = mail(settings, aan)
    token = token_in(bericht)
    inhoud = bericht.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert "Beste Petra de Vries" in inhoud and code not in inhoud
    assert "niet per e-mail" in inhoud
    # Neither secret is stored; name and address are sealed.
    opgeslagen = raw(app, "uitnodiging")
    for geheim in (token, code, aan, "Petra de Vries"):
        assert geheim not in opgeslagen
    with Session(app.state.engine) as session:
        [rij] = session.exec(select(Uitnodiging)).all()
    assert rij.token_hash == token_hash(token) and rij.code_hash != code
    # The regievoerder's list shows whom they invited; the code is never shown again.
    [regel] = client.get(f"{casus['url']}/uitnodigingen", headers=casus["anna"]).json()
    assert (regel["naam"], regel["email"], regel["rol"], regel["status"]) == (
        "Petra de Vries",
        aan,
        "ouder",
        "open",
    )
    assert "code" not in regel
    # The audit trail names the invitation, never the person or the address.
    [event] = events(app, "deelnemer.uitnodigen")
    assert event.kenmerken["uitnodiging"] == nieuw["id"] and event.velden == ["deelnemers"]
    assert aan not in repr(event.kenmerken) and "Petra" not in repr(event.kenmerken)


def test_link_and_code_open_a_session_on_that_one_casus_only(
    client: TestClient, app: Any, settings: Settings, casus: dict[str, Any]
) -> None:
    gast = invited_guest(client, app, settings, casus)
    browser = gast.browser
    # The code as people type it: lower case, with a dash or spaces.
    binnen = gast.enter(f" {gast.code[:4].lower()}-{gast.code[4:]} ")
    assert binnen.status_code == 303, binnen.text
    assert binnen.headers["location"] == f"/casussen/{casus['id']}/plan"
    assert browser.get(f"/casussen/{casus['id']}").status_code == 200
    # Another casus is as missing as one that does not exist.
    for ander in (casus["andere"], str(uuid.uuid4())):
        refused = browser.get(f"/casussen/{ander}")
        assert refused.status_code == 404 and "Casus niet gevonden" in refused.text
    # Their toegangslog: who read or changed their casus, themselves included.
    log = browser.get(f"/casussen/{casus['id']}/toegangslog")
    assert log.status_code == 200, log.text
    assert "Ouder/verzorger" in log.text
    # The team sees who joined, as what, without an organisation.
    rollen = client.get(f"{casus['url']}/betrokkenen", headers=casus["bram"]).json()
    ouder = next(r for r in rollen if r["rol"] == "ouder")
    assert (ouder["naam"], ouder["organisatie"]) == ("Ouder/verzorger", None)
    [regel] = client.get(f"{casus['url']}/uitnodigingen", headers=casus["anna"]).json()
    assert regel["status"] == "geaccepteerd"


def test_a_used_link_does_not_open_again(
    client: TestClient, app: Any, settings: Settings, casus: dict[str, Any]
) -> None:
    gast = invited_guest(client, app, settings, casus)
    assert gast.enter().status_code == 303
    again = TestClient(app, follow_redirects=False).get(f"/uitnodiging/{gast.token}")
    assert again.status_code == 410 and "Deze link is al gebruikt" in again.text
    twice = gast.enter()
    assert twice.status_code == 410 and "regie_sessie" not in twice.headers.get("set-cookie", "")


def test_an_expired_link_is_refused_with_a_clear_page(
    client: TestClient, app: Any, settings: Settings, casus: dict[str, Any]
) -> None:
    gast = invited_guest(client, app, settings, casus)
    with unit_of_work(app.state.engine) as session:
        session.execute(update(Uitnodiging).values(verloopt_op=utcnow() - timedelta(minutes=1)))
    page = gast.browser.get(f"/uitnodiging/{gast.token}")
    assert page.status_code == 410 and "De tijd is voorbij" in page.text
    late = gast.enter()
    assert late.status_code == 410 and "regie_sessie" not in late.headers.get("set-cookie", "")
    [regel] = client.get(f"{casus['url']}/uitnodigingen", headers=casus["anna"]).json()
    assert regel["status"] == "verlopen"
    assert events(app, "deelnemer.aanmelden")[-1].kenmerken["code"] == "verlopen"


def test_a_withdrawn_link_is_refused_and_an_accepted_one_cannot_be_withdrawn(
    client: TestClient, app: Any, settings: Settings, casus: dict[str, Any]
) -> None:
    aan = adres()
    nieuw = invite(client, casus, aan)
    token = token_in(mail(settings, aan))
    weg = client.post(
        f"{casus['url']}/uitnodigingen/{nieuw['id']}/intrekken", headers=casus["anna"]
    )
    assert weg.status_code == 204, weg.text
    page = TestClient(app).get(f"/uitnodiging/{token}")
    assert page.status_code == 410 and "heeft deze uitnodiging gestopt" in page.text

    assert invited_guest(client, app, settings, casus, rol="jeugdige").enter().status_code == 303
    [geaccepteerd] = [
        u
        for u in client.get(f"{casus['url']}/uitnodigingen", headers=casus["anna"]).json()
        if u["status"] == "geaccepteerd"
    ]
    te_laat = client.post(
        f"{casus['url']}/uitnodigingen/{geaccepteerd['id']}/intrekken", headers=casus["anna"]
    )
    assert te_laat.status_code == 409 and "Betrokkenen" in te_laat.json()["detail"]


def test_a_wrong_code_is_counted_and_blocks_the_link_after_five(
    client: TestClient, app: Any, settings: Settings, casus: dict[str, Any]
) -> None:
    gast = invited_guest(client, app, settings, casus)
    fout = "ABCD2345" if gast.code != "ABCD2345" else "ABCD2346"
    for over in range(service.MAX_POGINGEN - 1, 0, -1):
        wrong = gast.enter(fout)
        assert wrong.status_code == 400, wrong.text
        assert "De code klopt niet" in wrong.text
        assert f"nog {over} keer" in wrong.text
        assert 'aria-invalid="true"' in wrong.text
    last = gast.enter(fout)
    assert last.status_code == 400 and "De link is nu geblokkeerd" in last.text
    # Now even the right code does not open it.
    blocked = gast.enter()
    assert blocked.status_code == 410 and "te vaak een verkeerde code" in blocked.text
    assert "regie_sessie" not in blocked.headers.get("set-cookie", "")
    refused = [e.kenmerken.get("code") for e in events(app, "deelnemer.aanmelden")]
    assert refused.count("verkeerde_code") == service.MAX_POGINGEN
    assert refused[-1] == "geblokkeerd"


def test_an_unknown_or_malformed_link_gets_the_not_found_page(app: Any) -> None:
    browser = TestClient(app)
    for token in ("x" * 43, "kort", "a" * 200):
        page = browser.get(f"/uitnodiging/{token}")
        assert page.status_code == 404 and "Deze link werkt niet" in page.text


def test_removing_the_role_ends_the_ouders_access_at_once(
    client: TestClient, app: Any, settings: Settings, casus: dict[str, Any]
) -> None:
    gast = invited_guest(client, app, settings, casus)
    assert gast.enter().status_code == 303
    assert gast.browser.get(f"/casussen/{casus['id']}").status_code == 200
    rollen = client.get(f"{casus['url']}/betrokkenen", headers=casus["anna"]).json()
    ouder = next(r for r in rollen if r["rol"] == "ouder")
    ended = client.delete(f"{casus['url']}/betrokkenen/{ouder['id']}", headers=casus["anna"])
    assert ended.status_code == 204, ended.text
    assert gast.browser.get(f"/casussen/{casus['id']}").status_code == 404


def test_a_closed_casus_takes_no_new_participants(
    client: TestClient, app: Any, settings: Settings, casus: dict[str, Any]
) -> None:
    gast = invited_guest(client, app, settings, casus)
    closed = client.post(
        f"{casus['url']}/afsluiten", json={"reden": "Klaar."}, headers=casus["anna"]
    )
    assert closed.status_code == 200, closed.text
    late = gast.enter()
    assert late.status_code == 410 and "het plan is gesloten" in late.text
    again = client.post(
        f"{casus['url']}/uitnodigingen",
        json={"rol": "ouder", "naam": "Opa", "email": adres()},
        headers=casus["anna"],
    )
    assert again.status_code == 409 and again.json()["code"] == "casus_afgesloten"


def test_only_the_regievoerder_invites_and_bad_input_changes_nothing(
    client: TestClient, app: Any, settings: Settings, casus: dict[str, Any]
) -> None:
    body = {"rol": "ouder", "naam": "Opa", "email": adres()}
    door_bram = client.post(f"{casus['url']}/uitnodigingen", json=body, headers=casus["bram"])
    assert door_bram.status_code == 403 and door_bram.json()["code"] == "geweigerd"
    door_gert = client.post(f"{casus['url']}/uitnodigingen", json=body, headers=casus["gert"])
    assert door_gert.status_code == 404
    for fout, pad in (
        ({**body, "email": "geen-adres"}, "email"),
        ({**body, "rol": "betrokkene"}, "rol"),
        ({**body, "naam": ""}, "naam"),
    ):
        response = client.post(f"{casus['url']}/uitnodigingen", json=fout, headers=casus["anna"])
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert pad in response.text
    assert client.get(f"{casus['url']}/uitnodigingen", headers=casus["anna"]).json() == []


def test_production_without_a_mail_server_refuses_to_invite(
    app: Any, settings: Settings, casus: dict[str, Any]
) -> None:
    app.state.settings = settings.model_copy(
        update={"env": "production", "publieke_url": "https://regie.example.nl/"}
    )
    with TestClient(app) as client:
        response = client.post(
            f"{casus['url']}/uitnodigingen",
            json={"rol": "ouder", "naam": "Opa", "email": adres()},
            headers=casus["anna"],
        )
    assert response.status_code == 503 and response.json()["code"] == "niet_ingericht"
    with Session(app.state.engine) as session:
        assert session.exec(select(Uitnodiging)).all() == []


def test_outside_dev_an_ouder_is_never_signed_in_by_name(
    app: Any, settings: Settings, casus: dict[str, Any]
) -> None:
    """Only the invitation lets an ouder in: a token (or an identity provider's user) that
    happens to carry their account name is refused like an unknown one."""
    naam = add_burger(app, casus["id"], "burger-" + "a" * 32, CasusRol.OUDER)
    token = auth(settings, naam)
    app.state.settings = settings.model_copy(
        update={"env": "production", "publieke_url": "https://regie.example.nl/"}
    )
    with TestClient(app) as client:
        refused = client.get(casus["url"], headers=token)
        assert refused.status_code == 401 and refused.json()["code"] == "niet_geauthenticeerd"
        assert client.get(casus["url"], headers=casus["anna"]).status_code == 200
