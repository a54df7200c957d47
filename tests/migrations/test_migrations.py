"""Migrations: up, down and up again; no drift from the models; invariants kept by the database.

Every test runs on SQLite and on PostgreSQL, each against its own empty database: a file in
tmp_path, or a private PostgreSQL database `regie_mig_<random>` dropped WITH (FORCE) afterwards.
No app is involved: only Alembic, raw SQL and SQLModel sessions on the migrated schema.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from pprint import pformat
from typing import NamedTuple

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session, SQLModel, select

from app.cli import alembic_config
from app.db import make_engine, utcnow
from app.enums import CasusRol, CasusStatus, OrganisatieType
from app.models import Account, Casus, Organisatie, Revisie, Rol

HEAD_TABLES = {*SQLModel.metadata.tables, "alembic_version"}
ROL_INDEXES = {"uq_rol_een_regievoerder", "uq_rol_actief_per_account", "ix_rol_account_actief"}
# Plain (non-partial) indexes of rol: by casus, for the research export's batched reads.
ROL_PLAIN_INDEXES = {"ix_rol_casus_id"}
FORMULIERVERSIE = "twente-2020.1"


# --- databases ------------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of each backend, private to this test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'regie.db'}"
        return
    server: str = request.getfixturevalue("pg_server")
    name = f"regie_mig_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def engine(empty_url: str) -> Iterator[Engine]:
    """An engine (app settings) on a database migrated to head."""
    command.upgrade(alembic_config(empty_url), "head")
    migrated = make_engine(empty_url)
    yield migrated
    migrated.dispose()


# --- schema inspection ----------------------------------------------------------------------


class Schema(NamedTuple):
    tables: set[str]
    rol_indexes: set[str]
    triggers: set[str]
    revision: str | None


def _schema(url: str) -> Schema:
    """What is in the database now: tables, rol's indexes, revisie's triggers, the revision."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            tables = set(inspect(connection).get_table_names())
            indexes = (
                {i["name"] for i in inspect(connection).get_indexes("rol") if i["name"]}
                if "rol" in tables
                else set()
            )
            if connection.dialect.name == "postgresql":
                trigger_sql = (
                    "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal "
                    "UNION SELECT proname FROM pg_proc WHERE proname LIKE 'regie%onveranderlijk'"
                )
            else:
                trigger_sql = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
            triggers = set(connection.execute(text(trigger_sql)).scalars())
            revision = MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()
    return Schema(tables, indexes, triggers, revision)


def _head(url: str) -> str | None:
    return ScriptDirectory.from_config(alembic_config(url)).get_current_head()


def _expected_triggers(url: str) -> set[str]:
    if url.startswith("postgresql"):
        return {
            "revisie_onveranderlijk",
            "regie_onveranderlijk",
            "auditgebeurtenis_onveranderlijk",
            "auditgebeurtenis_niet_legen",
            "regie_audit_onveranderlijk",
        }
    return {
        "revisie_onveranderlijk_update",
        "revisie_onveranderlijk_delete",
        "auditgebeurtenis_onveranderlijk_update",
        "auditgebeurtenis_onveranderlijk_delete",
    }


def test_upgrade_downgrade_upgrade(empty_url: str) -> None:
    config = alembic_config(empty_url)
    head = _head(empty_url)
    at_head = Schema(
        HEAD_TABLES, ROL_INDEXES | ROL_PLAIN_INDEXES, _expected_triggers(empty_url), head
    )
    assert _schema(empty_url).tables == set()

    command.upgrade(config, "head")
    assert _schema(empty_url) == at_head

    command.downgrade(config, "base")
    at_base = _schema(empty_url)
    assert at_base.tables <= {"alembic_version"}
    assert at_base.triggers == set()
    assert at_base.revision is None

    command.upgrade(config, "head")
    assert _schema(empty_url) == at_head


def test_autogenerate_finds_no_difference_with_the_models(engine: Engine) -> None:
    """SQLModel.metadata holds every table: app.models is imported at the top of this file."""
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, SQLModel.metadata)
    assert diff == [], f"migraties wijken af van de modellen:\n{pformat(diff)}"


def _predicate(where: object) -> str | None:
    """A partial index' WHERE clause, without the casts and brackets PostgreSQL adds."""
    if where is None:
        return None
    clause = re.sub(r"::\w+|[()]", "", str(where)).lower()
    return " ".join(clause.split())


def test_partial_indexes_match_the_models(engine: Engine) -> None:
    """Autogenerate does not compare WHERE clauses, so the partial indexes are checked here."""
    dialect = engine.dialect.name
    expected = {
        index.name: (
            [column.name for column in index.columns],
            bool(index.unique),
            _predicate(index.dialect_options[dialect]["where"]),
        )
        for index in Rol.__table__.indexes  # type: ignore[attr-defined]
        if index.name in ROL_INDEXES
    }
    actual = {
        index["name"]: (
            index["column_names"],
            bool(index["unique"]),
            _predicate(index.get("dialect_options", {}).get(f"{dialect}_where")),
        )
        for index in inspect(engine).get_indexes("rol")
        if index["name"] in ROL_INDEXES
    }
    assert set(expected) == ROL_INDEXES
    assert actual == expected


# --- invariants the database enforces --------------------------------------------------------


class Seed(NamedTuple):
    casus_id: uuid.UUID
    other_casus_id: uuid.UUID
    anna_id: uuid.UUID
    bram_id: uuid.UUID
    cor_id: uuid.UUID


def _add(engine: Engine, *rows: SQLModel) -> None:
    """Insert rows in one transaction of their own; they stay readable afterwards."""
    with Session(engine, expire_on_commit=False) as session:
        session.add_all(rows)
        session.commit()


@pytest.fixture
def seed(engine: Engine) -> Seed:
    """One organisation, three accounts, two casussen: the minimum the invariants need."""
    organisatie = Organisatie(naam="Zorg Twente", type=OrganisatieType.ZORGAANBIEDER)
    anna = Account(gebruikersnaam="anna", naam="Anna", organisatie_id=organisatie.id)
    bram = Account(gebruikersnaam="bram", naam="Bram", organisatie_id=organisatie.id)
    cor = Account(gebruikersnaam="cor", naam="Cor", organisatie_id=organisatie.id)
    casussen = [
        Casus(
            formulierversie=FORMULIERVERSIE,
            gemeente="Enschede",
            status=CasusStatus.AANGEMAAKT,
            revisie=1,
        )
        for _ in range(2)
    ]
    _add(engine, organisatie)
    _add(engine, anna, bram, cor, *casussen)
    return Seed(casussen[0].id, casussen[1].id, anna.id, bram.id, cor.id)


def _revisie(casus_id: uuid.UUID, auteur_id: uuid.UUID, nummer: int) -> Revisie:
    return Revisie(
        casus_id=casus_id,
        nummer=nummer,
        formulierversie=FORMULIERVERSIE,
        inhoud={"nummer": nummer},
        auteur_id=auteur_id,
    )


def _rol(
    casus_id: uuid.UUID, account_id: uuid.UUID, rol: CasusRol, *, beeindigd: bool = False
) -> Rol:
    now = utcnow()
    return Rol(
        casus_id=casus_id,
        account_id=account_id,
        rol=rol,
        sinds=now - timedelta(days=1),
        tot=now if beeindigd else None,
    )


def test_revision_number_is_unique_per_casus(engine: Engine, seed: Seed) -> None:
    _add(engine, _revisie(seed.casus_id, seed.anna_id, 1))
    with pytest.raises(IntegrityError) as refused:
        _add(engine, _revisie(seed.casus_id, seed.bram_id, 1))
    if engine.dialect.name == "postgresql":
        assert "uq_revisie_casus_nummer" in str(refused.value)
    # The next number, and the same number on another casus, are fine.
    _add(engine, _revisie(seed.casus_id, seed.anna_id, 2))
    _add(engine, _revisie(seed.other_casus_id, seed.anna_id, 1))
    with Session(engine) as session:
        assert len(session.exec(select(Revisie)).all()) == 3


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE revisie SET toelichting = 'herschreven' WHERE nummer = 1",
        "UPDATE revisie SET nummer = 7",
        "DELETE FROM revisie WHERE nummer = 1",
        "DELETE FROM revisie",
    ],
)
def test_revisions_cannot_be_changed_or_deleted(engine: Engine, seed: Seed, statement: str) -> None:
    _add(engine, _revisie(seed.casus_id, seed.anna_id, 1))
    with pytest.raises(DBAPIError, match="onveranderlijk"), engine.begin() as connection:
        connection.execute(text(statement))
    with Session(engine) as session:
        (revisie,) = session.exec(select(Revisie)).all()
    assert (revisie.nummer, revisie.toelichting, revisie.inhoud) == (1, None, {"nummer": 1})


def test_revisions_cannot_be_changed_through_the_orm(engine: Engine, seed: Seed) -> None:
    _add(engine, _revisie(seed.casus_id, seed.anna_id, 1))
    with Session(engine) as session:
        revisie = session.exec(select(Revisie)).one()
        revisie.toelichting = "herschreven"
        with pytest.raises(DBAPIError, match="onveranderlijk"):
            session.commit()
    with Session(engine) as session:
        revisie = session.exec(select(Revisie)).one()
        session.delete(revisie)
        with pytest.raises(DBAPIError, match="onveranderlijk"):
            session.commit()


def test_one_active_regievoerder_per_casus(engine: Engine, seed: Seed) -> None:
    _add(engine, _rol(seed.casus_id, seed.anna_id, CasusRol.REGIEVOERDER))
    with pytest.raises(IntegrityError) as refused:
        _add(engine, _rol(seed.casus_id, seed.bram_id, CasusRol.REGIEVOERDER))
    if engine.dialect.name == "postgresql":
        assert "uq_rol_een_regievoerder" in str(refused.value)
    # Other active roles beside the regievoerder are the point of a casus.
    _add(engine, _rol(seed.casus_id, seed.cor_id, CasusRol.BETROKKENE))
    # An ended regievoerder beside the active one is history, not a second regievoerder.
    _add(engine, _rol(seed.casus_id, seed.bram_id, CasusRol.REGIEVOERDER, beeindigd=True))
    # Another casus has its own regievoerder.
    _add(engine, _rol(seed.other_casus_id, seed.bram_id, CasusRol.REGIEVOERDER))
    # Handing over: once anna's role has ended, bram may become the active regievoerder.
    with Session(engine) as session:
        actief = session.exec(
            select(Rol).where(Rol.casus_id == seed.casus_id, Rol.account_id == seed.anna_id)
        ).one()
        actief.tot = utcnow()
        session.commit()
    _add(engine, _rol(seed.casus_id, seed.bram_id, CasusRol.REGIEVOERDER))


def test_one_active_role_per_account_per_casus(engine: Engine, seed: Seed) -> None:
    _add(engine, _rol(seed.casus_id, seed.anna_id, CasusRol.BETROKKENE))
    for second in (CasusRol.VOLGER, CasusRol.BETROKKENE, CasusRol.REGIEVOERDER):
        with pytest.raises(IntegrityError) as refused:
            _add(engine, _rol(seed.casus_id, seed.anna_id, second))
        if engine.dialect.name == "postgresql":
            assert "uq_rol_actief_per_account" in str(refused.value)
    # Ended roles are history and may pile up; another casus is another matter.
    _add(engine, _rol(seed.casus_id, seed.anna_id, CasusRol.VOLGER, beeindigd=True))
    _add(engine, _rol(seed.casus_id, seed.anna_id, CasusRol.VOLGER, beeindigd=True))
    _add(engine, _rol(seed.other_casus_id, seed.anna_id, CasusRol.VOLGER))


def test_existing_casussen_get_the_sealed_name_of_their_current_revision(
    engine: Engine, seed: Seed, empty_url: str
) -> None:
    """0013 copies the ciphertext (no key needed), from the current revision, not an older one."""
    met, zonder = seed.casus_id, seed.other_casus_id
    _add(
        engine,
        *(
            Revisie(
                casus_id=met,
                nummer=nummer,
                formulierversie=FORMULIERVERSIE,
                inhoud={"kop": {"jeugdige": {"naam": f"enc:v1:k:naam{nummer}"}}},
                auteur_id=seed.anna_id,
            )
            for nummer in (1, 2)
        ),
        _revisie(zonder, seed.anna_id, 1),
    )
    with Session(engine) as session:
        casus = session.get_one(Casus, met)
        casus.revisie = 2
        session.add(casus)
        session.commit()
    engine.dispose()
    command.downgrade(alembic_config(empty_url), "0012")
    command.upgrade(alembic_config(empty_url), "head")
    with Session(engine) as session:
        namen = {c.id: c.naam for c in session.exec(select(Casus))}
    assert namen == {met: "enc:v1:k:naam2", zonder: None}


def _opslag(engine: Engine) -> str:
    with engine.connect() as connection:
        opslag: str = connection.execute(
            text(
                "SELECT attstorage FROM pg_attribute "
                "WHERE attrelid = 'revisie'::regclass AND attname = 'inhoud'"
            )
        ).scalar_one()
    return opslag


@pytest.mark.parametrize("empty_url", ["postgresql"], indirect=True)
def test_sealed_plans_are_stored_without_a_compression_attempt(
    engine: Engine, empty_url: str
) -> None:
    """0014: ciphertext does not compress, so PostgreSQL must not try on every save (EXTERNAL,
    'e'); downgrading gives the default (EXTENDED, 'x') back. SQLite has no such setting."""
    assert _opslag(engine) == "e"
    engine.dispose()
    command.downgrade(alembic_config(empty_url), "0013")
    assert _opslag(engine) == "x"
    command.upgrade(alembic_config(empty_url), "head")
    assert _opslag(engine) == "e"
