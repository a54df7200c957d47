"""HTTP API for the toegangslog."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from app.audit import service
from app.audit.schemas import TijdlijnPagina, ToegangslogPagina
from app.deps import Ctx, Pagina

router = APIRouter(prefix="/casussen/{casus_id}", tags=["toegangslog"])


@router.get("/toegangslog")
def read_toegangslog(
    casus_id: uuid.UUID,
    ctx: Ctx,
    pagina: Pagina = 1,
    per_pagina: Annotated[int, Query(ge=1, le=100)] = 50,
) -> ToegangslogPagina:
    return service.toegangslog(ctx, casus_id, pagina=pagina, per_pagina=per_pagina)


@router.get("/tijdlijn")
def read_tijdlijn(
    casus_id: uuid.UUID,
    ctx: Ctx,
    pagina: Pagina = 1,
    per_pagina: Annotated[int, Query(ge=1, le=100)] = 50,
) -> TijdlijnPagina:
    return service.tijdlijn(ctx, casus_id, pagina=pagina, per_pagina=per_pagina)
