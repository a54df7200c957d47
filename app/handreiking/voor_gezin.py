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
# Words with which a professional names the family in an agreement's "wie".
_GEZINSWOORDEN = re.compile(
    r"\b(ouders?|moeder|vader|verzorgers?|pleegouders?|jeugdige|gezin|kind|zoon|dochter)\b",
    re.IGNORECASE,
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
    return VoorGezin(
        informeert=_text(afstemming.get("informeert_ouders")),
        hoe=_text(afstemming.get("hoe_informeren")),
        taken=[t for t in _rows(taken) if t.get("soort") in GEZIN],
        afspraken=[a for a in _rows(afspraken) if _concerns_family(a)],
    )


def _concerns_family(afspraak: dict[str, Any]) -> bool:
    if afspraak.get("onderdeel") == ONDERDEEL_GEZIN:
        return True
    return bool(_GEZINSWOORDEN.search(_text(afspraak.get("wie"))))


def _rows(value: Any) -> list[dict[str, Any]]:
    return [r for r in value if isinstance(r, dict)] if isinstance(value, list) else []


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""
