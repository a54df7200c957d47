"""Three-way merge of one step: what I typed, what someone else saved, what we both started from.

Fields only one side changed are merged without asking; fields both changed differently are
conflicts the user decides, with their own input kept as the default.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from app.form.diff import flatten

_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


@dataclass
class Samenvoeging:
    inhoud: dict[str, Any]
    conflicten: dict[str, dict[str, Any]] = field(default_factory=dict)
    van_anderen: list[str] = field(default_factory=list)


def merge(basis: dict[str, Any], hun: dict[str, Any], mijn: dict[str, Any]) -> Samenvoeging:
    """Merge per field path; on a conflict keep mine and report theirs beside it."""
    b, t, m = flatten(basis), flatten(hun), flatten(mijn)
    merged: dict[str, Any] = {}
    result = Samenvoeging(inhoud={})
    for pad in dict.fromkeys([*m, *t, *b]):
        base, theirs, mine = b.get(pad), t.get(pad), m.get(pad)
        if theirs in (base, mine):
            chosen = mine
        elif mine == base:
            chosen = theirs
            result.van_anderen.append(pad)
        else:
            chosen = mine
            result.conflicten[pad] = {"mijn": mine, "hun": theirs, "basis": base}
        if chosen is not None:
            merged[pad] = chosen
    result.inhoud = unflatten(merged)
    return result


def unflatten(flat: dict[str, Any]) -> dict[str, Any]:
    """The inverse of flatten: paths like `a.b[0].c` back into nested objects and lists."""
    root: dict[str, Any] = {}
    for pad, value in flat.items():
        tokens = [name or int(index) for name, index in _TOKEN.findall(pad)]
        node: Any = root
        for token, nxt in pairwise(tokens):
            node = _child(node, token, [] if isinstance(nxt, int) else {})
        _set(node, tokens[-1], value)
    compacted: dict[str, Any] = _compact(root)
    return compacted


def _child(node: Any, key: str | int, empty: Any) -> Any:
    if isinstance(key, int):
        while len(node) <= key:
            node.append(None)
        if node[key] is None:
            node[key] = empty
        return node[key]
    return node.setdefault(key, empty)


def _set(node: Any, key: str | int, value: Any) -> None:
    if isinstance(key, int):
        while len(node) <= key:
            node.append(None)
    node[key] = value


def _compact(value: Any) -> Any:
    """List rows that ended up empty on both sides disappear instead of leaving holes."""
    if isinstance(value, dict):
        return {k: _compact(v) for k, v in value.items()}
    if isinstance(value, list) and any(isinstance(v, dict) or v is None for v in value):
        return [_compact(v) for v in value if v is not None]
    return value
