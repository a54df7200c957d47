"""HTTP API for the functioneel beheerder."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter

from app.accounts import beheer
from app.accounts.beheer import AccountOut, ActiefIn
from app.deps import Ctx

router = APIRouter(prefix="/beheer", tags=["beheer"])


@router.get("/accounts")
def list_accounts(ctx: Ctx) -> list[AccountOut]:
    return beheer.list_accounts(ctx)


@router.patch("/accounts/{gebruikersnaam}")
def set_account_active(gebruikersnaam: str, data: ActiefIn, ctx: Ctx) -> AccountOut:
    return beheer.set_account_active(ctx, gebruikersnaam, data.actief)


@router.patch("/organisaties/{organisatie_id}")
def set_organisation_active(organisatie_id: uuid.UUID, data: ActiefIn, ctx: Ctx) -> dict[str, Any]:
    return beheer.set_organisation_active(ctx, organisatie_id, data.actief)
