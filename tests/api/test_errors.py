"""Errors are problem+json everywhere, bodies are bounded, health answers, no traces leak."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from tests.factories import auth, make_account, new_casus

PROBLEM_KEYS = {"type", "title", "status", "detail", "code", "instance"}


def _is_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert set(body) >= PROBLEM_KEYS and body["status"] == status
    return body


def test_unknown_route_and_method_are_problems(
    client: TestClient, app: Any, settings: Settings
) -> None:
    h = auth(settings, make_account(app, "anna"))
    _is_problem(client.get("/api/v1/bestaat-niet", headers=h), 404)
    _is_problem(client.patch("/api/v1/casussen", headers=h), 405)
    _is_problem(client.get("/api/v1/casussen/geen-uuid", headers=h), 422)


def test_malformed_json_is_a_422_problem(client: TestClient, app: Any, settings: Settings) -> None:
    h = {**auth(settings, make_account(app, "anna")), "Content-Type": "application/json"}
    body = _is_problem(client.post("/api/v1/casussen", content=b"{niet json", headers=h), 422)
    assert body["errors"]


def test_an_unreadable_body_is_a_dutch_400_problem(
    client: TestClient, app: Any, settings: Settings
) -> None:
    """Found by schemathesis: a body that is not UTF-8 got FastAPI's English 400 detail."""
    h = {**auth(settings, make_account(app, "anna")), "Content-Type": "application/json"}
    body = _is_problem(client.post("/api/v1/casussen", content=b'{"a": "\xff"}', headers=h), 400)
    assert body["code"] == "ongeldig_verzoek"
    assert body["detail"] == "De inhoud van het verzoek is niet leesbaar."
    assert client.get("/api/v1/casussen", headers=h).json()["totaal"] == 0


def test_oversized_body_is_413_and_changes_nothing(
    client: TestClient, app: Any, settings: Settings
) -> None:
    h = auth(settings, make_account(app, "anna"))
    casus_id = new_casus(client, h)["id"]
    huge = {"inhoud": {"situatie": {"krachten": "x" * (settings.max_body_bytes + 10)}}}
    response = client.put(
        f"/api/v1/casussen/{casus_id}/handreiking", json=huge, headers={**h, "If-Match": '"1"'}
    )
    _is_problem(response, 413)

    def chunks() -> Any:
        for _ in range(settings.max_body_bytes // 65536 + 2):
            yield b"x" * 65536

    streamed = client.put(
        f"/api/v1/casussen/{casus_id}/handreiking",
        content=chunks(),
        headers={**h, "If-Match": '"1"', "Content-Type": "application/json"},
    )
    _is_problem(streamed, 413)
    assert client.get(f"/api/v1/casussen/{casus_id}", headers=h).json()["revisie"] == 1


def test_internal_errors_hide_the_trace(keys_dir: Path, tmp_path: Path) -> None:
    """An unmigrated database breaks every query: the client sees a plain problem, no traceback."""
    settings = Settings(env="dev", data_dir=keys_dir, database_url=f"sqlite:///{tmp_path}/leeg.db")
    broken = create_app(settings)
    with TestClient(broken, raise_server_exceptions=False) as client:
        response = client.get("/api/v1/casussen", headers=auth(settings, "anna"))
    body = _is_problem(response, 500)
    assert "Traceback" not in response.text and "no such table" not in response.text
    assert body["code"] == "interne_fout"
    # Answered inside the request-id layer: traceable, and with the same safe headers.
    assert response.headers["x-request-id"] and response.headers["x-content-type-options"]
    broken.state.engine.dispose()


def test_security_headers_and_request_id(client: TestClient) -> None:
    response = client.get("/health/live", headers={"X-Request-ID": "abcdef123456"})
    assert response.json() == {"status": "ok"}
    assert response.headers["x-request-id"] == "abcdef123456"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"
    generated = client.get("/health/live", headers={"X-Request-ID": "<script>"})
    assert generated.headers["x-request-id"] != "<script>"


def test_ready_checks_the_database(client: TestClient, settings: Settings) -> None:
    assert client.get("/health/ready").json() == {"status": "ok"}
    broken = create_app(
        settings.model_copy(
            update={
                "database_url": "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1"
            }
        )
    )
    with TestClient(broken) as broken_client:
        response = broken_client.get("/health/ready")
    assert response.status_code == 503 and response.json() == {"status": "niet_gereed"}


def test_openapi_document_is_served(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    for path in (
        "/api/v1/casussen/{casus_id}/handreiking",
        "/api/v1/casussen/{casus_id}/betrokkenen",
        "/api/v1/ik",
        "/api/v1/formulieren/{versie}",
    ):
        assert path in spec["paths"]


def test_openapi_document_describes_errors_as_problems(client: TestClient) -> None:
    """Found by schemathesis: the document listed no error but FastAPI's own 422 shape, which
    the API never sends; every error it answers is a problem document, and is listed."""
    spec = client.get("/api/v1/openapi.json").json()
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    probleem = spec["components"]["schemas"]["Probleem"]
    assert set(probleem["required"]) == PROBLEM_KEYS
    for path, operations in spec["paths"].items():
        if not path.startswith("/api/"):
            continue
        for method, operation in operations.items():
            responses = operation["responses"]
            assert {"401", "403", "503"} <= set(responses), (method, path)
            assert ("404" in responses) == ("{" in path), (method, path)
            for status, response in responses.items():
                if status >= "400":
                    assert response["content"] == {
                        "application/problem+json": {
                            "schema": {"$ref": "#/components/schemas/Probleem"}
                        }
                    }, (method, path, status)
    save = spec["paths"]["/api/v1/casussen/{casus_id}/handreiking"]["put"]["responses"]
    assert {"400", "409", "412", "422", "428"} <= set(save)
    assert set(spec["paths"]["/health/ready"]["get"]["responses"]) == {"200", "503"}


def test_ids_are_uuids(client: TestClient, app: Any, settings: Settings) -> None:
    import uuid

    h = auth(settings, make_account(app, "anna"))
    casus = new_casus(client, h)
    assert uuid.UUID(casus["id"]).version == 4
    assert uuid.UUID(casus["rollen"][0]["id"]).version == 4
