"""Handover, MDO, timeline and inbox pages, without JavaScript."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from tests.canary import CanaryDocument
from tests.factories import add_role, auth, make_account, new_casus, save
from tests.web.test_steps import sign_in


@pytest.fixture
def setup(client: TestClient, app: Any, settings: Settings) -> dict[str, Any]:
    anna = auth(settings, make_account(app, "anna"))
    make_account(app, "bram")
    casus = new_casus(client, anna)
    add_role(client, anna, casus["id"], "bram", "betrokkene")
    return {"id": casus["id"], "api": anna, "url": f"/casussen/{casus['id']}"}


def test_handover_through_the_pages(app: Any, setup: dict[str, Any]) -> None:
    anna, anna_csrf = sign_in(app, "anna")
    bram, bram_csrf = sign_in(app, "bram")
    missing = anna.post(
        f"{setup['url']}/overdracht", data={"csrf_token": anna_csrf, "opvolger": "bram"}
    )
    assert missing.status_code == 422 and "<title>Fout: Overdracht" in missing.text
    assert "Schrijf een overdrachtsnotitie" in missing.text and 'value="bram"' in missing.text
    proposed = anna.post(
        f"{setup['url']}/overdracht",
        data={"csrf_token": anna_csrf, "opvolger": "bram", "toelichting": "Warm"},
    )
    assert proposed.status_code == 303
    assert "Inbox <span" in bram.get("/casussen").text
    page = bram.get(f"{setup['url']}/overdracht").text
    assert "Regie overnemen" in page and "Warm" in page
    oid = page.split(f"{setup['url']}/overdracht/")[1].split("/")[0]
    empty = bram.post(f"{setup['url']}/overdracht/{oid}/afwijzen", data={"csrf_token": bram_csrf})
    assert empty.status_code == 422 and "Geef aan waarom" in empty.text
    taken = bram.post(f"{setup['url']}/overdracht/{oid}/accepteren", data={"csrf_token": bram_csrf})
    assert taken.status_code == 303
    overview = bram.get(setup["url"]).text
    assert "Regievoerder</dt><dd>Bram" in overview
    timeline = bram.get(f"{setup['url']}/tijdlijn").text
    assert (
        "Overdracht geaccepteerd" in timeline and "Overdracht van de regie voorgesteld" in timeline
    )


def test_meeting_start_and_fix_through_the_pages(
    app: Any, client: TestClient, setup: dict[str, Any]
) -> None:
    anna, csrf = sign_in(app, "anna")
    started = anna.post(
        f"{setup['url']}/mdo",
        data={
            "csrf_token": csrf,
            "datum": "2026-12-01",
            "aanwezigen": ["anna", "bram"],
            "ouders_aanwezig": "ja",
        },
    )
    assert started.status_code == 303
    page = anna.get(f"{setup['url']}/mdo").text
    assert "Plan vaststellen" in page and "ouders" in page
    mdo_id = page.split(f"{setup['url']}/mdo/")[1].split("/")[0]
    incomplete = anna.post(
        f"{setup['url']}/mdo/{mdo_id}/afronden", data={"csrf_token": csrf, "revisie": "1"}
    )
    assert incomplete.status_code == 422 and "Nodig voor het plan" in incomplete.text
    complete = CanaryDocument(app.state.formulieren["twente-2020.1"], "X").inhoud
    assert save(client, setup["api"], setup["id"], complete, 1).status_code == 200
    fixed = anna.post(
        f"{setup['url']}/mdo/{mdo_id}/afronden",
        data={"csrf_token": csrf, "revisie": "2", "besluiten": "Akkoord"},
    )
    assert fixed.status_code == 303
    assert "plan vastgesteld als revisie 2" in anna.get(f"{setup['url']}/mdo").text
    bram, _ = sign_in(app, "bram")
    assert "MDO starten" not in bram.get(f"{setup['url']}/mdo").text


def test_inbox_page_lists_items(app: Any, client: TestClient, setup: dict[str, Any]) -> None:
    bram, _ = sign_in(app, "bram")
    page = bram.get("/inbox")
    assert page.status_code == 200 and "U bent toegevoegd aan een casus" in page.text
    anna, _ = sign_in(app, "anna")
    assert "Er staat niets voor u klaar." in anna.get("/inbox").text
