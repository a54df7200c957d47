"""Starting an export: check the request, take a snapshot, decide the plan, hand out the stream."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from app.config import Settings
from app.db import utcnow
from app.enums import Formaat
from app.errors import NietIngericht, Validatiefout
from app.form.definition import Formulieren
from app.research.anonimiteit import Ladder, Plan, ladders, load_regio
from app.research.export import MEDIA_TYPE, Export, Kolommen
from app.research.models import Onderzoeksplan
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
    """An export ready to stream: its plan is fixed, its rows wait in scratch buckets unwritten."""

    export: Export
    plan: Plan
    formaat: Formaat
    project: str

    def stream(self, voortgang: Callable[[int], None] | None = None) -> Iterator[bytes]:
        """The file in chunks; `voortgang` hears of the casussen written or suppressed."""
        yield from self.export.blokken(self.plan, voortgang=voortgang)

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
            "Regie-Export-Duur-Afgerond-Op": f"{toelichting['duur_weken_afgerond_op']} weken",
        }


def open_export(
    session: Session,
    onderzoek: Onderzoek,
    formulieren: Formulieren,
    vragenlijsten: Vragenlijsten,
    *,
    formaat: Formaat,
    project: str,
    minimum: Sequence[int],
    voortgang: Callable[[int], None] | None = None,
) -> Exportbestand:
    """Plan the export on `session` (a snapshot: app.db.snapshot_session), the one read of the
    database; the caller closes it, on every path. `voortgang` hears of the casussen read."""
    if onderzoek.geheim is None:
        raise NietIngericht("Exporteren kan pas als REGIE_ONDERZOEK_SLEUTEL is ingesteld.")
    export = Export(
        session,
        formulieren,
        Kolommen.uit(formulieren, vragenlijsten),
        onderzoek.ladders,
        Pseudonimiseerder(onderzoek.geheim, project),
        formaat,
        nu=utcnow(),
    )
    plan = export.plan(
        k=onderzoek.k, max_aandeel=onderzoek.max_onderdrukt, minimum=minimum, voortgang=voortgang
    )
    return Exportbestand(export, plan, formaat, project)


def released_levels(session: Session, onderzoek: Onderzoek, project: str) -> list[int]:
    """The rungs this project's earlier exports were released at: the floor for the next."""
    opgeslagen = session.get(Onderzoeksplan, project)
    namen = opgeslagen.niveaus if opgeslagen else {}
    return [_rung(ladder, namen.get(ladder.kolom)) for ladder in onderzoek.ladders]


def _rung(ladder: Ladder, naam: str | None) -> int:
    return ladder.niveaus.index(naam) if naam in ladder.niveaus else 0


def remember_levels(session: Session, project: str, plan: Plan) -> None:
    """Raise the project's floor to this export's rungs (never lower it), with the audit event."""
    opgeslagen = session.exec(
        select(Onderzoeksplan).where(col(Onderzoeksplan.project) == project).with_for_update()
    ).first() or Onderzoeksplan(project=project)
    niveaus = dict(opgeslagen.niveaus)
    for ladder, niveau in zip(plan.ladders, plan.niveaus, strict=True):
        hoogste = max(niveau, _rung(ladder, niveaus.get(ladder.kolom)))
        niveaus[ladder.kolom] = ladder.niveaus[hoogste]
    opgeslagen.niveaus = niveaus
    opgeslagen.bijgewerkt_op = utcnow()
    session.add(opgeslagen)
