"""Questionnaire invitations and answers.

An answer carries no reference to its invitation or to an account: the team sees in the app who
was asked and whether they answered, never what they answered. That is a rule of the app, not a
guarantee of the database: see `VragenlijstAntwoord`. Open answers are free text: sealed with
the casus' data key like every other free text, and never exported.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, text
from sqlmodel import Field, SQLModel

from app.db import enum_column, utc_column, utcnow
from app.research.vragenlijst import Doelgroep


class Moment(StrEnum):
    """When a questionnaire is asked: at closing (the pilot's plan) or after an MDO."""

    AFSLUITING = "afsluiting"
    MDO = "mdo"


_AFSLUITING_PER_ACCOUNT = text("moment = 'afsluiting' AND account_id IS NOT NULL")


class VragenlijstUitnodiging(SQLModel, table=True):
    """Who is asked to fill in which questionnaire, until when, and whether they did.

    A professional's invitation names the account; an ouder's invitation has no account but the
    SHA-256 of a random link token (the token itself is shown once and never stored).
    """

    __table_args__ = (
        Index(
            "uq_uitnodiging_afsluiting_account",
            "casus_id",
            "account_id",
            unique=True,
            sqlite_where=_AFSLUITING_PER_ACCOUNT,
            postgresql_where=_AFSLUITING_PER_ACCOUNT,
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    casus_id: uuid.UUID = Field(foreign_key="casus.id", ondelete="RESTRICT", index=True)
    doelgroep: Doelgroep = Field(sa_column=enum_column(Doelgroep))
    moment: Moment = Field(sa_column=enum_column(Moment))
    vragenlijstversie: str = Field(max_length=40)
    mdo_id: uuid.UUID | None = Field(default=None, foreign_key="mdo.id", ondelete="RESTRICT")
    account_id: uuid.UUID | None = Field(
        default=None, foreign_key="account.id", ondelete="RESTRICT", index=True
    )
    token_hash: str | None = Field(default=None, max_length=64, unique=True)
    aangemaakt_door_id: uuid.UUID | None = Field(
        default=None, foreign_key="account.id", ondelete="RESTRICT"
    )
    aangemaakt_op: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    verloopt_op: datetime = Field(sa_column=utc_column())
    ingetrokken_op: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    beantwoord_op: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


class VragenlijstAntwoord(SQLModel, table=True):
    """One filled-in questionnaire: scale answers in the clear, open answers sealed.

    No column points to the invitation or the account, and the app shows the team no answer.
    In the database, though, an answer can still be linked: whoever can query both tables can
    match `casus_id` and `datum` against the invitations' `casus_id`, `beantwoord_op` and
    `account_id`, and a sole respondent of a casus in that period is then known. To blur that,
    `datum` is only the Monday of the ISO week the answer came in (never the day or the moment),
    so it is one of everyone on the casus who answered that week; it does not help when only
    one person did.
    """

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    casus_id: uuid.UUID = Field(foreign_key="casus.id", ondelete="RESTRICT", index=True)
    doelgroep: Doelgroep = Field(sa_column=enum_column(Doelgroep))
    moment: Moment = Field(sa_column=enum_column(Moment))
    vragenlijstversie: str = Field(max_length=40)
    datum: date
    schaal: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    open: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class Onderzoeksplan(SQLModel, table=True):
    """Per research project, the rung each quasi-identifier has been released at so far.

    Later exports of the project never go finer (app.research.anonimiteit `minimum`): joining
    two of its exports on the stable pseudonym then gives nothing finer than either.
    """

    project: str = Field(primary_key=True, max_length=60)
    niveaus: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    bijgewerkt_op: datetime = Field(default_factory=utcnow, sa_column=utc_column())
