"""The researcher's dashboard: charts with tables, the export download, and nobody else."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.audit.models import AuditGebeurtenis
from app.config import Settings
from app.main import create_app
from tests.api.test_cijfers import NAAM, Toestand, bevolking, bij_berekenen
from tests.web.test_steps import sign_in


def test_dashboard_shows_each_chart_as_accessible_svg_with_a_table(
    client: TestClient, app: Any, settings: Settings
) -> None:
    bevolking(client, app, settings)
    olaf, _ = sign_in(app, "olaf")
    page = olaf.get("/onderzoek")
    assert page.status_code == 200, page.text
    html = page.text
    assert "<title>Cijfers voor onderzoek" in html
    assert NAAM not in html
    assert '<a class="utrecht-link" href="/onderzoek">Onderzoek</a>' in html
    svgs = re.findall(r"<svg [^>]*>", html)
    tables = re.findall(r"<table ", html)
    assert len(svgs) >= 9 and len(tables) >= len(svgs)
    for svg in svgs:
        assert 'role="img"' in svg
        ids = re.search(r'aria-labelledby="([^"]+)"', svg)
        assert ids is not None
        titel, uitleg = ids.group(1).split()
        assert f'<title id="{titel}">' in html and f'<desc id="{uitleg}">' in html
    # Every chart is followed by its table, before the next chart.
    for stuk in html.split("<svg ")[1:]:
        assert stuk.index("</svg>") < stuk.index("<table ")
    assert html.count("<caption") == len(tables)
    assert 'scope="col"' in html and 'scope="row"' in html
    assert "minder dan 5" in html and "afgeschermd" in html
    assert "U heeft nog geen export gemaakt." in html


def test_export_through_the_page_is_audited_and_then_summarised(
    client: TestClient, app: Any, settings: Settings
) -> None:
    bevolking(client, app, settings)
    olaf, _ = sign_in(app, "olaf")
    page = olaf.get("/onderzoek").text
    assert 'href="/onderzoek/export.csv?project=pilot-regie"' in page
    assert 'href="/onderzoek/export.jsonl?project=pilot-regie"' in page
    csv = olaf.get("/onderzoek/export.csv?project=pilot-regie")
    assert csv.status_code == 200, csv.text
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.headers["content-disposition"].startswith("attachment;")
    assert csv.text.startswith("pseudoniem,")
    assert NAAM not in csv.text
    jsonl = olaf.get("/onderzoek/export.jsonl")
    assert jsonl.status_code == 200 and jsonl.headers["content-type"] == "application/jsonl"
    with Session(app.state.engine) as session:
        events = session.exec(
            select(AuditGebeurtenis)
            .where(AuditGebeurtenis.actie == "onderzoek.exporteren")
            .order_by(col(AuditGebeurtenis.volgnummer))
        ).all()
    assert [(e.gebruikersnaam, e.uitkomst, e.kenmerken["formaat"]) for e in events] == [
        ("olaf", "toegestaan", "csv"),
        ("olaf", "toegestaan", "jsonl"),
    ]
    assert events[0].kenmerken["casussen"] == 13
    later = olaf.get("/onderzoek").text
    assert "U heeft nog geen export gemaakt." not in later
    assert "<dt>Bestand</dt><dd>JSONL, project pilot-regie</dd>" in later
    assert "<dt>Casussen</dt><dd>13</dd>" in later
    assert "<dt>Gemeente</dt>" in later and "<dt>Startmaand</dt>" in later


def test_others_are_refused_and_see_no_menu_item(
    client: TestClient, app: Any, settings: Settings
) -> None:
    bevolking(client, app, settings)
    anna, _ = sign_in(app, "anna")
    assert 'href="/onderzoek"' not in anna.get("/casussen").text
    for adres in ("/onderzoek", "/onderzoek/export.csv", "/onderzoek/export.jsonl"):
        response = anna.get(adres)
        assert response.status_code == 403, adres
        assert "text/html" in response.headers["content-type"]
        assert "pseudoniem" not in response.text and "<svg" not in response.text
    with Session(app.state.engine) as session:
        refused = session.exec(
            select(AuditGebeurtenis.actie).where(
                AuditGebeurtenis.gebruikersnaam == "anna",
                AuditGebeurtenis.uitkomst == "geweigerd",
            )
        ).all()
    assert sorted(refused) == [
        "onderzoek.cijfers",
        "onderzoek.exporteren",
        "onderzoek.exporteren",
    ]


def test_a_table_with_a_small_cell_shows_only_its_margins_and_says_why(settings: Settings) -> None:
    """Losser has 2 casussen (k is 5): no count per gemeente and period together, only totals."""
    app = create_app(settings.model_copy(update={"onderzoek_max_onderdrukt": 0.5}))
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            bevolking(client, app, settings)
            olaf, _ = sign_in(app, "olaf")
            html = olaf.get("/onderzoek").text
    finally:
        app.state.engine.dispose()
    blok = html[html.index('id="gemeente-periode"') : html.index('id="betrokkenen"')]
    assert "<strong>Let op:</strong> De aantallen per gemeente én startperiode samen" in blok
    assert "kleiner dan 5" in blok
    assert "Casussen per startperiode en gemeente" not in blok
    periode = blok[blok.index(">Casussen per startperiode</caption>") :]
    periode = periode[: periode.index("</table>")]
    assert "Enschede" not in periode and "Losser" not in periode  # no gemeente columns
    assert ">13<" in periode  # the period's total, and the grand total
    gemeenten = blok[blok.index(">Casussen per gemeente</caption>") :]
    gemeenten = gemeenten[: gemeenten.index("</table>")]
    assert "minder dan 5" in gemeenten and "afgeschermd" in gemeenten


def test_the_page_computes_its_figures_outside_the_request_transaction(
    client: TestClient, app: Any, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No write lock held through the long read; the last export is still read, the event
    still written."""
    bevolking(client, app, settings)
    olaf, _ = sign_in(app, "olaf")
    assert olaf.get("/onderzoek/export.csv").status_code == 200
    toestanden = bij_berekenen(app, monkeypatch)
    page = olaf.get("/onderzoek")
    assert page.status_code == 200, page.text
    assert toestanden == [Toestand(open_transacties=0, schrijver_kan=True)]
    assert "<dt>Bestand</dt><dd>CSV, project pilot-regie</dd>" in page.text
    with Session(app.state.engine) as session:
        gezien = session.exec(
            select(AuditGebeurtenis.uitkomst).where(
                AuditGebeurtenis.actie == "onderzoek.cijfers",
                AuditGebeurtenis.gebruikersnaam == "olaf",
            )
        ).all()
    assert gezien == ["toegestaan"]
