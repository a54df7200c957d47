"""The browser session cookie (its session lives in the database: app/auth/sessies) and CSRF."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from fastapi import Request, Response

from app.config import Settings

SESSION_COOKIE = "regie_sessie"
CSRF_COOKIE = "regie_csrf"
CSRF_FIELD = "csrf_token"
# Set when an invited ouder or jeugdige signs in; it holds no identity, only where to send
# this browser once its session has ended: to a new link (/terugkomen), not /aanmelden.
DEELNEMER_COOKIE = "regie_deelnemer"
MAX_COOKIE = 100  # a session cookie is 43 characters; anything long is not one of ours


class SessieGeheimFout(Exception):
    """Production needs an explicit session secret."""


def session_secret(settings: Settings) -> bytes:
    """The key that signs CSRF tokens; dev generates one into the data folder once."""
    if settings.session_secret:
        return settings.session_secret.encode()
    if not settings.is_dev:
        raise SessieGeheimFout("productie zonder REGIE_SESSION_SECRET (minstens 32 tekens)")
    return _dev_secret(settings.session_secret_file)


def _dev_secret(path: Path) -> bytes:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
    return path.read_bytes().strip()


def csrf_seed(request: Request) -> str:
    """The browser's CSRF seed: a random value in its own cookie, made on first contact."""
    seed = request.cookies.get(CSRF_COOKIE)
    if not seed or len(seed) < 32:
        seed = getattr(request.state, "new_csrf_seed", None) or secrets.token_urlsafe(32)
        request.state.new_csrf_seed = seed
    return seed


def csrf_token(request: Request) -> str:
    """The token forms carry: an HMAC of the seed, so a planted cookie alone is useless."""
    secret: bytes = request.app.state.session_secret
    return hmac.new(secret, f"csrf:{csrf_seed(request)}".encode(), hashlib.sha256).hexdigest()


def csrf_valid(request: Request, submitted: str | None) -> bool:
    seed = request.cookies.get(CSRF_COOKIE)
    if not seed or not submitted:
        return False
    secret: bytes = request.app.state.session_secret
    expected = hmac.new(secret, f"csrf:{seed}".encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, submitted)


def _secure(request: Request) -> bool:
    settings: Settings = request.app.state.settings
    return not settings.is_dev


def remember_csrf_seed(request: Request, response: Response) -> None:
    """Send the seed cookie when this request created it."""
    seed = getattr(request.state, "new_csrf_seed", None)
    if seed:
        response.set_cookie(
            CSRF_COOKIE, seed, httponly=True, samesite="strict", secure=_secure(request), path="/"
        )


def start_session(request: Request, response: Response, geheim: str) -> None:
    """The cookie may outlive the session; the database decides when the session ends."""
    settings: Settings = request.app.state.settings
    response.set_cookie(
        SESSION_COOKIE,
        geheim,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        path="/",
        max_age=settings.session_max_hours * 3600,
    )


def session_cookie(request: Request) -> str | None:
    """The secret in this browser's session cookie, when it could be one of ours."""
    geheim = request.cookies.get(SESSION_COOKIE)
    return geheim if geheim and len(geheim) <= MAX_COOKIE else None


def end_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")


def remember_invitee(request: Request, response: Response) -> None:
    """This browser's person comes back by a new link (see DEELNEMER_COOKIE)."""
    response.set_cookie(
        DEELNEMER_COOKIE,
        "1",
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        path="/",
        max_age=30 * 24 * 3600,
    )


def forget_invitee(response: Response) -> None:
    """A professional signed in on this browser: an ended session goes to /aanmelden again."""
    response.delete_cookie(DEELNEMER_COOKIE, path="/")
