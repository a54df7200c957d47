"""The API's bearer keys from a provider's JWKS URL: a key the provider rotated in is fetched
once, without a restart; made-up key ids do not turn into a stream of fetches."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient
from jose import jwk, jwt

from app.auth import keys
from app.config import Settings
from app.main import create_app
from tests.factories import make_account

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


class Provider:
    """A JWKS document on 127.0.0.1 that the test can change, counting its fetches."""

    def __init__(self) -> None:
        self.private: dict[str, str] = {}
        self.fetches = 0
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                provider.fetches += 1
                body = json.dumps({"keys": provider.public()}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/certs"

    def rotate(self, kid: str) -> None:
        """The provider's new key replaces the old one."""
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        self.private = {kid: pem.decode()}

    def public(self) -> list[dict[str, Any]]:
        out = []
        for kid, pem in self.private.items():
            public = jwk.construct(pem, "RS256").public_key().to_dict()
            out.append({**public, "kid": kid, "use": "sig"})
        return out

    def token(self, settings: Settings, kid: str, sign_kid: str | None = None) -> str:
        now = int(time.time())
        claims = {
            "sub": "anna",
            "iss": settings.jwt_issuer,
            "aud": settings.jwt_audience,
            "iat": now,
            "exp": now + 300,
        }
        pem = self.private[sign_kid or kid]
        return jwt.encode(claims, pem, algorithm="RS256", headers={"kid": kid})


@pytest.fixture
def provider() -> Iterator[Provider]:
    server = Provider()
    server.rotate("sleutel-1")
    thread = threading.Thread(target=server.server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


def test_a_rotated_provider_key_is_fetched_once_without_restart(
    provider: Provider, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app(settings.model_copy(update={"jwks_url": provider.url}))
    client = TestClient(app)
    make_account(app, "anna")
    first = provider.token(settings, "sleutel-1")
    assert client.get("/api/v1/ik", headers={"Authorization": f"Bearer {first}"}).status_code == 200
    assert provider.fetches == 1

    monkeypatch.setattr(keys, "REFRESH_INTERVAL", 0.0)
    provider.rotate("sleutel-2")
    second = provider.token(settings, "sleutel-2")
    assert (
        client.get("/api/v1/ik", headers={"Authorization": f"Bearer {second}"}).status_code == 200
    )
    assert provider.fetches == 2
    # The old key left the JWKS with the rotation: its tokens no longer pass (looking for its
    # kid fetched once more, the interval being zero here).
    assert client.get("/api/v1/ik", headers={"Authorization": f"Bearer {first}"}).status_code == 401
    assert provider.fetches == 3

    monkeypatch.setattr(keys, "REFRESH_INTERVAL", 3600.0)
    forged = provider.token(settings, "verzonnen", sign_kid="sleutel-2")
    for _ in range(5):
        response = client.get("/api/v1/ik", headers={"Authorization": f"Bearer {forged}"})
        assert response.status_code == 401
    assert provider.fetches == 3  # none within the interval, however many made-up kids
    app.state.engine.dispose()
