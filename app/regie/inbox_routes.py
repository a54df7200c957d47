"""HTTP API for the inbox."""

from fastapi import APIRouter

from app.deps import Ctx
from app.regie.inbox import InboxOut, inbox

router = APIRouter(tags=["inbox"])


@router.get("/inbox")
def read_inbox(ctx: Ctx) -> InboxOut:
    return inbox(ctx)
