"""Why a professional may join a casus: the family's recorded consent, or a legal ground.

Step 6 of the plan records consent (who gave it, when, for which kinds of organisation). Adding
a professional, as betrokkene or volger or as proposed successor of the regievoerder, needs
consent that covers the kind of organisation they work for, given on or before today, or a legal
ground the regievoerder chooses (a jeugdbeschermingsmaatregel, the meldcode, another legal
task). The basis goes with the event into the audit trail, so the timeline shows which.

Only the consent items' kinds and dates are read: they are categorical and date values, stored
readable, so no sealed value is opened for this.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import select

from app.accounts.models import Account, Organisatie
from app.casus.models import Casus
from app.context import Context
from app.enums import Grondslag
from app.errors import Validatiefout
from app.handreiking.models import Revisie

NL = ZoneInfo("Europe/Amsterdam")
# Where the form keeps consent (twente-2020.1, step 6), as the casus row keeps the next MDO.
SECTIE, LIJST = "afstemming", "toestemmingen"


def basis(
    ctx: Context, casus: Casus, account: Account, grondslag: Grondslag | None, *, pad: str
) -> dict[str, Any]:
    """The basis for giving `account` access, for the audit event; else a validation error on
    field `pad` that says what to do."""
    if grondslag is not None:
        return {"basis": "grondslag", "grondslag": grondslag.value}
    soort = ctx.session.exec(
        select(Organisatie.type).where(Organisatie.id == account.organisatie_id)
    ).one()
    gegeven = _consent_dates(ctx, casus, str(soort))
    if gegeven:
        return {"basis": "toestemming", "toestemming_van": max(gegeven).isoformat()}
    melding = (
        f"Er is geen toestemming vastgelegd voor het delen met een {_woorden(str(soort))}. "
        "Leg de toestemming vast in stap 6 (Hoe stemmen we af?), of kies de wettelijke grondslag."
    )
    raise Validatiefout([{"pad": pad, "melding": melding}])


def _consent_dates(ctx: Context, casus: Casus, soort: str) -> list[date]:
    """The dates of consent in the current plan that covers `soort`, given by today."""
    inhoud: Mapping[str, Any] = ctx.session.exec(
        select(Revisie.inhoud).where(Revisie.casus_id == casus.id, Revisie.nummer == casus.revisie)
    ).one()
    vandaag = datetime.now(NL).date()
    dates = []
    for item in (inhoud.get(SECTIE) or {}).get(LIJST) or []:
        try:
            gegeven = date.fromisoformat(str(item.get("datum")))
        except ValueError:
            continue
        if soort in (item.get("organisatietypen") or []) and gegeven <= vandaag:
            dates.append(gegeven)
    return dates


def _woorden(soort: str) -> str:
    return soort.replace("_", " ")
