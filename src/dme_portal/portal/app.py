"""The portal sub-app, mounted at ``/portal`` by ``main.create_app``.

It shares the API app's state (settings, database, clock), so the dependencies of
``api.deps`` (one unit of work per request, the bearer check) serve it unchanged; its own
exception handlers render HTML, and the API's problem handlers stay as they are for /v1.
"""

from __future__ import annotations

import os

from fastapi import Depends, FastAPI
from starlette.datastructures import State
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from dme_portal.portal import errors, forms
from dme_portal.portal.routes import (
    coordinator,
    dashboard,
    plan,
    requests,
    review,
    ruleset_admin,
    sign_in,
    vendor,
)
from dme_portal.portal.templating import HERE

MOUNT_PATH = "/portal"
# Assets are not fingerprinted: a day, then revalidated with the ETag StaticFiles sends.
STATIC_CACHE = "public, max-age=86400"


class CachedStatic(StaticFiles):
    """StaticFiles with a Cache-Control header (the security middleware exempts this path)."""

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["Cache-Control"] = STATIC_CACHE
        return response


def create_portal(state: State) -> FastAPI:
    """The portal app over the API app's ``state``; no OpenAPI document of its own."""
    # Every route, before it reads its form: a field text cannot store is a 422 (forms.py).
    portal = FastAPI(
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        dependencies=[Depends(forms.storable_input)],
    )
    portal.state = state
    errors.install(portal)
    portal.mount("/static", CachedStatic(directory=str(HERE / "static")), name="static")
    for module in (sign_in, dashboard, vendor, requests, review, coordinator, plan, ruleset_admin):
        portal.include_router(module.router)
    return portal
