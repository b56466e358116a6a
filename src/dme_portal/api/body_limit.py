"""An app-wide ceiling on request bodies, enforced before anything parses them (issue 15).

A pure ASGI middleware rather than ``BaseHTTPMiddleware``: it must see the body as it streams
in, and refuse it without buffering. A declared ``Content-Length`` over the limit is answered
413 before a byte is read; a body without one (chunked) is counted as it arrives and refused
as soon as it passes the limit, whatever the endpoint was doing with it (its response is
dropped; the unit of work rolls back, so nothing is stored).

The attachment uploads are exempt: their route class enforces the (larger) attachment limit.
"""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dme_portal.api.problem import problem_response

CODE = "request.too_large"

# POST /v1/authorization-requests/{id}/attachments and POST /v1/attachments.
_UPLOAD_PATHS = re.compile(r"^/v1/(authorization-requests/[^/]+/)?attachments/?$")


class _TooLarge(Exception):
    pass


def _describe(limit: int) -> str:
    return f"{limit // 1024} KiB" if limit % 1024 == 0 else f"{limit} bytes"


class BodyLimitMiddleware:
    """Answer 413 (``request.too_large``) to bodies over ``limit`` bytes, uploads aside."""

    def __init__(self, app: ASGIApp, *, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or (
            scope["method"] == "POST" and _UPLOAD_PATHS.match(scope["path"])
        ):
            await self.app(scope, receive, send)
            return
        limit = self.limit
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await self._refuse(scope, send, limit)
            return

        seen = 0
        exceeded = False
        started = False

        async def counting_receive() -> Message:
            nonlocal seen, exceeded
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    exceeded = True
                    raise _TooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded:
                return  # whatever the app answers to the cut-off body, the answer is 413
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if not exceeded:
                raise
        if exceeded and not started:
            await self._refuse(scope, send, limit)

    @staticmethod
    async def _refuse(scope: Scope, send: Send, limit: int) -> None:
        response = problem_response(
            Request(scope),
            status=413,
            code=CODE,
            title="The request body is too large",
            detail=f"The body is larger than the limit of {_describe(limit)} ({limit} bytes).",
            errors=[
                {
                    "field": "body",
                    "message": f"At most {limit} bytes.",
                    "code": CODE,
                }
            ],
            extra={"limit_bytes": limit},
            headers={"Connection": "close"},
        )
        await response(scope, _no_receive, send)


async def _no_receive() -> Message:
    return {"type": "http.disconnect"}


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
