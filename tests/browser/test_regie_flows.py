"""Regie hand-over and an MDO in a real browser: propose, answer from the inbox, fix the plan."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.browser.conftest import Live, assert_accessible

OpenAs = Callable[[str | None], Page]


def test_handover_from_proposal_to_acceptance(open_as: OpenAs, live: Live) -> None:
    """b.bakker leads Lotte's casus and hands over to d.smit, who accepts from the inbox."""
    bram = open_as("b.bakker")
    bram.goto(f"/casussen/{live.lotte}/overdracht")
    bram.get_by_label("Gebruikersnaam van de opvolger").fill("d.smit")
    bram.get_by_role("button", name="Overdracht voorstellen").click()
    expect(bram.locator("#veld-toelichting-fout")).to_contain_text("Schrijf een overdrachtsnotitie")
    expect(bram).to_have_title(re.compile("^Fout: "))
    bram.get_by_label("Overdrachtsnotitie").fill("School en thuis lopen; Dirk kent Lotte goed.")
    bram.get_by_role("button", name="Overdracht voorstellen").click()
    expect(bram.get_by_text("De overdracht is voorgesteld.")).to_be_visible()
    assert_accessible(bram, "overdracht voorgesteld")

    dirk = open_as("d.smit")
    dirk.goto("/casussen")
    expect(dirk.get_by_role("link", name=re.compile(r"^Inbox \d"))).to_be_visible()
    dirk.get_by_role("link", name=re.compile("^Inbox")).click()
    dirk.get_by_role("link", name="U bent gevraagd de regie over te nemen").click()
    expect(dirk.get_by_text("Dirk kent Lotte goed.")).to_be_visible()
    assert_accessible(dirk, "overdracht beantwoorden")
    dirk.get_by_role("button", name="Regie overnemen").click()
    expect(dirk.get_by_text(re.compile(r"Regievoerder\s*Dirk Smit"))).to_be_visible()

    bram.goto(f"/casussen/{live.lotte}/tijdlijn")
    expect(bram.get_by_text("Overdracht geaccepteerd: nieuwe regievoerder")).to_be_visible()
    with live.api("b.bakker") as api:
        rollen = {
            r["gebruikersnaam"]: r["rol"]
            for r in api.get(f"/api/v1/casussen/{live.lotte}").json()["rollen"]
        }
    assert rollen["d.smit"] == "regievoerder" and rollen["b.bakker"] == "betrokkene"


def test_an_mdo_that_cannot_fix_an_incomplete_plan(open_as: OpenAs, live: Live) -> None:
    with live.api("a.jansen") as api:
        body = {
            "gemeente": "Borne",
            "jeugdige": {"naam": "Ties Vos", "geboortedatum": "2011-02-03"},
        }
        casus_id = api.post("/api/v1/casussen", json=body).json()["id"]
    anna = open_as("a.jansen")
    anna.goto(f"/casussen/{casus_id}/mdo")
    anna.get_by_role("button", name="MDO starten").click()
    expect(anna.get_by_text("Het MDO is gestart.")).to_be_visible()
    anna.get_by_role("button", name="Plan vaststellen").click()
    expect(anna.get_by_role("heading", name="Er is een probleem")).to_be_visible()
    expect(anna).to_have_title(re.compile("^Fout: MDO"))
    assert_accessible(anna, "mdo met fouten")
