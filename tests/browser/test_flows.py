"""What people do in Regie, in a real browser: sign in, start a casus, work through the seven
steps, autosave, two people saving the same step, a stranger guessing an address, history."""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import Callable

from playwright.sync_api import APIResponse, Error, Page, Route, expect

from tests.browser.conftest import Live
from tests.browser.test_accessibility import VERGELIJK

OpenAs = Callable[[str | None], Page]
SAVED = "Opgeslagen als revisie"


def next_step(page: Page, stap: int, titel: str) -> None:
    """Mark the step done and go on; the next page says where we are."""
    page.get_by_label("Ja, deze stap is af").check()
    page.get_by_role("button", name="Opslaan en volgende stap").click()
    if stap < 7:
        expect(page.locator(".regie-waar")).to_have_text(f"Stap {stap + 1} van 7: {titel}")


def add_row(page: Page, lijst: str, regel: int) -> None:
    """ "Regel toevoegen" (a real form post, so it works without JavaScript too)."""
    page.get_by_role("button", name=f"Regel toevoegen aan {lijst.lower()}").click()
    expect(page.get_by_role("group", name=f"{lijst}: regel {regel}")).to_be_visible()


def new_casus(page: Page, naam: str) -> str:
    """Start a casus through "Nieuwe casus"; returns its id."""
    page.get_by_role("link", name="Nieuwe casus", exact=True).click()
    expect(page).to_have_title(re.compile("^Nieuwe casus"))
    page.get_by_label("Naam van de jeugdige").fill(naam)
    page.get_by_label("Geboortedatum").fill("2013-09-21")
    page.get_by_label("Gemeente").select_option("Almelo")
    page.get_by_label("OB4b").check()
    page.get_by_role("button", name="Casus starten").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Handreiking {naam}")
    found = re.search(r"/casussen/([0-9a-f-]{36})$", page.url)
    assert found is not None, page.url
    return found.group(1)


def test_sign_in_start_a_casus_and_fill_all_seven_steps(open_as: OpenAs, live: Live) -> None:
    page = open_as(None)
    page.goto("/casussen")
    expect(page).to_have_url(re.compile(r"/aanmelden\?volgende=/casussen$"))
    page.get_by_label(re.compile(r"Anna Jansen \(")).check()
    page.get_by_role("button", name="Aanmelden").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mijn casussen")
    casus_id = new_casus(page, "Mila Tuinstra")
    statuses = page.locator(".regie-taak__status")
    expect(statuses).to_have_text(["Bezig"] + ["Nog niet gestart"] * 8)  # the head is filled in

    page.get_by_role("link", name="1. Wie zijn er betrokken?").click()
    expect(page).to_have_title(re.compile("^Stap 1 van 7: Wie zijn er betrokken?"))
    add_row(page, "Ouders en verzorgers", 1)
    rij = page.get_by_role("group", name="Ouders en verzorgers: regel 1")
    rij.get_by_label("Naam").fill("Fatima Tuinstra")
    rij.get_by_label("Relatie tot de jeugdige").select_option("moeder")
    rij.get_by_role("group", name="Heeft gezag").get_by_label("Ja").check()
    page.get_by_label("Ontbreekt er iemand?").fill("De huisarts; Anna belt haar.")
    next_step(page, 1, "Wat is er aan de hand?")

    page.get_by_label("De hulpvraag volgens de professionals").fill("Mila verzuimt veel.")
    page.get_by_label("Wat gaat er goed?").fill("Mila tekent graag.")
    page.get_by_role("group", name="Zijn er risico's voor de veiligheid?").get_by_label(
        "Nee"
    ).check()
    next_step(page, 2, "Waar werken we samen naartoe?")

    add_row(page, "Doelen", 1)
    rij = page.get_by_role("group", name="Doelen: regel 1")
    rij.get_by_label("Doel", exact=False).first.fill("Mila gaat elke dag naar school")
    rij.get_by_label("Wanneer bereikt").fill("2027-06-01")
    rij.get_by_label("Status").select_option("lopend")
    next_step(page, 3, "Wie doet wat?")

    add_row(page, "Bijdragen en taken", 1)
    rij = page.get_by_role("group", name="Bijdragen en taken: regel 1")
    rij.get_by_label("Wie", exact=False).first.fill("Anna Jansen")
    rij.get_by_label("Soort betrokkene").select_option("professional")
    rij.get_by_label("Bijdrage en taken").fill("Belt de school elke week.")
    page.get_by_role("group", name="Wordt er hulp dubbel geboden?").get_by_label("Nee").check()
    next_step(page, 4, "Wie heeft waarover de regie?")

    page.get_by_label("Wat verstaan we in deze casus onder regie?").fill("Eén aanspreekpunt.")
    proces = page.get_by_role("group", name="Procesregie")
    proces.get_by_label("Wie", exact=False).fill("Anna Jansen")
    proces.get_by_label("Soort organisatie").select_option("gemeente")
    add_row(page, "Inhoudelijke regie per onderdeel van de hulp", 1)
    rij = page.get_by_role("group", name="Inhoudelijke regie per onderdeel van de hulp: regel 1")
    rij.get_by_label("Onderdeel van de hulp").fill("Schoolgang")
    rij.get_by_label("Wie heeft de regie").fill("Dirk Smit")
    page.get_by_label("Wat mag de regievoerder tussen twee MDO's beslissen?").fill("Planning.")
    next_step(page, 5, "Hoe stemmen we af?")

    page.get_by_label("Wie informeert de ouders en de jeugdige?").fill("Anna Jansen")
    page.get_by_label("Hoe vaak komen we bij elkaar?").select_option("maandelijks")
    page.get_by_label("Wat doen we als we het niet eens zijn?").fill("Bespreken in het MDO.")
    next_step(page, 6, "Hoe houden we het plan levend?")

    page.get_by_label("Datum van het volgende MDO").fill("2027-01-15")
    page.get_by_label("Hoe vaak evalueren we?").select_option("zeswekelijks")
    page.get_by_label("Crisis").check()
    page.get_by_label("Hoe dragen we de regie warm over?").fill("In een gesprek met Mila.")
    next_step(page, 7, "")
    expect(page).to_have_title(re.compile("^Afspraken"))

    page.get_by_role("link", name="Terug naar overzicht").click()
    expect(page).to_have_url(f"{live.url}/casussen/{casus_id}")
    expect(statuses).to_have_text(["Bezig"] + ["Afgerond"] * 7 + ["Nog niet gestart"])
    page.get_by_role("link", name="Controleer het plan").click()
    for text in (
        "Fatima Tuinstra",
        "Mila gaat elke dag naar school",
        "1 juni 2027",
        "Belt de school elke week.",
        "Dirk Smit",
        "maandelijks",
        "crisis",
    ):
        expect(page.get_by_role("main")).to_contain_text(text, ignore_case=True)
    with live.api("a.jansen") as api:
        inhoud = api.get(f"/api/v1/casussen/{casus_id}/handreiking").json()["inhoud"]
    assert inhoud["betrokkenheid"]["ouders"] == [
        {"naam": "Fatima Tuinstra", "relatie": "moeder", "gezag": True}
    ]
    assert inhoud["doelen"]["doelen"][0]["termijn"] == "2027-06-01"
    assert inhoud["borging"]["signaaltypen"] == ["crisis"]
    assert sorted(inhoud["stappen_af"]) == sorted(
        ["betrokkenheid", "situatie", "doelen", "taakverdeling", "regie", "afstemming", "borging"]
    )


def test_autosave_keeps_what_was_typed(open_as: OpenAs, live: Live) -> None:
    page = open_as("c.visser")
    page.goto(f"/casussen/{live.sem}/stap/situatie")
    veld = page.get_by_label("Waar maken we ons zorgen over?")
    veld.fill("")
    veld.press_sequentially("Sem slaapt slecht.", delay=10)
    status = page.locator("[data-status]")
    expect(status).to_have_attribute("aria-live", "polite")
    expect(status).to_have_text(re.compile(r"^Opgeslagen om \d{2}:\d{2}$"))
    page.reload()
    expect(page.get_by_label("Waar maken we ons zorgen over?")).to_have_value("Sem slaapt slecht.")


def test_two_people_save_the_same_step_and_merge(open_as: OpenAs, live: Live) -> None:
    """Bram saves first; Anna's save shows both versions, keeps her input, and merges."""
    anna, bram = open_as("a.jansen"), open_as("b.bakker")
    url = f"/casussen/{live.sem}/stap/afstemming"
    for page in (anna, bram):
        page.goto(url)
    bram.get_by_label("Hoe en wanneer informeren we hen?").fill("Bram: na elk MDO een brief.")
    bram.get_by_label("Wat doen we als we het niet eens zijn?").fill("Bram: naar de teamleiders.")
    bram.get_by_role("button", name="Opslaan", exact=True).click()
    expect(bram.get_by_role("status")).to_contain_text(SAVED)

    anna.get_by_label("Afspraken over het delen van informatie").fill(
        "Anna: alleen met toestemming."
    )
    anna.get_by_label("Wat doen we als we het niet eens zijn?").fill("Anna: eerst samen bellen.")
    # Autosave is honest: it does not overwrite Bram, it says so.
    expect(anna.locator("[data-status]")).to_contain_text(
        "iemand anders heeft deze stap intussen opgeslagen"
    )
    anna.get_by_role("button", name="Opslaan", exact=True).click()
    expect(anna.get_by_role("alert")).to_contain_text(
        "Iemand anders heeft deze stap intussen opgeslagen"
    )
    # Her own input is still in the fields; Bram's change she did not touch is merged in.
    expect(anna.get_by_label("Wat doen we als we het niet eens zijn?")).to_have_value(
        "Anna: eerst samen bellen."
    )
    expect(anna.get_by_label("Afspraken over het delen van informatie")).to_have_value(
        "Anna: alleen met toestemming."
    )
    expect(anna.get_by_label("Hoe en wanneer informeren we hen?")).to_have_value(
        "Bram: na elk MDO een brief."
    )
    conflict = anna.get_by_role("group", name="Iemand anders vulde hier iets anders in")
    expect(conflict).to_have_count(1)
    expect(conflict).to_contain_text("Hun versie: Bram: naar de teamleiders.")
    conflict.get_by_label("Hun versie overnemen").check()
    anna.get_by_role("button", name="Opslaan", exact=True).click()
    expect(anna.get_by_role("status")).to_contain_text(SAVED)

    with live.api("a.jansen") as api:
        stap = api.get(f"/api/v1/casussen/{live.sem}/handreiking").json()["inhoud"]["afstemming"]
    assert stap["escalatie"] == "Bram: naar de teamleiders."
    assert stap["hoe_informeren"] == "Bram: na elk MDO een brief."
    assert stap["informatiedeling"] == "Anna: alleen met toestemming."
    assert stap["informeert_ouders"] == "Anna Jansen"  # untouched by both, still there
    bram.reload()
    expect(bram.get_by_label("Afspraken over het delen van informatie")).to_have_value(
        "Anna: alleen met toestemming."
    )


def test_a_stranger_gets_the_same_page_as_for_a_casus_that_does_not_exist(
    open_as: OpenAs, live: Live
) -> None:
    page = open_as("e.mulder")
    seen = []
    for url in (
        f"/casussen/{live.sem}",
        f"/casussen/{uuid.uuid4()}",
        f"/casussen/{live.sem}/stap/situatie",
        f"/casussen/{uuid.uuid4()}/stap/situatie",
    ):
        response = page.goto(url)
        assert response is not None and response.status == 404, url
        seen.append((page.title(), page.get_by_role("main").inner_text()))
        expect(page.get_by_role("main")).not_to_contain_text("Sem")
    assert seen[0] == seen[1] == seen[2] == seen[3], seen
    assert seen[0][0].startswith("Casus niet gevonden")


def test_history_comparison_shows_the_changed_field(open_as: OpenAs, live: Live) -> None:
    page = open_as("b.bakker")
    page.goto(f"/casussen/{live.lotte}/stap/situatie")
    for tekst in ("Lotte heeft een goede band met haar mentor.", "Lotte zit in de schoolband."):
        page.get_by_label("Wat gaat er goed?").fill(tekst)
        page.get_by_role("button", name="Opslaan", exact=True).click()
        expect(page.get_by_role("status")).to_contain_text(SAVED)
    nieuwste = int(re.sub(r"\D", "", page.get_by_role("status").inner_text()))

    page.goto(f"/casussen/{live.lotte}")
    page.get_by_role("link", name="Geschiedenis").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Geschiedenis")
    page.get_by_label("Van revisie").select_option(str(nieuwste - 1))
    page.get_by_label("Naar revisie").select_option(str(nieuwste))
    page.get_by_role("button", name="Vergelijken").click()
    expect(page).to_have_url(
        f"{live.url}" + VERGELIJK.format(id=live.lotte, van=nieuwste - 1, naar=nieuwste)
    )
    changes = page.get_by_role("table", name=re.compile("veranderd"))
    expect(changes).to_contain_text("1 veld veranderd")
    row = changes.get_by_role("row", name=re.compile("Wat gaat er goed?"))
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Lotte heeft een goede band met haar mentor.")
    expect(row).to_contain_text("Lotte zit in de schoolband.")
    expect(changes).not_to_contain_text("Zorgen over de thuissituatie.")  # unchanged


def test_session_warning_stays_hidden_while_the_session_is_young(
    open_as: OpenAs, live: Live
) -> None:
    """The warning (with its "Sessie verlengen" button) appears only in the last five minutes."""
    page = open_as("a.jansen")
    for url in ("/casussen", f"/casussen/{live.sem}", f"/casussen/{live.sem}/stap/doelen"):
        page.goto(url)
        expect(page.get_by_role("button", name="Sessie verlengen")).to_be_hidden()


def test_saving_while_an_autosave_is_under_way_is_not_a_conflict(
    open_as: OpenAs, live: Live
) -> None:
    """One person alone: "Opslaan" pressed while an autosave is on its way is no one else's save.

    The autosave's answer is held back (the server has already saved), as on a slow connection.
    """
    page = open_as("c.visser")
    url = f"/casussen/{live.sem}/stap/taakverdeling"
    page.goto(url)
    held: list[tuple[Route, APIResponse]] = []

    def slow_autosave(route: Route) -> None:
        if route.request.headers.get("x-regie-autosave") == "1":
            held.append((route, route.fetch()))
        else:
            route.continue_()

    page.route(f"**{url}", slow_autosave)
    page.get_by_label("Welke hulp, en wat spreken we af?").fill("Geen dubbele hulp gevonden.")
    expect(page.locator("[data-status]")).to_have_text("Bezig met opslaan…")
    for _ in range(100):  # the route handler runs while Playwright waits; at most 5 s
        if held:
            break
        page.wait_for_timeout(50)
    assert len(held) == 1, "the autosave did not reach the server"
    page.get_by_role("button", name="Opslaan", exact=True).click()
    for route, response in held:
        with contextlib.suppress(Error):  # the page may have moved on; nobody waits any more
            route.fulfill(response=response)
    page.unroute_all(behavior="ignoreErrors")
    expect(page.get_by_role("status")).to_contain_text(SAVED)
    expect(page.get_by_role("alert")).to_have_count(0)
    expect(page.get_by_label("Welke hulp, en wat spreken we af?")).to_have_value(
        "Geen dubbele hulp gevonden."
    )
