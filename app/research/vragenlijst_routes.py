"""HTTP API for questionnaires: a professional's own invitations, and the ouders' links of a casus.

Ouders answer through their personal link on a page (/vragenlijst/{token}), not through the API.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, status

from app.deps import Ctx
from app.problems import fouten
from app.research import vragenlijst_service as service
from app.research.vragenlijst_schemas import (
    AntwoordIn,
    AntwoordOntvangen,
    OuderLinkIn,
    OuderLinkOut,
    UitnodigingDetail,
    UitnodigingOut,
    VragenlijstenCasusOut,
)

router = APIRouter(tags=["vragenlijsten"])


@router.get("/vragenlijsten")
def my_invitations(ctx: Ctx) -> list[UitnodigingOut]:
    return service.my_open_invitations(ctx)


@router.get("/vragenlijsten/{uitnodiging_id}", responses=fouten(410))
def read_invitation(uitnodiging_id: uuid.UUID, ctx: Ctx) -> UitnodigingDetail:
    return service.read_invitation(ctx, uitnodiging_id)


@router.post(
    "/vragenlijsten/{uitnodiging_id}/antwoorden",
    status_code=status.HTTP_201_CREATED,
    responses=fouten(410),
)
def answer(uitnodiging_id: uuid.UUID, data: AntwoordIn, ctx: Ctx) -> AntwoordOntvangen:
    return service.answer_as_professional(ctx, uitnodiging_id, data)


@router.post(
    "/casussen/{casus_id}/vragenlijsten", status_code=status.HTTP_201_CREATED, responses=fouten(409)
)
def create_link(request: Request, casus_id: uuid.UUID, data: OuderLinkIn, ctx: Ctx) -> OuderLinkOut:
    """The link is in this response only: it is not stored and cannot be asked for again."""
    nieuw = service.create_ouder_link(ctx, casus_id, data.moment)
    return OuderLinkOut(
        id=nieuw.id,
        link=service.ouder_link(ctx.settings, str(request.base_url), nieuw.token),
        verloopt_op=nieuw.verloopt_op,
    )


@router.get("/casussen/{casus_id}/vragenlijsten")
def list_for_casus(casus_id: uuid.UUID, ctx: Ctx) -> VragenlijstenCasusOut:
    return service.list_for_casus(ctx, casus_id)


@router.delete(
    "/casussen/{casus_id}/vragenlijsten/{uitnodiging_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=fouten(409),
)
def withdraw_link(casus_id: uuid.UUID, uitnodiging_id: uuid.UUID, ctx: Ctx) -> None:
    service.withdraw_link(ctx, casus_id, uitnodiging_id)
