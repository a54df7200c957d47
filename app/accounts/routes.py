"""Who am I: the account behind the token."""

from fastapi import APIRouter

from app.accounts.schemas import IkOut
from app.deps import ActorDep

router = APIRouter(tags=["account"])


@router.get("/ik")
def read_ik(actor: ActorDep) -> IkOut:
    return IkOut(
        gebruikersnaam=actor.gebruikersnaam,
        naam=actor.naam,
        organisatie=actor.organisatie,
        systeemrollen=sorted(actor.systeemrollen),
    )
