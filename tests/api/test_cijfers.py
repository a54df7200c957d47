"""The researchers' figures: right on a known population, small cells never shown, audited."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, event
from sqlmodel import Session, col, select

from app.accounts.models import Account
from app.audit.models import AuditGebeurtenis
from app.config import Settings
from app.db import unit_of_work, utcnow
from app.enums import OrganisatieType
from app.handreiking.models import Mdo
from app.main import create_app
from app.research import routes
from app.research.cijfers import bereken_cijfers
from app.research.models import Moment, VragenlijstAntwoord
from app.research.vragenlijst import Doelgroep
from app.web import onderzoek_pages
from tests.factories import GRONDSLAG, add_role, auth, make_account, new_casus, save

PROFESSIONAL = {
    "rust_overzicht": 4,
    "rust_gezin": 2,
    "continuiteit_regie": 5,
    "duidelijkheid_taken": 3,
}
PROFESSIONAL_TWEEDE = dict.fromkeys(PROFESSIONAL, 5)
OUDER = {"rust_overzicht": 2, "continuiteit_bellen": 2, "duidelijkheid_gehoord": 2}
NAAM = "Canarie Vogelaar"  # the jeugdige's name in every casus: it must appear in no figure


@dataclass(frozen=True)
class Bevolking:
    """Thirteen casussen whose every figure is known (see `bevolking`)."""

    ids: dict[str, str]
    onderzoeker: dict[str, str]
    professional: dict[str, str]


def _afspraken(*onderdelen: str) -> dict[str, Any]:
    return {
        "afspraken": [
            {"wat": "Iets concreets", "wie": "Anna", "onderdeel": onderdeel}
            for onderdeel in onderdelen
        ]
    }


def bevolking(client: httpx.Client | TestClient, app: Any, settings: Settings) -> Bevolking:
    """E1..E6 in Enschede, H1..H5 in Hengelo, L1..L2 in Losser, all started this month.

    - betrokkenen: E1, E2 three (anna, bram, carla); E3-E5, H1-H3 two (anna, bram); the rest one
    - afspraken: doelen in E1-E5 (E1 twice), regie in E1
    - MDO's: E1-E5 two each, 14 days apart
    - an accepted handover in E1
    - professionals' questionnaires for E1-E5 (E1 twice); ouders' for L1 and L2
    """
    anna = auth(settings, make_account(app, "anna"))
    bram = auth(settings, make_account(app, "bram", organisatietype=OrganisatieType.GEMEENTE))
    make_account(app, "carla", organisatietype=OrganisatieType.ONDERWIJS)
    onderzoeker = auth(settings, make_account(app, "olaf", systeemrollen=("onderzoeker",)))
    professional = auth(settings, make_account(app, "piet"))
    jeugdige = {"naam": NAAM, "geboortedatum": "2012-05-01"}
    ids: dict[str, str] = {}
    for naam, gemeente, aantal in (("E", "Enschede", 6), ("H", "Hengelo", 5), ("L", "Losser", 2)):
        for i in range(1, aantal + 1):
            casus = new_casus(client, anna, gemeente=gemeente, jeugdige=jeugdige)
            ids[f"{naam}{i}"] = casus["id"]
    for sleutel in ("E1", "E2", "E3", "E4", "E5", "H1", "H2", "H3"):
        add_role(client, anna, ids[sleutel], "bram", "betrokkene")
    for sleutel in ("E1", "E2"):
        add_role(client, anna, ids[sleutel], "carla", "betrokkene")
    for sleutel in ("E1", "E2", "E3", "E4", "E5"):
        huidig = client.get(f"/api/v1/casussen/{ids[sleutel]}/handreiking", headers=anna)
        assert huidig.status_code == 200, huidig.text
        onderdelen = ("doelen", "doelen", "regie") if sleutel == "E1" else ("doelen",)
        inhoud = {**huidig.json()["inhoud"], "afspraken": _afspraken(*onderdelen)}
        response = save(client, anna, ids[sleutel], inhoud, 1)
        assert response.status_code == 200, response.text
    voorstel = client.post(
        f"/api/v1/casussen/{ids['E1']}/overdrachten",
        json={"opvolger": "bram", "toelichting": "Warme overdracht.", "grondslag": GRONDSLAG},
        headers=anna,
    )
    assert voorstel.status_code == 201, voorstel.text
    aanvaard = client.post(
        f"/api/v1/casussen/{ids['E1']}/overdrachten/{voorstel.json()['id']}/accepteren",
        headers=bram,
    )
    assert aanvaard.status_code == 200, aanvaard.text
    with unit_of_work(app.state.engine) as session:
        anna_id = session.exec(select(Account.id).where(Account.gebruikersnaam == "anna")).one()
        eerste = date(2026, 1, 5)
        for sleutel in ("E1", "E2", "E3", "E4", "E5"):
            casus_id = uuid.UUID(ids[sleutel])
            # Six days, then thirty: a mean of 18 days between MDOs, neither gap on its own.
            for datum in (eerste, eerste + timedelta(days=36), eerste + timedelta(days=6)):
                session.add(
                    Mdo(
                        casus_id=casus_id,
                        datum=datum,
                        geopend_door_id=anna_id,
                        afgerond_op=utcnow(),
                    )
                )
            antwoorden = [PROFESSIONAL, PROFESSIONAL_TWEEDE] if sleutel == "E1" else [PROFESSIONAL]
            for schaal in antwoorden:
                session.add(_antwoord(casus_id, Doelgroep.PROFESSIONAL, schaal))
        for sleutel in ("L1", "L2"):
            session.add(_antwoord(uuid.UUID(ids[sleutel]), Doelgroep.OUDER, OUDER))
    return Bevolking(ids, onderzoeker, professional)


def _antwoord(casus_id: uuid.UUID, doelgroep: Doelgroep, schaal: dict[str, int]) -> Any:
    versie = "professionals-2020.1" if doelgroep is Doelgroep.PROFESSIONAL else "ouders-2020.1"
    return VragenlijstAntwoord(
        casus_id=casus_id,
        doelgroep=doelgroep,
        moment=Moment.AFSLUITING,
        vragenlijstversie=versie,
        datum=date(2026, 2, 1),
        schaal=schaal,
        open={},
    )


@pytest.fixture
def maak_client(settings: Settings) -> Iterator[Any]:
    """A client for an app with its own research settings (k, the share that may be hidden)."""
    apps: list[Any] = []
    clients: list[TestClient] = []

    def maak(**research: Any) -> tuple[TestClient, Any]:
        application = create_app(settings.model_copy(update=research))
        test_client = TestClient(application, raise_server_exceptions=False)
        apps.append(application)
        clients.append(test_client)
        return test_client, application

    yield maak
    for test_client in clients:
        test_client.close()
    for application in apps:
        application.state.engine.dispose()


def cijfers(client: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    response = client.get("/api/v1/onderzoek/cijfers", headers=headers)
    assert response.status_code == 200, response.text
    assert NAAM not in response.text
    return dict(response.json())


def waarden(tellingen: list[dict[str, Any]]) -> list[Any]:
    return [t["aantal"] if t["onderdrukt"] is None else t["onderdrukt"] for t in tellingen]


def per_sleutel(categorieen: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        c["sleutel"]: c["casussen"]["aantal"]
        if c["casussen"]["onderdrukt"] is None
        else c["casussen"]["onderdrukt"]
        for c in categorieen
    }


KLEIN, AFGESCHERMD = "minder_dan_k", "afgeschermd"


def test_figures_on_a_known_population(maak_client: Any, settings: Settings) -> None:
    client, app = maak_client(onderzoek_max_onderdrukt=0.5)  # keep gemeente and month as they are
    mensen = bevolking(client, app, settings)
    uit = cijfers(client, mensen.onderzoeker)
    maand = utcnow().strftime("%Y-%m")

    assert uit["k"] == 5
    assert uit["casussen"] == {"aantal": 13, "onderdrukt": None, "weergave": "13"}

    kruis = uit["casussen_per_gemeente_en_periode"]
    assert kruis["onderzoeksvraag"] == 1 and kruis["titel"]
    assert kruis["gegeneraliseerd"] == {"startmaand": "maand", "gemeente": "gemeente"}
    assert [g["label"] for g in kruis["gemeenten"]] == ["Enschede", "Hengelo", "Losser"]
    # Losser (2) is below k, so the inner cells are withheld and only the margins are shown.
    assert kruis["cellen_getoond"] is False
    assert "niet" in kruis["cellen_weggelaten"] and "kleiner dan 5" in kruis["cellen_weggelaten"]
    assert [r["sleutel"] for r in kruis["rijen"]] == [maand]
    assert kruis["rijen"][0]["cellen"] == []
    assert kruis["rijen"][0]["totaal"]["aantal"] == 13
    # In the gemeente margin Hengelo would follow from the total: afgeschermd.
    assert per_sleutel(kruis["gemeenten"]) == {
        "Enschede": 6,
        "Hengelo": AFGESCHERMD,
        "Losser": KLEIN,
    }
    assert kruis["totaal"]["aantal"] == 13
    klein = kruis["gemeenten"][2]["casussen"]
    assert klein == {"aantal": None, "onderdrukt": KLEIN, "weergave": "minder dan 5"}

    betrokkenen = uit["betrokkenen_per_casus"]
    # 5 × one, 6 × two, 2 × three: the 2 is hidden, and so is the 5 (else 13 - 6 - 5 = 2).
    assert per_sleutel(betrokkenen["categorieen"]) == {
        "1": AFGESCHERMD,
        "2": 6,
        "3": KLEIN,
        "4": 0,
        "5": 0,
        "6-9": 0,
        "10+": 0,
    }
    assert betrokkenen["totaal"]["aantal"] == 13
    assert betrokkenen["gemiddelde"] is None and betrokkenen["mediaan"] is None

    afspraken = {o["sleutel"]: o for o in uit["afspraken_per_onderdeel"]["onderdelen"]}
    assert afspraken["doelen"]["casussen"]["aantal"] == 5 and afspraken["doelen"]["afspraken"] == 6
    assert afspraken["regie"]["casussen"]["onderdrukt"] == KLEIN
    assert afspraken["regie"]["afspraken"] is None
    assert afspraken["escalatie"]["casussen"]["aantal"] == 0
    assert uit["afspraken_per_onderdeel"]["casussen_met_afspraken"]["aantal"] == 5

    stappen = uit["stappen_ingevuld"]["stappen"]
    assert [s["stap"] for s in stappen] == [1, 2, 3, 4, 5, 6, 7]
    assert all(s["leeg"]["aantal"] == 13 and s["volledig"]["aantal"] == 0 for s in stappen)

    # One accepted handover: below k, and the 12 without one would give it away.
    assert per_sleutel(uit["overdrachten"]["categorieen"]) == {
        "0": AFGESCHERMD,
        "1": KLEIN,
        "2": 0,
        "3+": 0,
    }
    mdos = uit["tijd_tussen_mdos"]
    assert per_sleutel(mdos["categorieen"]) == {"<4w": 5, "4-8w": 0, "8-13w": 0, "13w+": 0}
    assert mdos["totaal"]["aantal"] == 5
    assert mdos["gemiddelde"] == 18.0 and mdos["mediaan"] == 18.0

    professionals = uit["ervaringen_professionals"]
    assert professionals["onderzoeksvraag"] == 3
    assert professionals["casussen"]["aantal"] == 5 and professionals["antwoorden"] == 6
    themas = {t["thema"]: t for t in professionals["themas"]}
    assert themas["rust"]["gemiddelde"] == pytest.approx(3.33)  # (3 × 5 + 5) / 6
    assert themas["continuiteit"]["gemiddelde"] == 5.0
    assert themas["duidelijkheid"]["gemiddelde"] == pytest.approx(3.33)
    ouders = uit["ervaringen_ouders"]
    assert ouders["onderzoeksvraag"] == 4
    assert ouders["casussen"]["onderdrukt"] == KLEIN and ouders["antwoorden"] is None
    assert all(t["gemiddelde"] is None and t["antwoorden"] is None for t in ouders["themas"])


def test_generalises_before_it_suppresses(client: TestClient, app: Any, settings: Settings) -> None:
    """With the default share (5%), nothing may stay hidden here: the table coarsens instead."""
    mensen = bevolking(client, app, settings)
    kruis = cijfers(client, mensen.onderzoeker)["casussen_per_gemeente_en_periode"]
    assert kruis["gegeneraliseerd"]["gemeente"] != "gemeente"
    assert kruis["cellen_getoond"] is True and kruis["cellen_weggelaten"] is None
    for rij in kruis["rijen"]:
        assert all(c["onderdrukt"] is None for c in [*rij["cellen"], rij["totaal"]])
        assert all(c["aantal"] == 0 or c["aantal"] >= 5 for c in rij["cellen"])
    assert sum(g["casussen"]["aantal"] for g in kruis["gemeenten"]) == 13


def test_k_comes_from_the_settings(maak_client: Any, settings: Settings) -> None:
    client, app = maak_client(onderzoek_k=2, onderzoek_max_onderdrukt=0.5)
    mensen = bevolking(client, app, settings)
    uit = cijfers(client, mensen.onderzoeker)
    assert uit["k"] == 2
    kruis = uit["casussen_per_gemeente_en_periode"]
    assert kruis["cellen_getoond"] is True
    assert waarden(kruis["rijen"][0]["cellen"]) == [6, 5, 2]
    betrokkenen = uit["betrokkenen_per_casus"]
    assert per_sleutel(betrokkenen["categorieen"])["3"] == 2
    assert betrokkenen["gemiddelde"] == 1.8 and betrokkenen["mediaan"] == 2.0  # 23 / 13
    overdrachten = per_sleutel(uit["overdrachten"]["categorieen"])
    assert overdrachten["1"] == KLEIN and overdrachten["0"] == AFGESCHERMD
    geen = next(c for c in uit["overdrachten"]["categorieen"] if c["sleutel"] == "1")
    assert geen["casussen"]["weergave"] == "minder dan 2"
    ouders = {t["thema"]: t["gemiddelde"] for t in uit["ervaringen_ouders"]["themas"]}
    assert ouders == {"rust": 2.0, "continuiteit": 2.0, "duidelijkheid": 2.0}


def test_fewer_casussen_than_k_show_nothing(
    client: TestClient, app: Any, settings: Settings
) -> None:
    anna = auth(settings, make_account(app, "anna"))
    onderzoeker = auth(settings, make_account(app, "olaf", systeemrollen=("onderzoeker",)))
    for _ in range(3):
        new_casus(client, anna)
    uit = cijfers(client, onderzoeker)
    assert uit["casussen"]["onderdrukt"] == KLEIN
    kruis = uit["casussen_per_gemeente_en_periode"]
    assert kruis["totaal"]["onderdrukt"] == KLEIN
    assert all(r["totaal"]["aantal"] is None for r in kruis["rijen"])
    for figuur in ("betrokkenen_per_casus", "overdrachten"):
        tellingen = [c["casussen"] for c in uit[figuur]["categorieen"]]
        assert all(t["aantal"] in (None, 0) for t in tellingen), figuur
        assert uit[figuur]["gemiddelde"] is None


def test_only_the_onderzoeker_gets_figures_and_every_call_is_audited(
    client: TestClient, app: Any, settings: Settings
) -> None:
    mensen = bevolking(client, app, settings)
    cijfers(client, mensen.onderzoeker)
    geweigerd = client.get("/api/v1/onderzoek/cijfers", headers=mensen.professional)
    assert geweigerd.status_code == 403
    assert geweigerd.headers["content-type"] == "application/problem+json"
    assert geweigerd.json()["code"] == "geweigerd"
    assert "casussen" not in geweigerd.json()
    with Session(app.state.engine) as session:
        events = session.exec(
            select(AuditGebeurtenis)
            .where(AuditGebeurtenis.actie == "onderzoek.cijfers")
            .order_by(col(AuditGebeurtenis.volgnummer))
        ).all()
    assert [(e.gebruikersnaam, e.uitkomst) for e in events] == [
        ("olaf", "toegestaan"),
        ("piet", "geweigerd"),
    ]
    assert events[0].kenmerken["k"] == 5
    assert events[0].kenmerken["gegeneraliseerd"].keys() == {"startmaand", "gemeente"}
    assert events[0].kenmerken["kruiscellen_getoond"] is True
    assert events[0].casus_id is None


# The long read and the write lock ------------------------------------------------------------


@dataclass(frozen=True)
class Toestand:
    """What held at the moment the figures started to be computed."""

    open_transacties: int  # connections of the app's engine inside a transaction
    schrijver_kan: bool  # another writer got the write lock at once (always True off SQLite)


def _schrijver_kan(engine: Engine) -> bool:
    """Whether another writer gets SQLite's write lock right now, without waiting for it."""
    if engine.dialect.name != "sqlite":
        return True
    assert engine.url.database
    verbinding = sqlite3.connect(engine.url.database, timeout=0, isolation_level=None)
    try:
        verbinding.execute("BEGIN IMMEDIATE")
        verbinding.execute("ROLLBACK")
    except sqlite3.OperationalError:  # "database is locked": a transaction holds it
        return False
    finally:
        verbinding.close()
    return True


def bij_berekenen(app: Any, monkeypatch: pytest.MonkeyPatch) -> list[Toestand]:
    """Record, each time the figures start to be computed, whether a transaction is open.

    `bereken_cijfers` is wrapped where the API and the page call it; the wrapper looks before
    the real computation opens its own snapshot, while the request waits for it. Deterministic:
    nothing runs in between. Before the fix the request's own transaction (SQLite: BEGIN
    IMMEDIATE, taken when the actor was loaded) was still open here, holding the write lock.
    The listeners stay on the app's engine, which lives as long as the test.
    """
    engine: Engine = app.state.engine
    open_verbindingen: set[Connection] = set()
    toestanden: list[Toestand] = []
    echt = bereken_cijfers

    @event.listens_for(engine, "begin")
    def _begonnen(verbinding: Connection) -> None:
        open_verbindingen.add(verbinding)

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _beeindigd(verbinding: Connection) -> None:
        open_verbindingen.discard(verbinding)

    def bewaakt(*args: Any, **kwargs: Any) -> Any:
        toestanden.append(Toestand(len(open_verbindingen), _schrijver_kan(engine)))
        return echt(*args, **kwargs)

    monkeypatch.setattr(routes, "bereken_cijfers", bewaakt)
    monkeypatch.setattr(onderzoek_pages, "bereken_cijfers", bewaakt)
    return toestanden


def test_the_long_read_does_not_hold_the_request_transaction(
    client: TestClient, app: Any, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the figures are computed, other writers are not blocked (SQLite's write lock)."""
    mensen = bevolking(client, app, settings)
    toestanden = bij_berekenen(app, monkeypatch)
    cijfers(client, mensen.onderzoeker)
    assert toestanden == [Toestand(open_transacties=0, schrijver_kan=True)]
    with Session(app.state.engine) as session:  # and the audit event still made it
        gelezen = session.exec(
            select(AuditGebeurtenis).where(AuditGebeurtenis.actie == "onderzoek.cijfers")
        ).one()
    assert gelezen.uitkomst == "toegestaan" and gelezen.kenmerken["k"] == 5
