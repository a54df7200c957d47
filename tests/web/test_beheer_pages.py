"""The Beheer pages: organisations and accounts in the browser, without any casus content."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import col, select

from app.accounts.models import Account, Organisatie
from app.audit.models import AuditGebeurtenis
from app.config import Settings
from app.db import unit_of_work
from tests.factories import auth, make_account, new_casus
from tests.web.test_steps import sign_in

JEUGDIGE = "Roos Verborgen"
NAV = '<a class="utrecht-link" href="/beheer">Beheer</a>'
SUMMARY = re.compile(r"<div [^>]*data-foutsamenvatting>.*?</div>", re.DOTALL)


@pytest.fixture
def setup(client: TestClient, app: Any, settings: Settings) -> dict[str, Any]:
    """Fleur manages; Anna leads a casus about Roos; Bram leads nothing."""
    make_account(app, "fleur", systeemrollen=("beheerder",))
    anna = auth(settings, make_account(app, "anna"))
    make_account(app, "bram")
    jeugdige = {"naam": JEUGDIGE, "geboortedatum": "2013-02-03"}
    casus = new_casus(client, anna, jeugdige=jeugdige)
    return {"casus_id": casus["id"]}


def rows(app: Any) -> dict[str, tuple[Any, ...]]:
    """Every organisation and account as it stands, to show that nothing changed."""
    with unit_of_work(app.state.engine) as session:
        return {
            **{o.naam: (o.type, o.actief) for o in session.exec(select(Organisatie)).all()},
            **{
                a.gebruikersnaam: (a.naam, a.organisatie_id, a.systeemrollen, a.actief)
                for a in session.exec(select(Account)).all()
            },
        }


def organisation_id(app: Any, naam: str) -> str:
    with unit_of_work(app.state.engine) as session:
        organisatie = session.exec(select(Organisatie).where(Organisatie.naam == naam)).one()
        return str(organisatie.id)


def test_the_overview_lists_organisations_and_accounts_and_no_casus(
    app: Any, setup: dict[str, Any]
) -> None:
    fleur, _ = sign_in(app, "fleur")
    page = fleur.get("/beheer")
    assert page.status_code == 200, page.text
    html = page.text
    assert "<title>Beheer – Regie</title>" in html and NAV in html
    for text in ("Organisatie van anna", "Zorgaanbieder", "Anna", "anna", "Professional"):
        assert text in html, text
    assert 'Uitzetten<span class="regie-verborgen"> account van Bram</span>' in html
    assert "Uw eigen account" in html and "Uw eigen organisatie" in html
    assert 'action="/beheer/accounts/fleur/actief"' not in html
    assert JEUGDIGE not in html and setup["casus_id"] not in html and "Enschede" not in html


def test_add_an_organisation_and_an_account_through_the_forms(
    app: Any, settings: Settings, setup: dict[str, Any]
) -> None:
    fleur, csrf = sign_in(app, "fleur")
    form = fleur.get("/beheer/organisaties/nieuw")
    assert form.status_code == 200 and "Gecertificeerde instelling" in form.text
    added = fleur.post(
        "/beheer/organisaties/nieuw",
        data={"csrf_token": csrf, "naam": "Gemeente Almelo", "type": "gemeente"},
    )
    assert added.status_code == 303
    almelo = organisation_id(app, "Gemeente Almelo")
    assert added.headers["location"] == f"/beheer?melding=organisatie-toegevoegd&wie={almelo}"
    assert "Organisatie Gemeente Almelo is toegevoegd." in fleur.get(added.headers["location"]).text
    form = fleur.get("/beheer/accounts/nieuw")
    assert f'<option value="{almelo}">Gemeente Almelo</option>' in form.text
    account = fleur.post(
        "/beheer/accounts/nieuw",
        data={
            "csrf_token": csrf,
            "naam": "Gert Dijkstra",
            "gebruikersnaam": "g.dijkstra",
            "organisatie_id": almelo,
            "functietitel": "",
            "systeemrollen": ["professional"],
        },
    )
    assert account.status_code == 303, account.text
    overview = fleur.get(account.headers["location"]).text
    assert "Het account van Gert Dijkstra is toegevoegd en staat aan." in overview
    assert rows(app)["g.dijkstra"][2:] == (["professional"], True)
    gert, _ = sign_in(app, "g.dijkstra")
    assert gert.get("/casussen").status_code == 200


def test_invalid_input_is_shown_with_a_summary_and_kept(app: Any, setup: dict[str, Any]) -> None:
    fleur, csrf = sign_in(app, "fleur")
    before = rows(app)
    page = fleur.post(
        "/beheer/accounts/nieuw",
        data={
            "csrf_token": csrf,
            "naam": "Gert Dijkstra",
            "gebruikersnaam": "G Dijkstra",
            "organisatie_id": "",
            "functietitel": "wijkcoach",
        },
    )
    assert page.status_code == 422
    html = page.text
    assert "<title>Fout: Account toevoegen – Regie</title>" in html
    summary = SUMMARY.search(html)
    assert summary is not None
    links = re.findall(r'href="#([^"]+)"', summary.group(0))
    assert links == ["veld-gebruikersnaam", "veld-organisatie", "veld-systeemrollen-1"]
    assert 'id="veld-gebruikersnaam-fout"' in html and 'aria-invalid="true"' in html
    assert 'aria-describedby="veld-gebruikersnaam-uitleg veld-gebruikersnaam-fout"' in html
    for kept in ('value="Gert Dijkstra"', 'value="G Dijkstra"', 'value="wijkcoach"'):
        assert kept in html, kept
    anna_org = organisation_id(app, "Organisatie van anna")
    duplicate = fleur.post(
        "/beheer/accounts/nieuw",
        data={
            "csrf_token": csrf,
            "naam": "Anna Tweede",
            "gebruikersnaam": "anna",
            "organisatie_id": anna_org,
            "systeemrollen": "professional",
        },
    )
    assert duplicate.status_code == 422
    assert "Er is al een account met deze gebruikersnaam." in duplicate.text
    assert f'<option value="{anna_org}" selected>' in duplicate.text
    assert re.search(r'value="professional"\s+aria-describedby="[^"]+" checked>', duplicate.text)
    organisation = fleur.post(
        "/beheer/organisaties/nieuw",
        data={"csrf_token": csrf, "naam": "organisatie VAN anna", "type": ""},
    )
    assert organisation.status_code == 422
    assert "Kies het soort organisatie." in organisation.text
    assert 'value="organisatie VAN anna"' in organisation.text
    twice = fleur.post(
        "/beheer/organisaties/nieuw",
        data={"csrf_token": csrf, "naam": "organisatie VAN anna", "type": "overig"},
    )
    assert twice.status_code == 422
    assert "Er is al een organisatie met deze naam." in twice.text
    assert 'id="veld-type-6" name="type" value="overig" checked' in twice.text
    assert rows(app) == before


def test_switch_an_account_and_an_organisation_off_and_on(
    client: TestClient, app: Any, settings: Settings, setup: dict[str, Any]
) -> None:
    fleur, csrf = sign_in(app, "fleur")
    off = fleur.post("/beheer/accounts/bram/actief", data={"csrf_token": csrf, "actief": "nee"})
    assert off.status_code == 303
    assert "Het account van Bram staat uit" in fleur.get(off.headers["location"]).text
    assert client.get("/api/v1/ik", headers=auth(settings, "bram")).status_code == 401
    on = fleur.post("/beheer/accounts/bram/actief", data={"csrf_token": csrf, "actief": "ja"})
    assert on.status_code == 303
    assert client.get("/api/v1/ik", headers=auth(settings, "bram")).status_code == 200
    bram_org = organisation_id(app, "Organisatie van bram")
    url = f"/beheer/organisaties/{bram_org}/actief"
    closed = fleur.post(url, data={"csrf_token": csrf, "actief": "nee"})
    assert closed.status_code == 303
    page = fleur.get(closed.headers["location"]).text
    assert "Organisatie Organisatie van bram staat uit" in page
    assert "Aan, maar de organisatie staat uit" in page
    assert client.get("/api/v1/ik", headers=auth(settings, "bram")).status_code == 401
    assert fleur.post(url, data={"csrf_token": csrf, "actief": "ja"}).status_code == 303
    assert client.get("/api/v1/ik", headers=auth(settings, "bram")).status_code == 200
    odd = fleur.post(url, data={"csrf_token": csrf, "actief": "misschien"})
    assert odd.status_code == 422


def test_a_regievoerder_is_not_switched_off_and_only_gemeente_and_kenmerk_are_named(
    client: TestClient, app: Any, settings: Settings, setup: dict[str, Any]
) -> None:
    fleur, csrf = sign_in(app, "fleur")
    before = rows(app)
    refusals = [
        fleur.post("/beheer/accounts/anna/actief", data={"csrf_token": csrf, "actief": "nee"}),
        fleur.post(
            f"/beheer/organisaties/{organisation_id(app, 'Organisatie van anna')}/actief",
            data={"csrf_token": csrf, "actief": "nee"},
        ),
    ]
    wie_zijn = ("Anna is", "Medewerkers van Organisatie van anna zijn")
    for refused, wie in zip(refusals, wie_zijn, strict=True):
        assert refused.status_code == 409
        html = refused.text
        assert "<title>Fout: Beheer – Regie</title>" in html
        assert f"{wie} regievoerder of voorgestelde opvolger bij 1 open casus(sen)." in html
        assert f"<li>Gemeente Enschede, casus {setup['casus_id']}</li>" in html
        assert JEUGDIGE not in html
        assert "Organisatie van bram" in html  # the overview itself is shown again
    assert rows(app) == before
    assert client.get("/api/v1/ik", headers=auth(settings, "anna")).status_code == 200
    with unit_of_work(app.state.engine) as session:
        failed = session.exec(
            select(AuditGebeurtenis.kenmerken)
            .where(col(AuditGebeurtenis.uitkomst) == "mislukt")
            .order_by(col(AuditGebeurtenis.volgnummer))
        ).all()
    assert [k["code"] for k in failed] == ["conflict", "conflict"]


def test_a_form_without_the_csrf_token_changes_nothing(app: Any, setup: dict[str, Any]) -> None:
    fleur, _ = sign_in(app, "fleur")
    before = rows(app)
    bram_org = organisation_id(app, "Organisatie van bram")
    posts = {
        "/beheer/organisaties/nieuw": {"naam": "Gemeente Almelo", "type": "gemeente"},
        "/beheer/accounts/nieuw": {
            "naam": "Gert",
            "gebruikersnaam": "gert",
            "organisatie_id": bram_org,
            "systeemrollen": "professional",
        },
        "/beheer/accounts/bram/actief": {"actief": "nee"},
        f"/beheer/organisaties/{bram_org}/actief": {"actief": "nee"},
    }
    for url, data in posts.items():
        response = fleur.post(url, data=data)
        assert response.status_code == 403, url
        assert "Dit formulier is verlopen of komt niet van Regie." in response.text
    assert rows(app) == before


def test_others_are_refused_and_see_no_menu_item(app: Any, setup: dict[str, Any]) -> None:
    anna, csrf = sign_in(app, "anna")
    assert NAV not in anna.get("/casussen").text
    before = rows(app)
    for url in ("/beheer", "/beheer/organisaties/nieuw", "/beheer/accounts/nieuw"):
        page = anna.get(url)
        assert page.status_code == 403, url
        assert "Geen toestemming" in page.text and "Organisatie van bram" not in page.text
    bram_org = organisation_id(app, "Organisatie van bram")
    posts = {
        "/beheer/organisaties/nieuw": {"naam": "Gemeente Almelo", "type": "gemeente"},
        # Invalid input too: the refusal comes before any remark on the fields.
        "/beheer/accounts/nieuw": {"naam": "", "gebruikersnaam": "X"},
        "/beheer/accounts/bram/actief": {"actief": "nee"},
        f"/beheer/organisaties/{bram_org}/actief": {"actief": "nee"},
    }
    for url, data in posts.items():
        response = anna.post(url, data={"csrf_token": csrf, **data})
        assert response.status_code == 403, url
        assert "Geen toestemming" in response.text
    assert rows(app) == before
    with unit_of_work(app.state.engine) as session:
        refused = session.exec(
            select(AuditGebeurtenis.uitkomst).where(
                col(AuditGebeurtenis.gebruikersnaam) == "anna",
                col(AuditGebeurtenis.actie) == "accounts.beheren",
            )
        ).all()
    assert refused == ["geweigerd"] * 7
