"""What waits for me: handovers, casussen I joined, MDOs, overdue reviews, questionnaires.

Only what the actor may see anyway (casussen with an active role), and only pointers: no casus
content leaves through the inbox, and nothing here is ever mailed.
"""

from __future__ import annotations

import operator
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache, reduce
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from sqlalchemy import BindParameter, Select, Uuid, and_, bindparam, func, or_
from sqlalchemy import select as sa_select
from sqlmodel import col

from app.access.service import fade_moment, visible_since
from app.audit.recorder import Uitkomst
from app.casus.membership import MIJN_CASUS_IDS
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

    It is on every page, so it is one statement, not one per kind of item: it counts the same
    statements `_items` runs.
    """
    params = _params(ctx, date.today())
    return int(ctx.session.execute(_queries(_dialect(ctx)).aantal, params).scalar_one())


def _items(ctx: Context) -> list[InboxItem]:
    vandaag = date.today()
    queries, params = _queries(_dialect(ctx)), _params(ctx, vandaag)
    handovers = ctx.session.execute(queries.overdrachten, params).all()
    questionnaires = ctx.session.execute(queries.vragenlijsten, params).all()
    mine = [_Mijn(*row) for row in ctx.session.execute(queries.mijn, params).all()]
    return [
        *(_handover(o, c) for o, c in handovers),
        *(_questionnaire(u, c) for u, c in questionnaires),
        *_added(mine),
        *_meetings(mine, vandaag),
    ]


class _Mijn(NamedTuple):
    """One of my open casussen with something to show, and its signals: no whole rows."""

    casus_id: uuid.UUID
    gemeente: str
    volgende_mdo: date | None
    sinds: datetime
    toegevoegd: bool
    binnenkort: bool


@dataclass(frozen=True)
class _Queries:
    overdrachten: Select[Overdracht, Casus]
    vragenlijsten: Select[VragenlijstUitnodiging, Casus]
    mijn: Select[uuid.UUID, str, date | None, datetime, bool, bool]
    aantal: Select[int]


def _dialect(ctx: Context) -> str:
    return ctx.session.get_bind().dialect.name


def _params(ctx: Context, vandaag: date) -> dict[str, Any]:
    """What `_queries` run with: who I am, and the moments their clauses use."""
    nu = utcnow()
    return {
        "ik": ctx.actor.account_id,
        "nu": nu,
        "toegevoegd_sinds": nu - RECENT,
        "mdo_tot": vandaag + SOON,
        "zichtbaar_sinds": fade_moment(ctx),
    }


@cache
def _queries(dialect: str) -> _Queries:
    """The inbox's statements, built once per dialect (composing them cost more than running
    them, and the badge runs on every page).

    My open casussen come by id (see `MIJN_CASUS_IDS`) with only the columns used, and with the
    inbox's two signals on them: someone else added me recently; the next MDO is near or past.
    """
    ik: BindParameter[uuid.UUID] = bindparam("ik", type_=Uuid())
    toegevoegd = and_(
        col(Rol.sinds) >= bindparam("toegevoegd_sinds"),
        col(Rol.toegevoegd_door_id).is_distinct_from(ik),
    )
    binnenkort = col(Casus.volgende_mdo) <= bindparam("mdo_tot")
    mine = (
        sa_select(col(Casus.id), col(Casus.gemeente), col(Casus.volgende_mdo), col(Rol.sinds))
        .join(Rol, col(Rol.casus_id) == col(Casus.id))
        .where(
            among_ids(dialect, col(Casus.id), MIJN_CASUS_IDS),
            col(Rol.account_id) == ik,
            col(Rol.tot).is_(None),
            col(Casus.status) != CasusStatus.AFGESLOTEN,
        )
    )
    overdrachten = (
        sa_select(Overdracht, Casus)
        .join(Casus, col(Casus.id) == col(Overdracht.casus_id))
        .join(Rol, col(Rol.casus_id) == col(Casus.id))
        .where(
            col(Overdracht.opvolger_id) == ik,
            col(Overdracht.status) == OverdrachtStatus.VOORGESTELD,
            col(Rol.account_id) == ik,
            col(Rol.tot).is_(None),
        )
    )
    vragenlijsten = open_for_account_query(
        ik, zichtbaar=visible_since(bindparam("zichtbaar_sinds")), nu=bindparam("nu")
    )
    delen = [
        overdrachten.with_only_columns(col(Overdracht.id)),
        vragenlijsten.with_only_columns(col(VragenlijstUitnodiging.id)).order_by(None),
        mine.where(toegevoegd),
        mine.where(binnenkort),
    ]
    aantallen = [
        sa_select(func.count()).select_from(deel.subquery()).scalar_subquery() for deel in delen
    ]
    return _Queries(
        overdrachten=overdrachten,
        vragenlijsten=vragenlijsten,
        mijn=mine.add_columns(toegevoegd.label("toegevoegd"), binnenkort.label("binnenkort")).where(
            or_(toegevoegd, binnenkort)
        ),
        aantal=sa_select(reduce(operator.add, aantallen)),
    )


def _handover(overdracht: Overdracht, casus: Casus) -> InboxItem:
    return InboxItem(
        soort="overdracht", casus_id=casus.id, gemeente=casus.gemeente, overdracht_id=overdracht.id
    )


def _questionnaire(uitnodiging: VragenlijstUitnodiging, casus: Casus) -> InboxItem:
    """Questionnaires I was asked to fill in (also on a closed casus); `datum` is the last day."""
    return InboxItem(
        soort="vragenlijst",
        casus_id=casus.id,
        gemeente=casus.gemeente,
        datum=uitnodiging.verloopt_op.astimezone(NL).date(),
        uitnodiging_id=uitnodiging.id,
    )


def _added(mine: list[_Mijn]) -> list[InboxItem]:
    return [
        InboxItem(
            soort="toegevoegd", casus_id=m.casus_id, gemeente=m.gemeente, datum=m.sinds.date()
        )
        for m in mine
        if m.toegevoegd
    ]


def _meetings(mine: list[_Mijn], vandaag: date) -> list[InboxItem]:
    items: list[InboxItem] = []
    for m in mine:
        if not m.binnenkort or m.volgende_mdo is None:
            continue
        soort = "te_laat" if m.volgende_mdo < vandaag else "mdo_voorbereiden"
        items.append(
            InboxItem(soort=soort, casus_id=m.casus_id, gemeente=m.gemeente, datum=m.volgende_mdo)
        )
    return items
