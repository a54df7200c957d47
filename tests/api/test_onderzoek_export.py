"""The researchers' export: anonymised by construction, k-anonymous, pseudonymised per project."""

from __future__ import annotations

import csv
import io
import json
import os
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import null, text, update
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from app.audit.models import AuditGebeurtenis
from app.casus.models import Casus
from app.cli import cli
from app.config import Settings, get_settings
from app.db import unit_of_work
from app.research.export import Kolommen
from app.research.models import Onderzoeksplan
from tests.factories import auth, make_account
from tests.populatie import Populatie, bouw, lekken
from tests.web.test_steps import sign_in

K = 3
QI = (
    "gemeente",
    "indicaties",
    "startmaand",
    "organisatietypen",
    "status",
    "formulierversie",
    "aantal_betrokkenen",
)


@pytest.fixture
def settings(db_url: str, keys_dir: Path) -> Settings:
    return Settings(
        env="dev",
        data_dir=keys_dir,
        database_url=db_url,
        onderzoek_k=K,
        onderzoek_projecten="pilot-regie,vervolgonderzoek",
    )


@pytest.fixture
def populatie(client: TestClient, app: Any, settings: Settings) -> Populatie:
    return bouw(client, app, settings, 14)


@pytest.fixture
def onderzoeker(app: Any, settings: Settings) -> dict[str, str]:
    return auth(settings, make_account(app, "olga", systeemrollen=("onderzoeker",)))


def export(client: TestClient, headers: dict[str, str], **params: str) -> Any:
    response = client.get("/api/v1/onderzoek/export", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response


def rows_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def rows_jsonl(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


def test_no_canary_leaves_in_any_export_figure_or_page(
    client: TestClient, app: Any, populatie: Populatie, onderzoeker: dict[str, str]
) -> None:
    assert lekken(populatie.canaries[0].lower() + " x", populatie.canaries)  # the detector works
    for formaat in ("csv", "jsonl"):
        for project in ("pilot-regie", "vervolgonderzoek"):
            response = export(client, onderzoeker, formaat=formaat, project=project)
            uit = response.text + json.dumps(dict(response.headers))
            assert lekken(uit, populatie.canaries) == []
            assert int(response.headers["regie-export-rijen"]) > 0
    cijfers = client.get("/api/v1/onderzoek/cijfers", headers=onderzoeker)
    assert cijfers.status_code == 200 and cijfers.json()["casussen"]["aantal"] == len(
        populatie.casussen
    )
    assert lekken(cijfers.text, populatie.canaries) == []
    browser, _ = sign_in(app, "olga")
    for pagina in ("/onderzoek", "/onderzoek/export.csv", "/onderzoek/export.jsonl"):
        response = browser.get(pagina)
        assert response.status_code == 200, pagina
        assert lekken(response.text, populatie.canaries) == [], pagina
    # What the audit trail keeps of these requests holds no canary either.
    with Session(app.state.engine) as session:
        events = session.exec(
            select(AuditGebeurtenis).where(col(AuditGebeurtenis.actie).startswith("onderzoek"))
        ).all()
    assert len(events) >= 6
    assert lekken(json.dumps([e.kenmerken for e in events]), populatie.canaries) == []


def test_export_rows_hold_only_categories_counts_and_months(
    client: TestClient, app: Any, populatie: Populatie, onderzoeker: dict[str, str]
) -> None:
    response = export(client, onderzoeker, formaat="jsonl")
    rows = rows_jsonl(response.text)
    kolommen = Kolommen.uit(app.state.formulieren, app.state.vragenlijsten).namen()
    assert rows and all(list(r) == kolommen for r in rows)
    assert len(rows) == int(response.headers["regie-export-rijen"])
    for row in rows:
        assert len(row["pseudoniem"]) == 32
        assert row["pseudoniem"] not in populatie.casussen
        assert all(isinstance(v, int | float | str | type(None)) for v in row.values())
        assert {row[f"stap_{s}"] for s in range(1, 8)} <= {"leeg", "deels", "volledig"}
        assert row["aantal_betrokkenen"] in ("2", "1-3", "*") and row["aantal_mdos"] == 1
    # The canary documents record two agreements under the first onderdeel.
    assert {r["afspraken_betrokkenheid"] for r in rows} == {2}
    assert {r["status"] for r in rows} == {"actief", "afgesloten"}
    # Closed casussen carry their closing questionnaires: two professionals, one ouder.
    for row in rows:
        gesloten = row["status"] == "afgesloten"
        assert (row["professionals_aantal"], row["ouders_aantal"]) == (
            (2, 1) if gesloten else (0, 0)
        )
        if gesloten:
            assert row["professionals_rust_overzicht"] == 4.0
            assert row["professionals_duidelijkheid_taken"] == 2.0
            assert row["ouders_rust_overzicht"] == 5.0 and row["ouders_rust_verhaal"] is None


@pytest.mark.parametrize("formaat", ["csv", "jsonl"])
def test_every_combination_of_quasi_identifiers_is_shared_by_k(
    client: TestClient, populatie: Populatie, onderzoeker: dict[str, str], formaat: str
) -> None:
    response = export(client, onderzoeker, formaat=formaat)
    rows = rows_csv(response.text) if formaat == "csv" else rows_jsonl(response.text)
    klassen = Counter(tuple(str(r[q]) for q in QI) for r in rows)
    assert klassen and min(klassen.values()) >= K
    onderdrukt = int(response.headers["regie-export-onderdrukt"])
    assert len(rows) + onderdrukt == len(populatie.casussen)
    genoemd = response.headers["regie-export-gegeneraliseerd"].split("; ")
    assert sorted(g.split("=")[0] for g in genoemd) == sorted(QI)


def test_small_population_is_generalised_and_then_suppressed(
    client: TestClient, app: Any, settings: Settings, onderzoeker: dict[str, str]
) -> None:
    bouw(client, app, settings, 2)
    response = export(client, onderzoeker)
    assert rows_csv(response.text) == []
    assert response.headers["regie-export-onderdrukt"] == "2"
    assert "gemeente=Twente" in response.headers["regie-export-gegeneraliseerd"]


def test_pseudonyms_are_stable_within_a_project_and_differ_across_projects(
    client: TestClient, populatie: Populatie, onderzoeker: dict[str, str]
) -> None:
    def pseudoniemen(project: str) -> list[str]:
        rows = rows_jsonl(export(client, onderzoeker, formaat="jsonl", project=project).text)
        return [r["pseudoniem"] for r in rows]

    eerste, weer, ander = (
        pseudoniemen("pilot-regie"),
        pseudoniemen("pilot-regie"),
        pseudoniemen("vervolgonderzoek"),
    )
    assert eerste == weer and len(set(eerste)) == len(eerste)
    assert not set(eerste) & set(ander)
    assert len(ander) == len(eerste)


def test_unknown_project_and_format_are_refused_with_the_field(
    client: TestClient, onderzoeker: dict[str, str]
) -> None:
    response = client.get(
        "/api/v1/onderzoek/export", params={"project": "ander"}, headers=onderzoeker
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["errors"] == [
        {"pad": "project", "melding": "Onbekend onderzoeksproject: ander."}
    ]
    response = client.get(
        "/api/v1/onderzoek/export", params={"formaat": "xlsx"}, headers=onderzoeker
    )
    assert response.status_code == 422


def test_every_export_is_audited_with_its_parameters_and_row_count(
    client: TestClient, app: Any, populatie: Populatie, onderzoeker: dict[str, str]
) -> None:
    response = export(client, onderzoeker, formaat="jsonl", project="vervolgonderzoek")
    with Session(app.state.engine) as session:
        event = session.exec(
            select(AuditGebeurtenis).where(AuditGebeurtenis.actie == "onderzoek.exporteren")
        ).one()
    assert event.gebruikersnaam == "olga" and event.uitkomst == "toegestaan"
    kenmerken = event.kenmerken
    assert kenmerken["formaat"] == "jsonl" and kenmerken["project"] == "vervolgonderzoek"
    assert kenmerken["rijen"] == int(response.headers["regie-export-rijen"])
    assert kenmerken["k"] == K and kenmerken["casussen"] == len(populatie.casussen)
    assert set(kenmerken["gegeneraliseerd"]) == set(QI)


def test_only_the_onderzoeker_exports(client: TestClient, app: Any, settings: Settings) -> None:
    for soort in ("professional", "beheerder"):
        headers = auth(settings, make_account(app, f"x{soort}", systeemrollen=(soort,)))
        response = client.get("/api/v1/onderzoek/export", headers=headers)
        assert response.status_code == 403
        assert response.json()["code"] == "geweigerd"
    assert client.get("/api/v1/onderzoek/export").status_code == 401


def casus_routes(app: Any) -> list[tuple[str, str]]:
    """Every API and web route that names a casus, with each of its methods."""
    found = set()
    for route in app.routes:
        contexts = (
            route.effective_route_contexts()
            if hasattr(route, "effective_route_contexts")
            else [route]
        )
        for context in contexts:
            path = getattr(context, "path", "")
            if "{casus_id}" in path:
                methods = set(getattr(context, "methods", None) or ()) - {"HEAD", "OPTIONS"}
                found |= {(method, path) for method in methods}
    return sorted(found)


def concrete(path: str, casus_id: str) -> str:
    url = path.replace("{casus_id}", casus_id)
    for name in ("overdracht_id", "mdo_id", "rol_id", "uitnodiging_id", "deelname_id"):
        url = url.replace("{" + name + "}", str(uuid.uuid4()))
    url = url.replace("{nummer}", "1").replace("{antwoord}", "accepteren")
    queries = {"/verschil": "?met=1", "/vergelijk": "?van=1&naar=1"}
    return url + next((q for end, q in queries.items() if url.endswith(end)), "")


# A well-formed body for each casus action, so the answer is about the casus, not the input.
BODIES: dict[str, dict[str, Any]] = {
    "handreiking": {"inhoud": {}},
    "afsluiten": {"reden": "Klaar."},
    "betrokkenen": {"gebruikersnaam": "olga", "rol": "volger", "grondslag": "meldcode"},
    "mdos": {"datum": "2026-12-01"},
    "afronden": {"revisie": 1},
    "overdrachten": {"opvolger": "olga", "toelichting": "Overdracht.", "grondslag": "meldcode"},
    "afwijzen": {"reden": "Nee."},
    "vragenlijsten": {"moment": "mdo"},
    "uitnodigingen": {"rol": "ouder", "naam": "Opa", "email": "opa@example.nl"},
    "toestemmingen": {"organisatietypen": ["huisarts"]},
}


# The web forms' fields, all at once: each page takes what it needs and ignores the rest.
WEB_FORM = {
    "revisie": "1",
    "basis": "1",
    "reden": "Klaar.",
    "datum": "2026-12-01",
    "gebruikersnaam": "olga",
    "rol": "volger",
    "opvolger": "olga",
    "toelichting": "Overdracht.",
    "moment": "mdo",
    "naam": "Opa",
    "email": "opa@example.nl",
}


def test_an_onderzoeker_gets_404_on_every_casus_path(
    client: TestClient, app: Any, populatie: Populatie, onderzoeker: dict[str, str]
) -> None:
    routes = casus_routes(app)
    api = [(m, p) for m, p in routes if p.startswith("/api/")]
    web = [(m, p) for m, p in routes if not p.startswith("/api/")]
    assert len(api) > 15 and len(web) > 10
    casus_id = populatie.casussen[0]
    headers = {**onderzoeker, "If-Match": '"1"'}
    for method, path in api:
        body = BODIES.get(path.rstrip("/").rsplit("/", 1)[-1]) if method != "GET" else None
        response = client.request(method, concrete(path, casus_id), headers=headers, json=body)
        assert response.status_code == 404, (method, path, response.text)
        assert response.json()["code"] == "casus_niet_gevonden", (method, path)
    browser, csrf = sign_in(app, "olga")
    for method, path in web:
        data = {"csrf_token": csrf, **WEB_FORM} if method == "POST" else None
        response = browser.request(method, concrete(path, casus_id), data=data)
        assert response.status_code == 404, (method, path, response.status_code)


def test_regie_export_writes_the_file_and_its_explanation_and_is_audited(
    app: Any, populatie: Populatie, settings: Settings, tmp_path: Path
) -> None:
    uit = tmp_path / "export.jsonl"
    environment: dict[str, str | None] = {k: None for k in os.environ if k.startswith("REGIE_")}
    environment |= {
        "REGIE_DATA_DIR": str(settings.data_dir),
        "REGIE_DATABASE_URL": settings.database_url,
        "REGIE_ONDERZOEK_K": str(K),
    }
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(
            cli, ["export", "--formaat", "jsonl", "--uit", str(uit)], env=environment
        )
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    rows = rows_jsonl(uit.read_text(encoding="utf-8"))
    toelichting = json.loads((tmp_path / "export.jsonl.toelichting.json").read_text())
    assert toelichting["rijen"] == len(rows) > 0 and toelichting["k"] == K
    assert toelichting["rijen"] + toelichting["onderdrukt"] == len(populatie.casussen)
    assert lekken(uit.read_text(encoding="utf-8") + result.output, populatie.canaries) == []
    assert uit.stat().st_mode & 0o077 == 0
    assert not list(tmp_path.glob(".*.deel"))
    with Session(app.state.engine) as session:
        event = session.exec(
            select(AuditGebeurtenis).where(AuditGebeurtenis.actie == "onderzoek.exporteren")
        ).one()
    assert event.gebruikersnaam is not None and event.gebruikersnaam.startswith("opdrachtregel:")
    assert event.kenmerken["rijen"] == len(rows)


def test_the_stored_projection_and_the_one_derived_from_the_revision_agree(
    client: TestClient, app: Any, populatie: Populatie, onderzoeker: dict[str, str]
) -> None:
    with Session(app.state.engine) as session:
        opgeslagen = session.exec(select(Casus.kenmerken)).all()
    assert all(k and set(k) == {"indicaties", "stappen", "afspraken"} for k in opgeslagen)
    assert lekken(json.dumps(opgeslagen), populatie.canaries) == []
    voor = export(client, onderzoeker, formaat="jsonl").text
    # Casussen saved before the projection existed have none, as the JSON null an ORM write of
    # None stores or as SQL NULL: the export derives it.
    for geen in (None, null()):
        with unit_of_work(app.state.engine) as session:
            session.execute(update(Casus).values(kenmerken=geen))
        assert export(client, onderzoeker, formaat="jsonl").text == voor


def test_rows_come_in_pseudonym_order_so_projects_do_not_line_up(
    client: TestClient, populatie: Populatie, onderzoeker: dict[str, str]
) -> None:
    reeksen = {}
    for project in ("pilot-regie", "vervolgonderzoek"):
        rows = rows_jsonl(export(client, onderzoeker, formaat="jsonl", project=project).text)
        pseudoniemen = [r["pseudoniem"] for r in rows]
        assert pseudoniemen == sorted(pseudoniemen)
        reeksen[project] = [(r["gemeente"], r["status"], r["startmaand"]) for r in rows]
    # Same casussen, independent orders: the rows do not line up position by position.
    assert sorted(reeksen["pilot-regie"]) == sorted(reeksen["vervolgonderzoek"])
    assert reeksen["pilot-regie"] != reeksen["vervolgonderzoek"]
    csv_rows = rows_csv(export(client, onderzoeker, formaat="csv").text)
    assert [r["pseudoniem"] for r in csv_rows] == sorted(r["pseudoniem"] for r in csv_rows)


def test_duration_is_as_coarse_as_the_start_month(
    client: TestClient, populatie: Populatie, onderzoeker: dict[str, str]
) -> None:
    response = export(client, onderzoeker, formaat="jsonl")
    eenheid = int(response.headers["regie-export-duur-afgerond-op"].split()[0])
    gegeneraliseerd = dict(
        g.split("=") for g in response.headers["regie-export-gegeneraliseerd"].split("; ")
    )
    assert eenheid == {"maand": 4, "kwartaal": 13, "jaar": 52}.get(
        gegeneraliseerd["startmaand"], 52
    )
    duren = [r["duur_weken"] for r in rows_jsonl(response.text)]
    assert duren and all(d is None or d % eenheid == 0 for d in duren)
    assert any(d for d in duren)  # the population spans two years


def test_a_project_never_gets_finer_than_before(
    client: TestClient, app: Any, populatie: Populatie, onderzoeker: dict[str, str]
) -> None:
    eerste = export(client, onderzoeker).headers["regie-export-gegeneraliseerd"]
    # Someone raised the project's floor (as a coarser earlier export would have).
    with unit_of_work(app.state.engine) as session:
        plan = session.get(Onderzoeksplan, "pilot-regie")
        assert plan is not None
        plan.niveaus = {**plan.niveaus, "startmaand": "weggelaten", "status": "weggelaten"}
        session.add(plan)
    tweede = export(client, onderzoeker).headers["regie-export-gegeneraliseerd"]
    assert "startmaand=weggelaten" in tweede and "status=weggelaten" in tweede
    assert eerste != tweede
    # Another project keeps its own floor.
    ander = export(client, onderzoeker, project="vervolgonderzoek")
    assert ander.headers["regie-export-gegeneraliseerd"] == eerste


def test_no_export_leaves_a_transaction_open(
    client: TestClient, app: Any, populatie: Populatie, onderzoeker: dict[str, str]
) -> None:
    if app.state.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL shows its open transactions in pg_stat_activity")
    export(client, onderzoeker)
    client.get("/api/v1/onderzoek/export", params={"project": "onbekend"}, headers=onderzoeker)
    with client.stream("GET", "/api/v1/onderzoek/export", headers=onderzoeker) as response:
        next(response.iter_bytes())  # the reader stops half-way
    with app.state.engine.connect() as connection:
        open_ = connection.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND state LIKE 'idle in transaction%'"
            )
        ).scalar_one()
    assert open_ == 0
