"""Guessing is slow: sign-in and the ouders' personal links refuse a client past the limit."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app import rate_limit
from app.config import Settings
from app.main import create_app


@pytest.fixture(autouse=True)
def one_minute(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every attempt in one window, whatever the clock does meanwhile."""
    moment = 1_800_000_030.0  # 30 s into a minute

    class Clock:
        @staticmethod
        def time() -> float:
            return moment

    monkeypatch.setattr(rate_limit, "time", Clock)


def test_link_guessing_is_refused_past_the_limit(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"aanmelden_per_minuut": 3}))
    client = TestClient(app)
    guesses = [client.get(f"/vragenlijst/{'g' * 40}{i}").status_code for i in range(4)]
    assert guesses == [404, 404, 404, 429]
    typed = "We willen vaker gebeld worden"
    refused = client.post("/vragenlijst/" + "h" * 43, data={"open.open_beter": typed})
    assert refused.status_code == 429 and 1 <= int(refused.headers["retry-after"]) <= 60
    assert "te vaak geprobeerd" in refused.text  # a Dutch page that keeps what was typed
    assert "Opnieuw versturen" in refused.text and typed in refused.text
    app.state.engine.dispose()


def test_the_callback_counts_as_signing_in(settings: Settings) -> None:
    limited = create_app(settings.model_copy(update={"aanmelden_per_minuut": 2}))
    client = TestClient(limited, follow_redirects=False)
    statuses = [client.get("/aanmelden/terug?code=x&state=y").status_code for _ in range(3)]
    assert statuses[-1] == 429 and 429 not in statuses[:2]
    limited.state.engine.dispose()
