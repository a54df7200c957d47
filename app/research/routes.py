"""HTTP API for researchers: the anonymised export and the aggregate figures."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from app.access.policy import Actie
from app.access.service import authorize_system
from app.deps import Ctx, SnapshotDep
from app.enums import Formaat
from app.research.cijfers import Cijfers, bereken_cijfers
from app.research.service import Onderzoek, open_export, released_levels, remember_levels

router = APIRouter(prefix="/onderzoek", tags=["onderzoek"])


@router.get(
    "/export",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}, "application/jsonl": {}}}},
)
def export(
    request: Request,
    ctx: Ctx,
    snapshot: SnapshotDep,
    formaat: Formaat = Formaat.CSV,
    project: str | None = Query(default=None, max_length=60),
) -> StreamingResponse:
    """Stream the export; the plan (what was generalised and suppressed) is in the headers."""
    authorize_system(ctx, Actie.ONDERZOEK_EXPORTEREN)
    onderzoek: Onderzoek = request.app.state.onderzoek
    gekozen = onderzoek.project(project)
    minimum = released_levels(ctx.session, onderzoek, gekozen)
    # Nothing is written yet (the audit event waits in ctx.audit): end the request's
    # transaction so SQLite's write lock is not held through the long read.
    ctx.session.rollback()
    bestand = open_export(
        snapshot,
        onderzoek,
        ctx.formulieren,
        ctx.vragenlijsten,
        formaat=formaat,
        project=gekozen,
        minimum=minimum,
    )
    remember_levels(ctx.session, gekozen, bestand.plan)
    ctx.audit.annotate(**bestand.kenmerken())
    return StreamingResponse(
        bestand.stream(), media_type=bestand.media_type, headers=bestand.headers()
    )


@router.get("/cijfers")
def cijfers(request: Request, ctx: Ctx) -> Cijfers:
    """The aggregate figures for research questions 1, 3 and 4, small cells suppressed."""
    authorize_system(ctx, Actie.ONDERZOEK_CIJFERS)
    # Nothing is written yet (the audit event waits in ctx.audit and is written at the end of
    # the request): end the request's transaction, so SQLite's write lock (BEGIN IMMEDIATE,
    # app.db) is not held through the full scan, which reads on a snapshot of its own.
    ctx.session.rollback()
    state = request.app.state
    resultaat = bereken_cijfers(state.engine, state.onderzoek, ctx.formulieren, ctx.vragenlijsten)
    ctx.audit.annotate(**resultaat.kenmerken())
    return resultaat
