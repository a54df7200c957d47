"""MDO sessions, the timeline, the inbox, closing and reopening, and beheer's guard on regie."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.accounts.models import Account
from app.casus.models import Casus, Rol
from app.config import Settings
from app.db import utcnow
from tests.canary import CanaryDocument
from tests.factories import GRONDSLAG, add_role, auth, make_account, new_casus, save
from tests.web.test_steps import sign_in


@pytest.fixture
def casus(client: TestClient, app: Any, settings: Settings) -> dict[str, Any]:
    anna = auth(settings, make_account(app, "anna"))
    make_account(app, "bram")
    casus = new_casus(client, anna)
    add_role(client, anna, casus["id"], "bram", "betrokkene")
    return {
        "id": casus["id"],
        "url": f"/api/v1/casussen/{casus['id']}",
        "anna": anna,
        "bram": auth(settings, "bram"),
    }


def _complete(app: Any) -> dict[str, Any]:
    """A document with every required field filled (the canary generator fills everything)."""
    return CanaryDocument(app.state.formulieren["twente-2020.1"], "MDO").inhoud


def test_revisions_saved_during_an_mdo_are_linked_and_one_is_fixed(
    client: TestClient, app: Any, casus: dict[str, Any]
) -> None:
    opened = client.post(
        f"{casus['url']}/mdos",
        json={"datum": "2026-12-01", "aanwezigen": ["anna", "bram"], "ouders_aanwezig": True},
        headers=casus["anna"],
    )
    assert opened.status_code == 201
    mdo_id = opened.json()["id"]
    assert (
        client.post(
            f"{casus['url']}/mdos", json={"datum": "2026-12-02"}, headers=casus["anna"]
        ).status_code
        == 409
    )
    assert (
        save(client, casus["bram"], casus["id"], {"situatie": {"krachten": "x"}}, 1).status_code
        == 200
    )
    incomplete = client.post(
        f"{casus['url']}/mdos/{mdo_id}/afronden", json={"revisie": 2}, headers=casus["anna"]
    )
    assert incomplete.status_code == 422
    assert "regie.betekenis" in {e["pad"] for e in incomplete.json()["errors"]}
    assert save(client, casus["anna"], casus["id"], _complete(app), 2).status_code == 200
    finished = client.post(
        f"{casus['url']}/mdos/{mdo_id}/afronden",
        json={"revisie": 3, "besluiten": "Plan vastgesteld"},
        headers=casus["anna"],
    )
    assert finished.status_code == 200
    assert (
        finished.json()["vastgestelde_revisie"] == 3
        and finished.json()["besluiten"] == "Plan vastgesteld"
    )
    revisies = client.get(f"{casus['url']}/revisies", headers=casus["bram"]).json()
    assert [(r["nummer"], r["vastgesteld"], r["mdo"]) for r in revisies] == [
        (1, False, None),
        (2, False, mdo_id),
        (3, True, mdo_id),
    ]
    again = client.post(
        f"{casus['url']}/mdos/{mdo_id}/afronden", json={"revisie": 3}, headers=casus["anna"]
    )
    assert again.status_code == 409
    assert save(client, casus["anna"], casus["id"], _complete(app), 3).status_code == 200
    assert client.get(f"{casus['url']}/revisies", headers=casus["anna"]).json()[-1]["mdo"] is None


def test_finishing_on_a_revision_beyond_the_database_range_is_refused(
    client: TestClient, casus: dict[str, Any]
) -> None:
    """Found by schemathesis: a number no INTEGER column holds failed in the driver (a 500)."""
    opened = client.post(
        f"{casus['url']}/mdos", json={"datum": "2026-12-01"}, headers=casus["anna"]
    )
    assert opened.status_code == 201
    for revisie in (2**31, 2**63):
        response = client.post(
            f"{casus['url']}/mdos/{opened.json()['id']}/afronden",
            json={"revisie": revisie},
            headers=casus["anna"],
        )
        assert response.status_code == 422, response.text
        assert [e["pad"] for e in response.json()["errors"]] == ["revisie"]
    [mdo] = client.get(f"{casus['url']}/mdos", headers=casus["anna"]).json()
    assert mdo["afgerond_op"] is None


def test_attendees_must_be_on_the_casus(client: TestClient, casus: dict[str, Any]) -> None:
    response = client.post(
        f"{casus['url']}/mdos",
        json={"datum": "2026-12-01", "aanwezigen": ["eva"]},
        headers=casus["anna"],
    )
    assert response.status_code == 422 and response.json()["errors"][0]["pad"] == "aanwezigen"


def test_timeline_lists_the_lifecycle_newest_first(
    client: TestClient, casus: dict[str, Any]
) -> None:
    save(client, casus["bram"], casus["id"], {"situatie": {"krachten": "x"}}, 1)
    client.get(casus["url"], headers=casus["bram"])  # reads are not on the timeline
    proposed = client.post(
        f"{casus['url']}/overdrachten",
        json={"opvolger": "bram", "toelichting": "Neem over", "grondslag": GRONDSLAG},
        headers=casus["anna"],
    ).json()
    client.post(f"{casus['url']}/overdrachten/{proposed['id']}/accepteren", headers=casus["bram"])
    client.post(f"{casus['url']}/afsluiten", json={"reden": "Klaar"}, headers=casus["bram"])
    tijdlijn = client.get(f"{casus['url']}/tijdlijn", headers=casus["anna"]).json()
    soorten = [g["soort"] for g in tijdlijn["resultaten"]]
    assert soorten == [
        "casus.afsluiten",
        "overdracht.accepteren",
        "overdracht.voorstellen",
        "handreiking.opslaan",
        "betrokkene.toevoegen",
        "casus.aanmaken",
    ]
    assert tijdlijn["resultaten"][1]["gebruikersnaam"] == "bram"
    assert "Neem over" not in str(tijdlijn) and "Klaar" not in str(tijdlijn)


def test_inbox_shows_what_waits_for_me(
    client: TestClient, app: Any, settings: Settings, casus: dict[str, Any]
) -> None:
    soon = (date.today() + timedelta(days=3)).isoformat()
    past = (date.today() - timedelta(days=3)).isoformat()
    save(client, casus["anna"], casus["id"], {"borging": {"volgende_mdo": soon}}, 1)
    other = new_casus(client, casus["anna"])
    save(client, casus["anna"], other["id"], {"borging": {"volgende_mdo": past}}, 1)
    add_role(client, casus["anna"], other["id"], "bram", "volger")
    inbox = client.get("/api/v1/inbox", headers=casus["bram"]).json()
    soorten = sorted(i["soort"] for i in inbox["items"])
    assert soorten == ["mdo_voorbereiden", "te_laat", "toegevoegd", "toegevoegd"]
    assert inbox["aantal"] == 4
    assert (
        client.get("/api/v1/inbox", headers=auth(settings, make_account(app, "eva"))).json()[
            "aantal"
        ]
        == 0
    )


def test_the_badge_counts_exactly_what_the_inbox_lists(
    client: TestClient, app: Any, settings: Settings, casus: dict[str, Any]
) -> None:
    """The header's badge is counted in SQL, the inbox listed: every kind of item, and every
    clause that leaves one out, must give the same number on both."""
    anna, bram = casus["anna"], casus["bram"]
    day = date.today()
    mdo = {"soon": day + timedelta(days=14), "late": day - timedelta(days=1)}
    mdo["far"] = day + timedelta(days=15)
    ids = {}
    for naam, when in mdo.items():
        ids[naam] = new_casus(client, anna)["id"]
        save(client, anna, ids[naam], {"borging": {"volgende_mdo": when.isoformat()}}, 1)
        add_role(client, anna, ids[naam], "bram", "volger")
    own = new_casus(client, bram)
    save(client, bram, own["id"], {"borging": {"volgende_mdo": mdo["soon"].isoformat()}}, 1)
    closed = new_casus(client, anna)
    save(client, anna, closed["id"], {"borging": {"volgende_mdo": mdo["soon"].isoformat()}}, 1)
    add_role(client, anna, closed["id"], "bram", "betrokkene")
    client.post(f"/api/v1/casussen/{closed['id']}/afsluiten", json={"reden": "Klaar"}, headers=anna)
    body = {"opvolger": "bram", "toelichting": "Na het MDO.", "grondslag": GRONDSLAG}
    assert client.post(f"{casus['url']}/overdrachten", json=body, headers=anna).status_code == 201
    with Session(app.state.engine) as session:
        bram_id = session.exec(select(Account.id).where(Account.gebruikersnaam == "bram")).one()
        actief = select(Rol).where(Rol.account_id == bram_id, col(Rol.tot).is_(None))
        bram_op = {r.casus_id: r for r in session.exec(actief)}
        # Added by no one known (older data): still someone else than bram.
        bram_op[uuid.UUID(ids["far"])].toegevoegd_door_id = None
        # Added longer ago than the inbox looks back.
        bram_op[uuid.UUID(ids["soon"])].sinds = utcnow() - timedelta(days=15)
        # Closed so long ago that it faded for bram (not for anna, its regievoerder).
        faded = session.get(Casus, uuid.UUID(closed["id"]))
        assert faded is not None
        faded.afgesloten_op = utcnow() - timedelta(days=settings.afgesloten_zichtbaar_dagen + 1)
        session.add_all([*bram_op.values(), faded])
        session.commit()
    carla = auth(settings, make_account(app, "carla"))
    expected = {
        # bram: the handover; added to casus, to the late casus and to the far one (whoever
        # added him), not to the soon one (too long ago) nor the closed one; MDO soon and late;
        # his own casus's MDO soon, but not that he added himself; not the MDO after two weeks;
        # not the questionnaire of the closed casus, which faded for him.
        "bram": ["mdo_voorbereiden", "mdo_voorbereiden", "overdracht", "te_laat"]
        + ["toegevoegd"] * 3,
        # anna: the MDOs soon and late of the casussen she made; the questionnaire.
        "anna": ["mdo_voorbereiden", "te_laat", "vragenlijst"],
        "carla": [],
    }
    for naam, headers in (("bram", bram), ("anna", anna), ("carla", carla)):
        inbox = client.get("/api/v1/inbox", headers=headers).json()
        assert sorted(i["soort"] for i in inbox["items"]) == expected[naam], naam
        web, _ = sign_in(app, naam)
        badge = re.search(r'number-badge">(\d+)<', web.get("/casussen").text)
        assert (int(badge.group(1)) if badge else 0) == inbox["aantal"] == len(expected[naam])


def test_closed_casus_fades_for_members_but_not_the_regievoerder(
    client: TestClient, app: Any, casus: dict[str, Any]
) -> None:
    client.post(f"{casus['url']}/afsluiten", json={"reden": "Klaar"}, headers=casus["anna"])
    assert client.get(casus["url"], headers=casus["bram"]).status_code == 200
    with Session(app.state.engine) as session:
        row = session.get(Casus, uuid.UUID(casus["id"]))
        assert row is not None
        row.afgesloten_op = utcnow() - timedelta(
            days=app.state.settings.afgesloten_zichtbaar_dagen + 1
        )
        session.add(row)
        session.commit()
    assert client.get(casus["url"], headers=casus["bram"]).status_code == 404
    assert client.get(casus["url"], headers=casus["anna"]).status_code == 200
    assert client.get("/api/v1/casussen", headers=casus["bram"]).json()["totaal"] == 0
    assert client.get("/api/v1/casussen", headers=casus["anna"]).json()["totaal"] == 1
    reopened = client.post(f"{casus['url']}/heropenen", headers=casus["anna"])
    assert reopened.status_code == 200 and reopened.json()["status"] == "actief"
    assert client.get(casus["url"], headers=casus["bram"]).status_code == 200
    assert client.post(f"{casus['url']}/heropenen", headers=casus["anna"]).status_code == 409


def test_beheer_cannot_strand_a_regievoerder(
    client: TestClient, app: Any, settings: Settings, casus: dict[str, Any]
) -> None:
    beheer = auth(settings, make_account(app, "fleur", systeemrollen=("beheerder",)))
    refused = client.patch("/api/v1/beheer/accounts/anna", json={"actief": False}, headers=beheer)
    assert refused.status_code == 409
    assert refused.json()["casussen"] == [{"id": casus["id"], "gemeente": "Enschede"}]
    assert client.get(casus["url"], headers=casus["anna"]).status_code == 200
    assert (
        client.patch(
            "/api/v1/beheer/accounts/bram", json={"actief": False}, headers=beheer
        ).status_code
        == 200
    )
    assert client.get(casus["url"], headers=casus["bram"]).status_code == 401
    accounts = client.get("/api/v1/beheer/accounts", headers=beheer).json()
    org = next(a for a in accounts if a["gebruikersnaam"] == "anna")["organisatie"]
    assert org == "Organisatie van anna"
    assert client.get("/api/v1/beheer/accounts", headers=casus["anna"]).status_code == 403
    assert client.get(casus["url"], headers=beheer).status_code == 404
    anna_org = next(a for a in accounts if a["gebruikersnaam"] == "anna")["organisatie_id"]
    closing = client.patch(
        f"/api/v1/beheer/organisaties/{anna_org}", json={"actief": False}, headers=beheer
    )
    assert closing.status_code == 409 and closing.json()["casussen"][0]["id"] == casus["id"]
