"""Data keys for encryption at rest: AES-256-GCM envelopes by key id, plus a blind-index key.

Keys come from the environment, a JSON key file, or (dev only) a file generated in the data
folder. Error messages name what is wrong and where, never the key material itself.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import re
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
ENVELOPE_PREFIX = "enc:v1:"
DEV_KEY_FILE_NAME = "data-keys.json"
ENV_DATA_KEYS = "REGIE_DATA_KEYS"
ENV_INDEX_KEY = "REGIE_INDEX_KEY"
ENV_KEY_FILE = "REGIE_DATA_KEY_FILE"

_KID = re.compile(r"[A-Za-z0-9_-]{1,32}")
_ENVELOPE = re.compile(r"enc:v1:([A-Za-z0-9_-]{1,32}):([A-Za-z0-9_-]+)")


class CryptoFout(Exception):
    """Common base, so a caller can catch every encryption problem at once."""


class SleutelConfiguratieFout(CryptoFout):
    """The data keys are missing or malformed; the app refuses to start."""


class OntsleutelFout(CryptoFout):
    """A ciphertext is malformed, tampered with, or bound to another casus or field."""


class SleutelOntbreekt(CryptoFout):
    """An envelope names a key id the key ring no longer holds (removed too early)."""


class KeyRing:
    """The data keys by kid and the blind-index key; its repr never shows key material."""

    def __init__(self, keys: Mapping[str, bytes], current: str, index_key: bytes) -> None:
        _check_ring(keys, current, index_key)
        self._aeads = {kid: AESGCM(bytes(key)) for kid, key in keys.items()}
        self._index_key = bytes(index_key)
        self.current = current

    def __repr__(self) -> str:
        return f"KeyRing(current={self.current!r}, kids={sorted(self._aeads)!r})"

    @property
    def kids(self) -> frozenset[str]:
        """Every key id this ring can decrypt, for rotation checks."""
        return frozenset(self._aeads)

    def encrypt(self, plaintext: bytes, aad: bytes) -> str:
        """Seal with the current key and a fresh nonce, so equal values never look equal."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aeads[self.current].encrypt(nonce, plaintext, aad)
        return f"{ENVELOPE_PREFIX}{self.current}:{_b64url(nonce + sealed)}"

    def decrypt(self, envelope: str, aad: bytes) -> bytes:
        """Open with the key the envelope names; the aad must match the one used to seal."""
        kid, blob = _parse_envelope(envelope)
        aead = self._aeads.get(kid)
        if aead is None:
            raise SleutelOntbreekt(f"sleutel {kid} ontbreekt in de sleutelring")
        try:
            return aead.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], aad)
        except InvalidTag:
            raise OntsleutelFout(
                f"ontsleutelen met sleutel {kid} mislukt: gewijzigd of hoort bij ander veld"
            ) from None

    def blind_index(self, value: str) -> str:
        """A keyed hash, so equal values can be looked up without storing them readably."""
        return hmac.new(self._index_key, value.encode("utf-8"), hashlib.sha256).hexdigest()

    @staticmethod
    def kid_of(envelope: str) -> str:
        """The key id an envelope was sealed with."""
        return kid_of(envelope)

    @staticmethod
    def is_envelope(value: object) -> bool:
        """Whether a stored value is ciphertext rather than legacy plaintext."""
        return is_envelope(value)


def is_envelope(value: object) -> bool:
    """Whether a stored value is ciphertext rather than legacy plaintext."""
    return isinstance(value, str) and _ENVELOPE.fullmatch(value) is not None


def kid_of(envelope: str) -> str:
    """The key id an envelope was sealed with; malformed envelopes are refused."""
    return _parse_envelope(envelope)[0]


def _parse_envelope(envelope: str) -> tuple[str, bytes]:
    """Split and decode strictly: a non-canonical encoding counts as tampering."""
    match = _ENVELOPE.fullmatch(envelope) if isinstance(envelope, str) else None
    if match is None:
        raise OntsleutelFout("geen geldige versleutelde waarde")
    kid, payload = match.groups()
    # The pattern admits only the URL-safe alphabet, so this is plain ASCII.
    encoded = payload.encode("ascii")
    try:
        blob = binascii.a2b_base64(encoded.translate(_FROM_URLSAFE) + b"=" * (-len(payload) % 4))
    except binascii.Error:
        raise OntsleutelFout("versleutelde waarde is beschadigd") from None
    if len(blob) < NONCE_BYTES + TAG_BYTES or _b64url_bytes(blob) != encoded:
        raise OntsleutelFout("versleutelde waarde is beschadigd")
    return kid, blob


_FROM_URLSAFE = bytes.maketrans(b"-_", b"+/")
_TO_URLSAFE = bytes.maketrans(b"+/", b"-_")


def _b64url_bytes(data: bytes) -> bytes:
    """Unpadded URL-safe base64 through binascii directly: the base64 module's wrappers cost
    more than the decryption itself, once per sealed field."""
    return binascii.b2a_base64(data, newline=False).translate(_TO_URLSAFE).rstrip(b"=")


def _b64url(data: bytes) -> str:
    return _b64url_bytes(data).decode("ascii")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _check_ring(keys: Mapping[str, bytes], current: str, index_key: bytes) -> None:
    """A ring that constructs is usable: every later failure is about data, not set-up."""
    if not keys:
        raise SleutelConfiguratieFout("sleutelring zonder datasleutels")
    for kid, key in keys.items():
        _check_kid(kid, "sleutelring")
        if len(key) != KEY_BYTES:
            raise SleutelConfiguratieFout(f"sleutel {kid} moet {KEY_BYTES} bytes zijn")
    if current not in keys:
        raise SleutelConfiguratieFout(f"huidige sleutel {current!r} staat niet in de sleutelring")
    if len(index_key) != KEY_BYTES:
        raise SleutelConfiguratieFout(f"de indexsleutel moet {KEY_BYTES} bytes zijn")
    if any(hmac.compare_digest(index_key, key) for key in keys.values()):
        raise SleutelConfiguratieFout("de indexsleutel mag niet gelijk zijn aan een datasleutel")


def _check_kid(kid: str, where: str) -> None:
    """Refuse odd kids without echoing them: a swapped entry could put key material there."""
    if not _KID.fullmatch(kid):
        raise SleutelConfiguratieFout(
            f"{where}: ongeldige kid (1 tot 32 tekens uit A-Z, a-z, 0-9, _ en -)"
        )


def _decode_key(encoded: str, where: str) -> bytes:
    """Standard or URL-safe base64 of exactly 32 bytes."""
    normalised = encoded.strip().replace("-", "+").replace("_", "/")
    try:
        raw = base64.b64decode(normalised, validate=True)
    except (binascii.Error, ValueError):
        raise SleutelConfiguratieFout(f"{where} is geen geldige base64") from None
    if len(raw) != KEY_BYTES:
        raise SleutelConfiguratieFout(
            f"{where} moet {KEY_BYTES} bytes zijn (base64 van {KEY_BYTES} willekeurige bytes), "
            f"niet {len(raw)}"
        )
    return raw


# --- loading -----------------------------------------------------------------------------------


def load_keyring(
    *,
    data_keys: str | None,
    index_key: str | None,
    key_file: Path | None,
    dev_dir: Path | None,
) -> KeyRing:
    """Environment first, then a key file, then the dev folder; nothing given is refused."""
    data_keys, index_key = _blank_to_none(data_keys), _blank_to_none(index_key)
    if data_keys is not None or index_key is not None:
        return _from_env(data_keys, index_key)
    if key_file is not None:
        return _from_file(key_file)
    if dev_dir is not None:
        return _from_file(ensure_dev_keys(dev_dir))
    raise SleutelConfiguratieFout(
        "geen sleutels voor het versleutelen van casusgegevens: zet "
        f"{ENV_DATA_KEYS} en {ENV_INDEX_KEY} samen, of {ENV_KEY_FILE}"
    )


def _blank_to_none(value: str | None) -> str | None:
    return value if value is not None and value.strip() else None


def _from_env(data_keys: str | None, index_key: str | None) -> KeyRing:
    """Both variables together: a ring without its index key would break every lookup."""
    if data_keys is None:
        raise SleutelConfiguratieFout(f"{ENV_INDEX_KEY} is gezet maar {ENV_DATA_KEYS} ontbreekt")
    if index_key is None:
        raise SleutelConfiguratieFout(f"{ENV_DATA_KEYS} is gezet maar {ENV_INDEX_KEY} ontbreekt")
    keys = _parse_key_list(data_keys)
    index = _decode_key(index_key, ENV_INDEX_KEY)
    return _ring(keys, next(reversed(keys)), index, "omgeving")


def _parse_key_list(value: str) -> dict[str, bytes]:
    """`kid:base64,kid:base64,...` in order; the last entry becomes the current key."""
    keys: dict[str, bytes] = {}
    for position, entry in enumerate(value.split(","), start=1):
        where = f"{ENV_DATA_KEYS}, invoer {position}"
        kid, colon, encoded = entry.strip().partition(":")
        if not colon:
            raise SleutelConfiguratieFout(f"{where}: verwacht de vorm kid:base64-sleutel")
        _check_kid(kid, where)
        if kid in keys:
            raise SleutelConfiguratieFout(f"{where}: kid {kid} komt twee keer voor")
        keys[kid] = _decode_key(encoded, f"{where} (kid {kid})")
    return keys


def _ring(keys: dict[str, bytes], current: str, index: bytes, source: str) -> KeyRing:
    try:
        return KeyRing(keys, current, index)
    except SleutelConfiguratieFout as exc:
        raise SleutelConfiguratieFout(f"{source}: {exc}") from None


def _from_file(path: Path) -> KeyRing:
    document = _read_key_file(path)
    keys, current, index = _parse_key_document(document, str(path))
    return _ring(keys, current, index, f"sleutelbestand {path}")


def _read_key_file(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SleutelConfiguratieFout(
            f"sleutelbestand {path} kan niet gelezen worden: {exc.strerror}"
        ) from None
    except ValueError:
        raise SleutelConfiguratieFout(f"sleutelbestand {path} is geen geldige JSON") from None
    if not isinstance(document, dict):
        raise SleutelConfiguratieFout(f"sleutelbestand {path} moet een JSON-object zijn")
    return document


def _parse_key_document(
    document: dict[str, Any], where: str
) -> tuple[dict[str, bytes], str, bytes]:
    """`{"huidig": kid, "sleutels": {kid: b64}, "indexsleutel": b64}`, checked field by field."""
    sleutels, huidig, index = (document.get(k) for k in ("sleutels", "huidig", "indexsleutel"))
    if not isinstance(sleutels, dict) or not sleutels:
        raise SleutelConfiguratieFout(f"{where}: 'sleutels' moet een niet-leeg object zijn")
    if not isinstance(huidig, str) or huidig not in sleutels:
        raise SleutelConfiguratieFout(f"{where}: 'huidig' moet een kid uit 'sleutels' zijn")
    if not isinstance(index, str):
        raise SleutelConfiguratieFout(f"{where}: 'indexsleutel' ontbreekt of is geen tekst")
    keys: dict[str, bytes] = {}
    for kid, encoded in sleutels.items():
        _check_kid(kid, f"{where}, 'sleutels'")
        if not isinstance(encoded, str):
            raise SleutelConfiguratieFout(f"{where}: sleutel {kid} is geen tekst")
        keys[kid] = _decode_key(encoded, f"{where}: sleutel {kid}")
    return keys, huidig, _decode_key(index, f"{where}: 'indexsleutel'")


# --- generating --------------------------------------------------------------------------------


def ensure_dev_keys(dev_dir: Path) -> Path:
    """Generate the dev key file once into the data folder (mode 0600), then reuse it."""
    path = dev_dir / DEV_KEY_FILE_NAME
    if path.exists():
        return path
    dev_dir.mkdir(parents=True, exist_ok=True)
    kid = new_kid()
    document = {
        "huidig": kid,
        "sleutels": {kid: _b64(secrets.token_bytes(KEY_BYTES))},
        "indexsleutel": _b64(secrets.token_bytes(KEY_BYTES)),
    }
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(document, fh, indent=2)
        fh.write("\n")
    return path


def new_kid(existing: frozenset[str] | set[str] = frozenset()) -> str:
    """`k` + UTC timestamp + 4 hex: sortable by age, unique within the ring."""
    while True:
        kid = f"k{datetime.now(UTC):%Y%m%d%H%M%S}{secrets.token_hex(2)}"
        if kid not in existing:
            return kid


def generate_key_line() -> str:
    """A fresh `kid:base64` entry to append to the data-keys environment variable."""
    return f"{new_kid()}:{_b64(secrets.token_bytes(KEY_BYTES))}"


def generate_index_key() -> str:
    """A fresh base64 index key for operators who configure keys through the environment."""
    return _b64(secrets.token_bytes(KEY_BYTES))


def add_key_to_file(path: Path) -> str:
    """Add a new current key and keep the old ones, so existing ciphertexts still open."""
    document = _read_key_file(path)
    keys, _, _ = _parse_key_document(document, str(path))
    kid = new_kid(set(keys))
    document["sleutels"][kid] = _b64(secrets.token_bytes(KEY_BYTES))
    document["huidig"] = kid
    _write_atomic(path, document)
    return kid


def _write_atomic(path: Path, document: dict[str, Any]) -> None:
    """Temp file + rename: a crash leaves the old or the new file, never half a key file."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(document, fh, indent=2)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    """Make the rename itself durable; losing a key means losing data."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
