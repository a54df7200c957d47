"""Regie without a mouse: sign in, open a casus, open a step, fill a field and save, using only
the keyboard, and with visible focus on every element that receives it along the way."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.conftest import Live, focused

OpenAs = Callable[[str | None], Page]
Info = dict[str, Any]


def press(page: Page, key: str) -> Info:
    """Press one key; whatever has focus afterwards must show it (WCAG 2.4.7)."""
    page.keyboard.press(key)
    now = focused(page)
    if now and now["type"] != "date":  # a date input's calendar button draws its own ring
        assert now["visible"] and now["ring"], f"focus not visible after {key}: {now}"
    assert not now.get("hidden"), f"focus inside an element marked hidden after {key}: {now}"
    return now


def tab_to(page: Page, what: str, want: Callable[[Info], bool], key: str = "Tab") -> Info:
    """Tab (or Shift+Tab) until `want` has focus; every stop on the way shows its focus."""
    passed = []
    for _ in range(40):
        now = press(page, key)
        if now and want(now):
            return now
        passed.append(now.get("text") or now.get("label") or now.get("tag"))
    raise AssertionError(f"{what} not reached with {key}; passed {passed}")


def text_is(text: str) -> Callable[[Info], bool]:
    return lambda info: info["text"] == text


def label_starts(label: str) -> Callable[[Info], bool]:
    return lambda info: info["label"].startswith(label)


def test_keyboard_only(open_as: OpenAs, live: Live) -> None:
    page = open_as(None)
    page.goto("/aanmelden")
    assert press(page, "Tab")["text"] == "Naar de inhoud"  # the skip link comes first
    anna = tab_to(page, "first account", lambda i: i["type"] == "radio")
    assert anna["label"].startswith("Anna Jansen") and anna["name"] == "gebruikersnaam"
    bram = press(page, "ArrowDown")  # arrows choose within a radio group
    assert bram["label"].startswith("Bram Bakker")
    assert press(page, "Tab")["text"] == "Aanmelden"
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mijn casussen")

    assert press(page, "Tab")["text"] == "Naar de inhoud"
    page.keyboard.press("Enter")
    # The skip link moves focus to the content (waited for: a busy machine may lag a frame).
    expect(page.locator("#inhoud")).to_be_focused()
    tab_to(page, "the link to Lotte's casus", lambda i: i["href"] == f"/casussen/{live.lotte}")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Handreiking Lotte Kramer")

    tab_to(page, "step 2 in the task list", text_is("2. Wat is er aan de hand?"))
    page.keyboard.press("Enter")
    expect(page).to_have_title(re.compile("^Stap 2 van 7: Wat is er aan de hand?"))

    tab_to(page, "Wat gaat er goed?", label_starts("Wat gaat er goed?"))
    page.keyboard.type("Lotte is trouw aan haar vriendinnen.")
    back = press(page, "Shift+Tab")
    assert back["label"].startswith("De hulpvraag volgens de professionals")
    assert press(page, "Tab")["label"].startswith("Wat gaat er goed?")
    done = tab_to(page, "Is deze stap af?", lambda i: i["name"] == "stap_af")
    assert done["label"] == "Nee, we komen hier later op terug"  # Tab lands on the chosen one
    assert press(page, "ArrowUp")["label"] == "Ja, deze stap is af"
    tab_to(page, "the Opslaan button", text_is("Opslaan"))
    page.keyboard.press("Space")
    expect(page.get_by_role("status")).to_contain_text("Opgeslagen als revisie")
    expect(page.get_by_label("Wat gaat er goed?")).to_have_value(
        "Lotte is trouw aan haar vriendinnen."
    )
    expect(page.get_by_label("Ja, deze stap is af")).to_be_checked()
    with live.api("b.bakker") as api:
        inhoud = api.get(f"/api/v1/casussen/{live.lotte}/handreiking").json()["inhoud"]
    assert inhoud["situatie"]["krachten"] == "Lotte is trouw aan haar vriendinnen."
    assert "situatie" in inhoud["stappen_af"]


def test_error_summary_takes_focus_and_links_to_the_field(open_as: OpenAs, live: Live) -> None:
    page = open_as("b.bakker")
    page.goto(f"/casussen/{live.lotte}/stap/kop")
    tab_to(page, "BSN", label_starts("BSN"))
    page.keyboard.type("123456789")
    tab_to(page, "the Opslaan button", text_is("Opslaan"))
    page.keyboard.press("Enter")
    expect(page).to_have_title(re.compile("^Fout: "))
    summary = page.get_by_role("alert")
    expect(summary).to_be_focused()
    link = tab_to(page, "the error's link", text_is("Dit is geen geldig BSN (elfproef)."))
    assert link["href"] == "#veld-kop-jeugdige-bsn"
    page.keyboard.press("Enter")
    expect(page.get_by_label("BSN")).to_be_focused()
