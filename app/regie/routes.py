"""HTTP API for handovers of regie."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from app.deps import Ctx
from app.problems import fouten
from app.regie import service
from app.regie.schemas import AfwijzenIn, OverdrachtIn, OverdrachtOut

router = APIRouter(prefix="/casussen/{casus_id}/overdrachten", tags=["overdracht"])


@router.post("", status_code=status.HTTP_201_CREATED, responses=fouten(409))
def propose(casus_id: uuid.UUID, data: OverdrachtIn, ctx: Ctx, response: Response) -> OverdrachtOut:
    overdracht = service.propose(ctx, casus_id, data)
    response.headers["Location"] = f"/api/v1/casussen/{casus_id}/overdrachten/{overdracht.id}"
    return overdracht


@router.get("")
def list_overdrachten(casus_id: uuid.UUID, ctx: Ctx) -> list[OverdrachtOut]:
    return service.list_for_casus(ctx, casus_id)


@router.post("/{overdracht_id}/accepteren", responses=fouten(409))
def accept(casus_id: uuid.UUID, overdracht_id: uuid.UUID, ctx: Ctx) -> OverdrachtOut:
    return service.accept(ctx, casus_id, overdracht_id)


@router.post("/{overdracht_id}/afwijzen", responses=fouten(409))
def decline(
    casus_id: uuid.UUID, overdracht_id: uuid.UUID, data: AfwijzenIn, ctx: Ctx
) -> OverdrachtOut:
    return service.decline(ctx, casus_id, overdracht_id, data.reden)


@router.post("/{overdracht_id}/intrekken", responses=fouten(409))
def withdraw(casus_id: uuid.UUID, overdracht_id: uuid.UUID, ctx: Ctx) -> OverdrachtOut:
    return service.withdraw(ctx, casus_id, overdracht_id)
