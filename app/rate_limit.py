"""Rate limits on signing in, counted in the database so every app process shares them.

A fixed window per minute and client address: one upsert that returns the new count, in a
transaction of its own (a refused or failed sign-in still counts). Old windows are removed by
the same statement's neighbour, a delete of what is older than an hour, so the table stays small.

The address is the peer uvicorn sees. Behind a reverse proxy that is the proxy for everyone,
unless REGIE_PROXY_ADRESSEN names it, so that its X-Forwarded-For is believed (`regie serve`).
The pages' dependency that applies a limit is `app.web.deps.limit`: this module holds the table
and the count, so the command line (which maps every table) loads without the web framework.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import BigInteger, Column, Engine, Index, delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Field, SQLModel

from app.errors import RegieFout

VENSTER_S = 60
BEWAAR_S = 3600


class Aanvraagteller(SQLModel, table=True):
    """Attempts per key (kind of attempt and client address) and one-minute window."""

    __table_args__ = (Index("ix_aanvraagteller_venster", "venster"),)

    sleutel: str = Field(primary_key=True, max_length=200)
    venster: int = Field(sa_column=Column(BigInteger, primary_key=True))
    aantal: int = Field(default=0)


class TeVeelPogingen(RegieFout):
    status, code, title = 429, "te_veel_pogingen", "Te veel pogingen"

    def __init__(self, over: int) -> None:
        super().__init__(
            f"Er is vanaf dit adres te vaak geprobeerd aan te melden. Probeer het over {over} "
            "seconden opnieuw."
        )
        self.headers = {"Retry-After": str(over)}


def count(engine: Engine, sleutel: str, nu: float | None = None) -> tuple[int, int]:
    """Count one attempt; returns the attempts in this window and the seconds it has left."""
    moment = time.time() if nu is None else nu
    venster = int(moment // VENSTER_S)
    insert: Any = (postgresql if engine.dialect.name == "postgresql" else sqlite).insert
    statement = (
        insert(Aanvraagteller)
        .values(sleutel=sleutel, venster=venster, aantal=1)
        .on_conflict_do_update(
            index_elements=["sleutel", "venster"],
            set_={"aantal": Aanvraagteller.aantal + 1},
        )
        .returning(Aanvraagteller.aantal)
    )
    with engine.begin() as connection:
        aantal = int(connection.execute(statement).scalar_one())
        if aantal == 1:  # the first of a window clears out the old ones
            oud = venster - BEWAAR_S // VENSTER_S
            connection.execute(
                delete(Aanvraagteller).where(Aanvraagteller.venster < oud)  # type: ignore[arg-type]
            )
    return aantal, VENSTER_S - int(moment % VENSTER_S)
