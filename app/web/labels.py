"""Field paths as words: `doelen.doelen[0].termijn` becomes "Doelen › regel 1 › Wanneer bereikt".

Paths are how the document, its validation and its history name a field; people need the label
they saw on the form. The walk follows the casus' own form definition, so a newer form version
never relabels an older revision.
"""

from __future__ import annotations

import re

from app.form.definition import Formulier, Sectie, Veld
from app.form.validation import STAPPEN_AF

SCHEIDING = " › "
_DEEL = re.compile(r"^(?P<sleutel>[a-z][a-z0-9_]*)(?:\[(?P<index>\d+)\])?$")
_EXTRA = {STAPPEN_AF: "Stappen die af zijn"}


def section_of(formulier: Formulier, pad: str) -> Sectie | None:
    """The section a path lies in; None for values kept outside the sections (steps done)."""
    return formulier.sectie(pad.split(".", 1)[0].split("[", 1)[0])


def section_title(sectie: Sectie | None) -> str:
    """A section as the overview names it: "Stap 3: Waar werken we samen naartoe?"."""
    if sectie is None:
        return "Voortgang"
    return f"Stap {sectie.stap}: {sectie.titel}" if sectie.stap else sectie.titel


def field_label(formulier: Formulier, pad: str) -> str:
    """The labels along a path, list rows counted from 1; unknown parts are shown as they are."""
    if pad in _EXTRA:
        return _EXTRA[pad]
    sectie = section_of(formulier, pad)
    if sectie is None:
        return pad
    delen = pad.split(".")[1:]
    velden: tuple[Veld, ...] = sectie.velden
    woorden: list[str] = []
    for deel in delen:
        match = _DEEL.match(deel)
        veld = next((v for v in velden if match and v.sleutel == match["sleutel"]), None)
        if match is None or veld is None:
            woorden.append(deel)
            velden = ()
            continue
        woorden.append(veld.label)
        if match["index"] is not None:
            woorden.append(f"regel {int(match['index']) + 1}")
        velden = veld.velden
    return SCHEIDING.join(woorden) or section_title(sectie)
