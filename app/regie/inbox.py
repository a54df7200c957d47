"""What waits for me: handovers, casussen I joined, MDOs, overdue reviews, questionnaires.

Only what the actor may see anyway (casussen with an active role), and only pointers: no casus
content leaves through the inbox, and nothing here is ever mailed.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from sqlmodel import col, select

from app.access.service import visible_clause
from app.audit.recorder import Uitkomst
from app.casus.models import Casus, Rol
from app.context import Context
from app.db import utcnow
from app.enums import CasusStatus
from app.regie.models import Overdracht, OverdrachtStatus
from app.research.vragenlijst_service import open_for_account

RECENT = timedelta(days=14)
SOON = timedelta(days=14)
NL = ZoneInfo("Europe/Amsterdam")


class InboxItem(BaseModel):
    soort: str
    casus_id: uuid.UUID
    gemeente: str
    datum: date | None = None
    overdracht_id: uuid.UUID | None = None
    uitnodiging_id: uuid.UUID | None = None


class InboxOut(BaseModel):
    aantal: int
    items: list[InboxItem]


def inbox(ctx: Context) -> InboxOut:
    items = _items(ctx)
    ctx.audit.record("inbox.lezen", Uitkomst.TOEGESTAAN, kenmerken={"aantal": len(items)})
    return InboxOut(aantal=len(items), items=items)


def count(ctx: Context) -> int:
    """Only the number, for the badge in the page header: it shows no casus, so it is not logged."""
    return len(_items(ctx))


def _items(ctx: Context) -> list[InboxItem]:
    mine = _my_open_casussen(ctx)
    return [*_handovers(ctx), *_questionnaires(ctx), *_added(ctx, mine), *_meetings(mine)]


def _my_open_casussen(ctx: Context) -> list[tuple[Casus, Rol]]:
    rows = ctx.session.exec(
        select(Casus, Rol)
        .join(Rol, col(Rol.casus_id) == col(Casus.id))
        .where(
            col(Rol.account_id) == ctx.actor.account_id,
            col(Rol.tot).is_(None),
            col(Casus.status) != CasusStatus.AFGESLOTEN,
        )
    ).all()
    return [(casus, rol) for casus, rol in rows]


def _handovers(ctx: Context) -> list[InboxItem]:
    rows = ctx.session.exec(
        select(Overdracht, Casus)
        .join(Casus, col(Casus.id) == col(Overdracht.casus_id))
        .join(Rol, col(Rol.casus_id) == col(Casus.id))
        .where(
            col(Overdracht.opvolger_id) == ctx.actor.account_id,
            col(Overdracht.status) == OverdrachtStatus.VOORGESTELD,
            col(Rol.account_id) == ctx.actor.account_id,
            col(Rol.tot).is_(None),
        )
    ).all()
    return [
        InboxItem(soort="overdracht", casus_id=c.id, gemeente=c.gemeente, overdracht_id=o.id)
        for o, c in rows
    ]


def _added(ctx: Context, mine: list[tuple[Casus, Rol]]) -> list[InboxItem]:
    since = utcnow() - RECENT
    return [
        InboxItem(soort="toegevoegd", casus_id=c.id, gemeente=c.gemeente, datum=r.sinds.date())
        for c, r in mine
        if r.sinds >= since and r.toegevoegd_door_id != ctx.actor.account_id
    ]


def _meetings(mine: list[tuple[Casus, Rol]]) -> list[InboxItem]:
    today = date.today()
    items: list[InboxItem] = []
    for casus, _ in mine:
        when = casus.volgende_mdo
        if when is None or when > today + SOON:
            continue
        soort = "te_laat" if when < today else "mdo_voorbereiden"
        items.append(InboxItem(soort=soort, casus_id=casus.id, gemeente=casus.gemeente, datum=when))
    return items


def _questionnaires(ctx: Context) -> list[InboxItem]:
    """Questionnaires I was asked to fill in (also on a closed casus); `datum` is the last day."""
    return [
        InboxItem(
            soort="vragenlijst",
            casus_id=casus.id,
            gemeente=casus.gemeente,
            datum=uitnodiging.verloopt_op.astimezone(NL).date(),
            uitnodiging_id=uitnodiging.id,
        )
        for uitnodiging, casus in open_for_account(
            ctx.session, ctx.actor.account_id, zichtbaar=visible_clause(ctx)
        )
    ]
