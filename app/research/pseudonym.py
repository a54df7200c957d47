"""Per-project pseudonyms: a keyed HMAC of the casus id, with a key derived for each project.

Two projects get unrelated pseudonyms for the same casus (their datasets cannot be joined on
them); within one project a casus keeps its pseudonym across exports. Without the master secret
a pseudonym cannot be traced back, not even by someone who knows every casus id.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
import uuid

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from app.config import Settings

MIN_SECRET_BYTES = 32


class OnderzoekSleutelFout(Exception):
    """The research secret is missing or unusable; exports are refused until it is set."""


def master_secret(settings: Settings) -> bytes | None:
    """From REGIE_ONDERZOEK_SLEUTEL; dev generates one into the data folder; else None."""
    if settings.onderzoek_sleutel:
        try:
            secret = base64.b64decode(settings.onderzoek_sleutel, validate=True)
        except binascii.Error as exc:
            raise OnderzoekSleutelFout("REGIE_ONDERZOEK_SLEUTEL is geen base64") from exc
        if len(secret) < MIN_SECRET_BYTES:
            raise OnderzoekSleutelFout(
                f"REGIE_ONDERZOEK_SLEUTEL moet minstens {MIN_SECRET_BYTES} bytes zijn"
            )
        return secret
    if not settings.is_dev:
        return None
    path = settings.onderzoek_sleutel_file
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(base64.b64encode(secrets.token_bytes(MIN_SECRET_BYTES)).decode())
    return base64.b64decode(path.read_text().strip())


class Pseudonimiseerder:
    """Pseudonyms for one project."""

    def __init__(self, secret: bytes, project: str) -> None:
        key = HKDF(
            algorithm=hashes.SHA256(),
            length=32,
            salt=None,
            info=f"regie onderzoeksproject {project}".encode(),
        ).derive(secret)
        # Keyed once: every pseudonym copies this state instead of hashing the key again.
        self._hmac = hmac.new(key, digestmod=hashlib.sha256)

    def __call__(self, casus_id: uuid.UUID) -> str:
        mac = self._hmac.copy()
        mac.update(casus_id.bytes)
        return mac.hexdigest()[:32]
