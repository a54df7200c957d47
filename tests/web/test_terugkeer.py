"""An invited ouder or jeugdige comes back after their session ended: a new link by e-mail,
opened with the code of their invitation, into the same account (both backends, real pages)."""

from __future__ import annotations

import email
import email.policy
import re
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, update
from sqlmodel import Session, col, select

from app.accounts.models import Account
from app.casus.models import Rol
from app.config import Settings
from app.db import unit_of_work, utcnow
from app.deelname import service, terugkeer
from app.deelname.models import Terugkeerlink
from app.enums import CasusRol
from tests.api.test_deelname import (
    CSRF,
    Gast,
    adres,
    casus,
    events,
    invite,
    mail,
    open_link,
    raw,
    token_in,
)

__all__ = ["casus"]  # the fixture, shared with the invitation tests

TERUG = re.compile(r"http://testserver/terugkomen/([A-Za-z0-9_-]+)")


def mails(settings: Settings, aan: str) -> list[email.message.EmailMessage]:
    """Every message the app sent to `aan`, oldest first."""
    gevonden = []
    for pad in sorted(Path(settings.data_dir, "postbus").glob("*.eml")):
        bericht = email.message_from_bytes(pad.read_bytes(), policy=email.policy.default)
        if str(bericht["To"]).lower() == aan.lower():
            gevonden.append(bericht)
    return gevonden


def body(bericht: email.message.EmailMessage) -> str:
    deel = bericht.get_body(preferencelist=("plain",))
    assert deel is not None
    return str(deel.get_content())


def ask(app: Any, aan: str) -> TestClient:
    """A fresh browser asks for a new link for `aan`; the answer never says whether it exists."""
    browser = TestClient(app, follow_redirects=False)
    page = browser.get("/terugkomen")
    assert page.status_code == 200 and "Weer naar uw plan" in page.text
    found = CSRF.search(page.text)
    assert found is not None
    sent = browser.post("/terugkomen", data={"csrf_token": found.group(1), "email": aan})
    assert sent.status_code == 303 and sent.headers["location"] == "/terugkomen?verstuurd=1"
    return browser


def new_link(settings: Settings, aan: str) -> str:
    """The token of the newest link mailed to `aan`."""
    laatste = mails(settings, aan)[-1]
    found = TERUG.search(body(laatste))
    assert found is not None, body(laatste)
    return found.group(1)


def open_new_link(browser: TestClient, token: str) -> str:
    page = browser.get(f"/terugkomen/{token}")
    assert page.status_code == 200, page.text
    assert "Vul dezelfde code in als de eerste keer" in page.text
    found = CSRF.search(page.text)
    assert found is not None
    return found.group(1)


def accepted(
    client: TestClient, app: Any, settings: Settings, casus: dict[str, Any]
) -> tuple[Gast, str]:
    """An invitee who came in once, and the address their invitation went to."""
    aan = adres()
    code = invite(client, casus, aan)["code"]
    token = token_in(mail(settings, aan))
    browser, csrf = open_link(app, token)
    gast = Gast(browser, token, csrf, code)
    assert gast.enter().status_code == 303
    return gast, aan


def ouder_rollen(app: Any, casus_id: str) -> list[Rol]:
    with Session(app.state.engine) as session:
        query = select(Rol).where(Rol.casus_id == uuid.UUID(casus_id), Rol.rol == CasusRol.OUDER)
        return list(session.exec(query).all())


def test_a_new_link_and_the_same_code_bring_the_invitee_back_as_the_same_person(
    client: TestClient, app: Any, settings: Settings, casus: dict[str, Any]
) -> None:
    gast, aan = accepted(client, app, settings, casus)
    uitnodiging = body(mails(settings, aan)[0])
    assert "http://testserver/terugkomen" in uitnodiging and "Bewaar de code" in uitnodiging
    [voor] = ouder_rollen(app, casus["id"])

    browser = ask(app, aan.upper())  # however the address is typed
    bericht = body(mails(settings, aan)[-1])
    # Which invitation (by whom, when), so its code is known; no child or family named.
    assert "hoort bij de uitnodiging van Anna van" in bericht and "Petra" not in bericht
    token = new_link(settings, aan)
    csrf = open_new_link(browser, token)
    binnen = browser.post(f"/terugkomen/{token}", data={"csrf_token": csrf, "code": gast.code})
    assert binnen.status_code == 303, binnen.text
    assert binnen.headers["location"] == f"/casussen/{casus['id']}/plan"
    assert browser.get(binnen.headers["location"]).status_code == 200
    log = browser.get(f"/casussen/{casus['id']}/toegangslog").text
    assert (
        "Nieuwe link gevraagd om terug te komen" in log and "Met een nieuwe link aangemeld" in log
    )
    [na] = ouder_rollen(app, casus["id"])
    assert (na.id, na.account_id) == (voor.id, voor.account_id)
    # The return is booked under the invitee's account; the request is anonymous (anyone who
    # knows the address can ask), booked on the invitation.
    [terugkomen] = events(app, "deelnemer.terugkomen")
    assert terugkomen.account_id == voor.account_id and terugkomen.uitkomst == "toegestaan"
    assert terugkomen.gebruikersnaam and terugkomen.gebruikersnaam.startswith("burger-")
    [aanvraag] = events(app, "deelnemer.terugkeer_aanvragen")
    assert aanvraag.account_id is None and aanvraag.uitkomst == "toegestaan"
    assert aanvraag.kenmerken.keys() == {"uitnodiging"}
    # Neither the token nor the address is stored readably.
    assert token not in raw(app, "terugkeerlink") and aan not in raw(app, "uitnodiging")
    # The link works once.
    again = browser.post(f"/terugkomen/{token}", data={"csrf_token": csrf, "code": gast.code})
    assert again.status_code == 410 and "Een link werkt maar één keer" in again.text


def test_the_answer_is_the_same_for_an_unknown_address_and_nothing_is_sent(
    client: TestClient, app: Any, settings: Settings, casus: dict[str, Any]
) -> None:
    _, bekend = accepted(client, app, settings, casus)
    onbekend = f"niemand-{uuid.uuid4().hex[:8]}@example.nl"
    antwoorden = []
    for aan in (bekend, onbekend):
        browser = TestClient(app, follow_redirects=False)
        found = CSRF.search(browser.get("/terugkomen").text)
        assert found is not None
        sent = browser.post("/terugkomen", data={"csrf_token": found.group(1), "email": aan})
        cookies = sorted(c.split("=")[0] for c in sent.headers.get_list("set-cookie"))
        antwoorden.append((sent.status_code, sent.headers.get("location"), cookies, sent.text))
        page = browser.get("/terugkomen?verstuurd=1")
        assert "Hoort dit e-mailadres bij een uitnodiging?" in page.text
    assert antwoorden[0] == antwoorden[1] == (303, "/terugkomen?verstuurd=1", [], "")
    assert mails(settings, onbekend) == [] and len(mails(settings, bekend)) == 2


def test_an_invalid_address_is_shown_back_with_its_error(app: Any) -> None:
    browser = TestClient(app, follow_redirects=False)
    found = CSRF.search(browser.get("/terugkomen").text)
    assert found is not None
    refused = browser.post("/terugkomen", data={"csrf_token": found.group(1), "email": "opa@"})
    assert refused.status_code == 422
    assert 'href="#email"' in refused.text and 'value="opa@"' in refused.text
    assert 'aria-invalid="true"' in refused.text
    stale = browser.post("/terugkomen", data={"csrf_token": "x", "email": "a@example.nl"})
    assert stale.status_code == 400 and "Het formulier was verlopen" in stale.text


def test_a_wrong_code_blocks_the_new_link_after_five_and_an_expired_one_is_refused(
    client: TestClient, app: Any, settings: Settings, casus: dict[str, Any]
) -> None:
    gast, aan = accepted(client, app, settings, casus)
    browser = ask(app, aan)
    token = new_link(settings, aan)
    csrf = open_new_link(browser, token)
    fout = "ABCD2345" if gast.code != "ABCD2345" else "ABCD2346"
    for _ in range(service.MAX_POGINGEN - 1):
        wrong = browser.post(f"/terugkomen/{token}", data={"csrf_token": csrf, "code": fout})
        assert wrong.status_code == 400 and "De code klopt niet" in wrong.text
    last = browser.post(f"/terugkomen/{token}", data={"csrf_token": csrf, "code": fout})
    assert "De link is nu geblokkeerd. Vraag een nieuwe link aan." in last.text
    blocked = browser.post(f"/terugkomen/{token}", data={"csrf_token": csrf, "code": gast.code})
    assert blocked.status_code == 410 and "regie_sessie" not in blocked.headers.get(
        "set-cookie", ""
    )
    codes = [e.kenmerken.get("code") for e in events(app, "deelnemer.terugkomen")]
    assert codes.count("verkeerde_code") == service.MAX_POGINGEN and codes[-1] == "geblokkeerd"

    ask(app, aan)
    token = new_link(settings, aan)
    with unit_of_work(app.state.engine) as session:
        session.execute(update(Terugkeerlink).values(verloopt_op=utcnow() - timedelta(seconds=1)))
    late = browser.get(f"/terugkomen/{token}")
    assert late.status_code == 410 and "Een nieuwe link werkt maar kort" in late.text


def test_an_older_link_keeps_working_and_requests_are_capped_per_hour(
    client: TestClient, app: Any, settings: Settings, casus: dict[str, Any]
) -> None:
    """Asking again does not cancel a link already sent: someone else who knows the address
    cannot take the invitee's link away, only use up this hour's requests."""
    _, aan = accepted(client, app, settings, casus)
    ask(app, aan)
    eerste = new_link(settings, aan)
    ask(app, aan)
    tweede = new_link(settings, aan)
    browser = TestClient(app, follow_redirects=False)
    assert browser.get(f"/terugkomen/{eerste}").status_code == 200
    assert browser.get(f"/terugkomen/{tweede}").status_code == 200
    for _ in range(terugkeer.MAX_PER_UUR):
        ask(app, aan)
    # The invitation mail, then MAX_PER_UUR links: the rest was refused, and audited.
    assert len(mails(settings, aan)) == 1 + terugkeer.MAX_PER_UUR
    codes = [e.kenmerken.get("code") for e in events(app, "deelnemer.terugkeer_aanvragen")]
    assert codes.count("te_vaak") == 2
    with Session(app.state.engine) as session:
        count = session.exec(select(func.count()).select_from(Terugkeerlink)).one()
    assert count == terugkeer.MAX_PER_UUR


def test_no_link_once_the_role_is_removed_and_a_link_sent_before_stops_working(
    client: TestClient, app: Any, settings: Settings, casus: dict[str, Any]
) -> None:
    _, aan = accepted(client, app, settings, casus)
    browser = ask(app, aan)
    token = new_link(settings, aan)
    [rol] = ouder_rollen(app, casus["id"])
    ended = client.delete(f"{casus['url']}/betrokkenen/{rol.id}", headers=casus["anna"])
    assert ended.status_code == 204, ended.text
    page = browser.get(f"/terugkomen/{token}")
    assert page.status_code == 410 and "U kunt dit plan niet meer bekijken" in page.text
    ask(app, aan)
    assert len(mails(settings, aan)) == 2  # the invitation and the one link before removal


def reinvite(client: TestClient, casus: dict[str, Any]) -> str:
    """The regievoerder invites the accepted ouder again; the new code."""
    [eerder] = [
        u
        for u in client.get(f"{casus['url']}/uitnodigingen", headers=casus["anna"]).json()
        if u["status"] == "geaccepteerd" and u["rol"] == "ouder"
    ][:1]
    nieuw = client.post(
        f"{casus['url']}/uitnodigingen/{eerder['id']}/opnieuw", headers=casus["anna"]
    )
    assert nieuw.status_code == 201, nieuw.text
    code: str = nieuw.json()["code"]
    return code


def enter_newest_invitation(app: Any, settings: Settings, aan: str, code: str) -> TestClient:
    token = re.findall(
        r"http://testserver/uitnodiging/([A-Za-z0-9_-]+)", body(mails(settings, aan)[-1])
    )[0]
    browser = TestClient(app, follow_redirects=False)
    found = CSRF.search(browser.get(f"/uitnodiging/{token}").text)
    assert found is not None
    binnen = browser.post(
        f"/uitnodiging/{token}", data={"csrf_token": found.group(1), "code": code}
    )
    assert binnen.status_code == 303, binnen.text
    return browser


def test_invited_again_the_same_person_keeps_their_account_and_gets_no_second_role(
    client: TestClient, app: Any, settings: Settings, casus: dict[str, Any]
) -> None:
    gast, aan = accepted(client, app, settings, casus)
    [eerst] = ouder_rollen(app, casus["id"])
    # A link asked for before the code was lost, still unused.
    ask(app, aan)
    hangend = new_link(settings, aan)
    # The code was lost: the regievoerder invites the same person again.
    code = reinvite(client, casus)
    browser = enter_newest_invitation(app, settings, aan, code)
    [nu] = ouder_rollen(app, casus["id"])
    assert (nu.id, nu.account_id) == (eerst.id, eerst.account_id)
    # The older invitation's code no longer opens anything, not even that pending link.
    weg = browser.get(f"/terugkomen/{hangend}")
    assert weg.status_code == 410
    # From now on the new code is the one that brings them back; the old one does not.
    ask(app, aan)
    terug = new_link(settings, aan)
    csrf = open_new_link(browser, terug)
    oud = browser.post(f"/terugkomen/{terug}", data={"csrf_token": csrf, "code": gast.code})
    assert oud.status_code == 400
    nieuw = browser.post(f"/terugkomen/{terug}", data={"csrf_token": csrf, "code": code})
    assert nieuw.status_code == 303


def test_a_second_invitation_to_the_same_address_is_a_second_person(
    client: TestClient, app: Any, settings: Settings, casus: dict[str, Any]
) -> None:
    """Two ouders may share a mailbox: neither gets the other's account by being invited."""
    eerste, aan = accepted(client, app, settings, casus)
    code = invite(client, casus, aan)["code"]
    enter_newest_invitation(app, settings, aan, code)
    rollen = ouder_rollen(app, casus["id"])
    assert len({r.account_id for r in rollen}) == 2
    # Told apart without their names leaving the seal, and the regievoerder sees who is who.
    team = client.get(f"{casus['url']}/betrokkenen", headers=casus["anna"]).json()
    ouders = sorted(r["naam"] for r in team if r["rol"] == "ouder")
    assert ouders == ["Ouder/verzorger", "Ouder/verzorger 2"]
    lijst = client.get(f"{casus['url']}/uitnodigingen", headers=casus["anna"]).json()
    assert sorted(u["deelnemer"] for u in lijst) == ouders
    # Each comes back with their own code, through their own link.
    ask(app, aan)
    nieuwe = mails(settings, aan)[-2:]
    assert all("/terugkomen/" in body(b) for b in nieuwe)
    codes = {eerste.code, code}
    binnen = set()
    for bericht in nieuwe:
        found = TERUG.search(body(bericht))
        assert found is not None
        browser = TestClient(app, follow_redirects=False)
        csrf = open_new_link(browser, found.group(1))
        for c in codes:
            answer = browser.post(
                f"/terugkomen/{found.group(1)}", data={"csrf_token": csrf, "code": c}
            )
            if answer.status_code == 303:
                binnen.add(c)
                break
    assert binnen == codes


def test_a_second_reinvitation_replaces_the_first_and_an_account_switched_off_gets_none(
    client: TestClient, app: Any, settings: Settings, casus: dict[str, Any]
) -> None:
    _, aan = accepted(client, app, settings, casus)
    eerste = reinvite(client, casus)
    tweede = reinvite(client, casus)
    lijst = client.get(f"{casus['url']}/uitnodigingen", headers=casus["anna"]).json()
    assert [u["status"] for u in lijst[:2]] == ["open", "ingetrokken"]
    assert eerste != tweede
    enter_newest_invitation(app, settings, aan, tweede)
    [rol] = ouder_rollen(app, casus["id"])
    with unit_of_work(app.state.engine) as session:
        session.execute(
            update(Account).where(col(Account.id) == rol.account_id).values(actief=False)
        )
    geaccepteerd = next(u for u in lijst if u["status"] == "geaccepteerd")
    refused = client.post(
        f"{casus['url']}/uitnodigingen/{geaccepteerd['id']}/opnieuw", headers=casus["anna"]
    )
    assert refused.status_code == 409 and "uitgezet" in refused.json()["detail"]


def test_reinviting_needs_an_accepted_invitation(
    client: TestClient, app: Any, settings: Settings, casus: dict[str, Any]
) -> None:
    open_ = invite(client, casus, adres())
    refused = client.post(
        f"{casus['url']}/uitnodigingen/{open_['id']}/opnieuw", headers=casus["anna"]
    )
    assert refused.status_code == 409
    missing = client.post(
        f"{casus['url']}/uitnodigingen/{uuid.uuid4()}/opnieuw", headers=casus["anna"]
    )
    assert missing.status_code == 404
    by_betrokkene = client.post(
        f"{casus['url']}/uitnodigingen/{open_['id']}/opnieuw", headers=casus["bram"]
    )
    assert by_betrokkene.status_code == 403


def test_after_the_session_ends_the_invitee_is_sent_to_ask_for_a_new_link(
    client: TestClient, app: Any, settings: Settings, casus: dict[str, Any]
) -> None:
    gast, _ = accepted(client, app, settings, casus)
    plan = f"/casussen/{casus['id']}/plan"
    page = gast.browser.get(plan)
    csrf = CSRF.search(page.text)
    assert csrf is not None
    uit = gast.browser.post("/afmelden", data={"csrf_token": csrf.group(1)})
    assert uit.status_code == 303 and uit.headers["location"] == "/terugkomen"
    weer = gast.browser.get(plan)
    assert weer.status_code == 303 and weer.headers["location"] == "/terugkomen"
    # A form sent after the session ended comes back with the text and the way back in.
    kept = gast.browser.post(plan, data={"csrf_token": csrf.group(1), "basis": "1"})
    assert kept.status_code == 401 and 'href="/terugkomen"' in kept.text
    # A professional signing in on this browser goes back to the normal sign-in after that.
    found = CSRF.search(gast.browser.get("/aanmelden").text)
    assert found is not None
    anna = gast.browser.post(
        "/aanmelden", data={"csrf_token": found.group(1), "gebruikersnaam": "anna"}
    )
    assert anna.status_code == 303 and "regie_deelnemer=" in anna.headers.get("set-cookie", "")
    assert "regie_deelnemer" not in gast.browser.cookies


@pytest.mark.parametrize("pad", ["/terugkomen/" + "x" * 43, "/terugkomen/kort"])
def test_an_unknown_link_gets_the_not_found_page(app: Any, pad: str) -> None:
    page = TestClient(app).get(pad)
    assert page.status_code == 404 and "Deze link werkt niet" in page.text
