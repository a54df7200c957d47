"""Per-field edit rights, as a matrix generated from policies/access.yaml and the form.

Every casus role tries to change each field the form marks as someone's own words (`van:`),
plus one field that is nobody's in particular. Who may is read from the policy: the role edits
the whole plan (handreiking.bewerken), or the field's mark is among its veldrechten. Nothing
here names a role's rights by hand.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.access.policy import Actie, load_policy
from app.audit.models import AuditGebeurtenis
from app.config import Settings
from app.enums import CasusRol
from app.form.definition import TEXTS, load_formulieren
from tests.canary import CanaryDocument
from tests.factories import add_burger, add_role, auth, make_account, new_casus, save

POLICY = load_policy(Path(__file__).resolve().parents[2] / "policies" / "access.yaml")
FORMULIER = load_formulieren(None, "twente-2020.1")["twente-2020.1"]
MARKED = sorted(
    (f"{sectie.sleutel}.{veld.sleutel}", veld.van)
    for sectie in FORMULIER.secties
    for veld in sectie.velden
    if veld.van
)
NOBODYS = ("situatie.krachten", None)  # a field the form marks as no one's own words


def may_change(rol: CasusRol, van: str | None) -> bool:
    if Actie.HANDREIKING_BEWERKEN in POLICY.casusrollen[rol]:
        return True
    return van is not None and van in POLICY.veldrechten.get(rol, frozenset())


@pytest.fixture
def casus(client: TestClient, app: Any, settings: Settings) -> dict[str, Any]:
    regie = auth(settings, make_account(app, "rita"))
    casus_id = new_casus(client, regie)["id"]
    return {"id": casus_id, "url": f"/api/v1/casussen/{casus_id}", "regie": regie}


def actor_with(
    client: TestClient, app: Any, settings: Settings, casus: dict[str, Any], rol: CasusRol
) -> dict[str, str]:
    if rol is CasusRol.REGIEVOERDER:
        return dict(casus["regie"])
    if rol in (CasusRol.OUDER, CasusRol.JEUGDIGE):
        return auth(settings, add_burger(app, casus["id"], f"burger-{rol.value}", rol))
    add_role(client, casus["regie"], casus["id"], make_account(app, "bas"), rol)
    return auth(settings, "bas")


def current(client: TestClient, casus: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    response = client.get(f"{casus['url']}/handreiking", headers=casus["regie"])
    assert response.status_code == 200, response.text
    return response.json()["revisie"], response.json()["inhoud"]


def with_value(inhoud: dict[str, Any], pad: str, waarde: str) -> dict[str, Any]:
    """The plan with one field set: text fields to `waarde`, others to a valid value of their
    type (from a complete canary document tagged with `waarde`)."""
    sectie, veld = pad.split(".")
    nieuw = copy.deepcopy(inhoud)
    if FORMULIER.sectie(sectie).per_sleutel[veld].type in TEXTS:  # type: ignore[union-attr]
        nieuw.setdefault(sectie, {})[veld] = waarde
    else:
        voorbeeld = CanaryDocument(FORMULIER, waarde.replace(" ", "")).inhoud
        nieuw.setdefault(sectie, {})[veld] = voorbeeld[sectie][veld]
    return nieuw


def value_of(inhoud: dict[str, Any], pad: str) -> Any:
    sectie, veld = pad.split(".")
    return (inhoud.get(sectie) or {}).get(veld)


@pytest.mark.parametrize(
    ("rol", "pad", "van"),
    [
        pytest.param(rol, pad, van, id=f"{rol}-{pad}")
        for rol in POLICY.casusrollen
        for pad, van in [*MARKED, NOBODYS]
    ],
)
def test_a_role_changes_exactly_the_fields_the_policy_gives_it(
    client: TestClient,
    app: Any,
    settings: Settings,
    casus: dict[str, Any],
    rol: CasusRol,
    pad: str,
    van: str | None,
) -> None:
    actor = actor_with(client, app, settings, casus, rol)
    revisie, inhoud = current(client, casus)
    response = save(client, actor, casus["id"], with_value(inhoud, pad, f"Door {rol}"), revisie)
    if may_change(rol, van):
        assert response.status_code == 200, response.text
        nieuw_revisie, nieuw = current(client, casus)
        assert nieuw_revisie == revisie + 1
        assert value_of(nieuw, pad) == value_of(with_value(inhoud, pad, f"Door {rol}"), pad)
        return
    assert response.status_code == 403, response.text
    assert response.json()["code"] == "geweigerd"
    assert current(client, casus) == (revisie, inhoud)
    [event] = saves(app)[-1:]
    assert event.uitkomst == "geweigerd"
    if POLICY.veldrechten.get(rol):
        # Allowed to save some fields, not this one: the refusal names it.
        assert [e["pad"] for e in response.json()["errors"]] == [pad]
        assert event.kenmerken["reden"] == "veld_niet_toegestaan" and event.velden == [pad]


def saves(app: Any) -> list[AuditGebeurtenis]:
    with Session(app.state.engine) as session:
        query = select(AuditGebeurtenis).where(col(AuditGebeurtenis.actie) == "handreiking.opslaan")
        return list(session.exec(query.order_by(col(AuditGebeurtenis.volgnummer))).all())


def test_own_words_follow_the_same_revision_and_conflict_rules(
    client: TestClient, app: Any, settings: Settings, casus: dict[str, Any]
) -> None:
    ouder = actor_with(client, app, settings, casus, CasusRol.OUDER)
    revisie, inhoud = current(client, casus)
    mine = with_value(inhoud, "situatie.hulpvraag_ouders", "Wij willen rust in huis.")
    assert (
        client.put(f"{casus['url']}/handreiking", json={"inhoud": mine}, headers=ouder).status_code
        == 428
    )
    assert save(client, ouder, casus["id"], mine, revisie).status_code == 200
    stale = save(client, ouder, casus["id"], mine, revisie)
    assert stale.status_code == 412 and stale.json()["revisie"] == revisie + 1
    # One own field and one other in the same save: refused whole, nothing written.
    both = with_value(
        with_value(mine, "situatie.hulpvraag_ouders", "Anders"), "situatie.zorgen", "X"
    )
    refused = save(client, ouder, casus["id"], both, revisie + 1)
    assert refused.status_code == 403
    assert [e["pad"] for e in refused.json()["errors"]] == ["situatie.zorgen"]
    assert current(client, casus)[0] == revisie + 1
    closed = client.post(
        f"{casus['url']}/afsluiten", json={"reden": "Klaar."}, headers=casus["regie"]
    )
    assert closed.status_code == 200, closed.text
    after = save(
        client,
        ouder,
        casus["id"],
        with_value(mine, "situatie.hulpvraag_ouders", "Nog"),
        revisie + 1,
    )
    assert after.status_code == 409 and after.json()["code"] == "casus_afgesloten"


def test_a_stale_own_words_save_is_a_conflict_not_a_refusal(
    client: TestClient, app: Any, settings: Settings, casus: dict[str, Any]
) -> None:
    """Against a plan someone else saved meanwhile, the ouder's save would seem to undo their
    change: it must be the ordinary conflict (412, nothing lost), not a 403 that blames them."""
    ouder = actor_with(client, app, settings, casus, CasusRol.OUDER)
    revisie, inhoud = current(client, casus)
    professional = with_value(inhoud, "situatie.zorgen", "Door de regievoerder")
    assert save(client, casus["regie"], casus["id"], professional, revisie).status_code == 200
    mine = with_value(inhoud, "situatie.hulpvraag_ouders", "Wij willen rust.")
    stale = save(client, ouder, casus["id"], mine, revisie)
    assert stale.status_code == 412, stale.text
    assert stale.json()["revisie"] == revisie + 1
