"""HTTP API for researchers: the anonymised export and the aggregate figures."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from app.access.policy import Actie
from app.access.service import authorize_system
from app.deps import Ctx
from app.research.cijfers import Cijfers, bereken_cijfers
from app.research.export import Formaat
from app.research.service import open_export

router = APIRouter(prefix="/onderzoek", tags=["onderzoek"])


@router.get(
    "/export",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}, "application/jsonl": {}}}},
)
def export(
    request: Request,
    ctx: Ctx,
    formaat: Formaat = Formaat.CSV,
    project: str | None = Query(default=None, max_length=60),
) -> StreamingResponse:
    """Stream the export; the plan (what was generalised and suppressed) is in the headers."""
    authorize_system(ctx, Actie.ONDERZOEK_EXPORTEREN)
    state = request.app.state
    bestand = open_export(
        state.engine,
        state.onderzoek,
        ctx.formulieren,
        ctx.vragenlijsten,
        formaat=formaat,
        project=project,
    )
    try:
        ctx.audit.annotate(**bestand.kenmerken())
        return StreamingResponse(
            bestand.stream(), media_type=bestand.media_type, headers=bestand.headers()
        )
    except BaseException:
        bestand.close()
        raise


@router.get("/cijfers")
def cijfers(request: Request, ctx: Ctx) -> Cijfers:
    """The aggregate figures for research questions 1, 3 and 4, small cells suppressed."""
    authorize_system(ctx, Actie.ONDERZOEK_CIJFERS)
    state = request.app.state
    resultaat = bereken_cijfers(state.engine, state.onderzoek, ctx.formulieren, ctx.vragenlijsten)
    ctx.audit.annotate(**resultaat.kenmerken())
    return resultaat
