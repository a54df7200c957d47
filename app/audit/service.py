"""The toegangslog (NEN 7513 transparency): who read or changed this casus, and when."""

from __future__ import annotations

import uuid

from sqlalchemy import func
from sqlmodel import col, select

from app.access.policy import Actie
from app.access.service import authorize
from app.accounts.models import Account
from app.audit.models import AuditGebeurtenis
from app.audit.recorder import Uitkomst
from app.audit.schemas import GebeurtenisOut, TijdlijnPagina, ToegangOut, ToegangslogPagina
from app.context import Context


def toegangslog(
    ctx: Context, casus_id: uuid.UUID, *, pagina: int, per_pagina: int
) -> ToegangslogPagina:
    """Every recorded event on this casus, newest first; reading it is itself recorded."""
    authorize(ctx, Actie.TOEGANGSLOG_LEZEN, casus_id, handeling="toegangslog.lezen")
    on_casus = col(AuditGebeurtenis.casus_id) == casus_id
    totaal = ctx.session.exec(select(func.count()).where(on_casus)).one()
    rows = ctx.session.exec(
        select(AuditGebeurtenis, Account.naam)
        .outerjoin(Account, col(Account.id) == col(AuditGebeurtenis.account_id))
        .where(on_casus)
        .order_by(col(AuditGebeurtenis.volgnummer).desc())
        .offset((pagina - 1) * per_pagina)
        .limit(per_pagina)
    ).all()
    return ToegangslogPagina(
        resultaten=[
            ToegangOut(
                tijdstip=event.tijdstip,
                gebruikersnaam=event.gebruikersnaam,
                naam=naam,
                organisatie=event.organisatie,
                handeling=event.actie,
                uitkomst=event.uitkomst,
                velden=event.velden,
                kenmerken=event.kenmerken,
            )
            for event, naam in rows
        ],
        pagina=pagina,
        per_pagina=per_pagina,
        totaal=totaal,
    )


# What happened to the casus, as opposed to who looked at it: the lifecycle of the domain brief.
TIJDLIJN = (
    "casus.aanmaken", "betrokkene.toevoegen", "betrokkene.verwijderen", "deelnemer.uitnodigen",
    "deelnemer.aanmelden", "handreiking.opslaan",
    "mdo.openen", "mdo.afronden", "overdracht.voorstellen", "overdracht.accepteren",
    "overdracht.afwijzen", "overdracht.intrekken", "casus.afsluiten", "casus.heropenen",
    "handreiking.afdrukken",
)  # fmt: skip


def tijdlijn(ctx: Context, casus_id: uuid.UUID, *, pagina: int, per_pagina: int) -> TijdlijnPagina:
    """The casus' timeline, newest first: every change that went through, read from the trail.

    One source: the timeline is the allowed changes in the audit trail, so the two cannot
    disagree, and an event cannot be on the timeline without being audited.
    """
    authorize(ctx, Actie.CASUS_LEZEN, casus_id, handeling="tijdlijn.lezen")
    query = (
        col(AuditGebeurtenis.casus_id) == casus_id,
        col(AuditGebeurtenis.uitkomst) == Uitkomst.TOEGESTAAN.value,
        col(AuditGebeurtenis.actie).in_(TIJDLIJN),
    )
    totaal = ctx.session.exec(select(func.count()).where(*query)).one()
    rows = ctx.session.exec(
        select(AuditGebeurtenis, Account.naam)
        .outerjoin(Account, col(Account.id) == col(AuditGebeurtenis.account_id))
        .where(*query)
        .order_by(col(AuditGebeurtenis.volgnummer).desc())
        .offset((pagina - 1) * per_pagina)
        .limit(per_pagina)
    ).all()
    return TijdlijnPagina(
        resultaten=[
            GebeurtenisOut(
                tijdstip=event.tijdstip,
                soort=event.actie,
                gebruikersnaam=event.gebruikersnaam,
                naam=naam,
                organisatie=event.organisatie,
                velden=event.velden,
                kenmerken={k: v for k, v in event.kenmerken.items() if k != "recht"},
            )
            for event, naam in rows
        ],
        pagina=pagina,
        per_pagina=per_pagina,
        totaal=totaal,
    )
