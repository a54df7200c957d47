"""The research projection of a handreiking: what of a document may ever reach research.

Only choice values from the form's closed vocabularies (and only of fields whose privacy class is
categorical), counts of agreements per onderdeel, and per step whether it is empty, partly or
fully filled in, which is decided on emptiness alone. It works the same on a plaintext document
and on its sealed form (blank values are never sealed), so it needs no key. Saving a revision
stores it on the casus, so the export never has to read the document itself.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from app.form.completeness import progress
from app.form.definition import Formulier, Privacy

STAPPEN = range(1, 8)


class StapStatus:
    LEEG = "leeg"
    DEELS = "deels"
    VOLLEDIG = "volledig"


def stap_statussen(formulier: Formulier, inhoud: dict[str, Any]) -> tuple[str, ...]:
    """Per step 1..7: empty, partly or fully filled in, decided on emptiness alone (so nothing
    sealed is opened)."""
    per_stap = {p["stap"]: p for p in progress(formulier, inhoud) if p["stap"] is not None}
    return tuple(
        StapStatus.LEEG
        if not per_stap[stap]["ingevuld"]
        else StapStatus.DEELS
        if per_stap[stap]["ontbrekend"]
        else StapStatus.VOLLEDIG
        for stap in STAPPEN
    )


def categorical(
    formulier: Formulier, inhoud: dict[str, Any], sectie: str, veld: str
) -> tuple[str, ...]:
    """The values of a top-level choice field, only if its privacy class lets them leave and
    only those in its closed vocabulary: whatever is stored, nothing typed can come out."""
    definitie = formulier.sectie(sectie)
    veld_def = next((v for v in definitie.velden if v.sleutel == veld), None) if definitie else None
    if veld_def is None or veld_def.privacy is not Privacy.CATEGORICAL:
        return ()
    woorden = set(formulier.vocabulaires.get(veld_def.keuzes or "", ()))
    waarde = (inhoud.get(sectie) or {}).get(veld)
    waarden = waarde if isinstance(waarde, list) else [waarde]
    return tuple(sorted({w for w in waarden if isinstance(w, str) and w in woorden}))


def afspraken_per_onderdeel(formulier: Formulier, inhoud: dict[str, Any]) -> dict[str, int]:
    """Count agreements per onderdeel: the onderdeel is categorical, the rest is never read."""
    lijst = (inhoud.get("afspraken") or {}).get("afspraken") or []
    tellingen: Counter[str] = Counter()
    onderdelen = set(formulier.vocabulaires.get("onderdeel", ()))
    for item in lijst:
        onderdeel = item.get("onderdeel") if isinstance(item, dict) else None
        if isinstance(onderdeel, str) and onderdeel in onderdelen:
            tellingen[onderdeel] += 1
    return dict(tellingen)


def kenmerken(formulier: Formulier, inhoud: dict[str, Any]) -> dict[str, Any]:
    """The projection stored on the casus at every save (plain JSON, nothing to protect)."""
    return {
        "indicaties": list(categorical(formulier, inhoud, "kop", "indicaties")),
        "stappen": list(stap_statussen(formulier, inhoud)),
        "afspraken": afspraken_per_onderdeel(formulier, inhoud),
    }
