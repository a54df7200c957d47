"""The app's use of the key ring: load it, seal and open casus data, compute search keys."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypedDict

from app.config import Settings
from app.crypto.fields import (
    birthdate_index,
    decrypt_document,
    decrypt_text,
    decrypt_value,
    encrypt_document,
    encrypt_text,
    name_index,
    reseal_document,
)
from app.crypto.keyring import DEV_KEY_FILE_NAME, KeyRing, load_keyring
from app.form.definition import Formulier

# Column fields live in their own namespace so no form path can ever share their binding.
TOELICHTING = "kolom:revisie.toelichting"
AFSLUITREDEN = "kolom:casus.afsluitreden"
OVERDRACHT_TOELICHTING = "kolom:overdracht.toelichting"
OVERDRACHT_REDEN = "kolom:overdracht.reden"
MDO_BESLUITEN = "kolom:mdo.besluiten"
UITNODIGING_NAAM = "kolom:uitnodiging.naam"
UITNODIGING_EMAIL = "kolom:uitnodiging.email"


def keyring_for(settings: Settings) -> KeyRing:
    """Keys come from the environment or a key file, never the database; only dev generates."""
    return load_keyring(
        data_keys=settings.data_keys,
        index_key=settings.index_key,
        key_file=settings.data_key_file,
        dev_dir=settings.data_dir if settings.is_dev else None,
    )


def key_file_in_use(settings: Settings) -> Path | None:
    """The key file rotation may add a key to; None when keys come from the environment."""
    if settings.data_keys or settings.index_key:
        return None
    if settings.data_key_file:
        return settings.data_key_file
    return settings.data_dir / DEV_KEY_FILE_NAME if settings.is_dev else None


class Kluis:
    """Seals and opens one form's documents with one key ring: the services' only crypto door."""

    def __init__(self, keyring: KeyRing, formulier: Formulier) -> None:
        self.keyring = keyring
        self.formulier = formulier

    def seal(self, casus_id: uuid.UUID, inhoud: dict[str, Any]) -> dict[str, Any]:
        return encrypt_document(self.formulier, inhoud, keyring=self.keyring, casus_id=casus_id)

    def open(self, casus_id: uuid.UUID, inhoud: Mapping[str, Any]) -> dict[str, Any]:
        return decrypt_document(self.formulier, inhoud, keyring=self.keyring, casus_id=casus_id)

    def reseal(self, casus_id: uuid.UUID, inhoud: Mapping[str, Any]) -> dict[str, Any]:
        """`seal(open(…))` under the current key, in one walk (key rotation)."""
        return reseal_document(self.formulier, inhoud, keyring=self.keyring, casus_id=casus_id)

    def open_field(self, casus_id: uuid.UUID, path: str, value: Any) -> Any:
        return decrypt_value(value, keyring=self.keyring, casus_id=casus_id, path=path)

    def seal_text(self, casus_id: uuid.UUID, field: str, value: str | None) -> str | None:
        return encrypt_text(value, keyring=self.keyring, casus_id=casus_id, field=field)

    def open_text(self, casus_id: uuid.UUID, field: str, value: str | None) -> str | None:
        return decrypt_text(value, keyring=self.keyring, casus_id=casus_id, field=field)


class Zoeksleutels(TypedDict):
    zoek_naam: str | None
    zoek_geboortedatum: str | None


def search_keys(keyring: KeyRing, kop: dict[str, Any] | None) -> Zoeksleutels:
    """Blind indexes of the jeugdige's name and date of birth from a plaintext header."""
    jeugdige = (kop or {}).get("jeugdige") or {}
    naam, geboren = jeugdige.get("naam"), jeugdige.get("geboortedatum")
    return Zoeksleutels(
        zoek_naam=name_index(keyring, naam) if naam else None,
        zoek_geboortedatum=birthdate_index(keyring, geboren) if geboren else None,
    )
