"""The toegangslog (NEN 7513 transparency): who read or changed this casus, and when."""

from __future__ import annotations

import uuid

from sqlalchemy import func
from sqlmodel import col, select

from app.access.policy import Actie
from app.access.service import authorize
from app.accounts.models import Account
from app.audit.models import AuditGebeurtenis
from app.audit.schemas import ToegangOut, ToegangslogPagina
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
