"""Check a handreiking document against its form definition.

Saving an incomplete document is always allowed (it grows over several MDOs); only the shape
and the values are checked here. Required-ness is reported as completeness per section and
enforced only when a revision is vastgesteld.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from app.form.definition import Formulier, Veld, VeldType

_BSN = re.compile(r"^[0-9]{9}$")
# The steps the people at the table called finished ("Is deze stap af?"): a human decision,
# kept in the document so it is versioned with the plan.
STAPPEN_AF = "stappen_af"


@dataclass(frozen=True)
class Fout:
    pad: str
    melding: str

    def as_dict(self) -> dict[str, str]:
        return {"pad": self.pad, "melding": self.melding}


def validate(formulier: Formulier, inhoud: Any) -> list[Fout]:
    """All problems with the document, each with the path of the field it concerns."""
    if not isinstance(inhoud, dict):
        return [Fout("inhoud", "De inhoud moet een object met de secties van het formulier zijn.")]
    fouten: list[Fout] = []
    for sleutel, waarde in inhoud.items():
        sectie = formulier.sectie(sleutel)
        if sleutel == STAPPEN_AF:
            fouten.extend(_check_steps_done(formulier, waarde))
        elif sectie is None:
            fouten.append(Fout(sleutel, "Dit onderdeel bestaat niet in het formulier."))
        elif waarde is not None:
            fouten.extend(_check_object(formulier, sectie.velden, waarde, sleutel))
    return fouten


def _check_steps_done(formulier: Formulier, waarde: Any) -> Iterator[Fout]:
    steps = {s.sleutel for s in formulier.secties if s.stap is not None}
    if not isinstance(waarde, list) or not all(isinstance(w, str) and w in steps for w in waarde):
        yield Fout(STAPPEN_AF, f"Verwacht een lijst met stappen uit: {', '.join(sorted(steps))}.")


def _check_object(
    formulier: Formulier, velden: tuple[Veld, ...], waarde: Any, pad: str
) -> Iterator[Fout]:
    if not isinstance(waarde, dict):
        yield Fout(pad, "Verwacht een groep velden.")
        return
    by_key = {v.sleutel: v for v in velden}
    for sleutel, sub in waarde.items():
        veld = by_key.get(sleutel)
        if veld is None:
            yield Fout(f"{pad}.{sleutel}", "Dit veld bestaat niet in het formulier.")
        elif sub is not None:
            yield from _check_value(formulier, veld, sub, f"{pad}.{sleutel}")


def _check_value(formulier: Formulier, veld: Veld, waarde: Any, pad: str) -> Iterator[Fout]:
    if veld.type is VeldType.GROEP:
        yield from _check_object(formulier, veld.velden, waarde, pad)
    elif veld.type is VeldType.LIJST:
        yield from _check_list(formulier, veld, waarde, pad)
    else:
        melding = _CHECKS[veld.type](formulier, veld, waarde)
        if melding:
            yield Fout(pad, melding)


def _check_list(formulier: Formulier, veld: Veld, waarde: Any, pad: str) -> Iterator[Fout]:
    if not isinstance(waarde, list):
        yield Fout(pad, "Verwacht een lijst.")
        return
    if veld.max_items is not None and len(waarde) > veld.max_items:
        yield Fout(pad, f"Maximaal {veld.max_items} regels.")
    for index, item in enumerate(waarde):
        yield from _check_object(formulier, veld.velden, item, f"{pad}[{index}]")


def _text(_: Formulier, veld: Veld, waarde: Any) -> str | None:
    if not isinstance(waarde, str):
        return "Verwacht tekst."
    if veld.max_lengte is not None and len(waarde) > veld.max_lengte:
        return f"Maximaal {veld.max_lengte} tekens (nu {len(waarde)})."
    return None


def _date(_: Formulier, __: Veld, waarde: Any) -> str | None:
    if not isinstance(waarde, str) or len(waarde) != 10:
        return "Verwacht een datum als JJJJ-MM-DD."
    try:
        date.fromisoformat(waarde)
    except ValueError:
        return "Verwacht een bestaande datum als JJJJ-MM-DD."
    return None


def _choice(formulier: Formulier, veld: Veld, waarde: Any) -> str | None:
    keuzes = formulier.vocabulaires[veld.keuzes or ""]
    if not isinstance(waarde, str) or waarde not in keuzes:
        return f"Kies een van: {', '.join(keuzes)}."
    return None


def _choices(formulier: Formulier, veld: Veld, waarde: Any) -> str | None:
    keuzes = formulier.vocabulaires[veld.keuzes or ""]
    if not isinstance(waarde, list) or not all(isinstance(w, str) for w in waarde):
        return "Verwacht een lijst met keuzes."
    onbekend = [w for w in waarde if w not in keuzes]
    if onbekend:
        return f"Onbekende keuze(s): {', '.join(onbekend)}. Kies uit: {', '.join(keuzes)}."
    if len(set(waarde)) != len(waarde):
        return "Elke keuze mag maar één keer voorkomen."
    return None


def _bool(_: Formulier, __: Veld, waarde: Any) -> str | None:
    return None if isinstance(waarde, bool) else "Verwacht ja (true) of nee (false)."


def _number(_: Formulier, __: Veld, waarde: Any) -> str | None:
    ok = isinstance(waarde, int) and not isinstance(waarde, bool) and waarde >= 0
    return None if ok else "Verwacht een heel getal van 0 of meer."


def _bsn(_: Formulier, __: Veld, waarde: Any) -> str | None:
    """Nine digits passing the elfproef, so a typo is caught at the table, not later."""
    if not isinstance(waarde, str) or not _BSN.match(waarde):
        return "Een BSN bestaat uit 9 cijfers."
    digits = [int(c) for c in waarde]
    total = sum(d * w for d, w in zip(digits[:8], range(9, 1, -1), strict=True)) - digits[8]
    return None if total % 11 == 0 else "Dit is geen geldig BSN (elfproef)."


def _derived(_: Formulier, __: Veld, ___: Any) -> str | None:
    return (
        "Dit veld volgt uit de betrokkenen van de casus en wordt niet in de handreiking opgeslagen."
    )


_CHECKS: dict[VeldType, Callable[[Formulier, Veld, Any], str | None]] = {
    VeldType.TEKST: _text,
    VeldType.LANGETEKST: _text,
    VeldType.DATUM: _date,
    VeldType.KEUZE: _choice,
    VeldType.MEERKEUZE: _choices,
    VeldType.JANEE: _bool,
    VeldType.GETAL: _number,
    VeldType.BSN: _bsn,
    VeldType.ROLLEN: _derived,
}
