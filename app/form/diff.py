"""Field-level difference between two revisions of a handreiking."""

from __future__ import annotations

from typing import Any

from app.form.completeness import is_empty


def flatten(waarde: Any, pad: str = "") -> dict[str, Any]:
    """Leaf values by path; lists of objects get an index, lists of choices stay one value."""
    if isinstance(waarde, dict):
        out: dict[str, Any] = {}
        for sleutel, sub in waarde.items():
            out.update(flatten(sub, f"{pad}.{sleutel}" if pad else sleutel))
        return out
    if isinstance(waarde, list) and any(isinstance(w, dict) for w in waarde):
        out = {}
        for index, item in enumerate(waarde):
            out.update(flatten(item, f"{pad}[{index}]"))
        return out
    return {} if is_empty(waarde) else {pad: waarde}


def verschil(oud: dict[str, Any], nieuw: dict[str, Any]) -> list[dict[str, Any]]:
    """Added, removed and changed fields, with paths, in document order."""
    a, b = flatten(oud), flatten(nieuw)
    wijzigingen: list[dict[str, Any]] = []
    for pad in list(a) + [p for p in b if p not in a]:
        if pad not in b:
            wijzigingen.append({"pad": pad, "soort": "verwijderd", "oud": a[pad], "nieuw": None})
        elif pad not in a:
            wijzigingen.append({"pad": pad, "soort": "toegevoegd", "oud": None, "nieuw": b[pad]})
        elif a[pad] != b[pad]:
            wijzigingen.append({"pad": pad, "soort": "gewijzigd", "oud": a[pad], "nieuw": b[pad]})
    return wijzigingen
