"""The project's own promises: config documented, compose shape valid, demo data as contracted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from app.config import Settings
from app.demo import load_demo
from tests.factories import auth

ROOT = Path(__file__).resolve().parent.parent


def test_readme_documents_every_setting() -> None:
    readme = (ROOT / "README.md").read_text()
    for name in Settings.model_fields:
        assert f"`REGIE_{name.upper()}`" in readme, f"REGIE_{name.upper()} missing from README"
    assert "make run" in readme and "make test" in readme


def test_ci_runs_make_test() -> None:
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_demo_data_matches_the_contract(client: TestClient, app: Any, settings: Settings) -> None:
    assert load_demo(settings, app.state.engine) is True
    assert load_demo(settings, app.state.engine) is False
    anna = auth(settings, "a.jansen")
    mine = client.get("/api/v1/casussen", headers=anna).json()["resultaten"]
    lead = [c for c in mine if c["mijn_rol"] == "regievoerder"]
    assert lead
    first = client.get(f"/api/v1/casussen/{lead[0]['id']}", headers=anna).json()
    rollen = {r["gebruikersnaam"]: r["rol"] for r in first["rollen"]}
    assert rollen == {
        "a.jansen": "regievoerder",
        "b.bakker": "betrokkene",
        "c.visser": "betrokkene",
    }
    assert len(client.get(f"/api/v1/casussen/{first['id']}/revisies", headers=anna).json()) >= 3
    eva = auth(settings, "e.mulder")
    eva_ids = {c["id"] for c in client.get("/api/v1/casussen", headers=eva).json()["resultaten"]}
    assert eva_ids and not eva_ids & {c["id"] for c in mine}
    statuses = []
    for name in ("a.jansen", "b.bakker", "c.visser", "d.smit"):
        for casus in client.get("/api/v1/casussen", headers=auth(settings, name)).json()[
            "resultaten"
        ]:
            statuses.append((casus["id"], casus["status"], casus["revisie"]))
    unique = set(statuses)
    assert len({c for c, _, _ in unique}) >= 3
    assert any(status == "afgesloten" for _, status, _ in unique)
    assert sum(1 for _, _, revisie in unique if revisie > 1) >= 2
    for name in ("o.kennis", "f.beheer"):
        assert client.get("/api/v1/casussen", headers=auth(settings, name)).json()["totaal"] == 0
        assert (
            client.get(f"/api/v1/casussen/{first['id']}", headers=auth(settings, name)).status_code
            == 404
        )
