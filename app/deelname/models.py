"""Invitations of ouders and the jeugdige to their own casus."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from app.db import enum_column, utc_column, utcnow
from app.enums import CasusRol


class Uitnodiging(SQLModel, table=True):
    """A personal invitation: a link sent by e-mail plus a code handed over in person.

    Neither secret is stored, only their hashes (the code's keyed, because a short code alone
    could be guessed from a copy of the table). The name and e-mail address are identifying,
    so they are sealed like the plan's own fields, bound to the casus; `email_index` (keyed
    hash of the address) finds the invitation again when the invitee asks for a new link.
    Accepting it creates the invitee's account and role (`account_id`); it works once, until
    `verloopt_op`, and only while not withdrawn.
    """

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    casus_id: uuid.UUID = Field(foreign_key="casus.id", ondelete="RESTRICT", index=True)
    rol: CasusRol = Field(sa_column=enum_column(CasusRol))
    naam: str = Field(sa_column=Column(Text, nullable=False))
    email: str = Field(sa_column=Column(Text, nullable=False))
    email_index: str | None = Field(default=None, max_length=64, index=True)
    token_hash: str = Field(max_length=64, unique=True)
    code_hash: str = Field(max_length=64)
    uitgenodigd_door_id: uuid.UUID = Field(foreign_key="account.id", ondelete="RESTRICT")
    aangemaakt_op: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    verloopt_op: datetime = Field(sa_column=utc_column())
    mislukte_pogingen: int = 0
    gebruikt_op: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    ingetrokken_op: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    account_id: uuid.UUID | None = Field(
        default=None, foreign_key="account.id", ondelete="RESTRICT"
    )


class Terugkeerlink(SQLModel, table=True):
    """A new one-time link for an invitee who was let in before and whose session ended.

    It belongs to the accepted invitation that made their account: the code of that
    invitation, still in the invitee's hands, is the second secret. Only its hash is stored.
    """

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    uitnodiging_id: uuid.UUID = Field(foreign_key="uitnodiging.id", ondelete="RESTRICT", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    aangemaakt_op: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    verloopt_op: datetime = Field(sa_column=utc_column())
    mislukte_pogingen: int = 0
    gebruikt_op: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
