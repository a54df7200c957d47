"""HTTP API for the handreiking and its revisions; the revision number is the ETag."""

from __future__ import annotations

import re
import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Response

from app.casus.routes import etag
from app.db import INT4_MAX
from app.deps import Ctx
from app.errors import VersieVereist
from app.handreiking import mdo, service
from app.handreiking.schemas import (
    AfrondenIn,
    HandreikingIn,
    HandreikingOut,
    MdoIn,
    MdoOut,
    OpgeslagenOut,
    RevisieOut,
    RevisieSamenvatting,
    ToestemmingIn,
    VerschilOut,
)
from app.problems import fouten

router = APIRouter(prefix="/casussen/{casus_id}", tags=["handreiking"])
_ETAG = re.compile(r'^(?:W/)?"?(\d{1,9})"?$')
Nummer = Annotated[int, Path(ge=1, le=INT4_MAX)]
# A client's idempotency key: a UUID or any other random token of 16 to 64 safe characters.
IDEMPOTENCY_KEY = r"^[A-Za-z0-9_-]{16,64}$"


def parse_if_match(value: str | None) -> int:
    """The revision a save is based on; without it a save could silently overwrite."""
    if value is None or value.strip() in ("", "*"):
        raise VersieVereist(
            'Stuur de revisie waarop u verder werkt mee in If-Match, bijvoorbeeld If-Match: "3".'
        )
    match = _ETAG.match(value.strip())
    # An unreadable tag matches no revision: answered like any stale one.
    return int(match.group(1)) if match else 0


@router.get("/handreiking")
def read_handreiking(casus_id: uuid.UUID, ctx: Ctx, response: Response) -> HandreikingOut:
    handreiking = service.read(ctx, casus_id)
    response.headers["ETag"] = etag(handreiking.revisie)
    return handreiking


@router.put("/handreiking", responses=fouten(409, 412, 428))
def save_handreiking(
    casus_id: uuid.UUID,
    data: HandreikingIn,
    ctx: Ctx,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
    idempotency_key: Annotated[str | None, Header(pattern=IDEMPOTENCY_KEY)] = None,
) -> OpgeslagenOut:
    """Save the next revision. With an `Idempotency-Key`, repeating the same request (because
    its answer was lost) answers with the revision the first one wrote, marked by the
    `Idempotent-Replayed: true` header, instead of writing it twice."""
    opgeslagen = service.save(
        ctx, casus_id, basis=parse_if_match(if_match), data=data, sleutel=idempotency_key
    )
    response.headers["ETag"] = etag(opgeslagen.nummer)
    if opgeslagen.herhaald:
        response.headers["Idempotent-Replayed"] = "true"
    return OpgeslagenOut(revisie=opgeslagen.nummer)


@router.post("/toestemmingen", status_code=201, responses=fouten(409, 412, 428))
def give_consent(
    casus_id: uuid.UUID,
    data: ToestemmingIn,
    ctx: Ctx,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
) -> OpgeslagenOut:
    """An ouder or the jeugdige gives consent: a new item in step 6 (who and when stamped by
    Regie), as the next revision of the plan, on the revision in If-Match. The same item sent
    again on the same revision answers with the revision the first wrote
    (`Idempotent-Replayed: true`)."""
    opgeslagen = service.add_consent(
        ctx,
        casus_id,
        basis=parse_if_match(if_match),
        organisatietypen=data.organisatietypen,
        reikwijdte=data.reikwijdte,
    )
    response.headers["ETag"] = etag(opgeslagen.nummer)
    if opgeslagen.herhaald:
        response.headers["Idempotent-Replayed"] = "true"
    return OpgeslagenOut(revisie=opgeslagen.nummer)


@router.get("/revisies")
def list_revisies(casus_id: uuid.UUID, ctx: Ctx) -> list[RevisieSamenvatting]:
    return service.list_revisions(ctx, casus_id)


@router.get("/revisies/{nummer}")
def read_revisie(casus_id: uuid.UUID, nummer: Nummer, ctx: Ctx) -> RevisieOut:
    return service.read_revision(ctx, casus_id, nummer)


@router.get("/revisies/{nummer}/verschil")
def diff_revisies(
    casus_id: uuid.UUID, nummer: Nummer, met: Annotated[int, Query(ge=1, le=INT4_MAX)], ctx: Ctx
) -> VerschilOut:
    return service.diff(ctx, casus_id, nummer, met)


@router.post("/mdos", status_code=201, responses=fouten(409))
def open_mdo(casus_id: uuid.UUID, data: MdoIn, ctx: Ctx) -> MdoOut:
    return mdo.open_mdo(ctx, casus_id, data)


@router.get("/mdos")
def list_mdos(casus_id: uuid.UUID, ctx: Ctx) -> list[MdoOut]:
    return mdo.list_mdos(ctx, casus_id)


@router.post("/mdos/{mdo_id}/afronden", responses=fouten(409))
def finish_mdo(casus_id: uuid.UUID, mdo_id: uuid.UUID, data: AfrondenIn, ctx: Ctx) -> MdoOut:
    return mdo.finish_mdo(ctx, casus_id, mdo_id, data)
