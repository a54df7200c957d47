"""What waits for me: handovers, casussen I joined, MDOs, overdue reviews, questionnaires.

Only what the actor may see anyway (casussen with an active role), and only pointers: no casus
content leaves through the inbox, and nothing here is ever mailed.
"""

from __future__ import annotations

import operator
import uuid
from datetime import date, datetime, timedelta
from functools import reduce
from typing import NamedTuple
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from sqlalchemy import ColumnElement, Select, and_, func, or_
from sqlalchemy import select as sa_select
from sqlmodel import col

from app.access.service import visible_clause
from app.audit.recorder import Uitkomst
from app.casus.membership import casus_ids_of
from app.casus.models import Casus, Rol
from app.context import Context
from app.db import among_ids, utcnow
from app.enums import CasusStatus
from app.regie.models import Overdracht, OverdrachtStatus
from app.research.models import VragenlijstUitnodiging
from app.research.vragenlijst_service import open_for_account_query

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
    """Only the number, for the badge in the page header: it shows no casus, so it is not logged.

    It is on every page, so it is one statement after the account's casus ids (see
    `casus_ids_of`), not one per kind of item: it counts the very queries `_items` lists, with
    the same clauses, so the badge and the inbox cannot disagree.
    """
    mine, toegevoegd, binnenkort = _mine(ctx)
    delen = [
        _handovers_query(ctx).with_only_columns(col(Overdracht.id)),
        _questionnaires_query(ctx).with_only_columns(col(VragenlijstUitnodiging.id)),
        mine.where(toegevoegd),
        mine.where(binnenkort),
    ]
    aantallen = [
        sa_select(func.count()).select_from(deel.order_by(None).subquery()).scalar_subquery()
        for deel in delen
    ]
    return int(ctx.session.execute(sa_select(reduce(operator.add, aantallen))).scalar_one())


def _items(ctx: Context) -> list[InboxItem]:
    mine = _my_open_casussen(ctx)
    return [*_handovers(ctx), *_questionnaires(ctx), *_added(mine), *_meetings(mine)]


class _Mijn(NamedTuple):
    """What the inbox needs of one of my open casussen and my role on it: no whole rows."""

    casus_id: uuid.UUID
    gemeente: str
    volgende_mdo: date | None
    sinds: datetime
    toegevoegd: bool
    binnenkort: bool


_MijnQuery = Select[uuid.UUID, str, date | None, datetime]


def _mine(ctx: Context) -> tuple[_MijnQuery, ColumnElement[bool], ColumnElement[bool]]:
    """My open casussen with the columns the inbox uses, and its two signals on them: someone
    else added me recently, and the next MDO is near or overdue.

    By id (see `casus_ids_of`) and only the columns used: whole casus rows with their
    projections cost more than the query.
    """
    ids = casus_ids_of(ctx.session, ctx.actor.account_id)
    toegevoegd = and_(
        col(Rol.sinds) >= utcnow() - RECENT,
        col(Rol.toegevoegd_door_id).is_distinct_from(ctx.actor.account_id),
    )
    binnenkort = col(Casus.volgende_mdo) <= date.today() + SOON
    query = (
        sa_select(col(Casus.id), col(Casus.gemeente), col(Casus.volgende_mdo), col(Rol.sinds))
        .join(Rol, col(Rol.casus_id) == col(Casus.id))
        .where(
            among_ids(ctx.session, col(Casus.id), ids),
            col(Rol.account_id) == ctx.actor.account_id,
            col(Rol.tot).is_(None),
            col(Casus.status) != CasusStatus.AFGESLOTEN,
        )
    )
    return query, toegevoegd, binnenkort


def _my_open_casussen(ctx: Context) -> list[_Mijn]:
    """Those of my open casussen with something to show, each with its signals."""
    query, toegevoegd, binnenkort = _mine(ctx)
    signalen = query.add_columns(
        toegevoegd.label("toegevoegd"), binnenkort.label("binnenkort")
    ).where(or_(toegevoegd, binnenkort))
    return [_Mijn(*row) for row in ctx.session.execute(signalen).all()]


def _handovers_query(ctx: Context) -> Select[Overdracht, Casus]:
    return (
        sa_select(Overdracht, Casus)
        .join(Casus, col(Casus.id) == col(Overdracht.casus_id))
        .join(Rol, col(Rol.casus_id) == col(Casus.id))
        .where(
            col(Overdracht.opvolger_id) == ctx.actor.account_id,
            col(Overdracht.status) == OverdrachtStatus.VOORGESTELD,
            col(Rol.account_id) == ctx.actor.account_id,
            col(Rol.tot).is_(None),
        )
    )


def _handovers(ctx: Context) -> list[InboxItem]:
    rows = ctx.session.execute(_handovers_query(ctx)).all()
    return [
        InboxItem(soort="overdracht", casus_id=c.id, gemeente=c.gemeente, overdracht_id=o.id)
        for o, c in rows
    ]


def _added(mine: list[_Mijn]) -> list[InboxItem]:
    return [
        InboxItem(
            soort="toegevoegd", casus_id=m.casus_id, gemeente=m.gemeente, datum=m.sinds.date()
        )
        for m in mine
        if m.toegevoegd
    ]


def _meetings(mine: list[_Mijn]) -> list[InboxItem]:
    today = date.today()
    items: list[InboxItem] = []
    for m in mine:
        if not m.binnenkort or m.volgende_mdo is None:
            continue
        soort = "te_laat" if m.volgende_mdo < today else "mdo_voorbereiden"
        items.append(
            InboxItem(soort=soort, casus_id=m.casus_id, gemeente=m.gemeente, datum=m.volgende_mdo)
        )
    return items


def _questionnaires_query(ctx: Context) -> Select[VragenlijstUitnodiging, Casus]:
    return open_for_account_query(ctx.actor.account_id, zichtbaar=visible_clause(ctx))


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
        for uitnodiging, casus in ctx.session.execute(_questionnaires_query(ctx)).all()
    ]
