"""HTTP API for the functioneel beheerder."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, status

from app.accounts import beheer
from app.accounts.schemas import AccountIn, AccountOut, ActiefIn, OrganisatieIn, OrganisatieOut
from app.deps import Ctx
from app.problems import fouten

router = APIRouter(prefix="/beheer", tags=["beheer"])


@router.get("/organisaties")
def list_organisations(ctx: Ctx) -> list[OrganisatieOut]:
    return beheer.list_organisations(ctx)


@router.post("/organisaties", status_code=status.HTTP_201_CREATED)
def add_organisation(data: OrganisatieIn, ctx: Ctx) -> OrganisatieOut:
    return beheer.add_organisation(ctx, data)


@router.patch("/organisaties/{organisatie_id}", responses=fouten(409))
def set_organisation_active(organisatie_id: uuid.UUID, data: ActiefIn, ctx: Ctx) -> OrganisatieOut:
    return beheer.set_organisation_active(ctx, organisatie_id, data.actief)


@router.get("/accounts")
def list_accounts(ctx: Ctx) -> list[AccountOut]:
    return beheer.list_accounts(ctx)


@router.post("/accounts", status_code=status.HTTP_201_CREATED)
def add_account(data: AccountIn, ctx: Ctx) -> AccountOut:
    return beheer.add_account(ctx, data)


@router.patch("/accounts/{gebruikersnaam}", responses=fouten(409))
def set_account_active(
    gebruikersnaam: Annotated[str, Path(max_length=100)], data: ActiefIn, ctx: Ctx
) -> AccountOut:
    return beheer.set_account_active(ctx, gebruikersnaam, data.actief)
