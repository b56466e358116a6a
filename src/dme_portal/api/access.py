"""The access-log dependency: the HTTP door builds the domain logger from the request.

``AccessLogDep`` gives the router a ``dme_portal.audit.access.AccessLogger`` bound to the
request's unit of work, its route template, the client address and the stated purpose of use;
the router (or the service it calls) adds ``await access.record(principal, ...)`` in the same
transaction. Services, the worker and other doors build the same logger without a request.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import Depends, Header, Request, Response

from dme_portal.api.deps import ClockDep, SessionDep, SettingsDep
from dme_portal.api.problem import Problem
from dme_portal.audit.access import AccessLogger as AccessLogger
from dme_portal.audit.access import CallContext
from dme_portal.netaddr import client_address

PURPOSE_HEADER = "X-Purpose-Of-Use"
PURPOSE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9 ._:/-]{0,63}$"

PurposeOfUse = Annotated[
    str | None,
    Header(
        alias=PURPOSE_HEADER,
        max_length=64,
        pattern=PURPOSE_PATTERN,
        description="Optional. Why you read or change this PHI, recorded in the access log: an "
        "HL7 PurposeOfUse code (`TREAT`, `HPAYMT`, `HOPERAT`, `HRESCH`...) or a short text "
        "(letters, digits, spaces and `._:/-`, at most 64 characters); 422 otherwise.",
        examples=["HPAYMT"],
    ),
]

THROTTLE_RESPONSES: dict[int | str, dict[str, Any]] = {
    429: {
        "model": Problem,
        "description": "Too many member lookups by this caller in the last minute "
        "(`rate_limited.member_lookups`); retry after `Retry-After` seconds",
        "headers": {
            "Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}
        },
    }
}


def location_id(response: Response) -> uuid.UUID | None:
    """The id at the end of a (replayed) response's Location, if any."""
    tail = response.headers.get("location", "").rstrip("/").rsplit("/", 1)[-1]
    try:
        return uuid.UUID(tail)
    except ValueError:
        return None


def _route_template(request: Request) -> str:
    """The path with each path parameter put back as ``{name}``: no CIN or id in it."""
    names = {str(v): k for k, v in request.path_params.items()}
    segments = request.url.path.split("/")
    return "/".join("{" + names[seg] + "}" if seg in names else seg for seg in segments)


def get_access_logger(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
    purpose: PurposeOfUse = None,
) -> AccessLogger:
    # request.client is the socket peer (or what a proxy in DME_SERVER__TRUSTED_PROXIES
    # forwarded): no header a caller can set is read here, and only a valid IP is kept.
    return AccessLogger(
        session=session,
        clock=clock,
        settings=settings,
        context=CallContext(
            method=request.method,
            route=_route_template(request),
            client_address=client_address(request),
            purpose=purpose,
        ),
    )


AccessLogDep = Annotated[AccessLogger, Depends(get_access_logger)]
