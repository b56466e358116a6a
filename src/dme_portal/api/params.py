"""Query parameters: dates and times as ISO 8601 strings, nothing else (DESIGN §11); and no
parameter an operation does not declare (``reject_unknown_query``).

Left to pydantic's lax mode, a ``datetime`` parameter takes ``0.5`` or ``1700000000`` as Unix
time, and a ``date`` one takes ``1700000000``; at a door that must be strict these are 422s.
"""

from __future__ import annotations

import difflib
import re
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Path, Query, Request
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from pydantic import BeforeValidator

from dme_portal.submissions.schemas import IsoDate

__all__ = [
    "STRICT_QUERY",
    "AwareIsoDateTime",
    "IsoDate",
    "PageCursor",
    "PageLimit",
    "RequestId",
    "reject_unknown_query",
]

# RFC 3339 `date-time` (the ISO 8601 profile OpenAPI's `format: date-time` names): seconds and
# a time zone (Z or an offset) are required; lowercase t and z are allowed (RFC 3339 §5.6).
_ISO_DATE_TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?"
    r"([Zz]|[+-][0-9]{2}:[0-9]{2})"
)
_EXAMPLE = "2026-11-02T15:00:00Z"


def _aware_iso_datetime(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value
    if not isinstance(value, str) or not _ISO_DATE_TIME.fullmatch(value):
        hint = " (write + as %2B in a URL)" if isinstance(value, str) and " " in value else ""
        raise ValueError(
            f"must be a date and time in ISO 8601 form with a time zone, e.g. {_EXAMPLE}{hint}"
        )
    try:
        parsed = datetime.fromisoformat(value.upper())
    except ValueError as exc:
        raise ValueError("is not a valid date and time") from exc
    try:
        return parsed.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError("is out of range once converted to UTC") from exc


AwareIsoDateTime = Annotated[datetime, BeforeValidator(_aware_iso_datetime)]
"""An instant: an RFC 3339 date-time with its time zone, as UTC."""


RequestId = Annotated[uuid.UUID, Path(description="The authorization request's `id`.")]
PageCursor = Annotated[
    str | None,
    Query(
        max_length=200,
        description="`next_cursor` from the previous page; omit it for the first page.",
    ),
]
PageLimit = Annotated[int, Query(ge=1, le=100, description="Most items on one page.")]


def _declared_query_names(dependant: Dependant) -> set[str]:
    """Every query parameter an operation takes, its dependencies' included (by alias)."""
    names = {p.alias for p in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _declared_query_names(sub)
    return names


def _unknown_message(name: str, declared: frozenset[str]) -> str:
    if not declared:
        return "is not a parameter of this operation, which takes no query parameters"
    close = difflib.get_close_matches(name, sorted(declared), n=1)
    hint = f"; did you mean `{close[0]}`?" if close else ""
    return (
        "is not a parameter of this operation, which takes: "
        + ", ".join(f"`{n}`" for n in sorted(declared))
        + hint
    )


async def reject_unknown_query(request: Request) -> None:
    """A 422 naming each query parameter the operation does not declare.

    A misspelt or renamed filter (`?member=` for `?member_cin=`) is refused rather than
    ignored: ignored, it would answer with everything in the caller's scope. The check runs
    before the operation (and before authentication): the names it tells are those the
    OpenAPI document publishes.
    """
    route = request.scope.get("route")
    dependant: Dependant | None = getattr(route, "dependant", None)
    if dependant is None:  # pragma: no cover - only API routes carry this dependency
        return
    # A walk over a few dozen nodes: nothing worth caching next to the database round trips.
    declared = frozenset(_declared_query_names(dependant))
    unknown = sorted({k for k in request.query_params if k not in declared})
    if unknown:
        raise RequestValidationError(
            [
                {
                    "type": "extra_forbidden",
                    "loc": ("query", name),
                    "msg": _unknown_message(name, declared),
                }
                for name in unknown
            ]
        )


# For `include_router(..., dependencies=...)`: every operation of the API; the OpenAPI
# document declares the 422 on each (`openapi.document`).
STRICT_QUERY = [Depends(reject_unknown_query)]
