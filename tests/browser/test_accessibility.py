"""axe-core (WCAG 2.0 and 2.1, A and AA) finds nothing on any page, in any state we can reach.

Each page is checked as the browser shows it, with Regie's own CSS and JavaScript and its CSP on.
"""

from __future__ import annotations

import email
import email.policy
import re
import uuid
from collections.abc import Callable
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import create_engine, update
from sqlmodel import Session, col

from app.db import utcnow
from app.deelname.models import Uitnodiging
from tests.browser.conftest import SECTIONS, Live, assert_accessible

OpenAs = Callable[[str | None], Page]

# Two revisions side by side, with a table of what changed (from the history page's form).
VERGELIJK = "/casussen/{id}/geschiedenis/vergelijk?van={van}&naar={naar}"

# (test id, who is signed in, address; {sem}, {lotte}, {noah} are the demo casussen)
PAGES = [
    ("aanmelden", None, "/aanmelden"),
    ("mijn-casussen", "a.jansen", "/casussen"),
    ("mijn-casussen-zoekfout", "a.jansen", "/casussen?naam=Sem&geboortedatum=gisteren"),
    ("mijn-casussen-niets-gevonden", "a.jansen", "/casussen?naam=Niemand+Bekend"),
    ("nieuwe-casus", "a.jansen", "/casussen/nieuw"),
    ("overzicht", "a.jansen", "/casussen/{sem}"),
    ("controleren", "a.jansen", "/casussen/{sem}/controleren"),
    *[(f"stap-{s}", "a.jansen", f"/casussen/{{sem}}/stap/{s}") for s in SECTIONS],
    ("stap-mdo-modus", "a.jansen", "/casussen/{sem}/stap/doelen?mdo=1"),
    ("stap-alleen-lezen-volger", "e.mulder", "/casussen/{lotte}/stap/situatie"),
    ("overzicht-afgesloten", "c.visser", "/casussen/{noah}"),
    ("stap-afgesloten", "c.visser", "/casussen/{noah}/stap/doelen"),
    ("betrokkenen", "a.jansen", "/casussen/{sem}/betrokkenen"),
    ("geschiedenis", "a.jansen", "/casussen/{sem}/geschiedenis"),
    ("geschiedenis-vergelijk", "a.jansen", VERGELIJK.format(id="{sem}", van=2, naar=4)),
    ("toegangslog", "a.jansen", "/casussen/{sem}/toegangslog"),
    ("afdrukken", "a.jansen", "/casussen/{sem}/afdrukken"),
    ("tijdlijn", "a.jansen", "/casussen/{sem}/tijdlijn"),
    ("mdo", "a.jansen", "/casussen/{sem}/mdo"),
    ("overdracht", "a.jansen", "/casussen/{sem}/overdracht"),
    ("inbox", "a.jansen", "/inbox"),
    ("onderzoek", "o.kennis", "/onderzoek"),
    ("beheer", "f.beheer", "/beheer"),
    ("beheer-organisatie-toevoegen", "f.beheer", "/beheer/organisaties/nieuw"),
    ("beheer-account-toevoegen", "f.beheer", "/beheer/accounts/nieuw"),
    ("vragenlijsten-casus", "a.jansen", "/casussen/{sem}/vragenlijsten"),
    ("vragenlijsten-afgesloten", "c.visser", "/casussen/{noah}/vragenlijsten"),
    ("vragenlijst-link-onbekend", None, "/vragenlijst/bestaat-niet"),
    ("uitnodigingen", "a.jansen", "/casussen/{sem}/uitnodigingen"),
    ("plan-eenvoudig", "a.jansen", "/casussen/{sem}/plan"),
    ("uitnodiging-link-onbekend", None, "/uitnodiging/bestaat-niet"),
    ("terugkomen", None, "/terugkomen"),
    ("terugkomen-link-onbekend", None, "/terugkomen/bestaat-niet"),
]


# Pages that answer with an error status on purpose, still as a full, accessible page.
STATUS = {
    "/vragenlijst/bestaat-niet": 404,
    "/uitnodiging/bestaat-niet": 404,
    "/terugkomen/bestaat-niet": 404,
}


@pytest.mark.parametrize(
    ("wie", "adres"), [(w, a) for _, w, a in PAGES], ids=[naam for naam, _, _ in PAGES]
)
def test_page_has_no_wcag_violations(
    look_as: OpenAs, live: Live, wie: str | None, adres: str
) -> None:
    page = look_as(wie)
    url = adres.format(sem=live.sem, lotte=live.lotte, noah=live.noah)
    response = page.goto(url)
    assert response is not None and response.status == STATUS.get(adres, 200), (
        f"{url}: HTTP {response and response.status}"
    )
    assert_accessible(page, url)


def test_questionnaires_are_accessible_with_and_without_errors(open_as: OpenAs, live: Live) -> None:
    """The professional's closing questionnaire (from the inbox) and an ouder's personal link,
    on a phone-sized screen for the ouder, both also after a refused submit."""
    with live.api("c.visser") as api:
        mine = api.get("/api/v1/vragenlijsten").json()
        link = api.post(
            f"/api/v1/casussen/{live.noah}/vragenlijsten", json={"moment": "afsluiting"}
        )
    assert mine and link.status_code == 201, link.text
    page = open_as("c.visser")
    page.goto(f"/vragenlijsten/{mine[0]['id']}")
    assert_accessible(page, "vragenlijst professional")
    page.get_by_role("button", name="Versturen").click()
    assert_accessible(page, "vragenlijst professional met fout")
    ouder = open_as(None)
    ouder.set_viewport_size({"width": 375, "height": 740})
    ouder.goto(link.json()["link"])
    assert_accessible(ouder, "vragenlijst ouder")
    ouder.get_by_role("button", name="Versturen").click()
    assert_accessible(ouder, "vragenlijst ouder met fout")


def test_an_invitation_is_accessible_from_sending_to_signing_in(
    open_as: OpenAs, live: Live
) -> None:
    """The regievoerder's form with errors and with the new code; the ouder's code page on a
    phone-sized screen, with a wrong code and after getting in."""
    page = open_as("a.jansen")
    page.goto(f"/casussen/{live.sem}/uitnodigingen")
    page.get_by_role("button", name="Uitnodiging versturen").click()
    expect(page.get_by_role("alert")).to_contain_text("Kies of u een ouder")
    assert_accessible(page, "uitnodigen met fouten")
    aan = f"ouder-{uuid.uuid4().hex[:10]}@example.nl"
    page.get_by_label("Ouder of verzorger").check()
    page.get_by_label("Naam", exact=True).fill("Petra de Vries")
    page.get_by_label("E-mailadres").fill(aan)
    page.get_by_role("button", name="Uitnodiging versturen").click()
    code = page.locator("#nieuwe-code").inner_text().replace("-", "")
    assert_accessible(page, "uitnodiging verstuurd")
    link = _link_in_mail(live, aan)
    ouder = open_as(None)
    ouder.set_viewport_size({"width": 375, "height": 740})
    ouder.goto(link)
    assert_accessible(ouder, "code invullen")
    ouder.get_by_label("Code").fill("AAAA2222" if code != "AAAA2222" else "BBBB3333")
    ouder.get_by_role("button", name="Verder").click()
    expect(ouder.get_by_role("alert")).to_contain_text("De code klopt niet")
    assert_accessible(ouder, "code invullen met fout")
    ouder.get_by_label("Code").fill(code)
    ouder.get_by_role("button", name="Verder").click()
    expect(ouder).to_have_url(re.compile(f"/casussen/{live.sem}/plan$"))
    assert_accessible(ouder, "het plan als ouder")
    page.goto(f"/casussen/{live.sem}/uitnodigingen")
    expect(page.get_by_role("button", name=re.compile("Opnieuw uitnodigen")).first).to_be_visible()
    assert_accessible(page, "uitnodigingen met een geaccepteerde")


def test_an_invitee_saves_own_words_signs_out_and_comes_back(open_as: OpenAs, live: Live) -> None:
    """On a phone: the ouder writes in their own words and saves; signs out and lands on the
    page to come back; asks a new link and opens it with the same code."""
    aan = f"ouder-{uuid.uuid4().hex[:10]}@example.nl"
    with live.api("a.jansen") as api:
        nieuw = api.post(
            f"/api/v1/casussen/{live.sem}/uitnodigingen",
            json={"rol": "ouder", "naam": "Petra de Vries", "email": aan},
        )
    assert nieuw.status_code == 201, nieuw.text
    code = nieuw.json()["code"]
    ouder = open_as(None)
    ouder.set_viewport_size({"width": 375, "height": 740})
    ouder.goto(_link_in_mail(live, aan))
    ouder.get_by_label("Code").fill(code)
    ouder.get_by_role("button", name="Verder").click()
    expect(ouder).to_have_url(re.compile(f"/casussen/{live.sem}/plan$"))
    woorden = f"We willen rust in huis ({uuid.uuid4().hex[:6]})."
    ouder.locator("#veld-situatie-hulpvraag_ouders").fill(woorden)
    ouder.get_by_role("button", name="Opslaan").click()
    expect(ouder.get_by_role("status")).to_contain_text("Uw woorden zijn opgeslagen")
    expect(ouder.locator("#veld-situatie-hulpvraag_ouders")).to_have_value(woorden)
    assert_accessible(ouder, "eigen woorden opgeslagen")

    ouder.get_by_role("button", name="Afmelden").click()
    expect(ouder).to_have_url(re.compile("/terugkomen$"))
    assert_accessible(ouder, "weer naar uw plan")
    ouder.get_by_role("button", name="Stuur mij een nieuwe link").click()
    expect(ouder.get_by_role("alert")).to_contain_text("Vul een geldig e-mailadres in")
    assert_accessible(ouder, "weer naar uw plan met fout")
    ouder.get_by_label("Uw e-mailadres").fill(aan)
    ouder.get_by_role("button", name="Stuur mij een nieuwe link").click()
    expect(ouder.get_by_role("status")).to_contain_text("Hoort dit e-mailadres")
    assert_accessible(ouder, "nieuwe link gevraagd")
    ouder.goto(_link_in_mail(live, aan, "terugkomen"))
    assert_accessible(ouder, "code invullen bij terugkomen")
    ouder.get_by_label("Code").fill(code)
    ouder.get_by_role("button", name="Verder").click()
    expect(ouder).to_have_url(re.compile(f"/casussen/{live.sem}/plan$"))
    expect(ouder.locator("#veld-situatie-hulpvraag_ouders")).to_have_value(woorden)


@pytest.mark.parametrize(
    ("geval", "kop", "uitleg"),
    [
        ("gebruikt", "Deze link is al gebruikt", "Met deze link is al iemand binnengekomen"),
        ("ingetrokken", "Deze link werkt niet meer", "heeft deze uitnodiging gestopt"),
        ("verlopen", "Deze link werkt niet meer", "De tijd is voorbij"),
        ("geblokkeerd", "Deze link werkt niet meer", "te vaak een verkeerde code"),
    ],
)
def test_a_link_that_no_longer_works_gets_a_clear_page(
    open_as: OpenAs, live: Live, geval: str, kop: str, uitleg: str
) -> None:
    """Used, withdrawn, expired or blocked: a plain page that says why and what to do, on a
    phone, and no way in."""
    aan = f"ouder-{uuid.uuid4().hex[:10]}@example.nl"
    with live.api("a.jansen") as api:
        nieuw = api.post(
            f"/api/v1/casussen/{live.sem}/uitnodigingen",
            json={"rol": "ouder", "naam": "Petra de Vries", "email": aan},
        ).json()
        if geval == "ingetrokken":
            api.post(f"/api/v1/casussen/{live.sem}/uitnodigingen/{nieuw['id']}/intrekken")
    link = _link_in_mail(live, aan)
    ouder = open_as(None)
    ouder.set_viewport_size({"width": 375, "height": 740})
    fout = "AAAA2222" if nieuw["code"] != "AAAA2222" else "BBBB3333"
    pogingen = {"gebruikt": [nieuw["code"]], "geblokkeerd": [fout] * 5}.get(geval, [])
    if pogingen:
        ouder.goto(link)
        for code in pogingen:
            ouder.get_by_label("Code").fill(code)
            ouder.get_by_role("button", name="Verder").click()
            ouder.wait_for_load_state()
        ouder.context.clear_cookies()
    if geval == "verlopen":
        engine = create_engine(str(live.settings.database_url))
        with Session(engine) as session:
            session.execute(
                update(Uitnodiging)
                .where(col(Uitnodiging.id) == uuid.UUID(nieuw["id"]))
                .values(verloopt_op=utcnow() - timedelta(minutes=1))
            )
            session.commit()
        engine.dispose()
    response = ouder.goto(link)
    assert response is not None and response.status in (404, 410), response and response.status
    expect(ouder.get_by_role("heading", level=1)).to_have_text(kop)
    expect(ouder.locator("main")).to_contain_text(uitleg)
    expect(ouder.locator("main")).to_contain_text("Wat kunt u doen?")
    expect(ouder.get_by_label("Code")).to_have_count(0)
    assert_accessible(ouder, f"link {geval}")


def _link_in_mail(live: Live, aan: str, soort: str = "uitnodiging") -> str:
    """The newest link of this kind the app wrote to `aan` in its dev postbus folder."""
    for pad in sorted((live.settings.data_dir / "postbus").glob("*.eml"), reverse=True):
        bericht = email.message_from_bytes(pad.read_bytes(), policy=email.policy.default)
        if bericht["To"] == aan:
            tekst = bericht.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
            gevonden = re.search(rf"http://\S+/{soort}/[A-Za-z0-9_-]+", tekst)
            if gevonden is not None:
                return gevonden.group(0)
    raise AssertionError(f"geen e-mail met een {soort}-link aan {aan}")


@pytest.mark.parametrize(
    ("adres", "kop"),
    [("/casussen/{id}", "Casus niet gevonden"), ("/bestaat-niet/{id}", "Niet gevonden")],
    ids=["casus", "adres"],
)
def test_not_found_page(look_as: OpenAs, adres: str, kop: str) -> None:
    page = look_as("a.jansen")
    response = page.goto(adres.format(id=uuid.uuid4()))
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text(kop)
    assert_accessible(page, "de 404-pagina")


def test_new_casus_with_errors(open_as: OpenAs) -> None:
    page = open_as("a.jansen")
    page.goto("/casussen/nieuw")
    page.get_by_role("button", name="Casus starten").click()
    expect(page).to_have_title(re.compile(r"^Fout: Nieuwe casus"))
    expect(page.get_by_role("alert")).to_contain_text("Er is een probleem")
    assert_accessible(page, "nieuwe casus met fouten")


def test_betrokkenen_with_errors(open_as: OpenAs, live: Live) -> None:
    page = open_as("a.jansen")
    page.goto(f"/casussen/{live.sem}/betrokkenen")
    page.get_by_role("button", name="Toevoegen").click()
    expect(page).to_have_title(re.compile(r"^Fout: Betrokkenen"))
    expect(page.get_by_role("alert")).to_contain_text("Er is een probleem")
    assert_accessible(page, "betrokkenen met fouten")


def test_step_with_validation_errors(open_as: OpenAs, live: Live) -> None:
    page = open_as("a.jansen")
    page.goto(f"/casussen/{live.sem}/stap/kop")
    page.get_by_label("BSN").fill("123456789")  # nine digits, but not a valid BSN (elfproef)
    page.get_by_role("button", name="Opslaan", exact=True).click()
    expect(page).to_have_title(re.compile(r"^Fout: Gegevens van de casus"))
    expect(page.get_by_role("alert")).to_contain_text("Dit is geen geldig BSN")
    expect(page.get_by_label("BSN")).to_have_value("123456789")
    assert_accessible(page, "stap met een fout")


def test_step_with_a_new_list_row(open_as: OpenAs, live: Live) -> None:
    page = open_as("a.jansen")
    page.goto(f"/casussen/{live.sem}/stap/afstemming")
    page.get_by_role("button", name="Regel toevoegen aan gegeven toestemming").click()
    expect(page.get_by_role("group", name="Gegeven toestemming: regel 1")).to_be_visible()
    assert_accessible(page, "stap met een lege nieuwe regel")


def test_merge_page(open_as: OpenAs, live: Live) -> None:
    """Both change the same field; the one who saves last sees the merge page."""
    anna, bram = open_as("a.jansen"), open_as("b.bakker")
    for page in (anna, bram):
        page.goto(f"/casussen/{live.sem}/stap/borging")
    bram.get_by_label("Hoe dragen we de regie warm over?").fill("Bram: in een gesprek met Sem.")
    bram.get_by_role("button", name="Opslaan", exact=True).click()
    expect(bram.get_by_role("status")).to_contain_text("Opgeslagen als revisie")
    anna.get_by_label("Hoe dragen we de regie warm over?").fill("Anna: met een brief.")
    anna.get_by_role("button", name="Opslaan", exact=True).click()
    expect(anna.get_by_role("alert")).to_contain_text(
        "Iemand anders heeft deze stap intussen opgeslagen"
    )
    expect(
        anna.get_by_role("group", name="Iemand anders vulde hier iets anders in")
    ).to_be_visible()
    assert_accessible(anna, "samenvoegpagina")


def test_session_expired_page(open_as: OpenAs, live: Live) -> None:
    page = open_as("a.jansen")
    page.goto(f"/casussen/{live.sem}/stap/afspraken")
    page.context.clear_cookies(name="regie_sessie")
    page.get_by_role("button", name="Regel toevoegen aan afspraken").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Uw sessie is verlopen")
    assert_accessible(page, "sessie verlopen")
