"""No duplicate requests: the same member and code for an overlapping period (DESIGN §4).

A new ``initial`` request is refused (409) when a line's code and period overlap a line of an
open request or an authorization in force for the same member. ``change`` and ``renewal``
requests are how a vendor asks for more or for longer, so they are not refused here; a
renewal is refused only when the authorization it renews has another renewal open
(``open_renewals``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from dme_portal.auth.principal import Principal
from dme_portal.db import dialect
from dme_portal.errors import Conflict
from dme_portal.submissions.models import (
    AuthorizationRequest,
    AuthorizationState,
    RequestKind,
    RequestLine,
    RequestStatus,
)
from dme_portal.submissions.schemas import AuthorizationRequestCreate

_OPEN = (RequestStatus.IN_REVIEW, RequestStatus.PENDED)


class DuplicateRequest(Conflict):
    code = "authorization_request.duplicate"
    title = "The member already has a request or authorization for this item and period"


@dataclass(frozen=True, slots=True)
class Existing:
    request_id: uuid.UUID
    vendor_id: uuid.UUID
    hcpcs: str
    start: date
    end: date
    authorization_number: str | None


async def _existing(
    session: AsyncSession, member_id: uuid.UUID, codes: list[str]
) -> list[Existing]:
    """Lines of the member's open requests and authorizations in force, for these codes."""
    r, ln = AuthorizationRequest, RequestLine
    stmt = (
        select(
            r.id,
            r.vendor_id,
            ln.hcpcs,
            ln.start_date,
            ln.end_date,
            ln.authorized_start,
            ln.authorized_end,
            ln.authorization_number,
        )
        .join(ln, ln.request_id == r.id)
        .where(
            r.member_id == member_id,
            ln.hcpcs.in_(codes),
            or_(
                and_(r.status.in_(_OPEN), ln.outcome.is_(None)),
                ln.authorization_state == AuthorizationState.ACTIVE,
            ),
        )
        .order_by(r.received_at, r.id)
    )
    out = []
    for row in (await session.execute(stmt)).all():
        authorized = row.authorization_number is not None
        out.append(
            Existing(
                request_id=row.id,
                vendor_id=row.vendor_id,
                hcpcs=row.hcpcs,
                start=row.authorized_start if authorized else row.start_date,
                end=row.authorized_end if authorized else row.end_date,
                authorization_number=row.authorization_number,
            )
        )
    return out


async def refuse_overlaps(
    session: AsyncSession,
    *,
    principal: Principal,
    member_id: uuid.UUID,
    body: AuthorizationRequestCreate,
) -> None:
    """409 when an initial request repeats an open request or an authorization in force.

    The vendor's own request or authorization is named by id, number and period (its own
    business); another vendor's is not described at all: no vendor, dates or identifiers.
    """
    if body.kind is not RequestKind.INITIAL:
        return
    # Two submissions for one member wait for each other, so both cannot pass the check.
    await dialect.serialize(session, f"member:{member_id}")
    existing = await _existing(session, member_id, sorted({ln.hcpcs for ln in body.lines}))
    for i, line in enumerate(body.lines):
        for found in existing:
            if found.hcpcs != line.hcpcs:
                continue
            if found.start > line.end_date or line.start_date > found.end:
                continue
            if found.vendor_id == principal.vendor_id:
                raise _own_conflict(i, line.hcpcs, found)
            raise _others_conflict(i, line.hcpcs)


def _own_conflict(index: int, code: str, found: Existing) -> DuplicateRequest:
    period = f"{found.start.isoformat()} to {found.end.isoformat()}"
    what = (
        f"authorization {found.authorization_number}"
        if found.authorization_number
        else "an open request"
    )
    detail = (
        f"lines[{index}]: the member already has {what} for {code} ({period}, request "
        f"{found.request_id}). Follow that request, or submit kind 'change' or 'renewal'."
    )
    return DuplicateRequest(
        detail,
        errors=[{"field": f"lines[{index}]", "message": detail, "code": "duplicate_request"}],
        extra={
            "existing_request_id": str(found.request_id),
            "existing_authorization_number": found.authorization_number,
            "existing_period": {"start": found.start.isoformat(), "end": found.end.isoformat()},
        },
    )


def _others_conflict(index: int, code: str) -> DuplicateRequest:
    # Another vendor's business: the same words whether it is a request or an authorization,
    # and whatever its vendor, dates or ids (issue 21).
    detail = (
        f"lines[{index}]: the member already has {code} requested or authorized for this "
        "period. Ask the member's network before submitting."
    )
    return DuplicateRequest(
        detail,
        errors=[{"field": f"lines[{index}]", "message": detail, "code": "duplicate_request"}],
    )


async def open_renewals(
    session: AsyncSession, authorization_ids: list[uuid.UUID]
) -> dict[uuid.UUID, uuid.UUID]:
    """The open renewal request of each of these authorizations that has one (issue 16).

    A renewal is let through for the authorization it renews (``refuse_overlaps`` checks
    only ``initial`` requests), but a second open renewal of the same one is refused (409).
    """
    if not authorization_ids:
        return {}
    r, ln = AuthorizationRequest, RequestLine
    stmt = (
        select(ln.renews_authorization_id, r.id)
        .join(r, ln.request_id == r.id)
        .where(
            ln.renews_authorization_id.in_(authorization_ids),
            r.status.in_(_OPEN),
            ln.outcome.is_(None),
        )
    )
    return {row.renews_authorization_id: row.id for row in (await session.execute(stmt)).all()}
