"""Liveness and readiness for the orchestrator."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

router = APIRouter(prefix="/health", tags=["health"])
_STATUS = {"type": "object", "required": ["status"], "properties": {"status": {"type": "string"}}}


@router.get("/live")
def live() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/ready",
    response_model=None,
    responses={
        200: {"content": {"application/json": {"schema": _STATUS}}},
        503: {
            "description": 'De database antwoordt niet: `{"status": "niet_gereed"}`.',
            "content": {"application/json": {"schema": _STATUS}},
        },
    },
)
def ready(request: Request) -> Any:
    """Ready only when the database answers: a load balancer should stop sending us work."""
    try:
        with request.app.state.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any database failure means "not ready"
        return JSONResponse({"status": "niet_gereed"}, status_code=503)
    return {"status": "ok"}
