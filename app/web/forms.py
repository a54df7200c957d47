"""Between HTML forms and handreiking documents: field names, parsing, ids, list actions.

A field's input name is its path in the document (`doelen.doelen[0].termijn`), so a
validation error's `pad` points straight at the input it concerns.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.datastructures import FormData

from app.errors import RegieFout, Validatiefout
from app.form.definition import Sectie, Veld, VeldType

COUNT_SUFFIX = ".__aantal"
_ID = re.compile(r"[^a-z0-9]+")


def field_id(pad: str) -> str:
    """A stable, valid HTML id for the input of a path."""
    return "veld-" + _ID.sub("-", pad.lower()).strip("-")


def parse_section(sectie: Sectie, form: FormData, actie: str | None = None) -> dict[str, Any]:
    """The posted values of one section as a document part; `actie` adds or removes a list row."""
    return _object(sectie.velden, form, sectie.sleutel, actie or "")


def _object(velden: tuple[Veld, ...], form: FormData, pad: str, actie: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for veld in velden:
        value = _value(veld, form, f"{pad}.{veld.sleutel}", actie)
        if value is not None:
            out[veld.sleutel] = value
    return out


def _value(veld: Veld, form: FormData, pad: str, actie: str) -> Any:
    if veld.type is VeldType.GROEP:
        return _object(veld.velden, form, pad, actie) or None
    if veld.type is VeldType.LIJST:
        return _list(veld, form, pad, actie)
    if veld.type is VeldType.ROLLEN:
        return None
    if veld.type is VeldType.MEERKEUZE:
        return [v for v in form.getlist(pad) if isinstance(v, str) and v] or None
    raw = form.get(pad)
    if not isinstance(raw, str) or raw.strip() == "":
        return None
    return _scalar(veld, raw)


def _scalar(veld: Veld, raw: str) -> Any:
    if veld.type is VeldType.JANEE:
        return {"ja": True, "nee": False}.get(raw, raw)
    if veld.type is VeldType.GETAL:
        return int(raw) if raw.strip().isdigit() else raw
    if veld.type in (VeldType.BSN, VeldType.DATUM, VeldType.KEUZE):
        return raw.strip()
    return raw.replace("\r\n", "\n")


def _list(veld: Veld, form: FormData, pad: str, actie: str) -> list[dict[str, Any]] | None:
    raw_count = form.get(pad + COUNT_SUFFIX)
    count = int(raw_count) if isinstance(raw_count, str) and raw_count.isdigit() else 0
    count = min(count, veld.max_items or count)
    items = [
        _object(veld.velden, form, f"{pad}[{i}]", actie)
        for i in range(count)
        if actie != f"verwijderen:{pad}[{i}]"
    ]
    if actie == f"toevoegen:{pad}":
        items.append({})
    elif not actie:
        items = [item for item in items if item]  # a row left empty is not saved
    return items or None


def field_errors(exc: RegieFout, veld: str = "algemeen") -> dict[str, str]:
    """A service refusal as messages per field path; other refusals belong to `veld`."""
    if isinstance(exc, Validatiefout):
        return {e["pad"]: e["melding"] for e in exc.extra["errors"]}
    return {veld: exc.detail}
