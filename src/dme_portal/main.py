"""Application factory."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.openapi.utils import get_openapi

from dme_portal import __version__
from dme_portal.api import health
from dme_portal.api.idempotent import mark_required_headers
from dme_portal.api.problem import PROBLEM_MEDIA_TYPE, install_problem_handlers
from dme_portal.api.v1 import (
    attachments,
    auth,
    authorization_requests,
    codes,
    coverage,
    members,
    networks,
    reports,
    review,
    rulesets,
)
from dme_portal.audit import logging as phi_logging
from dme_portal.codes import icd10
from dme_portal.config import Settings, get_settings
from dme_portal.db.engine import Database
from dme_portal.sla import worker as sla_worker
from dme_portal.sla.clock import Clock, SystemClock

DESCRIPTION = """\
One API for every health network in California's Whole-Child Model: vendors submit DME
authorization requests, the hub routes each to the member's network, starts the 72-hour clock
and shows what the request is waiting on. Errors are RFC 9457 problem details.
"""


def _problem_openapi(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document, with error responses typed ``application/problem+json``."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title="DME prior-authorization hub",
        version=__version__,
        openapi_version="3.1.0",
        description=DESCRIPTION,
        routes=app.routes,
    )
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            for status, response in operation.get("responses", {}).items():
                content = response.get("content", {})
                if status[0] in "45" and "application/json" in content:
                    content[PROBLEM_MEDIA_TYPE] = content.pop("application/json")
    mark_required_headers(schema)
    app.openapi_schema = schema
    return schema


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    database: Database | None = None,
) -> FastAPI:
    """Build the app; tests pass their own settings, clock and database."""
    settings = settings or get_settings()
    db = database or Database.from_url(
        settings.db.url, echo=settings.db.echo, pool_size=settings.db.pool_size
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Load the ICD-10-CM tables before the first request rather than during it.
        await asyncio.to_thread(icd10.warm)
        worker = None
        if settings.worker_in_process:
            worker = asyncio.create_task(
                sla_worker.run_forever(
                    db, app.state.clock, interval_seconds=settings.worker.interval_seconds
                )
            )
        try:
            yield
        finally:
            if worker is not None:
                worker.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await worker
            await db.dispose()

    app = FastAPI(
        title="DME prior-authorization hub",
        version=__version__,
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.db = db
    app.state.clock = clock or SystemClock()
    install_problem_handlers(app)
    phi_logging.install()

    v1 = APIRouter(prefix="/v1")
    for module in (
        auth,
        authorization_requests,
        attachments,
        codes,
        coverage,
        members,
        networks,
        reports,
        review,
        rulesets,
    ):
        v1.include_router(module.router)
    v1.include_router(attachments.unattached_router)
    app.include_router(v1)
    app.include_router(health.router)
    app.openapi = lambda: _problem_openapi(app)  # type: ignore[method-assign]
    return app
