"""Saving the handreiking: numbered immutable revisions, If-Match, validation, diff."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, select

from app.audit.models import AuditGebeurtenis
from app.casus.models import Casus
from app.config import Settings
from app.crypto.service import Kluis
from app.db import utcnow
from app.form.definition import DEFINITIONS_DIR
from app.main import create_app
from tests.factories import add_role, auth, make_account, new_casus, save

SITUATIE = {"situatie": {"hulpvraag_professionals": "Schoolverzuim", "veiligheidsrisico": False}}


def _setup(client: TestClient, app: Any, settings: Settings) -> tuple[dict[str, str], str]:
    h = auth(settings, make_account(app, "anna"))
    return h, new_casus(client, h)["id"]


def _url(casus_id: str, suffix: str = "/handreiking") -> str:
    return f"/api/v1/casussen/{casus_id}{suffix}"


@contextmanager
def _statements(app: Any) -> Iterator[list[str]]:
    """Every SQL statement the app runs inside the block, whitespace folded, in lower case."""
    gezien: list[str] = []

    def noteer(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        gezien.append(" ".join(statement.split()).lower())

    event.listen(app.state.engine, "before_cursor_execute", noteer)
    try:
        yield gezien
    finally:
        event.remove(app.state.engine, "before_cursor_execute", noteer)


def test_each_save_is_the_next_numbered_revision(
    client: TestClient, app: Any, settings: Settings
) -> None:
    h, casus_id = _setup(client, app, settings)
    inhoud = client.get(_url(casus_id), headers=h).json()["inhoud"]
    for basis in (1, 2, 3):
        inhoud["situatie"] = {"krachten": f"versie {basis + 1}"}
        response = save(client, h, casus_id, inhoud, basis)
        assert response.status_code == 200, response.text
        assert response.json() == {"revisie": basis + 1}
        assert response.headers["etag"] == f'"{basis + 1}"'
    current = client.get(_url(casus_id), headers=h)
    assert current.headers["etag"] == '"4"'
    assert current.json()["inhoud"]["situatie"]["krachten"] == "versie 4"
    revisies = client.get(_url(casus_id, "/revisies"), headers=h).json()
    assert [r["nummer"] for r in revisies] == [1, 2, 3, 4]
    assert all(r["auteur"]["gebruikersnaam"] == "anna" for r in revisies)
    old = client.get(_url(casus_id, "/revisies/2"), headers=h).json()
    assert old["inhoud"]["situatie"]["krachten"] == "versie 2"
    assert client.get(_url(casus_id, "/revisies/5"), headers=h).status_code == 404
    assert client.get(_url(casus_id), headers=h).json()["revisie"] == 4


def test_save_without_if_match_is_428(client: TestClient, app: Any, settings: Settings) -> None:
    h, casus_id = _setup(client, app, settings)
    for headers in (h, {**h, "If-Match": "*"}):
        response = client.put(_url(casus_id), json={"inhoud": SITUATIE}, headers=headers)
        assert response.status_code == 428
        assert response.headers["content-type"] == "application/problem+json"
    assert client.get(_url(casus_id, "/revisies"), headers=h).json()[-1]["nummer"] == 1


def test_a_revision_number_beyond_the_database_range_is_refused(
    client: TestClient, app: Any, settings: Settings
) -> None:
    """Found by schemathesis: a number no INTEGER column holds failed in the driver (a 500)."""
    h, casus_id = _setup(client, app, settings)
    for nummer in (2**31, 2**63):
        for suffix, pad in (
            (f"/revisies/{nummer}", "nummer"),
            (f"/revisies/{nummer}/verschil?met=1", "nummer"),
            (f"/revisies/1/verschil?met={nummer}", "met"),
        ):
            response = client.get(_url(casus_id, suffix), headers=h)
            assert response.status_code == 422, (suffix, response.text)
            assert [e["pad"] for e in response.json()["errors"]] == [pad]
    assert client.get(_url(casus_id, f"/revisies/{2**31 - 1}"), headers=h).status_code == 404


def test_stale_save_is_412_with_current_number_and_loser_not_stored(
    client: TestClient, app: Any, settings: Settings
) -> None:
    h, casus_id = _setup(client, app, settings)
    assert save(client, h, casus_id, {"situatie": {"krachten": "winnaar"}}, 1).status_code == 200
    stale = save(client, h, casus_id, {"situatie": {"krachten": "verliezer"}}, 1)
    assert stale.status_code == 412
    assert stale.json()["revisie"] == 2 and stale.json()["code"] == "versieconflict"
    garbage = client.put(_url(casus_id), json={"inhoud": {}}, headers={**h, "If-Match": '"abc"'})
    assert garbage.status_code == 412
    current = client.get(_url(casus_id), headers=h).json()
    assert current["revisie"] == 2 and current["inhoud"]["situatie"]["krachten"] == "winnaar"
    assert len(client.get(_url(casus_id, "/revisies"), headers=h).json()) == 2


def test_incomplete_document_saves_and_shows_progress(
    client: TestClient, app: Any, settings: Settings
) -> None:
    h, casus_id = _setup(client, app, settings)
    kop = client.get(_url(casus_id), headers=h).json()["inhoud"]
    assert save(client, h, casus_id, {**kop, **SITUATIE}, 1).status_code == 200
    voortgang = {v["sectie"]: v for v in client.get(_url(casus_id), headers=h).json()["voortgang"]}
    assert voortgang["situatie"]["ingevuld"] and voortgang["situatie"]["ontbrekend"] == []
    assert not voortgang["doelen"]["ingevuld"]
    assert voortgang["doelen"]["ontbrekend"] == ["doelen.doelen"]
    assert "regie.betekenis" in voortgang["regie"]["ontbrekend"]
    assert voortgang["kop"]["ontbrekend"] == []


def test_invalid_content_is_422_per_field_and_changes_nothing(
    client: TestClient, app: Any, settings: Settings
) -> None:
    h, casus_id = _setup(client, app, settings)
    bad = {
        "onbekend": {},
        "situatie": {"veiligheidsrisico": "ja", "verzonnen": 1, "krachten": "x" * 4001},
        "doelen": {"doelen": [{"doel": "Ok", "status": "klaar", "termijn": "2026-02-30"}]},
        "borging": {"signaaltypen": ["crisis", "crisis"]},
        "kop": {"gemeente": "Utrecht", "jeugdige": {"bsn": "123456789"}},
        "betrokkenheid": {"professionals": [], "ouders": "Mirjam"},
    }
    response = client.put(_url(casus_id), json={"inhoud": bad}, headers={**h, "If-Match": '"1"'})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validatiefout"
    assert {e["pad"] for e in body["errors"]} == {
        "onbekend",
        "situatie.veiligheidsrisico",
        "situatie.verzonnen",
        "situatie.krachten",
        "doelen.doelen[0].status",
        "doelen.doelen[0].termijn",
        "borging.signaaltypen",
        "kop.gemeente",
        "kop.jeugdige.bsn",
        "betrokkenheid.professionals",
        "betrokkenheid.ouders",
    }
    assert all(e["melding"] for e in body["errors"])
    assert client.get(_url(casus_id), headers=h).json()["revisie"] == 1


def test_valid_bsn_and_lists_are_accepted(client: TestClient, app: Any, settings: Settings) -> None:
    h, casus_id = _setup(client, app, settings)
    inhoud = client.get(_url(casus_id), headers=h).json()["inhoud"]
    inhoud["kop"]["jeugdige"]["bsn"] = "111222333"
    inhoud["doelen"] = {
        "doelen": [{"doel": "Naar school", "status": "open", "termijn": "2027-01-31"}]
    }
    inhoud["afspraken"] = {
        "afspraken": [{"wat": "Bellen", "wie": "Anna", "onderdeel": "communicatie-ouders"}]
    }
    assert save(client, h, casus_id, inhoud, 1).status_code == 200


def test_header_change_updates_casus_gemeente(
    client: TestClient, app: Any, settings: Settings
) -> None:
    h, casus_id = _setup(client, app, settings)
    inhoud = client.get(_url(casus_id), headers=h).json()["inhoud"]
    inhoud["kop"]["gemeente"] = "Hengelo"
    assert save(client, h, casus_id, inhoud, 1).status_code == 200
    casus = client.get(_url(casus_id, ""), headers=h).json()
    assert casus["gemeente"] == "Hengelo" and casus["status"] == "actief" and casus["revisie"] == 2


def test_diff_between_revisions(client: TestClient, app: Any, settings: Settings) -> None:
    h, casus_id = _setup(client, app, settings)
    base = client.get(_url(casus_id), headers=h).json()["inhoud"]
    v2 = {**base, "situatie": {"krachten": "Creatief", "zorgen": "Verzuim"}}
    v3 = {
        **base,
        "situatie": {"krachten": "Creatief en sportief"},
        "doelen": {"doelen": [{"doel": "School", "status": "open"}]},
    }
    assert save(client, h, casus_id, v2, 1).status_code == 200
    assert save(client, h, casus_id, v3, 2).status_code == 200
    diff = client.get(_url(casus_id, "/revisies/3/verschil?met=2"), headers=h).json()
    assert diff["van"] == 2 and diff["naar"] == 3
    changes = {w["pad"]: (w["soort"], w["oud"], w["nieuw"]) for w in diff["wijzigingen"]}
    assert changes == {
        "situatie.krachten": ("gewijzigd", "Creatief", "Creatief en sportief"),
        "situatie.zorgen": ("verwijderd", "Verzuim", None),
        "doelen.doelen[0].doel": ("toegevoegd", None, "School"),
        "doelen.doelen[0].status": ("toegevoegd", None, "open"),
    }
    assert client.get(_url(casus_id, "/revisies/3/verschil?met=9"), headers=h).status_code == 404
    assert client.get(_url(casus_id, "/revisies/3/verschil"), headers=h).status_code == 422


def test_revisions_are_immutable_in_the_database(
    client: TestClient, app: Any, settings: Settings
) -> None:
    h, casus_id = _setup(client, app, settings)
    for statement in ("UPDATE revisie SET nummer = 7", "DELETE FROM revisie"):
        with (
            pytest.raises(DBAPIError, match="onveranderlijk"),
            app.state.engine.begin() as connection,
        ):
            connection.execute(text(statement))
    assert [r["nummer"] for r in client.get(_url(casus_id, "/revisies"), headers=h).json()] == [1]


def test_a_casus_keeps_its_form_version(
    client: TestClient, app: Any, settings: Settings, tmp_path: Path
) -> None:
    """A newer form version coexists: old casussen validate against the version they began with."""
    h, old_id = _setup(client, app, settings)
    newer = yaml.safe_load((DEFINITIONS_DIR / "twente-2020.1.yaml").read_text())
    newer["versie"] = "twente-2027.1"
    newer["secties"][2]["velden"].append(
        {
            "sleutel": "nieuwe_vraag",
            "type": "tekst",
            "label": "Nieuw",
            "max_lengte": 50,
            "privacy": "free-text",
        }
    )
    (tmp_path / "twente-2027.1.yaml").write_text(yaml.safe_dump(newer, allow_unicode=True))
    upgraded = create_app(
        settings.model_copy(update={"extra_form_dir": tmp_path, "form_version": "twente-2027.1"})
    )
    try:
        with TestClient(upgraded) as new_client:
            new_id = new_casus(new_client, h)["id"]
            assert (
                new_client.get(_url(new_id, ""), headers=h).json()["formulierversie"]
                == "twente-2027.1"
            )
            assert (
                new_client.get(_url(old_id, ""), headers=h).json()["formulierversie"]
                == "twente-2020.1"
            )
            field = {"situatie": {"nieuwe_vraag": "antwoord"}}
            assert save(new_client, h, new_id, field, 1).status_code == 200
            refused = save(new_client, h, old_id, field, 1)
            assert refused.status_code == 422
            assert refused.json()["errors"][0]["pad"] == "situatie.nieuwe_vraag"
            assert new_client.get("/api/v1/formulieren/twente-2027.1", headers=h).status_code == 200
            assert new_client.get("/api/v1/formulieren/twente-2020.1", headers=h).status_code == 200
    finally:
        upgraded.state.engine.dispose()


def test_form_definition_is_served(client: TestClient, app: Any, settings: Settings) -> None:
    h = auth(settings, make_account(app, "anna"))
    form = client.get("/api/v1/formulieren/twente-2020.1", headers=h).json()
    assert form["versie"] == "twente-2020.1"
    steps = [s for s in form["secties"] if s.get("stap")]
    assert [s["stap"] for s in steps] == [1, 2, 3, 4, 5, 6, 7]
    assert steps[4]["titel"] == "Wie heeft waarover de regie?"
    assert client.get("/api/v1/formulieren/bestaat-niet", headers=h).status_code == 404
    assert client.get("/api/v1/formulieren/twente-2020.1").status_code == 401


def test_a_save_decides_and_loads_its_base_in_one_statement_and_links_the_open_mdo(
    client: TestClient, app: Any, settings: Settings
) -> None:
    """The access decision brings the revision a save builds on along (holding the casus row),
    and the INSERT itself finds the open MDO: no round trip of their own for either."""
    h, casus_id = _setup(client, app, settings)
    assert save(client, h, casus_id, SITUATIE, 1).status_code == 200  # no MDO open yet
    mdo = client.post(_url(casus_id, "/mdos"), json={"datum": "2026-12-01"}, headers=h)
    assert mdo.status_code == 201, mdo.text
    inhoud = {"situatie": {**SITUATIE["situatie"], "krachten": "Sportief"}}
    with _statements(app) as gezien:
        assert save(client, h, casus_id, inhoud, 2).status_code == 200
    basis = [s for s in gezien if s.startswith("select") and "revisie.inhoud" in s]
    assert len(basis) == 1 and "join rol on" in basis[0], gezien
    if app.state.engine.dialect.name == "postgresql":
        assert basis[0].endswith("for update of casus"), basis[0]
    assert not [s for s in gezien if s.startswith("select") and "from mdo" in s], gezien
    revisies = client.get(_url(casus_id, "/revisies"), headers=h).json()
    assert {r["nummer"]: r["mdo"] for r in revisies} == {1: None, 2: None, 3: mdo.json()["id"]}
    assert client.get(_url(casus_id), headers=h).json()["inhoud"]["situatie"] == inhoud["situatie"]


def test_reading_the_plan_decides_and_loads_it_in_one_statement(
    client: TestClient, app: Any, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The access decision brings the current revision along (one round trip, not two), and the
    plan is opened only for whom the decision allows: not an outsider, not a member of a casus
    that has faded for them."""
    h, casus_id = _setup(client, app, settings)
    assert save(client, h, casus_id, SITUATIE, 1).status_code == 200
    make_account(app, "bram")
    add_role(client, h, casus_id, "bram", "betrokkene")
    bram = auth(settings, "bram")
    buiten = auth(settings, make_account(app, "olaf"))
    geopend: list[uuid.UUID] = []
    opener = Kluis.open

    def open_(self: Kluis, casus: uuid.UUID, inhoud: Any) -> dict[str, Any]:
        geopend.append(casus)
        return opener(self, casus, inhoud)

    monkeypatch.setattr(Kluis, "open", open_)
    with _statements(app) as gezien:
        response = client.get(_url(casus_id), headers=h)
    assert response.status_code == 200 and response.json()["revisie"] == 2
    assert response.json()["inhoud"]["situatie"] == SITUATIE["situatie"]
    plan = [s for s in gezien if "revisie.inhoud" in s]
    assert len(plan) == 1 and "join rol on" in plan[0], gezien
    assert geopend == [uuid.UUID(casus_id)]
    geopend.clear()
    assert client.get(_url(casus_id), headers=buiten).status_code == 404
    gesloten = client.post(
        f"/api/v1/casussen/{casus_id}/afsluiten", json={"reden": "Klaar"}, headers=h
    )
    assert gesloten.status_code == 200, gesloten.text
    with Session(app.state.engine) as session:
        casus = session.get(Casus, uuid.UUID(casus_id))
        assert casus is not None
        dagen = app.state.settings.afgesloten_zichtbaar_dagen + 1
        casus.afgesloten_op = utcnow() - timedelta(days=dagen)
        session.add(casus)
        session.commit()
    assert client.get(_url(casus_id), headers=bram).status_code == 404
    assert geopend == []
    with Session(app.state.engine) as session:
        laatste = session.exec(
            select(AuditGebeurtenis).order_by(col(AuditGebeurtenis.volgnummer).desc())
        ).first()
    assert laatste is not None and (laatste.gebruikersnaam, laatste.uitkomst) == (
        "bram",
        "geweigerd",
    )
