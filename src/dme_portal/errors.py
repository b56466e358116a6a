"""Domain errors: each carries its HTTP status, a stable code and a title (RFC 9457)."""

from __future__ import annotations

from typing import Any, ClassVar


class DomainError(Exception):
    """Base of every error a use case raises on purpose."""

    status: ClassVar[int] = 400
    code: ClassVar[str] = "error"
    title: ClassVar[str] = "Bad request"

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.detail = detail or self.title
        self.errors = errors
        self.headers = headers or {}
        self.extra = extra or {}
        super().__init__(self.detail)


class NotFound(DomainError):
    status = 404
    code = "not_found"
    title = "Not found"


class Unauthorized(DomainError):
    status = 401
    code = "auth.unauthorized"
    title = "Authentication required"

    def __init__(self, detail: str | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("headers", {"WWW-Authenticate": 'Bearer realm="dme-portal"'})
        super().__init__(detail, **kwargs)


class InvalidToken(Unauthorized):
    """RFC 6750 section 3: a token was sent but cannot be used; the header says why."""

    code = "auth.invalid_token"

    def __init__(self, detail: str, **kwargs: Any) -> None:
        description = detail.replace("\\", "").replace('"', "'")
        kwargs.setdefault(
            "headers",
            {
                "WWW-Authenticate": 'Bearer realm="dme-portal", error="invalid_token", '
                f'error_description="{description}"'
            },
        )
        super().__init__(detail, **kwargs)


class Forbidden(DomainError):
    status = 403
    code = "auth.forbidden"
    title = "Not allowed"


class Conflict(DomainError):
    status = 409
    code = "conflict"
    title = "Conflict with the current state"


class PreconditionFailed(DomainError):
    status = 412
    code = "precondition_failed"
    title = "The resource changed since you read it"


class PreconditionRequired(DomainError):
    """RFC 6585 428: the operation needs a conditional or idempotency header."""

    status = 428
    code = "precondition_required"
    title = "If-Match is required"


class IdempotencyKeyRequired(PreconditionRequired):
    code = "idempotency.key_required"
    title = "Idempotency-Key is required"

    def __init__(self, detail: str | None = None, **kwargs: Any) -> None:
        super().__init__(
            detail
            or "Send an Idempotency-Key header (a new random value, e.g. a UUID, per intended "
            "request; reuse it only to retry the same request).",
            **kwargs,
        )


class InvalidInput(DomainError):
    """A payload that is well-typed but wrong (unknown member, not enrolled...)."""

    status = 422
    code = "validation_error"
    title = "The request is not valid"

    def __init__(self, field: str, message: str, *, code: str | None = None) -> None:
        super().__init__(
            f"{field}: {message}", errors=[{"field": field, "message": message, "code": code}]
        )


def field_path(loc: tuple[str | int, ...] | list[str | int]) -> str:
    """Render a validation location like ``lines[0].hcpcs``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def etag_matches(if_match: str | None, etag: str) -> bool:
    """RFC 9110 If-Match: absent, ``*``, or a list holding the current entity tag."""
    if if_match is None:
        return True
    tags = {t.strip() for t in if_match.split(",")}
    return "*" in tags or etag in tags
