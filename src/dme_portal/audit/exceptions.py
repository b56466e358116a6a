"""Errors of the audit domain."""

from __future__ import annotations

from dme_portal.errors import DomainError


class MemberLookupsThrottled(DomainError):
    """Too many member lookups (eligibility, coverage checks) in the last minute."""

    status = 429
    code = "rate_limited.member_lookups"
    title = "Too many member lookups"

    def __init__(self, *, limit: int, retry_after: int) -> None:
        super().__init__(
            f"At most {limit} member lookups a minute per caller; retry in {retry_after} s.",
            headers={"Retry-After": str(retry_after)},
            extra={"retry_after": retry_after},
        )
