"""Documents with a unique, greppable canary in every identifying and free-text field."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from app.form.definition import Formulier, Privacy, Veld, VeldType

SENSITIVE = {Privacy.IDENTIFYING, Privacy.FREE_TEXT}
CANARY_BSN = "111222333"


class CanaryDocument:
    """A complete, valid handreiking; `canaries` lists every sensitive value it holds (ASCII,
    so a leak shows up in raw bytes whatever the JSON escaping)."""

    def __init__(self, formulier: Formulier, tag: str) -> None:
        self.formulier = formulier
        self.tag = tag
        self.canaries: list[str] = []
        self.inhoud = {s.sleutel: self._object(s.velden) for s in formulier.secties}

    def _object(self, velden: tuple[Veld, ...]) -> dict[str, Any]:
        return {v.sleutel: self._value(v) for v in velden if v.type is not VeldType.ROLLEN}

    def _value(self, veld: Veld) -> Any:
        if veld.type is VeldType.GROEP:
            return self._object(veld.velden)
        if veld.type is VeldType.LIJST:
            return [self._object(veld.velden) for _ in range(2)]
        if veld.privacy in SENSITIVE:
            return self._canary(veld)
        return self._plain(veld)

    def _canary(self, veld: Veld) -> str:
        if veld.type is VeldType.BSN:
            value = CANARY_BSN
        elif veld.type is VeldType.DATUM:
            value = (date(1999, 1, 1) + timedelta(days=len(self.canaries))).isoformat()
        else:
            value = f"{self.tag}{len(self.canaries):03d}{veld.sleutel[:6].upper()}"
        self.canaries.append(value)
        return value

    def _plain(self, veld: Veld) -> Any:
        if veld.type is VeldType.KEUZE:
            return self.formulier.vocabulaires[veld.keuzes or ""][0]
        if veld.type is VeldType.MEERKEUZE:
            return [self.formulier.vocabulaires[veld.keuzes or ""][0]]
        if veld.type is VeldType.JANEE:
            return True
        if veld.type is VeldType.DATUM:
            return "2026-01-31"
        return 1
