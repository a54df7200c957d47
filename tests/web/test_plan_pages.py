"""The plan in plain Dutch, and ouders and the jeugdige adding their own words on it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.testclient import TestClient as Browser

from app.config import Settings
from app.enums import CasusRol
from tests.api.test_deelname import invited_guest
from tests.factories import add_role, auth, make_account, new_casus, save
from tests.web.test_steps import sign_in

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def casus(client: TestClient, app: Any, settings: Settings) -> dict[str, Any]:
    anna = auth(settings, make_account(app, "anna"))
    make_account(app, "bram")
    casus_id = new_casus(client, anna)["id"]
    add_role(client, anna, casus_id, "bram", "betrokkene")
    return {"id": casus_id, "url": f"/api/v1/casussen/{casus_id}", "anna": anna}


def plan_of(client: TestClient, casus: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    response = client.get(f"{casus['url']}/handreiking", headers=casus["anna"])
    return response.json()["revisie"], response.json()["inhoud"]


def signed_in_guest(
    client: TestClient, app: Any, settings: Settings, casus: dict[str, Any], rol: str = "ouder"
) -> tuple[Browser, str]:
    gast = invited_guest(client, app, settings, casus, rol)
    assert gast.enter().status_code == 303
    page = gast.browser.get(f"/casussen/{casus['id']}/plan")
    found = CSRF.search(page.text)
    assert found is not None
    return gast.browser, found.group(1)


def test_an_ouder_reads_the_plan_in_plain_words_and_adds_their_own(
    client: TestClient, app: Any, settings: Settings, casus: dict[str, Any]
) -> None:
    revisie, inhoud = plan_of(client, casus)
    inhoud["situatie"] = {"krachten": "Oma haalt Sem elke dag van school."}
    assert save(client, casus["anna"], casus["id"], inhoud, revisie).status_code == 200
    browser, csrf = signed_in_guest(client, app, settings, casus)
    page = browser.get(f"/casussen/{casus['id']}/plan")
    assert page.status_code == 200
    text = page.text
    assert "Het plan voor Test Jeugdige" in text
    assert "<strong>Anna</strong>" in text and "heeft de regie" in text
    assert "Wat is er aan de hand?" in text and "Oma haalt Sem elke dag van school." in text
    assert "Hier staat nog niets." in text  # an empty step says so in plain words
    # Only the fields for the ouders' own words are offered.
    assert set(re.findall(r'name="veld:([a-z_.]+)"', text)) == {
        "situatie.hulpvraag_ouders",
        "doelen.doelen_ouders",
        "taakverdeling.bijdrage_ouders",
    }
    assert "Wat de ouders zelf zeggen" in text
    saved = browser.post(
        f"/casussen/{casus['id']}/plan",
        data={
            "csrf_token": csrf,
            "basis": str(revisie + 1),
            "veld:situatie.hulpvraag_ouders": "Wij willen weer rust in huis.",
            "veld:situatie.krachten": "Geprobeerd: niet mijn veld.",
        },
    )
    assert saved.status_code == 303, saved.text
    assert saved.headers["location"] == f"/casussen/{casus['id']}/plan?melding=opgeslagen"
    nieuw_revisie, nieuw = plan_of(client, casus)
    assert nieuw_revisie == revisie + 2
    assert nieuw["situatie"]["hulpvraag_ouders"] == "Wij willen weer rust in huis."
    assert nieuw["situatie"]["krachten"] == "Oma haalt Sem elke dag van school."
    assert "Uw woorden zijn opgeslagen" in browser.get(saved.headers["location"]).text


def test_a_conflict_keeps_the_ouders_text_and_shows_what_is_there_now(
    client: TestClient, app: Any, settings: Settings, casus: dict[str, Any]
) -> None:
    browser, csrf = signed_in_guest(client, app, settings, casus)
    revisie, inhoud = plan_of(client, casus)
    inhoud["situatie"] = {"hulpvraag_ouders": "Door Anna in het MDO getypt."}
    assert save(client, casus["anna"], casus["id"], inhoud, revisie).status_code == 200
    late = browser.post(
        f"/casussen/{casus['id']}/plan",
        data={
            "csrf_token": csrf,
            "basis": str(revisie),
            "veld:situatie.hulpvraag_ouders": "Mijn eigen versie.",
        },
    )
    assert late.status_code == 409
    assert "Iemand anders heeft het plan net opgeslagen" in late.text
    assert "Mijn eigen versie.</textarea>" in late.text
    assert "Nu in het plan: Door Anna in het MDO getypt." in late.text
    assert f'name="basis" value="{revisie + 1}"' in late.text
    assert (
        plan_of(client, casus)[1]["situatie"]["hulpvraag_ouders"] == "Door Anna in het MDO getypt."
    )


def test_too_long_own_words_are_shown_back_with_the_error(
    client: TestClient, app: Any, settings: Settings, casus: dict[str, Any]
) -> None:
    browser, csrf = signed_in_guest(client, app, settings, casus, rol="jeugdige")
    revisie, _ = plan_of(client, casus)
    lang = "a" * 4001
    refused = browser.post(
        f"/casussen/{casus['id']}/plan",
        data={"csrf_token": csrf, "basis": str(revisie), "veld:situatie.hulpvraag_jeugdige": lang},
    )
    assert refused.status_code == 422
    assert 'href="#veld-situatie-hulpvraag_jeugdige"' in refused.text
    assert f"{lang}</textarea>" in refused.text
    assert plan_of(client, casus)[0] == revisie


def test_professionals_and_volgers_get_the_plan_without_the_own_words_form(
    client: TestClient, app: Any, settings: Settings, casus: dict[str, Any]
) -> None:
    make_account(app, "vera")
    add_role(client, casus["anna"], casus["id"], "vera", CasusRol.VOLGER)
    for wie in ("anna", "bram", "vera"):
        browser, _ = sign_in(app, wie)
        page = browser.get(f"/casussen/{casus['id']}/plan")
        assert page.status_code == 200, (wie, page.text)
        assert "Uw eigen woorden" not in page.text and 'name="veld:' not in page.text


def test_at_closing_an_ouder_answers_the_ouders_questionnaire_by_their_plan(
    client: TestClient, app: Any, settings: Settings, casus: dict[str, Any]
) -> None:
    browser, csrf = signed_in_guest(client, app, settings, casus)
    closed = client.post(
        f"{casus['url']}/afsluiten", json={"reden": "Doelen behaald."}, headers=casus["anna"]
    )
    assert closed.status_code == 200, closed.text
    plan = browser.get(f"/casussen/{casus['id']}/plan")
    link = re.search(r'href="(/vragenlijsten/[0-9a-f-]+)"', plan.text)
    assert link is not None and "Vul de korte vragenlijst in" in plan.text
    form = browser.get(link.group(1))
    assert form.status_code == 200 and 'name="schaal.rust_overzicht"' in form.text
    answered = browser.post(
        link.group(1),
        data={
            "csrf_token": csrf,
            "schaal.rust_overzicht": "4",
            "open.open_beter": "Sneller bellen.",
        },
    )
    assert answered.status_code == 303, answered.text
    assert "Vul de korte vragenlijst in" not in browser.get(f"/casussen/{casus['id']}/plan").text
    overzicht = client.get(f"{casus['url']}/vragenlijsten", headers=casus["anna"]).json()
    # Anna and Bram got the professionals' questionnaire, the ouder the ouders' one.
    assert overzicht["professionals"] == {"uitgenodigd": 2, "beantwoord": 0}
    assert overzicht["ouders_met_account"] == {"uitgenodigd": 1, "beantwoord": 1}
    assert overzicht["ouders"] == []


def test_the_ouder_sees_first_what_was_agreed_with_the_family(
    client: TestClient, app: Any, settings: Settings, casus: dict[str, Any]
) -> None:
    revisie, inhoud = plan_of(client, casus)
    inhoud["afstemming"] = {
        "informeert_ouders": "Anna (wijkteam)",
        "hoe_informeren": "Elke week even bellen, op maandag.",
    }
    taak = {"soort": "professional", "wie": "Bram", "bijdrage": "Weekgesprekken met Sem."}
    eigen = {"soort": "ouder", "wie": "Moeder", "bijdrage": "Brengt Sem op tijd naar school."}
    inhoud["taakverdeling"] = {"taken": [taak, eigen]}
    inhoud["afspraken"] = {
        "afspraken": [
            {"wat": "Verslag naar de school.", "wie": "Bram", "onderdeel": "doelen"},
            {"wat": "Samen de agenda bijhouden.", "wie": "Vader en Anna", "onderdeel": "doelen"},
            {"wat": "Na elk MDO een brief.", "wie": "Anna", "onderdeel": "communicatie-ouders"},
        ]
    }
    assert save(client, casus["anna"], casus["id"], inhoud, revisie).status_code == 200
    browser, _ = signed_in_guest(client, app, settings, casus)
    text = browser.get(f"/casussen/{casus['id']}/plan").text
    start = text.index("Wat is er met u afgesproken?")
    deel = text[start : text.index("Alle afspraken staan verderop in het plan.")]
    assert "<strong>Anna (wijkteam)</strong> vertelt u wat er gebeurt." in deel
    assert "Elke week even bellen" in deel
    assert "Brengt Sem op tijd naar school." in deel and "Weekgesprekken" not in deel
    assert "Samen de agenda bijhouden." in deel and "Na elk MDO een brief." in deel
    assert "Verslag naar de school." not in deel
    # The whole plan is still there, further down.
    assert "Verslag naar de school." in text[start:]


def test_an_empty_plan_says_nothing_was_agreed_yet(
    client: TestClient, app: Any, settings: Settings, casus: dict[str, Any]
) -> None:
    browser, _ = signed_in_guest(client, app, settings, casus)
    text = browser.get(f"/casussen/{casus['id']}/plan").text
    assert "Er staan nog geen afspraken voor u in het plan." in text
