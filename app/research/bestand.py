"""The export as a file on disk (the `regie export` command): written whole or not at all."""

from __future__ import annotations

import getpass
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.progress import Progress
from sqlalchemy import Engine

from app.audit.recorder import AuditRecorder, Uitkomst
from app.db import unit_of_work, utcnow
from app.research.service import Exportbestand


def side_file(uit: Path) -> Path:
    """Where the export's explanation goes: beside it, so the two travel together."""
    return uit.with_name(uit.name + ".toelichting.json")


def record_cli_export(engine: Engine, bestand: Exportbestand) -> None:
    """An export from the command line is audited like one over HTTP, naming the OS user."""
    audit = AuditRecorder(request_id=None, clientadres=None)
    audit.gebruikersnaam = f"opdrachtregel:{getpass.getuser()}"[:100]
    audit.record("onderzoek.exporteren", Uitkomst.TOEGESTAAN, kenmerken=bestand.kenmerken())
    with unit_of_work(engine) as session:
        audit.write(session)


def write_export(
    bestand: Exportbestand, uit: Path, progress: Callable[[], Progress]
) -> dict[str, Any]:
    """Stream into a private temporary file, then move it into place; returns the explanation.

    A half-written export never sits under the requested name, and neither file is readable
    by other users of the machine.
    """
    toelichting = {
        **bestand.kenmerken(),
        "gemaakt_op": utcnow().isoformat(timespec="seconds"),
        "bestand": uit.name,
    }
    tijdelijk = uit.with_name(f".{uit.name}.deel")
    fd = os.open(tijdelijk, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh, progress() as bar:
            task = bar.add_task("Exporteren", total=bestand.plan.totaal)
            for blok in bestand.stream(lambda n: bar.advance(task, n)):
                fh.write(blok)
        _write_private(side_file(uit), json.dumps(toelichting, ensure_ascii=False, indent=2))
        tijdelijk.replace(uit)
    except BaseException:
        tijdelijk.unlink(missing_ok=True)
        raise
    return toelichting


def _write_private(path: Path, tekst: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(tekst + "\n")
