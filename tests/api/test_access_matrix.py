"""The role × action matrix, generated from policies/access.yaml and checked through the API.

MATRIX is the one hand-written part: for every `Actie`, the HTTP request(s) that perform exactly
that action. Who may do what is never written here; every expectation is read from the policy,
so editing the policy file changes the matrix, and a new action without a MATRIX entry fails.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from app.access.policy import CASUS_ACTIES, SYSTEEM_ACTIES, Actie, load_policy
from app.config import Settings
from app.enums import CasusRol, Systeemrol
from tests.factories import CASUS, GRONDSLAG, add_burger, add_role, auth, make_account, new_casus

POLICY_FILE = Path(__file__).resolve().parents[2] / "policies" / "access.yaml"
POLICY = load_policy(POLICY_FILE)

EXTRA = "dirk"  # the professional that betrokkenen.beheren adds to the casus
REGIEVOERDER = "rita"
BURGER = "burger-"  # how the accounts of invited ouders and jeugdigen are named
HANDREIKING = {
    "inhoud": {
        "kop": {
            "gemeente": "Hengelo",
            "jeugdige": {"naam": "Test Jeugdige", "geboortedatum": "2012-05-01"},
            "indicaties": ["OB4a"],
        },
        "betrokkenheid": {"ontbreekt": "De huisarts nog uitnodigen."},
    },
    "toelichting": "Aangevuld na het eerste MDO",
}


@dataclass(frozen=True)
class Verzoek:
    """One HTTP request; `{id}` in the path is the casus it is aimed at."""

    methode: str
    pad: str
    body: dict[str, Any] | None = None
    if_match: bool = False

    def stuur(
        self,
        client: TestClient,
        headers: dict[str, str],
        casus_id: str,
        revisie: int = 1,
        params: dict[str, str] | None = None,
    ) -> httpx.Response:
        extra = {"If-Match": f'"{revisie}"'} if self.if_match else {}
        response: httpx.Response = client.request(
            self.methode,
            "/api/v1" + self.pad.format(id=casus_id, **(params or {})),
            json=self.body,
            headers={**headers, **extra},
        )
        return response


@dataclass(frozen=True)
class Regel:
    """The requests that perform one action, and how to see that it took effect.

    `gevolg` judges the state afterwards: for a casus action the casus as its regievoerder reads
    it, for a system action the actor's own list of casussen. None: the action changes nothing.
    """

    verzoeken: tuple[Verzoek, ...]
    gevolg: Callable[[dict[str, Any]], bool] | None = None
    voorbereiding: Callable[[Casus, str], dict[str, str]] | None = None

    def voorbereid(self, casus: Casus, actor: str) -> dict[str, str]:
        """Make what the request needs (a proposal to answer, a closed casus to reopen)."""
        return self.voorbereiding(casus, actor) if self.voorbereiding else {}


MATRIX: dict[Actie, Regel] = {
    Actie.CASUS_AANMAKEN: Regel(
        (Verzoek("POST", "/casussen", CASUS),),
        gevolg=lambda mijn: mijn["totaal"] == 1,
    ),
    Actie.CASUS_LEZEN: Regel(
        (
            Verzoek("GET", "/casussen/{id}"),
            Verzoek("GET", "/casussen/{id}/handreiking"),
            Verzoek("GET", "/casussen/{id}/revisies"),
            Verzoek("GET", "/casussen/{id}/revisies/1"),
            Verzoek("GET", "/casussen/{id}/revisies/1/verschil?met=1"),
            Verzoek("GET", "/casussen/{id}/betrokkenen"),
        )
    ),
    Actie.HANDREIKING_BEWERKEN: Regel(
        (Verzoek("PUT", "/casussen/{id}/handreiking", HANDREIKING, if_match=True),),
        gevolg=lambda casus: casus["revisie"] == 2 and casus["gemeente"] == "Hengelo",
    ),
    Actie.BETROKKENEN_BEHEREN: Regel(
        (
            Verzoek(
                "POST",
                "/casussen/{id}/betrokkenen",
                {"gebruikersnaam": EXTRA, "rol": "volger", "grondslag": GRONDSLAG},
            ),
        ),
        gevolg=lambda casus: EXTRA in {r["gebruikersnaam"] for r in casus["rollen"]},
    ),
    Actie.CASUS_AFSLUITEN: Regel(
        (Verzoek("POST", "/casussen/{id}/afsluiten", {"reden": "De doelen zijn behaald."}),),
        gevolg=lambda casus: casus["status"] == "afgesloten",
    ),
    Actie.TOEGANGSLOG_LEZEN: Regel((Verzoek("GET", "/casussen/{id}/toegangslog"),)),
    Actie.OVERDRACHT_VOORSTELLEN: Regel(
        (
            Verzoek(
                "POST",
                "/casussen/{id}/overdrachten",
                {
                    "opvolger": EXTRA,
                    "toelichting": "Warme overdracht na het MDO.",
                    "grondslag": GRONDSLAG,
                },
            ),
        ),
        gevolg=lambda casus: EXTRA in {r["gebruikersnaam"] for r in casus["rollen"]},
    ),
    Actie.OVERDRACHT_BEANTWOORDEN: Regel(
        (Verzoek("POST", "/casussen/{id}/overdrachten/{oid}/accepteren"),),
        gevolg=lambda casus: casus["regievoerder"]["gebruikersnaam"] != REGIEVOERDER,
        voorbereiding=lambda casus, actor: voorstel(casus, actor),
    ),
    Actie.OVERDRACHT_INTREKKEN: Regel(
        (Verzoek("POST", "/casussen/{id}/overdrachten/{oid}/intrekken"),),
        voorbereiding=lambda casus, _: voorstel(casus, EXTRA),
    ),
    Actie.MDO_BEHEREN: Regel((Verzoek("POST", "/casussen/{id}/mdos", {"datum": "2026-12-01"}),)),
    Actie.CASUS_HEROPENEN: Regel(
        (Verzoek("POST", "/casussen/{id}/heropenen"),),
        gevolg=lambda casus: casus["status"] == "actief",
        voorbereiding=lambda casus, _: sluit(casus),
    ),
    Actie.ACCOUNTS_BEHEREN: Regel((Verzoek("GET", "/beheer/accounts"),)),
    Actie.TOESTEMMING_GEVEN: Regel(
        (
            Verzoek(
                "POST",
                "/casussen/{id}/toestemmingen",
                {"organisatietypen": ["zorgaanbieder"], "reikwijdte": "Het plan."},
                if_match=True,
            ),
        ),
        gevolg=lambda casus: casus["revisie"] == 2,
    ),
    Actie.DEELNEMERS_UITNODIGEN: Regel(
        (
            Verzoek(
                "POST",
                "/casussen/{id}/uitnodigingen",
                {"rol": "ouder", "naam": "Opa Jansen", "email": "opa@example.nl"},
            ),
        )
    ),
    Actie.VRAGENLIJST_UITNODIGEN: Regel(
        (Verzoek("POST", "/casussen/{id}/vragenlijsten", {"moment": "mdo"}),)
    ),
    Actie.ONDERZOEK_EXPORTEREN: Regel(
        (
            Verzoek("GET", "/onderzoek/export?formaat=csv"),
            Verzoek("GET", "/onderzoek/export?formaat=jsonl"),
        )
    ),
    Actie.ONDERZOEK_CIJFERS: Regel((Verzoek("GET", "/onderzoek/cijfers"),)),
}


def voorstel(casus: Casus, opvolger: str) -> dict[str, str]:
    """The regievoerder proposes `opvolger`, or someone else when that is the regievoerder or an
    ouder/jeugdige (only professionals can take over regie)."""
    naar = EXTRA if opvolger == REGIEVOERDER or opvolger.startswith(BURGER) else opvolger
    response = casus.client.post(
        f"/api/v1/casussen/{casus.id}/overdrachten",
        json={
            "opvolger": naar,
            "toelichting": "Overdracht voor de matrix.",
            "grondslag": GRONDSLAG,
        },
        headers=casus.regie,
    )
    assert response.status_code == 201, response.text
    return {"oid": response.json()["id"]}


def sluit(casus: Casus) -> dict[str, str]:
    response = casus.client.post(
        f"/api/v1/casussen/{casus.id}/afsluiten", json={"reden": "Klaar."}, headers=casus.regie
    )
    assert response.status_code == 200, response.text
    return {}


@dataclass(frozen=True)
class Casus:
    """A fresh casus with its regievoerder, and how to read its whole state."""

    client: TestClient
    id: str
    regie: dict[str, str]

    def stand(self) -> dict[str, Any]:
        base = f"/api/v1/casussen/{self.id}"
        casus = self.client.get(base, headers=self.regie)
        revisies = self.client.get(f"{base}/revisies", headers=self.regie)
        assert casus.status_code == 200, casus.text
        assert revisies.status_code == 200, revisies.text
        return {"casus": casus.json(), "revisies": revisies.json()}


@pytest.fixture
def casus(client: TestClient, app: Any, settings: Settings) -> Casus:
    assert app.state.policy == POLICY, "the app must run the policy this matrix is built from"
    make_account(app, EXTRA)
    regie = auth(settings, make_account(app, REGIEVOERDER))
    return Casus(client, new_casus(client, regie)["id"], regie)


def assert_problem(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code


def assert_2xx(response: httpx.Response) -> None:
    assert 200 <= response.status_code < 300, response.text


def zonder_instance(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != "instance"}


def test_matrix_covers_every_action() -> None:
    assert set(MATRIX) == set(Actie)
    assert set(Actie) == CASUS_ACTIES | SYSTEEM_ACTIES
    for actie, regel in MATRIX.items():
        assert regel.verzoeken
        for verzoek in regel.verzoeken:
            assert ("{id}" in verzoek.pad) == (actie in CASUS_ACTIES), (actie, verzoek)


CASUS_GEVALLEN = [
    pytest.param(rol, actie, id=f"{rol}-{actie}")
    for rol in POLICY.casusrollen
    for actie in sorted(CASUS_ACTIES)
]


@pytest.mark.parametrize(("rol", "actie"), CASUS_GEVALLEN)
def test_casus_role_may_do_exactly_what_the_policy_grants(
    casus: Casus, app: Any, settings: Settings, rol: CasusRol, actie: Actie
) -> None:
    naam = REGIEVOERDER if rol is CasusRol.REGIEVOERDER else "bas"
    if rol is CasusRol.REGIEVOERDER:
        actor = casus.regie
    elif rol in (CasusRol.OUDER, CasusRol.JEUGDIGE):
        naam = BURGER + naam
        actor = auth(settings, add_burger(app, casus.id, naam, rol))
    else:
        actor = auth(settings, make_account(app, naam))
        add_role(casus.client, casus.regie, casus.id, naam, rol)
    regel = MATRIX[actie]
    params = regel.voorbereid(casus, naam)
    voor = casus.stand()
    responses = [
        v.stuur(casus.client, actor, casus.id, voor["casus"]["revisie"], params)
        for v in regel.verzoeken
    ]
    if actie in POLICY.casusrollen[rol]:
        for response in responses:
            assert_2xx(response)
        if regel.gevolg is not None:
            assert regel.gevolg(casus.stand()["casus"])
    else:
        for response in responses:
            assert_problem(response, 403, "geweigerd")
        assert casus.stand() == voor


BUITENSTAANDERS = ("buitenstaander", "onderzoeker", "beheerder", "rol-beeindigd")


def buitenstaander(casus: Casus, app: Any, settings: Settings, soort: str) -> dict[str, str]:
    """An account without an active role on the casus, of the given kind."""
    if soort in ("onderzoeker", "beheerder"):
        return auth(settings, make_account(app, "olaf", systeemrollen=(soort,)))
    actor = auth(settings, make_account(app, "eva"))
    if soort == "rol-beeindigd":
        rol = add_role(casus.client, casus.regie, casus.id, "eva", CasusRol.BETROKKENE)
        had = casus.client.get(f"/api/v1/casussen/{casus.id}", headers=actor).status_code
        assert had == (200 if Actie.CASUS_LEZEN in POLICY.casusrollen[CasusRol.BETROKKENE] else 403)
        ended = casus.client.delete(
            f"/api/v1/casussen/{casus.id}/betrokkenen/{rol['id']}", headers=casus.regie
        )
        assert ended.status_code == 204, ended.text
    return actor


@pytest.mark.parametrize(
    ("soort", "actie"),
    [pytest.param(s, a, id=f"{s}-{a}") for s in BUITENSTAANDERS for a in sorted(CASUS_ACTIES)],
)
def test_non_member_gets_the_same_404_as_for_a_missing_casus(
    casus: Casus, app: Any, settings: Settings, soort: str, actie: Actie
) -> None:
    actor = buitenstaander(casus, app, settings, soort)
    params = MATRIX[actie].voorbereid(casus, EXTRA)
    voor = casus.stand()
    ontbrekend = str(uuid.uuid4())
    for verzoek in MATRIX[actie].verzoeken:
        echt = verzoek.stuur(casus.client, actor, casus.id, voor["casus"]["revisie"], params)
        nep = verzoek.stuur(casus.client, actor, ontbrekend, voor["casus"]["revisie"], params)
        assert_problem(echt, 404, "casus_niet_gevonden")
        assert_problem(nep, 404, "casus_niet_gevonden")
        assert zonder_instance(echt.json()) == zonder_instance(nep.json())
    assert casus.stand() == voor


@pytest.mark.parametrize(
    ("rol", "actie"),
    [
        pytest.param(rol, actie, id=f"{rol}-{actie}")
        for rol in POLICY.systeemrollen
        for actie in sorted(SYSTEEM_ACTIES)
    ],
)
def test_system_role_may_do_exactly_what_the_policy_grants(
    client: TestClient, app: Any, settings: Settings, rol: Systeemrol, actie: Actie
) -> None:
    assert app.state.policy == POLICY
    actor = auth(settings, make_account(app, "sam", systeemrollen=(rol,)))

    def mijn() -> dict[str, Any]:
        response = client.get("/api/v1/casussen", headers=actor)
        assert response.status_code == 200, response.text
        return dict(response.json())

    voor = mijn()
    regel = MATRIX[actie]
    responses = [v.stuur(client, actor, "") for v in regel.verzoeken]
    if actie in POLICY.systeemrollen[rol]:
        for response in responses:
            assert_2xx(response)
        if regel.gevolg is not None:
            assert regel.gevolg(mijn())
    else:
        for response in responses:
            assert_problem(response, 403, "geweigerd")
        assert mijn() == voor


@pytest.mark.parametrize(
    "actie", [pytest.param(a, id=str(a)) for a in sorted(POLICY.alleen_open_casus)]
)
def test_closed_casus_refuses_changes_and_can_still_be_read(
    casus: Casus, app: Any, settings: Settings, actie: Actie
) -> None:
    houder = next(rol for rol, acties in POLICY.casusrollen.items() if actie in acties)
    actor = casus.regie
    if houder in (CasusRol.OUDER, CasusRol.JEUGDIGE):
        actor = auth(settings, add_burger(app, casus.id, f"{BURGER}bas", houder))
    elif houder is not CasusRol.REGIEVOERDER:
        actor = auth(settings, make_account(app, "bas"))
        add_role(casus.client, casus.regie, casus.id, "bas", houder)
    for verzoek in MATRIX[Actie.CASUS_AFSLUITEN].verzoeken:
        assert_2xx(verzoek.stuur(casus.client, casus.regie, casus.id))
    voor = casus.stand()
    assert voor["casus"]["status"] == "afgesloten"
    dummies = {"oid": str(uuid.uuid4())}  # nothing can be open on a closed casus
    for verzoek in MATRIX[actie].verzoeken:
        response = verzoek.stuur(casus.client, actor, casus.id, voor["casus"]["revisie"], dummies)
        assert_problem(response, 409, "casus_afgesloten")
    assert casus.stand() == voor
    still_open = sorted(
        (CASUS_ACTIES - POLICY.alleen_open_casus) & POLICY.casusrollen[CasusRol.REGIEVOERDER]
    )
    assert Actie.CASUS_LEZEN in still_open
    for andere in still_open:
        for verzoek in MATRIX[andere].verzoeken:
            assert_2xx(verzoek.stuur(casus.client, casus.regie, casus.id, voor["casus"]["revisie"]))
