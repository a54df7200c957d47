"""HTTP API for inviting ouders and the jeugdige; accepting happens in the browser (the link)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, status

from app.deelname import service
from app.deelname.schemas import NieuweUitnodigingOut, UitnodigingIn, UitnodigingOut
from app.deps import Ctx
from app.problems import fouten

router = APIRouter(prefix="/casussen/{casus_id}/uitnodigingen", tags=["deelname"])


@router.post("", status_code=status.HTTP_201_CREATED, responses=fouten(409, 503))
def invite(
    request: Request, casus_id: uuid.UUID, data: UitnodigingIn, ctx: Ctx
) -> NieuweUitnodigingOut:
    """Invite an ouder/verzorger or the jeugdige: the link goes by e-mail, the `code` in this
    answer is to be handed over in person (it is not stored and not shown again)."""
    nieuw = service.invite(ctx, casus_id, data, str(request.base_url))
    return NieuweUitnodigingOut(
        id=nieuw.id, rol=data.rol, code=nieuw.code, verloopt_op=nieuw.verloopt_op
    )


@router.get("")
def list_invitations(casus_id: uuid.UUID, ctx: Ctx) -> list[UitnodigingOut]:
    return service.list_for_casus(ctx, casus_id)


@router.post("/{deelname_id}/intrekken", status_code=204, responses=fouten(409))
def withdraw(casus_id: uuid.UUID, deelname_id: uuid.UUID, ctx: Ctx) -> None:
    service.withdraw(ctx, casus_id, deelname_id)


@router.post(
    "/{deelname_id}/opnieuw", status_code=status.HTTP_201_CREATED, responses=fouten(404, 409, 503)
)
def reinvite(
    request: Request, casus_id: uuid.UUID, deelname_id: uuid.UUID, ctx: Ctx
) -> NieuweUitnodigingOut:
    """Invite someone who accepted before again: a new link by e-mail and a new `code` (for
    a lost code, or when their role had ended); accepting keeps their account."""
    nieuw = service.reinvite(ctx, casus_id, deelname_id, str(request.base_url))
    return NieuweUitnodigingOut(
        id=nieuw.id, rol=nieuw.rol, code=nieuw.code, verloopt_op=nieuw.verloopt_op
    )
