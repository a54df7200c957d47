"""The export's scratch buckets: private, never holding a quasi-identifier's value, and always
removed. A bucket line has numbers for those values, meaningful only in the export's memory, and
the exact duration and whether the casus is closed, which rounding needs once the plan is known."""

from __future__ import annotations

import csv
import gc
import io
import re
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from app.config import Settings
from app.crypto.service import keyring_for
from app.db import make_engine, snapshot_session
from app.enums import Formaat
from app.form.definition import load_formulieren
from app.generator import genereer
from app.research.service import Exportbestand, Onderzoek, open_export
from app.research.vragenlijst import load_vragenlijsten


@pytest.fixture
def kladblok(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    map_ = tmp_path / "tmp"
    map_.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(map_))
    return map_


@pytest.fixture
def engine(settings: Settings) -> Engine:
    engine = make_engine(settings.database_url)
    formulieren = load_formulieren(None, settings.form_version)
    formulier = formulieren[formulieren.standaard]
    genereer(engine, formulier, keyring_for(settings), load_vragenlijsten(), 40)
    return engine


def _open(engine: Engine, settings: Settings, formaat: Formaat) -> tuple[Exportbestand, Session]:
    onderzoek = Onderzoek.laad(settings)
    formulieren = load_formulieren(None, settings.form_version)
    snapshot = snapshot_session(engine)
    bestand = open_export(
        snapshot,
        onderzoek,
        formulieren,
        load_vragenlijsten(),
        formaat=formaat,
        project=onderzoek.project(None),
        minimum=[0] * len(onderzoek.ladders),
    )
    return bestand, snapshot


def test_buckets_are_private_hold_no_quasi_identifier_and_go_once_read(
    engine: Engine, settings: Settings, kladblok: Path
) -> None:
    bestand, snapshot = _open(engine, settings, Formaat.CSV)
    try:
        (map_,) = kladblok.iterdir()
        assert map_.stat().st_mode & 0o077 == 0
        formulieren = load_formulieren(None, settings.form_version)
        gemeenten = formulieren[formulieren.standaard].vocabulaires["gemeente"]
        tekst = "".join(p.read_text(encoding="utf-8") for p in map_.iterdir())
        assert tekst and not any(g in tekst for g in gemeenten)
        assert not re.search(r"\b20\d\d-\d\d\b", tekst)  # no start month either
        # The quasi-identifiers as seven numbers, nothing else: no indicatie, form version or
        # kind of organisation either.
        assert all(re.fullmatch(r"\d+(,\d+){6}", r.split("\t")[1]) for r in tekst.splitlines())
        rows = list(csv.DictReader(io.StringIO(b"".join(bestand.stream()).decode("utf-8"))))
    finally:
        snapshot.close()
    assert len(rows) == bestand.plan.rijen > 0
    assert not list(kladblok.iterdir())
    engine.dispose()


def test_an_export_dropped_unread_leaves_no_buckets(
    engine: Engine, settings: Settings, kladblok: Path
) -> None:
    bestand, snapshot = _open(engine, settings, Formaat.JSONL)
    snapshot.close()
    assert list(kladblok.iterdir())
    del bestand
    gc.collect()
    assert not list(kladblok.iterdir())
    engine.dispose()
