"""Which required fields are still empty: shown as progress, enforced only at vaststellen."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from app.form.definition import Formulier, Veld, VeldType


def is_empty(waarde: Any) -> bool:
    """Empty means nothing a person entered: None, blank text, an empty list or group."""
    if waarde is None:
        return True
    if isinstance(waarde, str):
        return not waarde.strip()
    if isinstance(waarde, list | dict):
        return all(is_empty(w) for w in (waarde.values() if isinstance(waarde, dict) else waarde))
    return False


def missing_required(formulier: Formulier, inhoud: dict[str, Any]) -> list[str]:
    """Paths of required fields that are empty, in form order."""
    return [
        pad
        for sectie in formulier.secties
        for pad in _missing_in_section(sectie.sleutel, formulier, inhoud)
    ]


def _missing_in_section(sleutel: str, formulier: Formulier, inhoud: dict[str, Any]) -> list[str]:
    sectie = formulier.sectie(sleutel)
    assert sectie is not None
    return list(_missing(sectie.velden, inhoud.get(sleutel) or {}, sleutel))


def _missing(velden: tuple[Veld, ...], waarde: dict[str, Any], pad: str) -> Iterator[str]:
    for veld in velden:
        if veld.type is VeldType.ROLLEN:
            continue
        sub = waarde.get(veld.sleutel)
        veldpad = f"{pad}.{veld.sleutel}"
        if veld.verplicht and is_empty(sub):
            yield veldpad
        elif veld.type is VeldType.GROEP and isinstance(sub, dict):
            yield from _missing(veld.velden, sub, veldpad)
        elif veld.type is VeldType.LIJST and isinstance(sub, list):
            for index, item in enumerate(sub):
                yield from _missing(veld.velden, item or {}, f"{veldpad}[{index}]")


def progress(formulier: Formulier, inhoud: dict[str, Any]) -> list[dict[str, Any]]:
    """Per section: its step, whether anything is filled in, and which required fields are empty."""
    return [
        {
            "sectie": sectie.sleutel,
            "stap": sectie.stap,
            "ingevuld": not is_empty(inhoud.get(sectie.sleutel)),
            "ontbrekend": _missing_in_section(sectie.sleutel, formulier, inhoud),
        }
        for sectie in formulier.secties
    ]
