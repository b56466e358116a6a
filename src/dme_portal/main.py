"""Application factory."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI

from dme_portal import __version__, logs
from dme_portal.api import docs_pages, health
from dme_portal.api.body_limit import BodyLimitMiddleware
from dme_portal.api.openapi import document
from dme_portal.api.params import STRICT_QUERY
from dme_portal.api.problem import install_problem_handlers
from dme_portal.api.security_headers import SecurityHeaders
from dme_portal.api.v1 import (
    attachments,
    audit,
    auth,
    authorization_renewals,
    authorization_requests,
    authorizations,
    codes,
    coverage,
    members,
    networks,
    reconsiderations,
    reports,
    review,
    rulesets,
)
from dme_portal.auth import revocation
from dme_portal.codes import icd10
from dme_portal.config import Settings, get_settings
from dme_portal.db.engine import Database
from dme_portal.portal.app import MOUNT_PATH, create_portal
from dme_portal.sla import worker as sla_worker
from dme_portal.sla.clock import Clock, SystemClock


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The document, built once per app."""
    if not app.openapi_schema:
        app.openapi_schema = document.build(app)
    return app.openapi_schema


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    database: Database | None = None,
) -> FastAPI:
    """Build the app; tests pass their own settings, clock and database."""
    settings = settings or get_settings()
    logs.configure(settings)
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
        title=document.TITLE,
        version=__version__,
        lifespan=lifespan,
        # Served by docs_pages with local assets instead of FastAPI's CDN-backed pages.
        docs_url=None,
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=docs_pages.OAUTH2_REDIRECT_URL,
        # Off (404) when the docs are turned off: the document is still built for `openapi`.
        openapi_url="/openapi.json" if settings.docs_enabled else None,
    )
    app.state.settings = settings
    revocation.cache_for(db).refresh_seconds = settings.auth.revocation_refresh_seconds
    app.state.db = db
    app.state.clock = clock or SystemClock()
    install_problem_handlers(app)
    # Outermost last: the 413 of the body limit carries the security headers too.
    app.add_middleware(BodyLimitMiddleware, limit=settings.limits.max_json_bytes)
    app.add_middleware(SecurityHeaders, production=settings.is_prod)

    v1 = APIRouter(prefix="/v1")
    for module in (
        auth,
        authorization_requests,
        authorization_renewals,
        authorizations,
        attachments,
        audit,
        codes,
        coverage,
        members,
        networks,
        reports,
        review,
        reconsiderations,
        rulesets,
    ):
        v1.include_router(module.router)
    v1.include_router(attachments.unattached_router)
    # Every operation refuses a query parameter it does not declare (422), once, here.
    app.include_router(v1, dependencies=STRICT_QUERY)
    app.include_router(health.router, dependencies=STRICT_QUERY)
    # The HTML portal: a mounted sub-app with its own (HTML) error pages, outside the document.
    app.mount(MOUNT_PATH, create_portal(app.state))
    if settings.docs_enabled:
        docs_pages.install(app)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app
