"""The IDOR matrix of the API: every casus route × every kind of non-member (issue #9, point 3).

Contract (api.md, Conventions): a casus the caller has no active role on answers 404, exactly
like a casus that does not exist; researchers and beheerders get 404 on every /casussen/{id}
path. So each non-member gets, on a real casus, the very answer a missing casus gets: same
status, same problem body (but `instance`), same headers (but the request id), nothing changes,
and the refused attempt is in the audit trail.

The routes are read from the app itself: a new casus route is in the matrix the day it is added.
What is hand-written is only how to make a request that the right member would see succeed
(VERZOEKEN, for unsafe methods and GETs that need a query); a control test sends exactly that
request as the member and must get a 2xx, so a 404 in the matrix is never a 422, 428 or
"sub-resource missing" in disguise: path parameters are filled with the seeded casus' own ids.

Who is a non-member (SOORTEN), and who is not:
- a professional without any role on the casus;
- a former betrokkene whose role was ended (DELETE betrokkenen/{rol_id});
- the regievoerder of another casus;
- a beheerder and an onderzoeker (system roles never reach casus content);
- a deactivated account, here one that still holds a betrokkene role: its token no longer
  names an active account, so the contract's "invalid token: 401" applies, before any casus is
  looked at; the 401 is identical for the real and the missing casus, so it leaks nothing.
The proposed but not yet accepted opvolger is NOT a non-member: proposing adds them to the casus
as betrokkene (app/regie/service.py `propose`), the policy lets a betrokkene answer a handover,
and their role cannot be ended while the proposal is open. They are tested as what they are, a
member (test_the_proposed_opvolger_is_a_member_not_an_outsider), and the control test has them
accept and decline.

Backends: on both, each route's whole row runs in one test on one seeded casus, a subtest per
kind of non-member (see test_every_non_member_gets_the_missing_casus_answer_then_the_member_succeeds
for why).
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import httpx
import pytest
from fastapi import routing as fastapi_routing
from fastapi.testclient import TestClient
from sqlalchemy import inspect, text
from sqlmodel import Session, select
from starlette.routing import Mount

from app.accounts.models import Account
from app.audit.models import AuditGebeurtenis
from app.config import Settings
from app.enums import CasusRol
from app.main import create_app
from tests.api.test_deelname import accept_newest
from tests.canary import CanaryDocument
from tests.factories import (
    GRONDSLAG,
    add_burger,
    add_role,
    auth,
    make_account,
    new_casus,
    save,
)

API = "/api/v1"
CASUS_PARAM = re.compile(r"\{casus_id(?::\w+)?\}")
PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}

REGIEVOERDER = "rita"
BETROKKENE = "bas"  # a betrokkene on the casus; the DELETE and verwijderen routes end their role
OPVOLGER = "otto"  # proposed as regievoerder in the open overdracht
NIEUW = "dirk"  # a professional not on the casus, named in the bodies that add someone
OUDER = "burger-olga"  # an ouder on the casus (with Stand(ouder=True))
BEHEERDER = "bert"

SOORTEN = (
    "buitenstaander",
    "oud-betrokkene",
    "andere-regievoerder",
    "beheerder",
    "onderzoeker",
    "gedeactiveerd",
)
ACCOUNT = {
    "buitenstaander": "eva",
    "oud-betrokkene": "fenna",
    "andere-regievoerder": "gert",
    "beheerder": BEHEERDER,
    "onderzoeker": "olaf",
    "gedeactiveerd": "dani",
}
# What each kind gets, on the real casus and on a missing one alike.
VERWACHT = dict.fromkeys(SOORTEN, (404, "casus_niet_gevonden")) | {
    "gedeactiveerd": (401, "niet_geauthenticeerd")
}
# Tables whose rows a refused request may add: the audit trail, sessions, sign-in counters.
LOGTABELLEN = {"auditgebeurtenis", "auditketen", "sessie", "aanvraagteller"}


# The routes, from the app ------------------------------------------------------------------


def _flat(routes: Iterable[Any], prefix: str = "") -> Iterator[tuple[str, set[str]]]:
    """(full path template, methods) of every route, through included routers and mounts.

    Recent FastAPI (0.163 here) keeps each included router as one wrapper in `app.routes`;
    its own `iter_route_contexts` unwraps them, with the full path. Older versions copied the
    routes into `app.routes`, where the plain loop finds them. Should neither find anything,
    test_every_casus_route_is_found fails (and so does every VERZOEKEN check).
    """
    unwrap = getattr(fastapi_routing, "iter_route_contexts", None)
    for route in unwrap(list(routes)) if unwrap else routes:
        original = getattr(route, "original_route", route)
        if isinstance(original, Mount):
            yield from _flat(original.routes, prefix + original.path)
            continue
        path, methods = getattr(route, "path", None), getattr(route, "methods", None)
        if path and methods:
            yield prefix + path, set(methods)


def casus_routes(app: Any) -> list[tuple[str, str]]:
    """Every (method, path template) whose path names a casus, API and web alike."""
    return sorted(
        (method, path)
        for path, methods in _flat(app.routes)
        if CASUS_PARAM.search(path)
        for method in methods - {"HEAD", "OPTIONS"}
    )


def _routes_of_a_fresh_app() -> list[tuple[str, str]]:
    """The casus routes of an app built like the fixture's (the parameters need them early)."""
    with TemporaryDirectory() as tmp:
        settings = Settings(env="dev", data_dir=Path(tmp), database_url=f"sqlite:///{tmp}/e.db")
        app = create_app(settings)
        try:
            return casus_routes(app)
        finally:
            app.state.engine.dispose()


ROUTES = _routes_of_a_fresh_app()
API_ROUTES = [(m, p) for m, p in ROUTES if p.startswith(API + "/")]
WEB_ROUTES = [(m, p) for m, p in ROUTES if not p.startswith(API + "/")]


# The requests -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stand:
    """What the seeded casus holds besides its revisions, roles and ouders' link."""

    overdracht: bool = True  # an open overdracht to OPVOLGER
    mdo: bool = True  # an open MDO
    gesloten: bool = False
    geaccepteerd: bool = False  # the jeugdige's invitation accepted
    ouder: bool = False  # OUDER, an invited ouder, on the casus


@dataclass(frozen=True)
class Verzoek:
    """A request that `door` would see succeed on the casus seeded as `stand`.

    `body` is JSON (API) or form fields (web; "{revisie}" is the casus' current revision);
    `pad` fixes path parameters that are words, not ids (the web's {antwoord}).
    """

    body: dict[str, Any] | None = None
    query: str = ""
    door: str = REGIEVOERDER
    stand: Stand = Stand()
    pad: dict[str, str] = field(default_factory=dict)
    naam: str = ""


GEEN_OVERDRACHT = Stand(overdracht=False)
C = API + "/casussen/{casus_id}"
VERZOEKEN: dict[tuple[str, str], tuple[Verzoek, ...]] = {
    ("GET", C + "/revisies/{nummer}/verschil"): (Verzoek(query="?met=2"),),
    ("POST", C + "/afsluiten"): (
        Verzoek({"reden": "De doelen zijn behaald."}, stand=GEEN_OVERDRACHT),
    ),
    ("POST", C + "/heropenen"): (Verzoek(stand=Stand(overdracht=False, gesloten=True)),),
    ("PUT", C + "/handreiking"): (
        Verzoek(
            {"inhoud": {"situatie": {"krachten": "Een betrokken opa."}}, "toelichting": "Na MDO"}
        ),
    ),
    ("POST", C + "/betrokkenen"): (
        Verzoek({"gebruikersnaam": NIEUW, "rol": "volger", "grondslag": GRONDSLAG}),
    ),
    ("DELETE", C + "/betrokkenen/{rol_id}"): (Verzoek(),),
    ("POST", C + "/mdos"): (Verzoek({"datum": "2026-12-01"}, stand=Stand(mdo=False)),),
    ("POST", C + "/mdos/{mdo_id}/afronden"): (
        Verzoek({"revisie": 3, "besluiten": "Plan vastgesteld."}),
    ),
    ("POST", C + "/overdrachten"): (
        Verzoek(
            {"opvolger": NIEUW, "toelichting": "Warme overdracht.", "grondslag": GRONDSLAG},
            stand=GEEN_OVERDRACHT,
        ),
    ),
    ("POST", C + "/overdrachten/{overdracht_id}/accepteren"): (Verzoek(door=OPVOLGER),),
    ("POST", C + "/overdrachten/{overdracht_id}/afwijzen"): (
        Verzoek({"reden": "Geen ruimte in mijn caseload."}, door=OPVOLGER),
    ),
    ("POST", C + "/overdrachten/{overdracht_id}/intrekken"): (Verzoek(),),
    ("POST", C + "/vragenlijsten"): (Verzoek({"moment": "mdo"}),),
    ("DELETE", C + "/vragenlijsten/{uitnodiging_id}"): (Verzoek(),),
    ("POST", C + "/uitnodigingen"): (
        Verzoek({"rol": "ouder", "naam": "Oma Test", "email": "oma@example.nl"}),
    ),
    ("POST", C + "/uitnodigingen/{deelname_id}/intrekken"): (Verzoek(),),
    ("POST", C + "/toestemmingen"): (
        Verzoek({"organisatietypen": ["huisarts"]}, door=OUDER, stand=Stand(ouder=True)),
    ),
    ("POST", C + "/uitnodigingen/{deelname_id}/opnieuw"): (
        Verzoek(stand=Stand(geaccepteerd=True)),
    ),
}


def cases(
    routes: list[tuple[str, str]], verzoeken: dict[tuple[str, str], tuple[Verzoek, ...]]
) -> list[tuple[str, str, Verzoek]]:
    """Each route with each of its requests; a GET without an entry is sent as it is."""
    return [
        (methode, pad, verzoek)
        for methode, pad in routes
        for verzoek in verzoeken.get((methode, pad), (Verzoek(),))
    ]


def case_id(methode: str, pad: str, verzoek: Verzoek) -> str:
    kort = pad.removeprefix(API).replace("/casussen/{casus_id}", "{casus}")
    return f"{methode} {kort}{f' {verzoek.naam}' if verzoek.naam else ''}"


# The seeded casus ---------------------------------------------------------------------------


@dataclass
class Zaad:
    """One casus with a few revisions, a betrokkene, a former betrokkene, an open overdracht,
    an open MDO and an ouders' link, made through the API by its regievoerder."""

    client: TestClient
    app: Any
    settings: Settings
    casus_id: str
    andere_casus_id: str  # the casus of the andere-regievoerder
    regie: dict[str, str]
    revisie: int
    ids: dict[str, str]  # real values for the path parameters

    def url(self, pad: str, casus_id: str, verzoek: Verzoek) -> str:
        waarden = {**self.ids, **verzoek.pad, "casus_id": casus_id}

        def vul(match: re.Match[str]) -> str:
            naam = match.group(1)
            assert naam in waarden, f"no real value for {{{naam}}} in {pad}: seed one in zaai()"
            return waarden[naam]

        return PARAM.sub(vul, pad) + verzoek.query


_TOKENS: dict[tuple[Path, str], tuple[float, dict[str, str]]] = {}


def bearer(settings: Settings, naam: str) -> dict[str, str]:
    """`auth()`, signed once per account and key for ten minutes: loading the RSA key costs
    40 ms a time, and the dev key (in the session's keys_dir) serves every test of the run."""
    sleutel = (settings.data_dir, naam)
    if sleutel not in _TOKENS or _TOKENS[sleutel][0] < time.monotonic() - 600:
        _TOKENS[sleutel] = (time.monotonic(), auth(settings, naam))
    return _TOKENS[sleutel][1]


def ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return dict(response.json()) if response.content else {}


def zaai(client: TestClient, app: Any, settings: Settings, stand: Stand = Stand()) -> Zaad:
    for naam in (REGIEVOERDER, BETROKKENE, OPVOLGER, NIEUW, "eva", "fenna", "gert", "dani"):
        make_account(app, naam)
    make_account(app, BEHEERDER, systeemrollen=("beheerder",))
    make_account(app, "olaf", systeemrollen=("onderzoeker",))
    regie = bearer(settings, REGIEVOERDER)
    casus_id = new_casus(client, regie)["id"]
    base = f"{API}/casussen/{casus_id}"
    assert save(client, regie, casus_id, {"situatie": {"krachten": "Creatief"}}, 1).is_success
    volledig = CanaryDocument(app.state.formulieren["twente-2020.1"], "IDOR").inhoud
    assert save(client, regie, casus_id, volledig, 2).is_success
    rol_id = add_role(client, regie, casus_id, BETROKKENE, "betrokkene")["id"]
    # The former betrokkene could read the casus until the regievoerder ended the role.
    oud = add_role(client, regie, casus_id, "fenna", "betrokkene")["id"]
    ok(client.get(base, headers=bearer(settings, "fenna")))
    ok(client.delete(f"{base}/betrokkenen/{oud}", headers=regie), 204)
    add_role(client, regie, casus_id, "dani", "betrokkene")  # deactivated in buitenstaander()
    ids = {"rol_id": rol_id, "nummer": "3", "sleutel": "situatie", "revisie": "3"}
    link = ok(client.post(f"{base}/vragenlijsten", json={"moment": "mdo"}, headers=regie), 201)
    ids["uitnodiging_id"] = link["id"]
    gast = {"rol": "jeugdige", "naam": "Sam Test", "email": "sam@example.nl"}
    uitnodiging = ok(client.post(f"{base}/uitnodigingen", json=gast, headers=regie), 201)
    ids["deelname_id"] = uitnodiging["id"]
    if stand.geaccepteerd:
        accept_newest(app, settings, gast["email"], uitnodiging["code"])
    if stand.ouder:
        add_burger(app, casus_id, OUDER, CasusRol.OUDER)
    if stand.mdo:
        mdo = ok(client.post(f"{base}/mdos", json={"datum": "2026-11-30"}, headers=regie), 201)
        ids["mdo_id"] = mdo["id"]
    if stand.overdracht:
        voorstel = {
            "opvolger": OPVOLGER,
            "toelichting": "Warme overdracht.",
            "grondslag": GRONDSLAG,
        }
        ids["overdracht_id"] = ok(
            client.post(f"{base}/overdrachten", json=voorstel, headers=regie), 201
        )["id"]
    if stand.gesloten:
        ok(client.post(f"{base}/afsluiten", json={"reden": "Klaar."}, headers=regie))
    gert = bearer(settings, ACCOUNT["andere-regievoerder"])
    andere = new_casus(client, gert)["id"]
    add_role(client, gert, andere, OPVOLGER, "betrokkene")  # for the sub-resource test
    return Zaad(client, app, settings, casus_id, andere, regie, 3, ids)


def buitenstaander(zaad: Zaad, soort: str) -> str:
    """Make `soort` what it says (the seed did the rest); returns its gebruikersnaam."""
    naam = ACCOUNT[soort]
    if soort == "gedeactiveerd":
        beheer = bearer(zaad.settings, BEHEERDER)
        ok(
            zaad.client.patch(
                f"{API}/beheer/accounts/{naam}", json={"actief": False}, headers=beheer
            )
        )
    return naam


def account_id(app: Any, naam: str) -> uuid.UUID:
    with Session(app.state.engine) as session:
        account = session.exec(select(Account).where(Account.gebruikersnaam == naam)).one()
        return account.id


def stand_van(app: Any) -> dict[str, list[str]]:
    """Every row of every table but the logs: whatever a request changed shows up here."""
    engine = app.state.engine
    tables = sorted(set(inspect(engine).get_table_names()) - LOGTABELLEN)
    with engine.connect() as connection:
        return {
            table: sorted(
                repr(tuple(row))
                for row in connection.execute(text(f'SELECT * FROM "{table}"'))  # noqa: S608
            )
            for table in tables
        }


def assert_refusal_audited(
    app: Any, response: httpx.Response, casus_id: str, actor: uuid.UUID | None, code: str
) -> None:
    """The request's audit events: all refusals, one of them naming this casus (and the actor,
    when the token named an active account)."""
    request_id = response.headers["x-request-id"]
    with Session(app.state.engine) as session:
        events = session.exec(
            select(AuditGebeurtenis).where(AuditGebeurtenis.request_id == request_id)
        ).all()
    assert events, f"no audit event for refused request {request_id}"
    assert {e.uitkomst for e in events} == {"geweigerd"}, [(e.actie, e.uitkomst) for e in events]
    assert any(
        e.casus_id == uuid.UUID(casus_id)
        and e.account_id == actor
        and e.kenmerken.get("code") == code
        for e in events
    ), [(e.actie, e.casus_id, e.account_id, e.kenmerken) for e in events]


def zonder_instance(response: httpx.Response) -> dict[str, Any]:
    return {k: v for k, v in response.json().items() if k != "instance"}


def koppen(response: httpx.Response) -> dict[str, str]:
    return {
        k: v
        for k, v in response.headers.items()
        if k not in {"x-request-id", "date", "content-length"}
    }


# The enumeration -----------------------------------------------------------------------------


def test_every_casus_route_is_found(app: Any) -> None:
    """The enumeration finds the app's casus routes, all of them, and nothing else."""
    assert casus_routes(app) == ROUTES
    assert len(API_ROUTES) >= 20 and len(WEB_ROUTES) >= 18, ROUTES
    for verwacht in [
        ("GET", C),
        ("PUT", C + "/handreiking"),
        ("DELETE", C + "/betrokkenen/{rol_id}"),
        ("POST", C + "/overdrachten/{overdracht_id}/accepteren"),
        ("POST", "/casussen/{casus_id}/stap/{sleutel}"),
    ]:
        assert verwacht in ROUTES
    assert {m for m, _ in ROUTES} >= {"GET", "POST", "PUT", "DELETE"}


def test_every_unsafe_api_route_has_a_request() -> None:
    """A new route that changes something needs a body here; no entry names a route gone."""
    zonder = [(m, p) for m, p in API_ROUTES if m in UNSAFE and (m, p) not in VERZOEKEN]
    assert zonder == [], "add a Verzoek (body that would succeed) to VERZOEKEN"
    assert set(VERZOEKEN) <= set(API_ROUTES)


# The matrix ----------------------------------------------------------------------------------

CASES = cases(API_ROUTES, VERZOEKEN)
# Saves that build on a revision name it in If-Match.
MET_VERSIE = {("PUT", C + "/handreiking"), ("POST", C + "/toestemmingen")}
PER_ROUTE = [pytest.param(*c, id=case_id(*c)) for c in CASES]


def stuur(
    zaad: Zaad, headers: dict[str, str], methode: str, pad: str, casus_id: str, verzoek: Verzoek
) -> httpx.Response:
    versie = {"If-Match": f'"{zaad.revisie}"'} if (methode, pad) in MET_VERSIE else {}
    response: httpx.Response = zaad.client.request(
        methode,
        zaad.url(pad, casus_id, verzoek),
        json=verzoek.body,
        headers={**headers, **versie},
    )
    return response


def assert_as_if_missing(zaad: Zaad, soort: str, methode: str, pad: str, verzoek: Verzoek) -> None:
    """`soort` sends the request to the seeded casus and to a random id: the same answer, no
    change, and the refusal on the real casus is audited."""
    naam = buitenstaander(zaad, soort)
    actor = bearer(zaad.settings, naam)
    voor = stand_van(zaad.app)
    echt = stuur(zaad, actor, methode, pad, zaad.casus_id, verzoek)
    nep = stuur(zaad, actor, methode, pad, str(uuid.uuid4()), verzoek)
    status, code = VERWACHT[soort]
    assert echt.status_code == status, (echt.status_code, echt.text)
    assert echt.headers["content-type"] == "application/problem+json"
    assert echt.json()["code"] == code
    assert (nep.status_code, zonder_instance(nep)) == (echt.status_code, zonder_instance(echt))
    assert koppen(echt) == koppen(nep)
    assert stand_van(zaad.app) == voor
    wie = None if soort == "gedeactiveerd" else account_id(zaad.app, naam)
    assert_refusal_audited(zaad.app, echt, zaad.casus_id, wie, code)


def assert_succeeds_for_the_member(zaad: Zaad, methode: str, pad: str, verzoek: Verzoek) -> None:
    """The control: the very same request succeeds for the member it is meant for, so the
    non-members' 404 is about access, not about the input or a missing sub-resource."""
    actor = bearer(zaad.settings, verzoek.door)
    response = stuur(zaad, actor, methode, pad, zaad.casus_id, verzoek)
    assert response.is_success, (response.status_code, response.text)


@pytest.mark.parametrize(("methode", "pad", "verzoek"), PER_ROUTE)
def test_every_non_member_gets_the_missing_casus_answer_then_the_member_succeeds(
    client: TestClient,
    app: Any,
    settings: Settings,
    subtests: pytest.Subtests,
    methode: str,
    pad: str,
    verzoek: Verzoek,
) -> None:
    """The whole matrix row of one route, one seeded casus for all its cells.

    A test per cell costs 1.3 s on PostgreSQL (its per-test cleanup) and 0.45 s on SQLite:
    measured, the cells took 70 s on SQLite and would take over three minutes on PostgreSQL.
    Sharing the seed is sound because every non-member must leave it untouched (checked after
    each one); the deactivated account comes last, and the member's control ends the row.
    Each cell is a subtest, so a failure still names its route and kind of non-member.
    """
    zaad = zaai(client, app, settings, verzoek.stand)
    for soort in SOORTEN:
        with subtests.test(soort=soort):
            assert_as_if_missing(zaad, soort, methode, pad, verzoek)
    with subtests.test(soort="lid (controle)"):
        assert_succeeds_for_the_member(zaad, methode, pad, verzoek)


# Around the matrix ---------------------------------------------------------------------------

SUBRESOURCES = {"rol_id", "overdracht_id", "mdo_id", "uitnodiging_id", "deelname_id"}


def kruis(gevallen: list[tuple[str, str, Verzoek]]) -> list[tuple[str, str, Verzoek]]:
    """The requests whose path names a sub-resource of the casus besides the casus."""
    return [c for c in gevallen if SUBRESOURCES & set(PARAM.findall(c[1]))]


KRUIS = kruis(CASES)
# Who sends the request on the other casus, for the member who would send it on this one.
ANDERS = {REGIEVOERDER: ACCOUNT["andere-regievoerder"], OPVOLGER: OPVOLGER}


@pytest.mark.parametrize(
    ("methode", "pad", "verzoek"), [pytest.param(*c, id=case_id(*c)) for c in KRUIS]
)
def test_another_casus_sub_resource_under_your_own_casus_is_a_missing_one(
    client: TestClient, app: Any, settings: Settings, methode: str, pad: str, verzoek: Verzoek
) -> None:
    """This casus' role, overdracht, MDO or link id under the path of another casus, sent by
    someone who may do exactly that on the other casus (its regievoerder; the opvolger, who is
    betrokkene there too): answered as for an id that does not exist, and nothing changes."""
    assert len(KRUIS) >= 6
    zaad = zaai(client, app, settings, verzoek.stand)
    wie = bearer(settings, ANDERS[verzoek.door])
    voor = stand_van(app)
    echt = stuur(zaad, wie, methode, pad, zaad.andere_casus_id, verzoek)
    willekeurig = {naam: str(uuid.uuid4()) for naam in SUBRESOURCES}
    nep_zaad = replace(zaad, ids={**zaad.ids, **willekeurig})
    nep = stuur(nep_zaad, wie, methode, pad, zaad.andere_casus_id, verzoek)
    assert echt.status_code == 404, (echt.status_code, echt.text)
    assert echt.json()["code"] == "niet_gevonden"
    assert (nep.status_code, zonder_instance(nep)) == (echt.status_code, zonder_instance(echt))
    assert stand_van(app) == voor


def test_the_proposed_opvolger_is_a_member_not_an_outsider(
    client: TestClient, app: Any, settings: Settings
) -> None:
    """Why the opvolger is not in SOORTEN: the proposal made them a betrokkene, and that role
    cannot be ended while the proposal is open, so they are a member for every path."""
    zaad = zaai(client, app, settings)
    base = f"{API}/casussen/{zaad.casus_id}"
    casus = ok(client.get(base, headers=bearer(settings, OPVOLGER)))
    rol = next(r for r in casus["rollen"] if r["gebruikersnaam"] == OPVOLGER)
    assert rol["rol"] == "betrokkene"
    ended = client.delete(f"{base}/betrokkenen/{rol['id']}", headers=zaad.regie)
    assert ended.status_code == 409, ended.text
    rollen = ok(client.get(base, headers=zaad.regie))["rollen"]
    assert OPVOLGER in {r["gebruikersnaam"] for r in rollen}
