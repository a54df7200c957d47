"""The export as a file on disk (the `regie export` command): written whole or not at all."""

from __future__ import annotations

import getpass
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.progress import Progress
from sqlalchemy import Engine

from app.audit.recorder import AuditRecorder, Uitkomst
from app.config import Settings
from app.db import snapshot_session, unit_of_work, utcnow
from app.enums import Formaat
from app.form.definition import load_formulieren
from app.research.service import (
    Exportbestand,
    Onderzoek,
    open_export,
    released_levels,
    remember_levels,
)
from app.research.vragenlijst import load_vragenlijsten


def side_file(uit: Path) -> Path:
    """Where the export's explanation goes: beside it, so the two travel together."""
    return uit.with_name(uit.name + ".toelichting.json")


def export_to_file(
    engine: Engine,
    settings: Settings,
    *,
    formaat: Formaat,
    project: str | None,
    uit: Path,
    progress: Callable[[], Progress],
) -> dict[str, Any]:
    """The command line's export: planned on a snapshot, audited (naming the OS user) and the
    project's floor raised before a row is written, then streamed into the file."""
    onderzoek = Onderzoek.laad(settings)
    gekozen = onderzoek.project(project)
    formulieren = load_formulieren(settings.extra_form_dir, settings.form_version)
    with unit_of_work(engine) as session:
        minimum = released_levels(session, onderzoek, gekozen)
    with snapshot_session(engine) as snapshot, progress() as bar:
        lezen = bar.add_task("Lezen", total=None)
        bestand = open_export(
            snapshot,
            onderzoek,
            formulieren,
            load_vragenlijsten(),
            formaat=formaat,
            project=gekozen,
            minimum=minimum,
            voortgang=lambda n: bar.advance(lezen, n),
        )
        bar.remove_task(lezen)
        audit = AuditRecorder(request_id=None, clientadres=None)
        audit.gebruikersnaam = f"opdrachtregel:{getpass.getuser()}"[:100]
        audit.record("onderzoek.exporteren", Uitkomst.TOEGESTAAN, kenmerken=bestand.kenmerken())
        with unit_of_work(engine) as session:
            remember_levels(session, gekozen, bestand.plan)
            audit.write(session)
        return write_export(bestand, uit, bar)


def write_export(bestand: Exportbestand, uit: Path, bar: Progress) -> dict[str, Any]:
    """Stream into a private temporary file, then move it into place; returns the explanation.

    A half-written export never sits under the requested name, and neither file is readable
    by other users of the machine.
    """
    toelichting = {
        **bestand.kenmerken(),
        "gemaakt_op": utcnow().isoformat(timespec="seconds"),
        "bestand": uit.name,
    }
    fd, naam = tempfile.mkstemp(prefix=f".{uit.name}.", suffix=".deel", dir=uit.parent)
    tijdelijk = Path(naam)
    try:
        with os.fdopen(fd, "wb") as fh:
            task = bar.add_task("Schrijven", total=bestand.plan.totaal)
            for blok in bestand.stream(lambda n: bar.advance(task, n)):
                fh.write(blok)
        _write_private(side_file(uit), json.dumps(toelichting, ensure_ascii=False, indent=2))
        tijdelijk.replace(uit)
    except BaseException:
        tijdelijk.unlink(missing_ok=True)
        raise
    return toelichting


def _write_private(path: Path, tekst: str) -> None:
    """Through a fresh private file moved into place: never through a planted link."""
    fd, naam = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(tekst + "\n")
    Path(naam).replace(path)
