"""The form definitions, for clients that build the form from data."""

from typing import Any

from fastapi import APIRouter, Request

from app.deps import ActorDep
from app.errors import NietGevonden

router = APIRouter(prefix="/formulieren", tags=["formulieren"])


@router.get("/{versie}")
def read_formulier(versie: str, request: Request, _: ActorDep) -> dict[str, Any]:
    formulier = request.app.state.formulieren.get(versie)
    if formulier is None:
        raise NietGevonden(f"Formulierversie {versie} bestaat niet.")
    return formulier.model_dump(mode="json", exclude_none=True)  # type: ignore[no-any-return]
