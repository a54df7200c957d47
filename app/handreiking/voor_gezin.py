"""What the plan asks of, and promises to, the family: the part an ouder or jeugdige looks for
first on their plan page, taken from the same plan (nothing is stored twice).

The form says who does a task (`taakverdeling.taken[].soort`: ouder, jeugdige, ...), and who
tells the family what happens (`afstemming.informeert_ouders`, `hoe_informeren`). An agreement
(`afspraken.afspraken[]`) has no such field, only its `onderdeel` and a free-text `wie`: it
concerns the family when it is about informing them (onderdeel communicatie-ouders) or when its
`wie` names them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

GEZIN = frozenset({"ouder", "jeugdige"})
ONDERDEEL_GEZIN = "communicatie-ouders"
# Words with which a professional names the family in an agreement's "wie" (stiefvader,
# pleegmoeder and grootouders too); the jeugdige's own first name is added per plan.
_GEZINSWOORDEN = (
    r"(stief|pleeg|groot)?(ouders?|moeder|vader)",
    r"verzorgers?",
    r"jeugdige",
    r"gezin",
    r"mama|papa",
    r"zoon|dochter",
)


@dataclass(frozen=True)
class VoorGezin:
    informeert: str = ""
    hoe: str = ""
    taken: list[dict[str, Any]] = field(default_factory=list)
    afspraken: list[dict[str, Any]] = field(default_factory=list)

    @property
    def leeg(self) -> bool:
        return not (self.informeert or self.hoe or self.taken or self.afspraken)


def voor_gezin(inhoud: dict[str, Any]) -> VoorGezin:
    """The family's tasks, the agreements that concern them and who keeps them informed."""
    afstemming = inhoud.get("afstemming") or {}
    taken = (inhoud.get("taakverdeling") or {}).get("taken") or []
    afspraken = (inhoud.get("afspraken") or {}).get("afspraken") or []
    gezin = _family_words(inhoud)
    return VoorGezin(
        informeert=_text(afstemming.get("informeert_ouders")),
        hoe=_text(afstemming.get("hoe_informeren")),
        taken=[t for t in _rows(taken) if t.get("soort") in GEZIN],
        afspraken=[a for a in _rows(afspraken) if _concerns_family(a, gezin)],
    )


def _family_words(inhoud: dict[str, Any]) -> re.Pattern[str]:
    jeugdige = ((inhoud.get("kop") or {}).get("jeugdige") or {}).get("naam")
    voornaam = _text(jeugdige).split()[:1]
    woorden = [*_GEZINSWOORDEN, *(re.escape(v) for v in voornaam)]
    return re.compile(r"\b(" + "|".join(woorden) + r")\b", re.IGNORECASE)


def _concerns_family(afspraak: dict[str, Any], gezin: re.Pattern[str]) -> bool:
    if afspraak.get("onderdeel") == ONDERDEEL_GEZIN:
        return True
    return bool(gezin.search(_text(afspraak.get("wie"))))


def _rows(value: Any) -> list[dict[str, Any]]:
    return [r for r in value if isinstance(r, dict)] if isinstance(value, list) else []


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""
