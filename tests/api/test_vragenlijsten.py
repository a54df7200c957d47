"""Questionnaires: who is asked, answering in the app or through an ouder's link, and what stays.

The answers are kept apart from invitations and accounts, open answers sealed; an ouder's link
token is shown once and never stored, audited or logged.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text, update
from sqlmodel import Session, col, select

from app.audit.models import AuditGebeurtenis
from app.casus.models import Casus
from app.config import Settings
from app.db import utcnow
from app.research import vragenlijst_service
from app.research.models import VragenlijstAntwoord, VragenlijstUitnodiging
from tests.canary import CanaryDocument
from tests.factories import add_role, auth, make_account, new_casus, save

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
GEHEIM = "KANARIEVRAGENLIJST"
PROFESSIONAL = {
    "schaal": {"rust_overzicht": 4, "continuiteit_regie": 5},
    "open": {"open_werkt": f"{GEHEIM} het vaste MDO"},
}
OUDER = {
    "schaal.rust_overzicht": "5",
    "schaal.duidelijkheid_gehoord": "2",
    "open.open_beter": f"{GEHEIM}OUDER sneller bellen",
}


@pytest.fixture
def casus(client: TestClient, app: Any, settings: Settings) -> dict[str, Any]:
    """Anna leads, Bram helps, Vera follows; Otto is on no casus."""
    anna = auth(settings, make_account(app, "anna"))
    for naam in ("bram", "vera", "otto"):
        make_account(app, naam)
    casus = new_casus(client, anna)
    add_role(client, anna, casus["id"], "bram", "betrokkene")
    add_role(client, anna, casus["id"], "vera", "volger")
    return {
        "id": casus["id"],
        "url": f"/api/v1/casussen/{casus['id']}",
        "anna": anna,
        "bram": auth(settings, "bram"),
        "vera": auth(settings, "vera"),
        "otto": auth(settings, "otto"),
    }


def close(client: TestClient, casus: dict[str, Any]) -> None:
    response = client.post(
        f"{casus['url']}/afsluiten", json={"reden": "Klaar"}, headers=casus["anna"]
    )
    assert response.status_code == 200, response.text


def mine(client: TestClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    response = client.get("/api/v1/vragenlijsten", headers=headers)
    assert response.status_code == 200, response.text
    return list(response.json())


def rows(app: Any, model: Any) -> list[Any]:
    with Session(app.state.engine) as session:
        return list(session.exec(select(model)).all())


def raw_rows(app: Any, table: str) -> str:
    """Every column of every row as the database holds it, as one text."""
    with app.state.engine.connect() as connection:
        result = connection.execute(text(f"SELECT * FROM {table}"))  # noqa: S608 - fixed names
        return json.dumps([dict(r._mapping) for r in result], default=str)


def events(app: Any) -> list[AuditGebeurtenis]:
    with Session(app.state.engine) as session:
        query = select(AuditGebeurtenis).order_by(col(AuditGebeurtenis.volgnummer))
        return list(session.exec(query).all())


def expire(app: Any, uitnodiging_id: str) -> None:
    with app.state.engine.begin() as connection:
        connection.execute(
            update(VragenlijstUitnodiging)
            .where(col(VragenlijstUitnodiging.id) == uuid.UUID(uitnodiging_id))
            .values(verloopt_op=utcnow() - timedelta(minutes=1))
        )


def this_monday() -> date:
    vandaag = datetime.now(ZoneInfo("Europe/Amsterdam")).date()
    return vandaag - timedelta(days=vandaag.weekday())


def problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = dict(response.json())
    assert body["code"] == code
    return body


def new_link(client: TestClient, casus: dict[str, Any], moment: str = "mdo") -> dict[str, Any]:
    response = client.post(
        f"{casus['url']}/vragenlijsten", json={"moment": moment}, headers=casus["anna"]
    )
    assert response.status_code == 201, response.text
    body = dict(response.json())
    body["token"] = body["link"].rsplit("/", 1)[1]
    return body


def ouder_browser(app: Any) -> TestClient:
    """A visitor without an account: no session cookie, only what the page itself gives."""
    return TestClient(app, follow_redirects=False)


def ouder_answers(browser: TestClient, token: str, answers: dict[str, str]) -> httpx.Response:
    page = browser.get(f"/vragenlijst/{token}")
    assert page.status_code == 200, page.text
    found = CSRF.search(page.text)
    assert found is not None
    response: httpx.Response = browser.post(
        f"/vragenlijst/{token}", data={"csrf_token": found.group(1), **answers}
    )
    return response


# Inviting professionals ----------------------------------------------------------------------


def test_closing_invites_every_active_member_once(
    client: TestClient, app: Any, settings: Settings, casus: dict[str, Any]
) -> None:
    make_account(app, "eva")
    rol = add_role(client, casus["anna"], casus["id"], "eva", "betrokkene")
    removed = client.delete(f"{casus['url']}/betrokkenen/{rol['id']}", headers=casus["anna"])
    assert removed.status_code == 204
    assert mine(client, casus["bram"]) == []
    close(client, casus)
    for naam in ("anna", "bram", "vera"):
        [uitnodiging] = mine(client, casus[naam])
        assert uitnodiging["casus_id"] == casus["id"]
        assert uitnodiging["moment"] == "afsluiting"
        assert uitnodiging["vragenlijstversie"] == "professionals-2020.1"
    assert mine(client, auth(settings, "eva")) == []
    assert mine(client, casus["otto"]) == []
    closing = [e for e in events(app) if e.actie == "casus.afsluiten"]
    assert closing[-1].kenmerken["vragenlijst_uitgenodigd"] == 3
    # Reopened and closed again: nobody is asked the closing questionnaire twice.
    assert client.post(f"{casus['url']}/heropenen", headers=casus["anna"]).status_code == 200
    close(client, casus)
    assert len(rows(app, VragenlijstUitnodiging)) == 3
    closing = [e for e in events(app) if e.actie == "casus.afsluiten"]
    assert closing[-1].kenmerken["vragenlijst_uitgenodigd"] == 0


def test_finishing_an_mdo_invites_only_when_asked(
    client: TestClient, app: Any, casus: dict[str, Any]
) -> None:
    complete = CanaryDocument(app.state.formulieren["twente-2020.1"], "MDO").inhoud
    assert save(client, casus["anna"], casus["id"], complete, 1).status_code == 200

    def meeting(vragenlijst: bool | None) -> str:
        mdo = client.post(
            f"{casus['url']}/mdos", json={"datum": "2026-12-01"}, headers=casus["anna"]
        )
        assert mdo.status_code == 201, mdo.text
        body: dict[str, Any] = {"revisie": 2}
        if vragenlijst is not None:
            body["vragenlijst"] = vragenlijst
        done = client.post(
            f"{casus['url']}/mdos/{mdo.json()['id']}/afronden", json=body, headers=casus["anna"]
        )
        assert done.status_code == 200, done.text
        return str(mdo.json()["id"])

    meeting(None)
    meeting(False)
    assert rows(app, VragenlijstUitnodiging) == []
    mdo_id = meeting(True)
    for naam in ("anna", "bram", "vera"):
        [uitnodiging] = mine(client, casus[naam])
        assert uitnodiging["moment"] == "mdo"
    assert {str(u.mdo_id) for u in rows(app, VragenlijstUitnodiging)} == {mdo_id}
    finished = [e for e in events(app) if e.actie == "mdo.afronden"]
    assert finished[-1].kenmerken["vragenlijst_uitgenodigd"] == 3
    assert "vragenlijst_uitgenodigd" not in finished[0].kenmerken


# Answering as a professional -----------------------------------------------------------------


def test_a_professional_answers_once_without_a_link_to_the_account(
    client: TestClient, app: Any, casus: dict[str, Any]
) -> None:
    close(client, casus)
    [uitnodiging] = mine(client, casus["bram"])
    url = f"/api/v1/vragenlijsten/{uitnodiging['id']}"
    detail = client.get(url, headers=casus["bram"])
    assert detail.status_code == 200, detail.text
    vragenlijst = detail.json()["vragenlijst"]
    assert vragenlijst["versie"] == "professionals-2020.1"
    assert len(vragenlijst["schaal"]) == 5
    assert {v["sleutel"] for v in vragenlijst["vragen"]} >= {"rust_overzicht", "open_werkt"}

    week_ervoor = this_monday()
    answered = client.post(f"{url}/antwoorden", json=PROFESSIONAL, headers=casus["bram"])
    assert answered.status_code == 201, answered.text
    assert answered.json()["uitnodiging_id"] == uitnodiging["id"]

    [antwoord] = rows(app, VragenlijstAntwoord)
    assert str(antwoord.casus_id) == casus["id"]
    # Only the week (its Monday) is kept, not the day the invitation's beantwoord_op shows.
    assert antwoord.datum in {week_ervoor, this_monday()}
    assert antwoord.datum.weekday() == 0
    assert (antwoord.doelgroep, antwoord.moment) == ("professional", "afsluiting")
    assert antwoord.schaal == PROFESSIONAL["schaal"]
    assert antwoord.open["open_werkt"].startswith("enc:")
    stored = raw_rows(app, "vragenlijstantwoord")
    assert GEHEIM not in stored
    with app.state.engine.connect() as connection:
        columns = connection.execute(text("SELECT * FROM vragenlijstantwoord")).keys()
    assert not {"account_id", "uitnodiging_id", "beantwoord_op"} & set(columns)
    bram_id = next(u.account_id for u in rows(app, VragenlijstUitnodiging) if u.beantwoord_op)
    assert str(bram_id) not in stored

    problem(
        client.post(f"{url}/antwoorden", json=PROFESSIONAL, headers=casus["bram"]), 410, "verlopen"
    )
    gone = problem(client.get(url, headers=casus["bram"]), 410, "verlopen")
    assert gone["reden"] == "beantwoord"
    assert mine(client, casus["bram"]) == []
    assert len(rows(app, VragenlijstAntwoord)) == 1
    overzicht = client.get(f"{casus['url']}/vragenlijsten", headers=casus["vera"]).json()
    assert overzicht == {
        "professionals": {"uitgenodigd": 3, "beantwoord": 1},
        "ouders_met_account": {"uitgenodigd": 0, "beantwoord": 0},
        "ouders": [],
    }


def test_someone_elses_or_an_unknown_invitation_is_not_found(
    client: TestClient, app: Any, casus: dict[str, Any]
) -> None:
    close(client, casus)
    [van_bram] = mine(client, casus["bram"])
    url = f"/api/v1/vragenlijsten/{van_bram['id']}"
    onbekend = f"/api/v1/vragenlijsten/{uuid.uuid4()}"
    for headers in (casus["vera"], casus["otto"], casus["anna"]):
        echt = problem(
            client.post(f"{url}/antwoorden", json=PROFESSIONAL, headers=headers),
            404,
            "niet_gevonden",
        )
        nep = problem(
            client.post(f"{onbekend}/antwoorden", json=PROFESSIONAL, headers=headers),
            404,
            "niet_gevonden",
        )
        assert echt["detail"] == nep["detail"]
        problem(client.get(url, headers=headers), 404, "niet_gevonden")
    assert rows(app, VragenlijstAntwoord) == []
    refused = [e for e in events(app) if e.actie == "vragenlijst.invullen"]
    assert refused and {e.uitkomst for e in refused} == {"geweigerd"}


def test_a_professional_removed_from_the_casus_can_no_longer_answer(
    client: TestClient, app: Any, casus: dict[str, Any]
) -> None:
    complete = CanaryDocument(app.state.formulieren["twente-2020.1"], "MDO").inhoud
    assert save(client, casus["anna"], casus["id"], complete, 1).status_code == 200
    mdo = client.post(f"{casus['url']}/mdos", json={"datum": "2026-12-01"}, headers=casus["anna"])
    client.post(
        f"{casus['url']}/mdos/{mdo.json()['id']}/afronden",
        json={"revisie": 2, "vragenlijst": True},
        headers=casus["anna"],
    )
    [uitnodiging] = mine(client, casus["bram"])
    rollen = client.get(f"{casus['url']}/betrokkenen", headers=casus["anna"]).json()
    bram = next(r for r in rollen if r["gebruikersnaam"] == "bram")
    client.delete(f"{casus['url']}/betrokkenen/{bram['id']}", headers=casus["anna"])
    assert mine(client, casus["bram"]) == []
    url = f"/api/v1/vragenlijsten/{uitnodiging['id']}/antwoorden"
    problem(client.post(url, json=PROFESSIONAL, headers=casus["bram"]), 404, "niet_gevonden")


def test_an_expired_invitation_is_gone(client: TestClient, app: Any, casus: dict[str, Any]) -> None:
    close(client, casus)
    [uitnodiging] = mine(client, casus["bram"])
    expire(app, uitnodiging["id"])
    url = f"/api/v1/vragenlijsten/{uitnodiging['id']}"
    assert problem(client.get(url, headers=casus["bram"]), 410, "verlopen")["reden"] == "verlopen"
    problem(
        client.post(f"{url}/antwoorden", json=PROFESSIONAL, headers=casus["bram"]), 410, "verlopen"
    )
    assert mine(client, casus["bram"]) == []
    assert rows(app, VragenlijstAntwoord) == []


def test_an_invitation_on_a_faded_casus_is_not_found(
    client: TestClient, app: Any, casus: dict[str, Any]
) -> None:
    """Closed longer ago than REGIE_AFGESLOTEN_ZICHTBAAR_DAGEN, the casus is gone for all but
    its regievoerder; so is an invitation on it that is still valid (the period was shortened
    after the invitations were made: config no longer lets one outlive it otherwise)."""
    close(client, casus)
    [van_anna], [van_bram] = mine(client, casus["anna"]), mine(client, casus["bram"])
    dagen = app.state.settings.afgesloten_zichtbaar_dagen
    with app.state.engine.begin() as connection:
        connection.execute(
            update(Casus)
            .where(col(Casus.id) == uuid.UUID(casus["id"]))
            .values(afgesloten_op=utcnow() - timedelta(days=dagen, minutes=1))
        )
    url = f"/api/v1/vragenlijsten/{van_bram['id']}"
    problem(client.get(url, headers=casus["bram"]), 404, "niet_gevonden")
    problem(
        client.post(f"{url}/antwoorden", json=PROFESSIONAL, headers=casus["bram"]),
        404,
        "niet_gevonden",
    )
    assert mine(client, casus["bram"]) == []
    assert rows(app, VragenlijstAntwoord) == []
    # The regievoerder still sees the casus, so may still answer.
    assert mine(client, casus["anna"]) == [van_anna]
    url = f"/api/v1/vragenlijsten/{van_anna['id']}/antwoorden"
    answered = client.post(url, json=PROFESSIONAL, headers=casus["anna"])
    assert answered.status_code == 201, answered.text


@pytest.mark.parametrize(
    ("body", "pad"),
    [
        ({"schaal": {"bestaat_niet": 3}}, "schaal.bestaat_niet"),
        ({"schaal": {"rust_overzicht": 6}}, "schaal.rust_overzicht"),
        ({"schaal": {"rust_overzicht": 0}}, "schaal.rust_overzicht"),
        ({"schaal": {"rust_overzicht": "4"}}, "schaal.rust_overzicht"),
        ({"schaal": {"rust_overzicht": True}}, "schaal.rust_overzicht"),
        ({"schaal": {"rust_overzicht": 2.5}}, "schaal.rust_overzicht"),
        ({"schaal": {"open_werkt": 3}}, "schaal.open_werkt"),
        ({"open": {"rust_overzicht": "tekst"}}, "open.rust_overzicht"),
        ({"open": {"open_werkt": "x" * 2001}}, "open.open_werkt"),
        ({"open": {"open_werkt": 12}}, "open.open_werkt"),
        ({}, "antwoorden"),
        ({"schaal": {"rust_overzicht": None}, "open": {"open_werkt": "  "}}, "antwoorden"),
        ({"schaal": {}, "extra": 1}, "extra"),
    ],
)
def test_invalid_answers_are_refused_per_question(
    client: TestClient, app: Any, casus: dict[str, Any], body: dict[str, Any], pad: str
) -> None:
    close(client, casus)
    [uitnodiging] = mine(client, casus["bram"])
    url = f"/api/v1/vragenlijsten/{uitnodiging['id']}/antwoorden"
    refused = problem(client.post(url, json=body, headers=casus["bram"]), 422, "validatiefout")
    assert pad in {e["pad"] for e in refused["errors"]}
    assert rows(app, VragenlijstAntwoord) == []
    assert len(mine(client, casus["bram"])) == 1
    fine = client.post(url, json={"open": {"open_werkt": "x" * 2000}}, headers=casus["bram"])
    assert fine.status_code == 201, fine.text


# Ouders' links -------------------------------------------------------------------------------


def test_an_ouder_link_is_shown_once_answered_once_and_never_stored(
    client: TestClient, app: Any, casus: dict[str, Any]
) -> None:
    link = new_link(client, casus)
    token = link["token"]
    assert link["link"] == f"http://testserver/vragenlijst/{token}"
    assert len(token) >= 40
    [uitnodiging] = rows(app, VragenlijstUitnodiging)
    assert uitnodiging.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert (uitnodiging.doelgroep, uitnodiging.account_id) == ("ouder", None)
    assert token not in raw_rows(app, "vragenlijstuitnodiging")
    listed = client.get(f"{casus['url']}/vragenlijsten", headers=casus["bram"])
    assert token not in listed.text and uitnodiging.token_hash not in listed.text
    [regel] = listed.json()["ouders"]
    assert (regel["id"], regel["moment"], regel["status"]) == (link["id"], "mdo", "open")

    browser = ouder_browser(app)
    answered = ouder_answers(browser, token, OUDER)
    assert answered.status_code == 303, answered.text
    assert answered.headers["location"] == "/vragenlijst/bedankt"
    [antwoord] = rows(app, VragenlijstAntwoord)
    assert (antwoord.doelgroep, antwoord.vragenlijstversie) == ("ouder", "ouders-2020.1")
    assert antwoord.schaal == {"rust_overzicht": 5, "duidelijkheid_gehoord": 2}
    assert set(antwoord.open) == {"open_beter"}
    assert GEHEIM not in raw_rows(app, "vragenlijstantwoord")

    again = browser.get(f"/vragenlijst/{token}")
    assert again.status_code == 410
    assert len(rows(app, VragenlijstAntwoord)) == 1
    [regel] = client.get(f"{casus['url']}/vragenlijsten", headers=casus["anna"]).json()["ouders"]
    assert regel["status"] == "beantwoord"
    withdraw = client.delete(f"{casus['url']}/vragenlijsten/{link['id']}", headers=casus["anna"])
    problem(withdraw, 409, "conflict")


class _Woensdag(datetime):
    """Wednesday 4 March 2026, noon, in whatever zone is asked for."""

    @classmethod
    def now(cls, tz: Any = None) -> _Woensdag:
        return cls(2026, 3, 4, 12, tzinfo=tz)


def test_an_answer_keeps_only_the_monday_of_its_week(
    client: TestClient, app: Any, casus: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    token = new_link(client, casus)["token"]
    monkeypatch.setattr(vragenlijst_service, "datetime", _Woensdag)
    assert ouder_answers(ouder_browser(app), token, OUDER).status_code == 303
    [antwoord] = rows(app, VragenlijstAntwoord)
    assert antwoord.datum == date(2026, 3, 2)


def test_an_ouder_link_takes_one_answer_even_from_two_valid_forms(
    client: TestClient, app: Any, casus: dict[str, Any]
) -> None:
    """The link opened on two devices (two browsers, each its own valid CSRF token): the first
    answer is stored, the second is refused as already answered, not as a stale form."""
    token = new_link(client, casus)["token"]
    telefoon, laptop = ouder_browser(app), ouder_browser(app)
    forms = [telefoon.get(f"/vragenlijst/{token}"), laptop.get(f"/vragenlijst/{token}")]
    tokens = []
    for form in forms:
        assert form.status_code == 200, form.text
        found = CSRF.search(form.text)
        assert found is not None
        tokens.append(found.group(1))
    assert tokens[0] != tokens[1]  # each browser its own seed, so its own token
    first = telefoon.post(f"/vragenlijst/{token}", data={"csrf_token": tokens[0], **OUDER})
    assert first.status_code == 303, first.text
    second = laptop.post(f"/vragenlijst/{token}", data={"csrf_token": tokens[1], **OUDER})
    assert second.status_code == 410, second.text
    assert "Deze vragenlijst is al ingevuld" in second.text
    assert len(rows(app, VragenlijstAntwoord)) == 1
    invullen = [e for e in events(app) if e.actie == "vragenlijst.invullen"]
    assert [(e.uitkomst, e.kenmerken.get("code")) for e in invullen] == [
        ("toegestaan", None),
        ("geweigerd", "verlopen"),  # not "csrf": the token was valid
    ]


def test_a_withdrawn_or_expired_link_no_longer_works(
    client: TestClient, app: Any, casus: dict[str, Any]
) -> None:
    ingetrokken, verlopen = new_link(client, casus), new_link(client, casus)
    url = f"{casus['url']}/vragenlijsten/{ingetrokken['id']}"
    assert client.delete(url, headers=casus["anna"]).status_code == 204
    assert client.delete(url, headers=casus["anna"]).status_code == 204
    expire(app, verlopen["id"])
    browser = ouder_browser(app)
    for link in (ingetrokken, verlopen):
        assert browser.get(f"/vragenlijst/{link['token']}").status_code == 410
    statussen = {
        r["id"]: r["status"]
        for r in client.get(f"{casus['url']}/vragenlijsten", headers=casus["anna"]).json()["ouders"]
    }
    assert statussen == {ingetrokken["id"]: "ingetrokken", verlopen["id"]: "verlopen"}
    problem(
        client.delete(f"{casus['url']}/vragenlijsten/{uuid.uuid4()}", headers=casus["anna"]),
        404,
        "niet_gevonden",
    )
    problem(client.delete(url, headers=casus["bram"]), 403, "geweigerd")
    problem(client.delete(url, headers=casus["otto"]), 404, "casus_niet_gevonden")


def test_at_most_ten_open_links_per_casus(
    client: TestClient, app: Any, casus: dict[str, Any]
) -> None:
    links = [new_link(client, casus) for _ in range(10)]
    refused = client.post(
        f"{casus['url']}/vragenlijsten", json={"moment": "mdo"}, headers=casus["anna"]
    )
    problem(refused, 409, "conflict")
    assert len(rows(app, VragenlijstUitnodiging)) == 10
    client.delete(f"{casus['url']}/vragenlijsten/{links[0]['id']}", headers=casus["anna"])
    new_link(client, casus)


def test_the_closing_questionnaire_waits_for_closing(
    client: TestClient, app: Any, casus: dict[str, Any]
) -> None:
    early = client.post(
        f"{casus['url']}/vragenlijsten", json={"moment": "afsluiting"}, headers=casus["anna"]
    )
    problem(early, 409, "conflict")
    problem(
        client.post(
            f"{casus['url']}/vragenlijsten", json={"moment": "ooit"}, headers=casus["anna"]
        ),
        422,
        "validatiefout",
    )
    close(client, casus)
    assert new_link(client, casus, "afsluiting")["verloopt_op"]


def test_link_requests_are_audited_without_the_token(
    client: TestClient, app: Any, casus: dict[str, Any]
) -> None:
    link = new_link(client, casus)
    browser = ouder_browser(app)
    assert ouder_answers(browser, link["token"], OUDER).status_code == 303
    assert browser.get(f"/vragenlijst/{link['token']}").status_code == 410
    assert browser.get(f"/vragenlijst/{'x' * 43}").status_code == 404
    assert browser.post(f"/vragenlijst/{'y' * 43}", data=OUDER).status_code == 404
    trail = events(app)
    dumped = json.dumps([e.model_dump() for e in trail], default=str)
    assert link["token"] not in dumped and "x" * 43 not in dumped and "y" * 43 not in dumped
    made = next(e for e in trail if e.actie == "vragenlijst.uitnodigen")
    assert (made.gebruikersnaam, made.uitkomst, str(made.casus_id)) == (
        "anna",
        "toegestaan",
        casus["id"],
    )
    ouder = [e for e in trail if e.actie.startswith("vragenlijst.") and e.gebruikersnaam is None]
    soorten = [(e.actie, e.uitkomst, e.kenmerken.get("uitnodiging")) for e in ouder]
    assert ("vragenlijst.lezen", "toegestaan", link["id"]) in soorten
    assert ("vragenlijst.invullen", "toegestaan", link["id"]) in soorten
    assert ("vragenlijst.lezen", "geweigerd", link["id"]) in soorten
    assert ("vragenlijst.lezen", "geweigerd", None) in soorten
    assert ("vragenlijst.invullen", "geweigerd", None) in soorten
    assert all(e.account_id is None and e.kenmerken["doelgroep"] == "ouder" for e in ouder)
    assert all(e.casus_id is None for e in ouder if e.kenmerken.get("uitnodiging") is None)
    answer_event = next(
        e for e in ouder if e.actie == "vragenlijst.invullen" and e.uitkomst == "toegestaan"
    )
    assert str(answer_event.casus_id) == casus["id"]
    [antwoord] = rows(app, VragenlijstAntwoord)
    assert str(antwoord.id) not in dumped
