"""Security headers on every response, as a pure ASGI middleware (streams pass untouched).

- ``X-Content-Type-Options: nosniff`` and ``Referrer-Policy: no-referrer`` everywhere.
- ``Cache-Control: no-store`` (and ``Pragma: no-cache``, RFC 6749 §5.1 for tokens) on every
  response except the docs pages' and the portal's static assets. Default-deny: nearly every
  route returns PHI or a token, and the few that don't (code search, the network list) are
  authenticated and cheap, so no route has to remember to opt in.
- In production: HSTS, and ``Content-Security-Policy: default-src 'none'; frame-ancestors
  'none'`` unless the response brought its own (the docs and portal pages do, for their own
  scripts and styles).
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HSTS = "max-age=31536000; includeSubDomains"
API_CSP = "default-src 'none'; frame-ancestors 'none'"
CACHEABLE_PREFIXES = ("/docs/assets/", "/portal/static/")


class SecurityHeaders:
    """Add the headers above to each ``http.response.start``."""

    def __init__(self, app: ASGIApp, *, production: bool) -> None:
        self.app = app
        self.production = production

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cacheable = str(scope.get("path", "")).startswith(CACHEABLE_PREFIXES)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "no-referrer"
                if not cacheable:
                    if "no-store" not in headers.get("cache-control", ""):
                        headers["Cache-Control"] = "no-store"
                    headers["Pragma"] = "no-cache"
                if self.production:
                    headers["Strict-Transport-Security"] = HSTS
                    if "content-security-policy" not in headers:
                        headers["Content-Security-Policy"] = API_CSP
            await send(message)

        await self.app(scope, receive, send_with_headers)
