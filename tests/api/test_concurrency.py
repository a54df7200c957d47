"""Twenty people press "Opslaan" at once on the same revision: one wins, nobody is lost silently."""

from __future__ import annotations

import threading
from typing import Any

import httpx

from app.config import Settings
from tests.factories import add_role, auth, make_account

CLIENTS = 20


def test_concurrent_saves_with_same_if_match(
    live_server: str, app: Any, settings: Settings
) -> None:
    names = [make_account(app, f"prof{i:02d}") for i in range(CLIENTS)]
    lead = auth(settings, names[0])
    with httpx.Client(base_url=live_server, timeout=30) as http:
        body = {"gemeente": "Enschede", "jeugdige": {"naam": "J", "geboortedatum": "2012-01-01"}}
        casus_id = http.post("/api/v1/casussen", json=body, headers=lead).json()["id"]
        for name in names[1:]:
            add_role(http, lead, casus_id, name, "betrokkene")
    barrier = threading.Barrier(CLIENTS)
    results: list[int] = []
    lock = threading.Lock()

    def attempt(name: str) -> None:
        headers = {**auth(settings, name), "If-Match": '"1"'}
        inhoud = {"situatie": {"krachten": f"geschreven door {name}"}}
        with httpx.Client(base_url=live_server, timeout=60) as http:
            barrier.wait()
            response = http.put(
                f"/api/v1/casussen/{casus_id}/handreiking", json={"inhoud": inhoud}, headers=headers
            )
        with lock:
            results.append(response.status_code)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(results) == [200] + [412] * (CLIENTS - 1)
    with httpx.Client(base_url=live_server, timeout=30) as http:
        revisies = http.get(f"/api/v1/casussen/{casus_id}/revisies", headers=lead).json()
        current = http.get(f"/api/v1/casussen/{casus_id}/handreiking", headers=lead).json()
    assert [r["nummer"] for r in revisies] == [1, 2]
    assert current["revisie"] == 2
    winner = revisies[1]["auteur"]["gebruikersnaam"]
    assert current["inhoud"]["situatie"]["krachten"] == f"geschreven door {winner}"
