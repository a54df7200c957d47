"""Encryption at rest: a stolen database reveals no name and no free text; search still works."""

from __future__ import annotations

import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from app.audit import chain
from app.audit.models import AuditGebeurtenis
from app.cli import cli
from app.config import Settings, get_settings
from app.crypto.keyring import kid_of
from app.crypto.rotation import rotate
from app.crypto.service import Kluis, keyring_for
from app.form.definition import load_formulieren
from app.handreiking.models import Revisie
from app.main import create_app
from app.research.models import VragenlijstAntwoord
from app.research.vragenlijst_service import open_veld
from tests.canary import CanaryDocument
from tests.factories import GRONDSLAG, auth, make_account, new_casus, save

TAG = "KANARIEQX"


def _raw_database(settings: Settings) -> bytes:
    """Everything an attacker with the database would hold: the files, or a full pg_dump."""
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        base = Path(str(url.database))
        return b"".join(p.read_bytes() for p in base.parent.glob(base.name + "*"))
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        pytest.fail("pg_dump is needed to inspect the PostgreSQL database")
    dump = subprocess.run(  # noqa: S603 - fixed binary, our own test database
        [
            pg_dump,
            "--no-owner",
            "-h",
            url.host or "127.0.0.1",
            "-p",
            str(url.port or 5432),
            "-U",
            url.username or "postgres",
            str(url.database),
        ],
        capture_output=True,
        check=True,
        timeout=120,
    )
    return dump.stdout


def _filled_casus(client: TestClient, app: Any, settings: Settings) -> dict[str, Any]:
    """A casus whose every sensitive field, toelichting and closing reason holds a canary."""
    h = auth(settings, make_account(app, "anna"))
    canary = CanaryDocument(app.state.formulieren["twente-2020.1"], TAG)
    kop = canary.inhoud["kop"]
    casus = new_casus(client, h, jeugdige=kop["jeugdige"], gemeente=kop["gemeente"])
    url = f"/api/v1/casussen/{casus['id']}"
    response = client.put(
        f"{url}/handreiking",
        json={"inhoud": canary.inhoud, "toelichting": f"{TAG}TOELICHTING"},
        headers={**h, "If-Match": '"1"'},
    )
    assert response.status_code == 200, response.text
    changed = dict(canary.inhoud, situatie=dict(canary.inhoud["situatie"], zorgen=f"{TAG}NIEUW"))
    assert save(client, h, casus["id"], changed, 2).status_code == 200
    for suffix in (
        "/handreiking",
        "/revisies",
        "/revisies/2",
        "/revisies/3/verschil?met=2",
        "/toegangslog",
    ):
        assert client.get(f"{url}{suffix}", headers=h).status_code == 200
    make_account(app, "bram")
    bram = auth(settings, "bram")
    overdracht = client.post(
        f"{url}/overdrachten",
        json={"opvolger": "bram", "toelichting": f"{TAG}NOTITIE", "grondslag": GRONDSLAG},
        headers=h,
    ).json()
    declined = client.post(
        f"{url}/overdrachten/{overdracht['id']}/afwijzen",
        json={"reden": f"{TAG}REDEN"},
        headers=bram,
    )
    assert declined.status_code == 200
    mdo = client.post(f"{url}/mdos", json={"datum": "2026-12-01"}, headers=h).json()
    finished = client.post(
        f"{url}/mdos/{mdo['id']}/afronden",
        json={"revisie": 3, "besluiten": f"{TAG}BESLUIT"},
        headers=h,
    )
    assert finished.status_code == 200, finished.text
    gast = {"rol": "ouder", "naam": f"{TAG}GAST", "email": f"{TAG.lower()}.gast@example.nl"}
    invited = client.post(f"{url}/uitnodigingen", json=gast, headers=h)
    assert invited.status_code == 201, invited.text
    closed = client.post(f"{url}/afsluiten", json={"reden": f"{TAG}AFSLUITREDEN"}, headers=h)
    assert closed.status_code == 200
    [uitnodiging] = client.get("/api/v1/vragenlijsten", headers=h).json()
    answered = client.post(
        f"/api/v1/vragenlijsten/{uitnodiging['id']}/antwoorden",
        json={"schaal": {"rust_overzicht": 4}, "open": {"open_werkt": f"{TAG}VRAGENLIJST"}},
        headers=h,
    )
    assert answered.status_code == 201, answered.text
    canaries = [
        *canary.canaries,
        *(
            f"{TAG}{s}"
            for s in (
                "TOELICHTING",
                "NIEUW",
                "AFSLUITREDEN",
                "NOTITIE",
                "REDEN",
                "BESLUIT",
                "VRAGENLIJST",
                "GAST",
            )
        ),
        f"{TAG.lower()}.gast@example.nl",
    ]
    return {"id": casus["id"], "h": h, "url": url, "canaries": canaries, "doc": canary}


def test_no_sensitive_value_reaches_the_database_in_plaintext(
    client: TestClient, app: Any, settings: Settings
) -> None:
    casus = _filled_casus(client, app, settings)
    assert len(casus["canaries"]) > 40
    app.state.engine.dispose()
    raw = _raw_database(settings)
    assert b"anna" in raw, "the inspection must see the database's real content"
    leaked = [c for c in casus["canaries"] if c.encode() in raw]
    assert leaked == []
    # The API still gives everything back to the people on the casus.
    current = client.get(f"{casus['url']}/handreiking", headers=casus["h"]).json()["inhoud"]
    assert current["situatie"]["zorgen"] == f"{TAG}NIEUW"
    assert current["kop"]["jeugdige"] == casus["doc"].inhoud["kop"]["jeugdige"]
    revisies = client.get(f"{casus['url']}/revisies", headers=casus["h"]).json()
    assert revisies[1]["toelichting"] == f"{TAG}TOELICHTING"
    diff = client.get(f"{casus['url']}/revisies/3/verschil?met=2", headers=casus["h"]).json()
    assert diff["wijzigingen"][0]["nieuw"] == f"{TAG}NIEUW"


def _overwrite(app: Any, casus_id: str, inhoud: dict[str, Any]) -> None:
    """Replace a revision's stored content past the immutability guard, as an attacker would."""
    with app.state.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SET LOCAL session_replication_role = replica"))
        else:
            connection.execute(text("DROP TRIGGER revisie_onveranderlijk_update"))
        connection.execute(
            update(Revisie)
            .where(col(Revisie.casus_id) == uuid.UUID(casus_id))
            .values(inhoud=inhoud)
        )


def _inhoud(app: Any, casus_id: str, nummer: int) -> dict[str, Any]:
    with Session(app.state.engine) as session:
        revisie = session.exec(
            select(Revisie).where(Revisie.casus_id == uuid.UUID(casus_id), Revisie.nummer == nummer)
        ).one()
        return dict(revisie.inhoud)


def test_a_ciphertext_copied_to_another_casus_does_not_open(
    client: TestClient, app: Any, settings: Settings
) -> None:
    h = auth(settings, make_account(app, "anna"))
    a = new_casus(client, h, jeugdige={"naam": "Alfa", "geboortedatum": "2010-01-01"})["id"]
    b = new_casus(client, h, jeugdige={"naam": "Bravo", "geboortedatum": "2011-01-01"})["id"]
    _overwrite(app, b, _inhoud(app, a, 1))
    stolen = client.get(f"/api/v1/casussen/{b}/handreiking", headers=h)
    assert stolen.status_code == 500
    assert "Alfa" not in stolen.text


def test_a_ciphertext_moved_to_another_field_does_not_open(
    client: TestClient, app: Any, settings: Settings
) -> None:
    h = auth(settings, make_account(app, "anna"))
    casus_id = new_casus(client, h, jeugdige={"naam": "Alfa", "geboortedatum": "2010-01-01"})["id"]
    sealed = _inhoud(app, casus_id, 1)
    jeugdige = sealed["kop"]["jeugdige"]
    jeugdige["naam"], jeugdige["geboortedatum"] = jeugdige["geboortedatum"], jeugdige["naam"]
    _overwrite(app, casus_id, sealed)
    moved = client.get(f"/api/v1/casussen/{casus_id}/handreiking", headers=h)
    assert moved.status_code == 500
    assert "Alfa" not in moved.text


@pytest.mark.parametrize(
    ("naam", "geboortedatum", "found"),
    [
        ("Sem de Vries", None, True),
        ("  sém  DE vries ", None, True),
        (None, "2012-04-17", True),
        ("Sem de Vries", "2012-04-17", True),
        ("Sem de Vries", "2012-04-18", False),
        ("Sem", None, False),
    ],
)
def test_search_by_name_and_birth_date_through_blind_indexes(
    client: TestClient,
    app: Any,
    settings: Settings,
    naam: str | None,
    geboortedatum: str | None,
    found: bool,
) -> None:
    h = auth(settings, make_account(app, "anna"))
    sem = new_casus(client, h, jeugdige={"naam": "Sem de Vries", "geboortedatum": "2012-04-17"})
    new_casus(client, h, jeugdige={"naam": "Lotte Kramer", "geboortedatum": "2009-11-02"})
    params = {k: v for k, v in {"naam": naam, "geboortedatum": geboortedatum}.items() if v}
    result = client.get("/api/v1/casussen", params=params, headers=h).json()
    assert [c["id"] for c in result["resultaten"]] == ([sem["id"]] if found else [])
    outsider = auth(settings, make_account(app, "eva"))
    assert client.get("/api/v1/casussen", params=params, headers=outsider).json()["totaal"] == 0
    raw = _raw_database(settings) if settings.database_url.startswith("sqlite") else b""
    assert b"Sem de Vries" not in raw and b"sem de vries" not in raw


def test_a_renamed_jeugdige_is_found_by_the_new_name_only(
    client: TestClient, app: Any, settings: Settings
) -> None:
    h = auth(settings, make_account(app, "anna"))
    casus = new_casus(client, h, jeugdige={"naam": "Oude Naam", "geboortedatum": "2012-04-17"})
    inhoud = client.get(f"/api/v1/casussen/{casus['id']}/handreiking", headers=h).json()["inhoud"]
    inhoud["kop"]["jeugdige"]["naam"] = "Nieuwe Naam"
    assert save(client, h, casus["id"], inhoud, 1).status_code == 200
    assert client.get("/api/v1/casussen?naam=Oude Naam", headers=h).json()["totaal"] == 0
    assert client.get("/api/v1/casussen?naam=nieuwe naam", headers=h).json()["totaal"] == 1


def _private_settings(settings: Settings, tmp_path: Path) -> Settings:
    """Own data folder (own key file), same database and dev JWT key."""
    for name in ("dev-jwt-private.pem", "data-keys.json"):
        shutil.copy(settings.data_dir / name, tmp_path / name)
    return settings.model_copy(update={"data_dir": tmp_path})


def test_key_rotation_reseals_everything_and_keeps_it_readable(
    client: TestClient, app: Any, settings: Settings, tmp_path: Path
) -> None:
    casus = _filled_casus(client, app, settings)
    own = _private_settings(settings, tmp_path)
    old_kid = keyring_for(own).current
    env = {
        "REGIE_ENV": "dev",
        "REGIE_DATA_DIR": str(tmp_path),
        "REGIE_DATABASE_URL": own.database_url,
    }
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["keys", "rotate", "--batch", "1"], env=env)
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    new_kid = keyring_for(own).current
    assert new_kid != old_kid and f"sleutel {new_kid}" in result.output
    with Session(app.state.engine) as session:
        revisies = session.exec(select(Revisie)).all()
        assert {r.sleutel for r in revisies} == {new_kid}
        envelopes = [r.toelichting for r in revisies if r.toelichting]
        assert {kid_of(e) for e in envelopes} == {new_kid}
        [antwoord] = session.exec(select(VragenlijstAntwoord)).all()
        assert kid_of(antwoord.open["open_werkt"]) == new_kid
        assert chain.verify(session) is None
        last = session.exec(
            select(AuditGebeurtenis).order_by(col(AuditGebeurtenis.volgnummer).desc())
        ).first()
        assert last is not None and last.actie == "sleutels.roteren"
    raw = _raw_database(settings)
    assert f"enc:v1:{old_kid}:".encode() not in raw
    rotated = create_app(own)
    with TestClient(rotated) as fresh:
        current = fresh.get(f"{casus['url']}/handreiking", headers=casus["h"]).json()
        assert current["inhoud"]["situatie"]["zorgen"] == f"{TAG}NIEUW"
    with Session(rotated.state.engine) as session:
        [antwoord] = session.exec(select(VragenlijstAntwoord)).all()
        kluis = Kluis(rotated.state.keyring, rotated.state.formulieren["twente-2020.1"])
        sealed = antwoord.open["open_werkt"]
        opened = kluis.open_text(antwoord.casus_id, open_veld("open_werkt"), sealed)
        assert opened == f"{TAG}VRAGENLIJST"
    rotated.state.engine.dispose()


def test_an_interrupted_rotation_resumes(
    client: TestClient, app: Any, settings: Settings, tmp_path: Path
) -> None:
    h = auth(settings, make_account(app, "anna"))
    for _ in range(3):
        new_casus(client, h)
    own = _private_settings(settings, tmp_path)
    from app.crypto.keyring import add_key_to_file

    new_kid = add_key_to_file(tmp_path / "data-keys.json")
    keyring = keyring_for(own)
    formulieren = load_formulieren(None, own.form_version)

    def stop_after_first(_: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        rotate(app.state.engine, keyring, formulieren, batch=1, progress=stop_after_first)
    with Session(app.state.engine) as session:
        done = [r.sleutel for r in session.exec(select(Revisie)).all()]
    assert done.count(new_kid) == 1
    totaal = rotate(app.state.engine, keyring, formulieren, batch=1)
    assert totaal.revisies == 2 and totaal.casussen == 3
    with Session(app.state.engine) as session:
        assert {r.sleutel for r in session.exec(select(Revisie)).all()} == {new_kid}


def test_outside_a_rotation_revisions_stay_immutable(
    client: TestClient, app: Any, settings: Settings
) -> None:
    """The rotation door opens only for re-sealing content, never for renumbering."""
    h = auth(settings, make_account(app, "anna"))
    new_casus(client, h)
    with app.state.engine.begin() as connection:
        if connection.dialect.name != "postgresql":
            pytest.skip("PostgreSQL's guard has the rotation door; SQLite re-creates its trigger")
    with app.state.engine.begin() as connection:
        connection.execute(text("SELECT set_config('regie.sleutelrotatie', 'aan', true)"))
        with pytest.raises(DBAPIError, match="onveranderlijk"):
            connection.execute(text("UPDATE revisie SET nummer = 9"))
        connection.rollback()


def test_production_refuses_to_start_without_data_keys(tmp_path: Path) -> None:
    from app.crypto.keyring import SleutelConfiguratieFout

    with pytest.raises(SleutelConfiguratieFout):
        keyring_for(Settings(env="production", data_dir=tmp_path))
    assert not (tmp_path / "data-keys.json").exists()
