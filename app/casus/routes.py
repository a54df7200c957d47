"""HTTP API for casussen and betrokkenen: parse, call one service, respond."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from app.casus import membership, service
from app.casus.schemas import (
    AfsluitenIn,
    BetrokkeneIn,
    CasusCreate,
    CasusOut,
    CasusPagina,
    RolOut,
    Zoekvraag,
)
from app.deps import Ctx, Pagina
from app.problems import fouten

router = APIRouter(prefix="/casussen", tags=["casussen"])


def etag(nummer: int) -> str:
    return f'"{nummer}"'


@router.post("", status_code=status.HTTP_201_CREATED)
def create_casus(data: CasusCreate, ctx: Ctx, response: Response) -> CasusOut:
    casus = service.create(ctx, data)
    response.headers["Location"] = f"/api/v1/casussen/{casus.id}"
    response.headers["ETag"] = etag(casus.revisie)
    return casus


@router.get("")
def list_casussen(
    ctx: Ctx,
    zoek: Annotated[Zoekvraag, Query()],
    pagina: Pagina = 1,
    per_pagina: Annotated[int, Query(ge=1, le=100)] = 20,
) -> CasusPagina:
    return service.list_mine(ctx, pagina=pagina, per_pagina=per_pagina, zoek=zoek)


@router.get("/{casus_id}")
def read_casus(casus_id: uuid.UUID, ctx: Ctx, response: Response) -> CasusOut:
    casus = service.read(ctx, casus_id)
    response.headers["ETag"] = etag(casus.revisie)
    return casus


@router.post("/{casus_id}/afsluiten", responses=fouten(409))
def close_casus(casus_id: uuid.UUID, data: AfsluitenIn, ctx: Ctx) -> CasusOut:
    return service.close(ctx, casus_id, data.reden)


@router.get("/{casus_id}/betrokkenen")
def list_betrokkenen(casus_id: uuid.UUID, ctx: Ctx) -> list[RolOut]:
    return membership.list_roles(ctx, casus_id)


@router.post("/{casus_id}/betrokkenen", status_code=status.HTTP_201_CREATED, responses=fouten(409))
def add_betrokkene(casus_id: uuid.UUID, data: BetrokkeneIn, ctx: Ctx) -> RolOut:
    return membership.add_role(ctx, casus_id, data)


@router.delete(
    "/{casus_id}/betrokkenen/{rol_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=fouten(409),
)
def remove_betrokkene(casus_id: uuid.UUID, rol_id: uuid.UUID, ctx: Ctx) -> None:
    membership.end_role(ctx, casus_id, rol_id)


@router.post("/{casus_id}/heropenen", responses=fouten(409))
def reopen_casus(casus_id: uuid.UUID, ctx: Ctx) -> CasusOut:
    return service.reopen(ctx, casus_id)
