"""`make bench` works: every scenario runs once at a tiny size (timings are not judged here)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from benchmarks import export
from benchmarks.run import report


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_export_benchmark_runs_and_reports(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    admin = request.getfixturevalue("pg_server") if backend == "postgresql" else ""
    naam = f"regie_bench_{uuid.uuid4().hex[:8]}"
    try:
        metingen = export.run([backend], [15, 30], tmp_path, admin, naam)
    finally:
        if admin:
            engine = create_engine(admin, isolation_level="AUTOCOMMIT")
            with engine.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{naam}" WITH (FORCE)'))
            engine.dispose()
    assert [m.casussen for m in metingen] == [15, 30]
    assert all(m.regie_s > 0 and m.vloer_s > 0 and m.regie_mb > 10 for m in metingen)
    report(metingen, tmp_path)
    markdown = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert f"| {backend} | 30 |" in markdown and "vloer" in markdown
    data = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert [m["casussen"] for m in data["export"]] == [15, 30]
