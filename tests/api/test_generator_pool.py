"""The generator's professionals: a caseload each, so a large database has many of them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from app.accounts.models import Account
from app.casus.models import Rol
from app.config import Settings
from app.db import make_engine
from app.generator import POOL, account_pool, pool_grootte


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    engine = make_engine(settings.database_url)
    yield engine
    engine.dispose()


def test_the_pool_grows_with_the_casussen_not_before() -> None:
    assert pool_grootte(1) == pool_grootte(1000) == POOL
    assert pool_grootte(10_000) == 500
    assert pool_grootte(100_000) == 5000
    assert pool_grootte(100_001) == 5001


def test_a_growing_pool_keeps_its_accounts_in_order_and_adds_new_ones(engine: Engine) -> None:
    eerst = account_pool(engine, POOL)
    assert account_pool(engine, POOL - 10) == eerst  # never shrinks, never duplicates
    daarna = account_pool(engine, POOL + 15)
    assert daarna[:POOL] == eerst
    assert len({lid.account_id for lid in daarna}) == len(daarna) == POOL + 15
    assert [lid.gebruikersnaam for lid in daarna[-2:]] == [
        f"gen.{POOL + 13:04d}",
        f"gen.{POOL + 14:04d}",
    ]
    assert account_pool(engine, POOL + 15) == daarna  # read back in the same order
    with Session(engine) as session:
        gegenereerd = select(func.count()).where(col(Account.gebruikersnaam).startswith("gen."))
        assert session.exec(gegenereerd).one() == POOL + 15
        assert session.exec(select(func.count()).select_from(Rol)).one() == 0
        inactief = select(Account).where(col(Account.gebruikersnaam).startswith("gen."))
        assert not any(a.actief for a in session.exec(inactief))
