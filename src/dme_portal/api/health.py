"""Liveness and readiness."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import text

from dme_portal.api.deps import get_database
from dme_portal.api.problem import problem_responses, unavailable_response
from dme_portal.db.engine import Database

router = APIRouter(tags=["health"])


class Health(BaseModel):
    """The probe passed."""

    status: Literal["ok"] = Field(default="ok", description="Always `ok`.")


@router.get(
    "/healthz", operation_id="getLiveness", response_model=Health, summary="The process is up"
)
async def healthz() -> Health:
    """200 while the process serves requests; it does not touch the database."""
    return Health()


@router.get(
    "/readyz",
    operation_id="getReadiness",
    response_model=Health,
    responses=problem_responses(503),
    summary="The database answers",
)
async def readyz(request: Request, db: Database = Depends(get_database)) -> Health | JSONResponse:
    """200 when the database answers a query; 503 with `Retry-After` otherwise (take the
    process out of rotation)."""
    try:
        async with db.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception:
        # Whatever the cause (down, refusing connections, pool exhausted), not ready.
        return unavailable_response(request)
    return Health()
