"""Operations: Prometheus metrics at /metrics and JSON log lines that name their request and
never carry what someone typed."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.logs import LOGGERS
from app.main import create_app
from tests.factories import add_role, auth, make_account, new_casus, save

GEHEIM = "Lotte vertelde over haar oma in Losser"


def _sample(text: str, name: str, **labels: str) -> float:
    """One sample's value from the exposition text (0 when it is not there)."""
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    match = re.search(rf"^{re.escape(name)}\{{{re.escape(wanted)}\}} (\S+)$", text, re.M)
    return float(match.group(1)) if match else 0.0


def test_metrics_count_saves_conflicts_refusals_and_time_routes(
    client: TestClient, app: Any, settings: Settings
) -> None:
    anna = auth(settings, make_account(app, "anna"))
    bram = auth(settings, make_account(app, "bram"))
    buiten = auth(settings, make_account(app, "buiten"))
    casus_id = new_casus(client, anna)["id"]
    add_role(client, anna, casus_id, "bram", "betrokkene")
    inhoud = {"situatie": {"krachten": GEHEIM}}
    assert save(client, anna, casus_id, inhoud, 1).status_code == 200
    assert save(client, bram, casus_id, inhoud, 1).status_code == 412  # anna was first
    headers = {**anna, "If-Match": '"2"', "Idempotency-Key": "k" * 20}
    url = f"/api/v1/casussen/{casus_id}/handreiking"
    for _ in range(2):  # the second is a replay
        assert client.put(url, json={"inhoud": inhoud}, headers=headers).status_code == 200
    assert client.get(url, headers=buiten).status_code == 404

    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    text = response.text
    assert _sample(text, "regie_opslagen_total", resultaat="opgeslagen") == 2
    assert _sample(text, "regie_opslagen_total", resultaat="herhaald") == 1
    assert _sample(text, "regie_opslagen_total", resultaat="conflict") == 1
    assert _sample(text, "regie_geweigerd_total", actie="handreiking.lezen") == 1
    route = "/api/v1/casussen/{casus_id}/handreiking"
    count = "regie_http_request_duration_seconds_count"
    assert _sample(text, count, methode="PUT", route=route, status="200") == 3
    assert _sample(text, count, methode="GET", route=route, status="404") == 1
    # Routes and codes only: no casus, no person, nothing typed.
    for private in (casus_id, "anna", "buiten", GEHEIM):
        assert private not in text


def test_metric_labels_stay_bounded_whatever_is_asked(client: TestClient) -> None:
    """Made-up methods and paths must not become labels: each would be a series for ever."""
    client.request("VERZONNEN", "/health/live")
    client.get("/static/verzonnen-bestand-8f3a.css")
    client.get("/onderzoek/export.verzonnen-9b2c")
    client.get("/bestaat/niet/7d1e")
    text = client.get("/metrics").text
    for made_up in ("VERZONNEN", "8f3a", "9b2c", "7d1e"):
        assert made_up not in text
    count = "regie_http_request_duration_seconds_count"
    assert _sample(text, count, methode="ANDERS", route="/health/live", status="405") == 1
    # A missing static file and a path no route knows: both "niet_gevonden".
    assert _sample(text, count, methode="GET", route="niet_gevonden", status="404") == 2


@pytest.fixture
def json_logs(settings: Settings) -> Iterator[Any]:
    """An app logging JSON lines; the loggers are put back as they were afterwards."""
    saved = {
        name: (logging.getLogger(name).handlers[:], logging.getLogger(name).propagate)
        for name in LOGGERS
    }
    access = logging.getLogger("uvicorn.access")
    disabled, level = access.disabled, logging.getLogger("regie").level
    app = create_app(settings.model_copy(update={"log_formaat": "json"}))
    yield app
    app.state.engine.dispose()
    for name, (handlers, propagate) in saved.items():
        logging.getLogger(name).handlers = handlers
        logging.getLogger(name).propagate = propagate
    access.disabled = disabled
    logging.getLogger("regie").setLevel(level)


def test_log_lines_are_json_with_the_request_id_and_no_content(
    json_logs: Any, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    client = TestClient(json_logs, raise_server_exceptions=False)
    anna = auth(settings, make_account(json_logs, "anna"))
    casus_id = new_casus(client, anna)["id"]
    capsys.readouterr()
    response = client.put(
        f"/api/v1/casussen/{casus_id}/handreiking?zoek={GEHEIM}",
        json={"inhoud": {"situatie": {"krachten": GEHEIM}}},
        headers={**anna, "If-Match": '"1"', "X-Request-ID": "verzoek-12345678"},
    )
    assert response.status_code == 200
    output = capsys.readouterr().err
    lines = [json.loads(line) for line in output.splitlines() if line.strip()]
    (access,) = [line for line in lines if line["request_id"] == "verzoek-12345678"]
    assert access["name"] == "regie.toegang" and access["levelname"] == "INFO"
    assert access["route"] == "/api/v1/casussen/{casus_id}/handreiking"
    assert access["status"] == 200 and access["methode"] == "PUT"
    assert {"asctime", "message", "timestamp"} <= access.keys()
    assert GEHEIM not in output and casus_id not in output
