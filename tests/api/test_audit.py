"""The audit trail: every read, change and refusal is recorded, chained, and verifiable."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, text
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from app.audit import chain
from app.audit.models import AuditGebeurtenis, AuditKeten
from app.cli import cli
from app.config import Settings, get_settings
from tests.factories import add_role, auth, make_account, new_casus, save

MISSING = "00000000-0000-4000-8000-000000000000"


def events(app: Any) -> list[AuditGebeurtenis]:
    with Session(app.state.engine) as session:
        query = select(AuditGebeurtenis).order_by(col(AuditGebeurtenis.volgnummer))
        return list(session.exec(query).all())


def last(app: Any) -> AuditGebeurtenis:
    return events(app)[-1]


def verify(app: Any) -> chain.Breuk | None:
    with Session(app.state.engine) as session:
        return chain.verify(session)


@pytest.fixture
def casus(client: TestClient, app: Any, settings: Settings) -> dict[str, Any]:
    anna = auth(settings, make_account(app, "anna"))
    make_account(app, "bram")
    casus = new_casus(client, anna)
    add_role(client, anna, casus["id"], "bram", "volger")
    return {"id": casus["id"], "anna": anna, "bram": auth(settings, "bram")}


@pytest.mark.parametrize(
    ("suffix", "handeling"),
    [
        ("", "casus.lezen"),
        ("/handreiking", "handreiking.lezen"),
        ("/revisies", "revisies.lezen"),
        ("/revisies/1", "revisie.lezen"),
        ("/revisies/1/verschil?met=1", "verschil.lezen"),
        ("/betrokkenen", "betrokkenen.lezen"),
        ("/toegangslog", "toegangslog.lezen"),
    ],
)
def test_every_read_is_recorded_with_who_where_and_request_id(
    client: TestClient, app: Any, casus: dict[str, Any], suffix: str, handeling: str
) -> None:
    response = client.get(f"/api/v1/casussen/{casus['id']}{suffix}", headers=casus["anna"])
    assert response.status_code == 200
    event = last(app)
    assert (event.actie, event.uitkomst) == (handeling, "toegestaan")
    assert str(event.casus_id) == casus["id"]
    assert event.gebruikersnaam == "anna"
    assert event.organisatie == "Organisatie van anna"
    assert event.clientadres == "testclient"
    assert event.request_id == response.headers["x-request-id"]
    assert event.tijdstip.utcoffset() is not None


def test_a_change_records_changed_paths_never_values(
    client: TestClient, app: Any, casus: dict[str, Any]
) -> None:
    inhoud = client.get(f"/api/v1/casussen/{casus['id']}/handreiking", headers=casus["anna"]).json()
    inhoud = {**inhoud["inhoud"], "situatie": {"krachten": "GEHEIM-WAARDE-123", "zorgen": "ZORG-X"}}
    assert save(client, casus["anna"], casus["id"], inhoud, 1).status_code == 200
    event = last(app)
    assert event.actie == "handreiking.opslaan" and event.uitkomst == "toegestaan"
    assert event.velden == ["situatie.krachten", "situatie.zorgen"]
    assert event.kenmerken["revisie"] == 2
    dumped = json.dumps([e.model_dump(mode="json") for e in events(app)])
    assert "GEHEIM-WAARDE-123" not in dumped and "ZORG-X" not in dumped
    assert "Test Jeugdige" not in dumped


def test_refusals_are_recorded(
    client: TestClient, app: Any, settings: Settings, casus: dict[str, Any]
) -> None:
    eva = auth(settings, make_account(app, "eva"))
    cases: list[tuple[Any, str, str | None, str]] = [
        (
            lambda: client.get(f"/api/v1/casussen/{casus['id']}", headers=eva),
            "geweigerd",
            casus["id"],
            "casus_niet_gevonden",
        ),
        (
            lambda: client.get(f"/api/v1/casussen/{MISSING}/handreiking", headers=eva),
            "geweigerd",
            MISSING,
            "casus_niet_gevonden",
        ),
        (
            lambda: save(client, casus["bram"], casus["id"], {}, 1),
            "geweigerd",
            casus["id"],
            "geweigerd",
        ),
        (
            lambda: client.get(
                f"/api/v1/casussen/{casus['id']}/toegangslog", headers=casus["bram"]
            ),
            "geweigerd",
            casus["id"],
            "geweigerd",
        ),
        (
            lambda: save(client, casus["anna"], casus["id"], {"x": 1}, 1),
            "mislukt",
            casus["id"],
            "validatiefout",
        ),
        (
            lambda: save(client, casus["anna"], casus["id"], {}, 7),
            "mislukt",
            casus["id"],
            "versieconflict",
        ),
        (
            lambda: client.get("/api/v1/casussen", headers={"Authorization": "Bearer kapot"}),
            "geweigerd",
            None,
            "niet_geauthenticeerd",
        ),
        (
            lambda: client.get(f"/api/v1/casussen/{casus['id']}"),
            "geweigerd",
            casus["id"],
            "niet_geauthenticeerd",
        ),
    ]
    for request, uitkomst, casus_id, code in cases:
        before = len(events(app))
        response = request()
        assert response.status_code >= 400
        new = events(app)[before:]
        assert len(new) == 1, [(e.actie, e.uitkomst) for e in new]
        event = new[0]
        assert event.uitkomst == uitkomst, (event.actie, event.kenmerken)
        assert (str(event.casus_id) if event.casus_id else None) == casus_id
        assert event.kenmerken["code"] == code
        assert event.velden == []
    assert (
        client.get(f"/api/v1/casussen/{casus['id']}", headers=casus["anna"]).json()["revisie"] == 1
    )
    assert verify(app) is None


def test_an_unknown_token_subject_is_recorded_as_a_failed_sign_in(
    client: TestClient, app: Any, settings: Settings
) -> None:
    response = client.get("/api/v1/ik", headers=auth(settings, "niemand"))
    assert response.status_code == 401
    event = last(app)
    assert (event.actie, event.uitkomst, event.gebruikersnaam) == ("aanmelden", "geweigerd", None)


@contextmanager
def _failing_audit_inserts(app: Any) -> Iterator[None]:
    """Make every audit insert fail, as a full disk or a broken trigger would."""
    engine = app.state.engine
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(
                text(
                    "CREATE FUNCTION test_weiger() RETURNS trigger LANGUAGE plpgsql AS $$ "
                    "BEGIN RAISE EXCEPTION 'audit kapot'; END $$"
                )
            )
            connection.execute(
                text(
                    "CREATE TRIGGER test_weiger BEFORE INSERT ON auditgebeurtenis "
                    "FOR EACH ROW EXECUTE FUNCTION test_weiger()"
                )
            )
        else:
            connection.execute(
                text(
                    "CREATE TRIGGER test_weiger BEFORE INSERT ON auditgebeurtenis "
                    "BEGIN SELECT RAISE(ABORT, 'audit kapot'); END"
                )
            )
    try:
        yield
    finally:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text("DROP TRIGGER test_weiger ON auditgebeurtenis"))
                connection.execute(text("DROP FUNCTION test_weiger()"))
            else:
                connection.execute(text("DROP TRIGGER test_weiger"))


def test_a_change_whose_event_cannot_be_written_does_not_happen(
    client: TestClient, app: Any, casus: dict[str, Any]
) -> None:
    with _failing_audit_inserts(app):
        response = save(client, casus["anna"], casus["id"], {"situatie": {"krachten": "x"}}, 1)
        assert response.status_code == 500
        created = client.post(
            "/api/v1/casussen",
            json={"gemeente": "Enschede", "jeugdige": {"naam": "N", "geboortedatum": "2011-01-01"}},
            headers=casus["anna"],
        )
        assert created.status_code == 500
    revisies = client.get(f"/api/v1/casussen/{casus['id']}/revisies", headers=casus["anna"]).json()
    assert [r["nummer"] for r in revisies] == [1]
    assert client.get("/api/v1/casussen", headers=casus["anna"]).json()["totaal"] == 1
    assert verify(app) is None


def test_the_trail_is_append_only(app: Any, casus: dict[str, Any]) -> None:
    for statement in ("UPDATE auditgebeurtenis SET actie = 'x'", "DELETE FROM auditgebeurtenis"):
        with pytest.raises(Exception, match="onveranderlijk"), app.state.engine.begin() as conn:
            conn.execute(text(statement))
    assert verify(app) is None


@contextmanager
def _tamper(app: Any) -> Iterator[Connection]:
    """A connection that bypasses the append-only triggers, as an attacker with DBA rights could."""
    with app.state.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SET LOCAL session_replication_role = replica"))
            yield connection
        else:
            connection.execute(text("DROP TRIGGER auditgebeurtenis_onveranderlijk_update"))
            connection.execute(text("DROP TRIGGER auditgebeurtenis_onveranderlijk_delete"))
            yield connection


def _fill(client: TestClient, casus: dict[str, Any]) -> None:
    for _ in range(5):
        client.get(f"/api/v1/casussen/{casus['id']}", headers=casus["anna"])


@pytest.mark.parametrize(
    ("name", "statements", "broken_at"),
    [
        ("edit", ["UPDATE auditgebeurtenis SET gebruikersnaam = 'iemand' WHERE volgnummer = 4"], 4),
        (
            "edit-kenmerken",
            ["UPDATE auditgebeurtenis SET kenmerken = '{}' WHERE volgnummer = 5"],
            5,
        ),
        ("delete", ["DELETE FROM auditgebeurtenis WHERE volgnummer = 3"], 3),
        (
            "reorder",
            [
                "UPDATE auditgebeurtenis SET volgnummer = -1 WHERE volgnummer = 4",
                "UPDATE auditgebeurtenis SET volgnummer = 4 WHERE volgnummer = 5",
                "UPDATE auditgebeurtenis SET volgnummer = 5 WHERE volgnummer = -1",
            ],
            4,
        ),
        ("cut-tail", ["DELETE FROM auditgebeurtenis WHERE volgnummer >= 6"], 6),
    ],
)
def test_tampering_is_detected(
    client: TestClient,
    app: Any,
    settings: Settings,
    casus: dict[str, Any],
    name: str,
    statements: list[str],
    broken_at: int,
) -> None:
    _fill(client, casus)
    assert verify(app) is None
    with _tamper(app) as connection:
        for statement in statements:
            connection.execute(text(statement))
    breuk = verify(app)
    assert breuk is not None and breuk.volgnummer == broken_at, (name, breuk)
    result = _run_cli(settings, ["audit", "verify"])
    assert result.exit_code == 1
    assert f"gebeurtenis {broken_at}" in result.output


def _run_cli(settings: Settings, args: list[str]) -> Any:
    env = {
        "REGIE_ENV": "dev",
        "REGIE_DATA_DIR": str(settings.data_dir),
        "REGIE_DATABASE_URL": settings.database_url,
    }
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(cli, args, env=env)
    finally:
        get_settings.cache_clear()


def test_cli_verify_passes_on_an_intact_trail(
    client: TestClient, app: Any, settings: Settings, casus: dict[str, Any]
) -> None:
    _fill(client, casus)
    result = _run_cli(settings, ["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert f"{len(events(app))} gebeurtenissen" in result.output


def test_toegangslog_shows_who_did_what_newest_first(
    client: TestClient, app: Any, settings: Settings, casus: dict[str, Any]
) -> None:
    client.get(f"/api/v1/casussen/{casus['id']}/handreiking", headers=casus["bram"])
    eva = auth(settings, make_account(app, "eva"))
    client.get(f"/api/v1/casussen/{casus['id']}", headers=eva)
    log = client.get(
        f"/api/v1/casussen/{casus['id']}/toegangslog?per_pagina=3", headers=casus["anna"]
    )
    assert log.status_code == 200
    body = log.json()
    first = body["resultaten"][0]
    assert (first["gebruikersnaam"], first["handeling"], first["uitkomst"]) == (
        "eva",
        "casus.lezen",
        "geweigerd",
    )
    second = body["resultaten"][1]
    assert (second["naam"], second["handeling"]) == ("Bram", "handreiking.lezen")
    assert body["totaal"] == len([e for e in events(app) if str(e.casus_id) == casus["id"]]) - 1
    assert len(body["resultaten"]) == 3
    page2 = client.get(
        f"/api/v1/casussen/{casus['id']}/toegangslog?per_pagina=3&pagina=2", headers=casus["anna"]
    ).json()
    # Newest first: page 2 holds older events (reading page 1 added one, so one may repeat).
    assert max(r["tijdstip"] for r in page2["resultaten"]) <= min(
        r["tijdstip"] for r in body["resultaten"]
    )
    assert last(app).actie == "toegangslog.lezen"
    assert uuid.UUID(casus["id"]) == last(app).casus_id


def test_listing_a_casus_is_in_its_toegangslog(
    client: TestClient, app: Any, casus: dict[str, Any]
) -> None:
    """Mijn casussen shows the jeugdige's name, so each listed casus records that it was shown."""
    client.get("/api/v1/casussen", headers=casus["bram"])
    event = last(app)
    assert (event.actie, event.gebruikersnaam, str(event.casus_id)) == (
        "casus.in_lijst",
        "bram",
        casus["id"],
    )


@pytest.mark.parametrize("lijst", ["toegangslog", "tijdlijn"])
def test_a_page_number_beyond_the_database_range_is_refused(
    client: TestClient, casus: dict[str, Any], lijst: str
) -> None:
    """Found by schemathesis: a huge page number overflowed the query's offset (a 500)."""
    url = f"/api/v1/casussen/{casus['id']}/{lijst}"
    response = client.get(f"{url}?pagina={2**63}", headers=casus["anna"])
    assert response.status_code == 422, response.text
    assert [e["pad"] for e in response.json()["errors"]] == ["pagina"]
    last = client.get(f"{url}?pagina={2**31 - 1}&per_pagina=100", headers=casus["anna"])
    assert last.status_code == 200 and last.json()["resultaten"] == []


def test_the_head_is_the_last_event_after_one_event_and_after_many(
    client: TestClient, app: Any, casus: dict[str, Any]
) -> None:
    """A request's lone event goes in with the new head in one statement on PostgreSQL, a list's
    many go in together: either way the head names the last event, and the chain holds."""
    for pad, erbij in ((f"/api/v1/casussen/{casus['id']}/handreiking", 1), ("/api/v1/casussen", 2)):
        voor = len(events(app))
        assert client.get(pad, headers=casus["anna"]).status_code == 200
        alle = events(app)
        assert len(alle) == voor + erbij
        with Session(app.state.engine) as session:
            kop = session.get_one(AuditKeten, 1)
            assert (kop.volgnummer, kop.hash) == (alle[-1].volgnummer, alle[-1].hash)
        assert verify(app) is None
