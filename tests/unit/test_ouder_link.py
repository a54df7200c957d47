"""The ouders' personal link is built on the public address, never on an internal one."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.config import Settings
from app.errors import NietIngericht
from app.research.vragenlijst_service import ouder_link


def test_the_public_address_wins_over_the_request_address() -> None:
    settings = Settings(env="production", publieke_url="https://regie.example.nl/")
    link = ouder_link(settings, "http://10.0.0.5:8000/", "abc")
    assert link == "https://regie.example.nl/vragenlijst/abc"


def test_dev_falls_back_to_the_request_address() -> None:
    assert ouder_link(Settings(env="dev"), "http://127.0.0.1:8000/", "abc") == (
        "http://127.0.0.1:8000/vragenlijst/abc"
    )


def test_production_without_a_public_address_makes_no_link() -> None:
    with pytest.raises(NietIngericht, match="REGIE_PUBLIEKE_URL"):
        ouder_link(Settings(env="production"), "http://10.0.0.5:8000/", "abc")


@pytest.mark.parametrize(
    "url", ["http://regie.example.nl/", "https://regie.example.nl", "https://x/?a=b/"]
)
def test_production_needs_an_https_address_ending_in_a_slash(url: str) -> None:
    with pytest.raises(ValidationError):
        Settings(env="production", publieke_url=url)
