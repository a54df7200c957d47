"""Starting an export: check the request, take a snapshot, decide the plan, hand out the stream."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Engine

from app.config import Settings
from app.db import snapshot_session, utcnow
from app.errors import NietIngericht, Validatiefout
from app.form.definition import Formulieren
from app.research.anonimiteit import Ladder, Plan, ladders, load_regio
from app.research.export import MEDIA_TYPE, Export, Formaat, Kolommen
from app.research.pseudonym import Pseudonimiseerder, master_secret
from app.research.vragenlijst import Vragenlijsten


@dataclass(frozen=True)
class Onderzoek:
    """The research set-up of this installation, loaded once at start-up."""

    ladders: tuple[Ladder, ...]
    geheim: bytes | None
    projecten: tuple[str, ...]
    k: int
    max_onderdrukt: float

    @classmethod
    def laad(cls, settings: Settings) -> Onderzoek:
        return cls(
            ladders=ladders(load_regio()),
            geheim=master_secret(settings),
            projecten=tuple(settings.projecten),
            k=settings.onderzoek_k,
            max_onderdrukt=settings.onderzoek_max_onderdrukt,
        )

    def project(self, gevraagd: str | None) -> str:
        """The project asked for, or the first; an unknown one is refused, not invented."""
        project = gevraagd or self.projecten[0]
        if project not in self.projecten:
            raise Validatiefout(
                [{"pad": "project", "melding": f"Onbekend onderzoeksproject: {project}."}]
            )
        return project


@dataclass
class Exportbestand:
    """An export ready to stream: its plan is fixed, its rows are not yet read."""

    export: Export
    plan: Plan
    formaat: Formaat
    project: str

    def stream(self, voortgang: Callable[[int], None] | None = None) -> Iterator[bytes]:
        """The file in chunks; the snapshot is released at the end, also when the reader stops."""
        try:
            yield from self.export.blokken(self.plan, self.formaat, voortgang=voortgang)
        finally:
            self.close()

    def close(self) -> None:
        self.export.session.close()

    @property
    def media_type(self) -> str:
        return MEDIA_TYPE[self.formaat]

    @property
    def bestandsnaam(self) -> str:
        return f"regie-export-{self.project}-{date.today().isoformat()}.{self.formaat.value}"

    def kenmerken(self) -> dict[str, Any]:
        """For the audit event: the parameters and what the export holds, never its content."""
        return {"formaat": self.formaat.value, "project": self.project, **self.plan.toelichting()}

    def headers(self) -> dict[str, str]:
        toelichting = self.plan.toelichting()
        gegeneraliseerd = "; ".join(f"{k}={v}" for k, v in toelichting["gegeneraliseerd"].items())
        return {
            "Content-Disposition": f'attachment; filename="{self.bestandsnaam}"',
            "Regie-Export-Project": self.project,
            "Regie-Export-K": str(toelichting["k"]),
            "Regie-Export-Rijen": str(toelichting["rijen"]),
            "Regie-Export-Onderdrukt": str(toelichting["onderdrukt"]),
            "Regie-Export-Gegeneraliseerd": gegeneraliseerd,
        }


def open_export(
    engine: Engine,
    onderzoek: Onderzoek,
    formulieren: Formulieren,
    vragenlijsten: Vragenlijsten,
    *,
    formaat: Formaat,
    project: str | None,
) -> Exportbestand:
    """Plan the export on a snapshot that the returned stream reads on and closes when done."""
    gekozen = onderzoek.project(project)
    if onderzoek.geheim is None:
        raise NietIngericht("Exporteren kan pas als REGIE_ONDERZOEK_SLEUTEL is ingesteld.")
    session = snapshot_session(engine)
    try:
        export = Export(
            session,
            formulieren,
            Kolommen.uit(formulieren, vragenlijsten),
            onderzoek.ladders,
            Pseudonimiseerder(onderzoek.geheim, gekozen),
            nu=utcnow(),
        )
        plan = export.plan(k=onderzoek.k, max_aandeel=onderzoek.max_onderdrukt)
    except BaseException:
        session.close()
        raise
    return Exportbestand(export, plan, formaat, gekozen)
