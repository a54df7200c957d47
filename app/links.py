"""Personal links: a random token in the path is what opens them, so they are handled like
passwords (only their hash is stored) and always point at the installation's public address."""

from __future__ import annotations

import hashlib
import re

from app.config import Settings
from app.errors import NietIngericht

# What secrets.token_urlsafe(32) makes (43 characters); anything else is not looked up at all.
TOKEN = re.compile(r"^[A-Za-z0-9_-]{32,128}$")


def token_hash(token: str) -> str:
    """A token carries 256 random bits: a plain hash suffices, no key or salt is needed."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def publieke_link(settings: Settings, base_url: str, pad: str) -> str:
    """The absolute link someone opens from an e-mail or a note, on the public address.

    Behind a proxy the request's own address is an internal one, so production needs
    REGIE_PUBLIEKE_URL; dev falls back to the address the request came in on. Both end with "/".
    """
    if settings.publieke_url:
        return f"{settings.publieke_url}{pad}"
    if not settings.is_dev:
        raise NietIngericht("Persoonlijke links kunnen pas als REGIE_PUBLIEKE_URL is ingesteld.")
    return f"{base_url}{pad}"
