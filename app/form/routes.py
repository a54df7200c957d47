"""The form definitions, for clients that build the form from data."""

from typing import Any

from fastapi import APIRouter, Request

from app.deps import ActorDep
from app.errors import NietGevonden
from app.form.definition import Formulier

router = APIRouter(prefix="/formulieren", tags=["formulieren"])


@router.get("/{versie}")
def read_formulier(versie: str, request: Request, _: ActorDep) -> dict[str, Any]:
    formulier: Formulier | None = request.app.state.formulieren.get(versie)
    if formulier is None:
        raise NietGevonden(f"Formulierversie {versie} bestaat niet.")
    return formulier.model_dump(mode="json", exclude_none=True)
