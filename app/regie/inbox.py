"""What waits for me: handovers, casussen I joined, MDOs, overdue reviews, questionnaires.

Only what the actor may see anyway (casussen with an active role), and only pointers: no casus
content leaves through the inbox, and nothing here is ever mailed.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from sqlalchemy import select as sa_select
from sqlmodel import col, select

from app.access.service import visible_clause
from app.audit.recorder import Uitkomst
from app.casus.membership import casus_ids_of
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


class _Mijn(NamedTuple):
    """What the inbox needs of one of my open casussen and my role on it: no whole rows."""

    casus_id: uuid.UUID
    gemeente: str
    volgende_mdo: date | None
    sinds: datetime
    toegevoegd_door_id: uuid.UUID | None


def _my_open_casussen(ctx: Context) -> list[_Mijn]:
    """On every page (the header's badge), so by id (see `casus_ids_of`) and only the columns
    used: whole casus rows with their projections cost more than the query."""
    ids = casus_ids_of(ctx.session, ctx.actor.account_id)
    rows = ctx.session.execute(
        sa_select(
            col(Casus.id),
            col(Casus.gemeente),
            col(Casus.volgende_mdo),
            col(Rol.sinds),
            col(Rol.toegevoegd_door_id),
        )
        .join(Rol, col(Rol.casus_id) == col(Casus.id))
        .where(
            col(Casus.id).in_(ids),
            col(Rol.account_id) == ctx.actor.account_id,
            col(Rol.tot).is_(None),
            col(Casus.status) != CasusStatus.AFGESLOTEN,
        )
    ).all()
    return [_Mijn(*row) for row in rows]


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


def _added(ctx: Context, mine: list[_Mijn]) -> list[InboxItem]:
    since = utcnow() - RECENT
    return [
        InboxItem(
            soort="toegevoegd", casus_id=m.casus_id, gemeente=m.gemeente, datum=m.sinds.date()
        )
        for m in mine
        if m.sinds >= since and m.toegevoegd_door_id != ctx.actor.account_id
    ]


def _meetings(mine: list[_Mijn]) -> list[InboxItem]:
    today = date.today()
    items: list[InboxItem] = []
    for m in mine:
        when = m.volgende_mdo
        if when is None or when > today + SOON:
            continue
        soort = "te_laat" if when < today else "mdo_voorbereiden"
        items.append(InboxItem(soort=soort, casus_id=m.casus_id, gemeente=m.gemeente, datum=when))
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
