"""Field-level encryption of handreiking documents, driven by the form's privacy classes.

Every identifying or free-text value is sealed on its own, bound to its casus and its field path
(list indexes left out, so items may be reordered but never moved to another field or casus).
Categorical, date and count values stay readable for validation, completeness and export.
"""

from __future__ import annotations

import copy
import json
import unicodedata
import uuid
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from app.crypto.keyring import KeyRing, OntsleutelFout, is_envelope
from app.form.definition import Formulier, Privacy, Veld, VeldType

SENSITIVE = frozenset({Privacy.IDENTIFYING, Privacy.FREE_TEXT})
AAD_PREFIX = "regie:v1"

Leaf = Callable[[Veld, str, Any], Any]


def aad_for(casus_id: uuid.UUID, path: str) -> bytes:
    """The binding of a ciphertext: it opens only for this casus and this field path."""
    return f"{AAD_PREFIX}|{casus_id}|{path}".encode()


def is_sensitive(veld: Veld) -> bool:
    """Identifying and free-text values are encrypted at rest and never exported."""
    return veld.privacy in SENSITIVE


# --- documents ---------------------------------------------------------------------------------


def encrypt_document(
    formulier: Formulier, inhoud: Mapping[str, Any], *, keyring: KeyRing, casus_id: uuid.UUID
) -> dict[str, Any]:
    """A copy with every sensitive value sealed; the input is plaintext and stays untouched."""
    return _map_document(formulier, inhoud, _sealer(keyring, _binding(casus_id)))


def decrypt_document(
    formulier: Formulier, inhoud: Mapping[str, Any], *, keyring: KeyRing, casus_id: uuid.UUID
) -> dict[str, Any]:
    """The inverse of encrypt_document; plain values (legacy documents) are returned as is."""
    binding = _binding(casus_id)

    def open_(_: Veld, path: str, value: Any) -> Any:
        if not is_envelope(value):
            return _copy(value)
        return _loads(keyring.decrypt(value, binding + path.encode()))

    return _map_document(formulier, inhoud, open_)


def reseal_document(
    formulier: Formulier, inhoud: Mapping[str, Any], *, keyring: KeyRing, casus_id: uuid.UUID
) -> dict[str, Any]:
    """`encrypt_document(decrypt_document(…))` under the current key, in one walk.

    Key rotation does this to every revision. A sealed value that stays sealed gets its very
    plaintext bytes sealed anew, with the same binding: those bytes are what sealing wrote, so
    parsing them and writing them back as JSON would only cost time. Anything else ends as the
    two steps would leave it: legacy plaintext sealed; opened, a value the form no longer counts
    as sensitive, a blank one and a sealed null.
    """
    binding = _binding(casus_id)
    seal = _sealer(keyring, binding)

    def reseal(veld: Veld, path: str, value: Any) -> Any:
        if not is_envelope(value):
            return seal(veld, path, value)
        aad = binding + path.encode()
        plaintext = keyring.decrypt(value, aad)
        opened = _loads(plaintext)
        if not is_sensitive(veld) or opened is None or _blank(opened):
            return opened
        return keyring.encrypt(plaintext, aad)

    return _map_document(formulier, inhoud, reseal)


def _sealer(keyring: KeyRing, binding: bytes) -> Leaf:
    def seal(veld: Veld, path: str, value: Any) -> Any:
        # A blank value holds nothing to protect; left as is, emptiness stays visible without
        # a key (research counts filled-in steps without ever opening a document).
        if not is_sensitive(veld) or _blank(value):
            return _copy(value)
        plaintext = json.dumps(value, ensure_ascii=False).encode("utf-8")
        return keyring.encrypt(plaintext, binding + path.encode())

    return seal


def _blank(value: Any) -> bool:
    return isinstance(value, str) and not value.strip()


def decrypt_value(value: Any, *, keyring: KeyRing, casus_id: uuid.UUID, path: str) -> Any:
    """One document field opened on its own, for views that show a single value (a list shows
    the jeugdige's name only): no need to fetch or walk the whole document."""
    if not is_envelope(value):
        return value
    return _loads(keyring.decrypt(value, aad_for(casus_id, path)))


def _binding(casus_id: uuid.UUID) -> bytes:
    """The casus part of aad_for, made once per document instead of once per field."""
    return aad_for(casus_id, "")


def _loads(plaintext: bytes) -> Any:
    # Most sealed values are JSON strings without escapes: their text is the bytes between the
    # quotes. The plaintext is authenticated output of json.dumps, which escapes every quote,
    # backslash and control character, so no backslash means nothing to unescape.
    if plaintext[:1] == b'"' and plaintext[-1:] == b'"' and b"\\" not in plaintext:
        try:
            return plaintext[1:-1].decode("utf-8")
        except UnicodeDecodeError:
            raise OntsleutelFout("ontsleutelde waarde is geen geldige JSON") from None
    try:
        return json.loads(plaintext)
    except ValueError:
        raise OntsleutelFout("ontsleutelde waarde is geen geldige JSON") from None


def _copy(value: Any) -> Any:
    """A deep copy, short-circuited for the immutable scalars most leaves are."""
    if value is None or type(value) in _IMMUTABLE:
        return value
    return copy.deepcopy(value)


_IMMUTABLE = frozenset({str, int, float, bool})


def _map_document(formulier: Formulier, inhoud: Mapping[str, Any], leaf: Leaf) -> dict[str, Any]:
    """Walk the definition alongside the document; unknown keys are copied unchanged."""
    result: dict[str, Any] = {}
    for key, value in inhoud.items():
        sectie = formulier.sectie(key)
        if sectie is None:
            result[key] = _copy(value)
        else:
            result[key] = _map_object(sectie.per_sleutel, value, key, leaf)
    return result


def _map_object(by_key: Mapping[str, Veld], value: Any, path: str, leaf: Leaf) -> Any:
    if not isinstance(value, dict):
        return _copy(value)
    result: dict[str, Any] = {}
    for key, sub in value.items():
        veld = by_key.get(key)
        result[key] = _copy(sub) if veld is None else _map_value(veld, sub, f"{path}.{key}", leaf)
    return result


def _map_value(veld: Veld, value: Any, path: str, leaf: Leaf) -> Any:
    if value is None:
        return None
    if veld.type is VeldType.GROEP:
        return _map_object(veld.per_sleutel, value, path, leaf)
    if veld.type is VeldType.LIJST:
        if not isinstance(value, list):
            return _copy(value)
        item = f"{path}[]"
        return [_map_object(veld.per_sleutel, sub, item, leaf) for sub in value]
    return leaf(veld, path, value)


# --- single columns ----------------------------------------------------------------------------


def encrypt_text(
    value: str | None, *, keyring: KeyRing, casus_id: uuid.UUID, field: str
) -> str | None:
    """Seal one free-text column (e.g. `revisie.toelichting`), bound like a document field."""
    if value is None:
        return None
    return keyring.encrypt(value.encode("utf-8"), aad_for(casus_id, field))


def decrypt_text(
    value: str | None, *, keyring: KeyRing, casus_id: uuid.UUID, field: str
) -> str | None:
    """The inverse of encrypt_text; a plain (legacy) value is returned as is."""
    if value is None or not is_envelope(value):
        return value
    try:
        return keyring.decrypt(value, aad_for(casus_id, field)).decode("utf-8")
    except UnicodeDecodeError:
        raise OntsleutelFout("ontsleutelde waarde is geen geldige tekst") from None


# --- blind indexes -----------------------------------------------------------------------------


def normalise_name(naam: str) -> str:
    """Case, accents and spacing differ between who types a name; the person does not."""
    decomposed = unicodedata.normalize("NFKD", naam)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.casefold().split())


def name_index(keyring: KeyRing, naam: str) -> str:
    """Blind index of a name, to find a jeugdige without decrypting every casus."""
    return keyring.blind_index(f"naam:{normalise_name(naam)}")


def birthdate_index(keyring: KeyRing, iso_date: str) -> str:
    """Blind index of a date of birth; the label keeps it apart from any name index."""
    canonical = date.fromisoformat(iso_date.strip()).isoformat()
    return keyring.blind_index(f"geboortedatum:{canonical}")
