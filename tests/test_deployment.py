"""The production shape in docker-compose.yml, checked without a Docker engine: the services and
their order, no secret in the file, every variable explained in .env.example, the Keycloak realm
matching the app, and the app actually starting in production with exactly the compose settings."""

from __future__ import annotations

import base64
import json
import re
import secrets
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from fastapi.testclient import TestClient

from app.config import Settings
from app.crypto.keyring import generate_index_key, generate_key_line
from app.demo import ACCOUNTS
from app.main import create_app
from tests.web.test_oidc import Provider, provider  # noqa: F401 - the provider fixture

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yml"
VARIABLE = re.compile(r"\$\{([A-Z_]+)(?::\?[^}]*)?\}")
SECRET_NAME = re.compile(r"PASSWORD|WACHTWOORD|SECRET|SLEUTEL|_KEY|_KEYS")

pytestmark = [
    pytest.mark.filterwarnings("ignore:get_jwt_config:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::authlib.deprecate.AuthlibDeprecationWarning"),
]


def _compose() -> dict[str, Any]:
    compose: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return compose


def _realm() -> dict[str, Any]:
    realm: dict[str, Any] = json.loads((ROOT / "deploy/keycloak/regie-realm.json").read_text())
    return realm


def test_services_start_in_order_and_report_their_health() -> None:
    services = _compose()["services"]
    assert set(services) == {"db", "keycloak", "mailpit", "migrate", "app", "demo"}
    for name in ("db", "keycloak", "app"):
        assert services[name]["healthcheck"]["test"], name
    app = services["app"]
    assert app["depends_on"] == {
        "db": {"condition": "service_healthy"},
        "keycloak": {"condition": "service_healthy"},
        "mailpit": {"condition": "service_started"},
        "migrate": {"condition": "service_completed_successfully"},
    }
    # Invitations go out through the mail catcher, with links on the app's own address.
    environment = app["environment"]
    assert environment["REGIE_SMTP_HOST"] == "mailpit"
    assert services["mailpit"]["ports"] == ["127.0.0.1:8025:8025"]
    assert environment["REGIE_PUBLIEKE_URL"].startswith("${REGIE_PUBLIEKE_URL:?")
    assert services["migrate"]["command"] == ["regie", "migrate"]
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert services["demo"]["profiles"] == ["demo"]
    for name in ("app", "migrate", "demo"):
        assert services[name]["read_only"] is True
        assert services[name]["tmpfs"] == ["/tmp"]  # noqa: S108 - the container's own /tmp
    assert app["ports"] == ["127.0.0.1:8000:8000"]
    assert "--import-realm" in services["keycloak"]["command"]


def test_no_secret_in_the_file_and_every_variable_explained() -> None:
    services = _compose()["services"]
    for name, service in services.items():
        for key, value in (service.get("environment") or {}).items():
            if SECRET_NAME.search(key) and "ADMIN_USERNAME" not in key:
                assert VARIABLE.search(str(value)), f"{name}.{key} holds a literal secret"
    used = set(VARIABLE.findall(COMPOSE.read_text()))
    example = (ROOT / ".env.example").read_text()
    explained = set(re.findall(r"^([A-Z_]+)=$", example, re.M))
    assert used == explained, (used - explained, explained - used)


def test_app_settings_are_settings_and_production_ones() -> None:
    services = _compose()["services"]
    known = {f"REGIE_{name.upper()}" for name in Settings.model_fields}
    for name in ("app", "migrate", "demo"):
        environment = services[name]["environment"]
        assert set(environment) <= known, set(environment) - known
        assert environment["REGIE_ENV"] == "production"


def test_the_realm_matches_the_app_and_holds_the_demo_accounts() -> None:
    realm, app = _realm(), _compose()["services"]["app"]["environment"]
    keycloak = _compose()["services"]["keycloak"]
    assert app["REGIE_OIDC_ISSUER"].endswith(f"/realms/{realm['realm']}")
    assert app["REGIE_OIDC_ISSUER"].startswith(keycloak["environment"]["KC_HOSTNAME"])
    assert app["REGIE_JWT_ISSUER"] == app["REGIE_OIDC_ISSUER"]
    assert app["REGIE_JWKS_URL"].startswith(app["REGIE_OIDC_ISSUER"] + "/")
    (client,) = realm["clients"]
    assert client["clientId"] == app["REGIE_OIDC_CLIENT_ID"]
    assert client["publicClient"] is False and client["standardFlowEnabled"] is True
    assert client["implicitFlowEnabled"] is False and client["directAccessGrantsEnabled"] is False
    assert client["attributes"]["pkce.code.challenge.method"] == "S256"
    assert client["secret"] == "${REGIE_OIDC_CLIENT_SECRET}"
    assert client["redirectUris"] == ["${REGIE_OIDC_REDIRECT_URL}"]
    assert keycloak["environment"]["REGIE_OIDC_REDIRECT_URL"] == app["REGIE_OIDC_REDIRECT_URL"]
    (audience,) = client["protocolMappers"]
    assert audience["config"]["included.client.audience"] == app["REGIE_JWT_AUDIENCE"]
    # The account claim (preferred_username) is the Keycloak username: the demo accounts.
    assert {u["username"] for u in realm["users"]} == {a[0] for a in ACCOUNTS}
    for user in realm["users"]:
        for credential in user["credentials"]:
            assert credential["value"] == "${KEYCLOAK_DEMO_WACHTWOORD}"
    placeholders = set(VARIABLE.findall(json.dumps(realm)))
    assert placeholders <= set(keycloak["environment"]), placeholders


def test_the_app_starts_in_production_with_the_compose_settings(
    provider: Provider,  # noqa: F811 - the fixture imported above
    sqlite_template: Path,
    tmp_path: Path,
) -> None:
    """Every setting production insists on is in the file: the app starts with exactly these,
    only the database and the provider's addresses pointed at local stand-ins."""
    database = tmp_path / "regie.db"
    database.write_bytes(sqlite_template.read_bytes())
    values = {
        "POSTGRES_PASSWORD": secrets.token_urlsafe(16),
        "REGIE_DATA_KEYS": generate_key_line(),
        "REGIE_INDEX_KEY": generate_index_key(),
        "REGIE_ONDERZOEK_SLEUTEL": base64.b64encode(secrets.token_bytes(32)).decode(),
        "REGIE_SESSION_SECRET": secrets.token_urlsafe(32),
        "REGIE_OIDC_CLIENT_SECRET": secrets.token_urlsafe(16),
        "REGIE_PUBLIEKE_URL": "https://regie.example.nl/",
    }
    environment = _compose()["services"]["app"]["environment"]
    keycloak = environment["REGIE_OIDC_ISSUER"]
    jwks = httpx.get(f"{provider.issuer}/.well-known/openid-configuration").json()["jwks_uri"]
    stand_ins = {
        "REGIE_DATABASE_URL": f"sqlite:///{database}",
        "REGIE_DATA_DIR": str(tmp_path),
        "REGIE_JWKS_URL": jwks,
    }
    fields: dict[str, Any] = {}
    for key, value in {**environment, **stand_ins}.items():
        value = VARIABLE.sub(lambda m: values[m.group(1)], str(value))
        fields[key.removeprefix("REGIE_").lower()] = value.replace(keycloak, provider.issuer)
    settings = Settings(**fields)
    assert not settings.is_dev and settings.oidc_enabled
    app = create_app(settings)
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/health/ready").json() == {"status": "ok"}
        assert client.get("/api/v1/ik").status_code == 401
        # Signing in goes to the provider, with PKCE; the dev sign-in form is refused.
        sign_in = client.get("/aanmelden", follow_redirects=False)
        assert sign_in.status_code in {302, 303, 307}
        assert sign_in.headers["location"].startswith(f"{provider.issuer}/")
        assert "code_challenge_method=S256" in sign_in.headers["location"]
        assert client.post("/aanmelden", data={"gebruikersnaam": "a.jansen"}).status_code == 403
    app.state.engine.dispose()
