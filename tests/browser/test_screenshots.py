"""Screenshots of the main pages for the README, written to docs/screenshots at 1280×900.

Only with REGIE_SCREENSHOTS=1 (`make screenshots`); an ordinary test run skips them. The demo
data is fictitious, so the pictures may be published.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import ROOT, Live
from tests.browser.test_accessibility import VERGELIJK

pytestmark = pytest.mark.skipif(
    os.environ.get("REGIE_SCREENSHOTS") != "1",
    reason="schermafbeeldingen alleen met REGIE_SCREENSHOTS=1 (make screenshots)",
)

OpenAs = Callable[[str | None], Page]
FOLDER = ROOT / "docs" / "screenshots"


def shoot(page: Page, naam: str) -> Path:
    """The viewport as the user sees it (1280×900), without a blinking caret."""
    FOLDER.mkdir(parents=True, exist_ok=True)
    page.wait_for_load_state("networkidle")
    path = FOLDER / f"{naam}.png"
    page.screenshot(path=path, animations="disabled", caret="hide")
    assert path.stat().st_size > 10_000, f"{path} is suspiciously small"
    return path


def visit(page: Page, url: str) -> None:
    response = page.goto(url)
    assert response is not None and response.status == 200, f"{url}: {response and response.status}"


def test_aanmelden(open_as: OpenAs) -> None:
    page = open_as(None)
    visit(page, "/aanmelden")
    shoot(page, "01-aanmelden")


def test_mijn_casussen(open_as: OpenAs) -> None:
    page = open_as("b.bakker")
    visit(page, "/casussen")
    shoot(page, "02-mijn-casussen")


def test_overzicht(open_as: OpenAs, live: Live) -> None:
    page = open_as("a.jansen")
    visit(page, f"/casussen/{live.sem}")
    shoot(page, "03-overzicht")


def test_stap(open_as: OpenAs, live: Live) -> None:
    page = open_as("a.jansen")
    visit(page, f"/casussen/{live.sem}/stap/doelen")
    shoot(page, "04-stap")


def test_stap_met_fouten(open_as: OpenAs, live: Live) -> None:
    page = open_as("a.jansen")
    visit(page, f"/casussen/{live.sem}/stap/kop")
    page.get_by_label("BSN").fill("123456789")
    page.get_by_role("button", name="Opslaan", exact=True).click()
    expect(page.get_by_role("alert")).to_be_focused()
    shoot(page, "05-stap-met-fouten")


def test_samenvoegen(open_as: OpenAs, live: Live) -> None:
    anna, bram = open_as("a.jansen"), open_as("b.bakker")
    url = f"/casussen/{live.sem}/stap/situatie"
    visit(anna, url)
    visit(bram, url)
    bram.get_by_label("Wat gaat er goed?").fill("Sem is creatief; oma Ria is er elke dag.")
    bram.get_by_label("De hulpvraag in de woorden van de ouders").fill("Rust in huis.")
    bram.get_by_role("button", name="Opslaan", exact=True).click()
    expect(bram.get_by_role("status")).to_contain_text("Opgeslagen als revisie")
    anna.get_by_label("Wat gaat er goed?").fill("Sem is creatief en sportief.")
    anna.get_by_role("button", name="Opslaan", exact=True).click()
    expect(anna.get_by_role("alert")).to_contain_text("Iemand anders heeft deze stap")
    shoot(anna, "06-samenvoegen")
    anna.get_by_role(
        "group", name="Iemand anders vulde hier iets anders in"
    ).scroll_into_view_if_needed()
    shoot(anna, "06b-samenvoegen-keuze")


def test_geschiedenis_vergelijken(open_as: OpenAs, live: Live) -> None:
    page = open_as("a.jansen")
    visit(page, VERGELIJK.format(id=live.sem, van=3, naar=4))
    shoot(page, "07-geschiedenis-vergelijken")


def test_afdrukken(open_as: OpenAs, live: Live) -> None:
    page = open_as("a.jansen")
    visit(page, f"/casussen/{live.sem}/afdrukken")
    page.emulate_media(media="print")
    shoot(page, "08-afdrukken")


def test_mdo_modus(open_as: OpenAs, live: Live) -> None:
    page = open_as("a.jansen")
    visit(page, f"/casussen/{live.sem}/stap/doelen?mdo=1")
    shoot(page, "09-mdo-modus")
