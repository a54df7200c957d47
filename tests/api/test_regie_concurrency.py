"""Races around regie on a real server: whatever wins, exactly one regievoerder remains."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from app.config import Settings
from tests.factories import GRONDSLAG, add_role, auth, make_account


@pytest.fixture
def casus(live_server: str, app: Any, settings: Settings) -> dict[str, Any]:
    for name in ("anna", "bram", "carla"):
        make_account(app, name)
    anna = auth(settings, "anna")
    with httpx.Client(base_url=live_server, timeout=30) as http:
        body = {"gemeente": "Enschede", "jeugdige": {"naam": "J", "geboortedatum": "2012-01-01"}}
        casus_id = http.post("/api/v1/casussen", json=body, headers=anna).json()["id"]
        add_role(http, anna, casus_id, "bram", "betrokkene")
        add_role(http, anna, casus_id, "carla", "betrokkene")
        proposal = http.post(
            f"/api/v1/casussen/{casus_id}/overdrachten",
            json={"opvolger": "bram", "toelichting": "Neem over", "grondslag": GRONDSLAG},
            headers=anna,
        ).json()
    return {
        "id": casus_id,
        "oid": proposal["id"],
        "server": live_server,
        "anna": anna,
        "bram": auth(settings, "bram"),
        "carla": auth(settings, "carla"),
    }


def race(server: str, *calls: Callable[[httpx.Client], httpx.Response]) -> list[int]:
    """Fire the calls at the same moment from separate threads and connections."""
    barrier = threading.Barrier(len(calls))
    results: list[int] = [0] * len(calls)

    def run(index: int) -> None:
        with httpx.Client(base_url=server, timeout=60) as http:
            barrier.wait()
            results[index] = calls[index](http).status_code

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def state(casus: dict[str, Any]) -> dict[str, Any]:
    with httpx.Client(base_url=casus["server"], timeout=30) as http:
        rollen = http.get(
            f"/api/v1/casussen/{casus['id']}/betrokkenen", headers=casus["carla"]
        ).json()
        overdrachten = http.get(
            f"/api/v1/casussen/{casus['id']}/overdrachten", headers=casus["carla"]
        ).json()
        tijdlijn = http.get(
            f"/api/v1/casussen/{casus['id']}/tijdlijn", headers=casus["carla"]
        ).json()
    leads = [r["gebruikersnaam"] for r in rollen if r["rol"] == "regievoerder"]
    return {
        "leads": leads,
        "status": overdrachten[0]["status"],
        "soorten": [g["soort"] for g in tijdlijn["resultaten"]],
    }


def test_accept_races_withdraw(casus: dict[str, Any]) -> None:
    base = f"/api/v1/casussen/{casus['id']}/overdrachten/{casus['oid']}"
    codes = race(
        casus["server"],
        lambda http: http.post(f"{base}/accepteren", headers=casus["bram"]),
        lambda http: http.post(f"{base}/intrekken", headers=casus["anna"]),
    )
    # The loser is told the proposal is no longer open (409), or, when the accept went first,
    # that anna is no longer the regievoerder who may withdraw (403).
    assert 200 in codes and set(codes) - {200} <= {403, 409} and len(set(codes)) == 2
    after = state(casus)
    assert len(after["leads"]) == 1
    won_accept = codes[0] == 200
    assert after["leads"] == (["bram"] if won_accept else ["anna"])
    assert after["status"] == ("geaccepteerd" if won_accept else "ingetrokken")
    expected = "overdracht.accepteren" if won_accept else "overdracht.intrekken"
    assert after["soorten"][0] == expected
    assert (
        "overdracht.accepteren" not in after["soorten"]
        or "overdracht.intrekken" not in after["soorten"]
    )


def test_two_accepts_race(casus: dict[str, Any]) -> None:
    base = f"/api/v1/casussen/{casus['id']}/overdrachten/{casus['oid']}"
    codes = race(
        casus["server"], *[lambda http: http.post(f"{base}/accepteren", headers=casus["bram"])] * 2
    )
    # The second is refused: no longer open (409), or bram already regievoerder (403).
    assert sorted(codes)[0] == 200
    assert sorted(codes)[1] in (403, 409)
    after = state(casus)
    assert after["leads"] == ["bram"]
    assert after["soorten"].count("overdracht.accepteren") == 1


def test_save_races_accept(casus: dict[str, Any]) -> None:
    base = f"/api/v1/casussen/{casus['id']}/overdrachten/{casus['oid']}"
    codes = race(
        casus["server"],
        lambda http: http.post(f"{base}/accepteren", headers=casus["bram"]),
        lambda http: http.put(
            f"/api/v1/casussen/{casus['id']}/handreiking",
            json={"inhoud": {"situatie": {"krachten": "Tijdens de overdracht"}}},
            headers={**casus["anna"], "If-Match": '"1"'},
        ),
    )
    assert codes == [200, 200], "anna stays betrokkene, so her save is valid either way"
    after = state(casus)
    assert after["leads"] == ["bram"]
    assert after["soorten"].count("handreiking.opslaan") == 1
