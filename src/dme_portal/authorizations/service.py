"""Issue and void authorizations from request lines (one place, for rules and for people)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from dme_portal.authorizations.expiry import ACTOR, EVENT_KINDS, plan_today
from dme_portal.authorizations.models import IN_FORCE, Authorization, AuthorizationStatus
from dme_portal.submissions import changes, events
from dme_portal.submissions.models import AuthorizationRequest, AuthorizationState, RequestLine


async def sync_from_lines(
    session: AsyncSession, *, request: AuthorizationRequest, now: datetime, issued_by: str
) -> list[Authorization]:
    """Give every line that carries an authorization number its authorization row, and void
    the rows of lines voided since; return the authorizations created.

    Call after the lines were changed (rules, a decision, a document, a cancellation); the
    request's ``lines`` must be loaded.
    """
    existing = {
        a.line_id: a
        for a in (
            await session.execute(
                select(Authorization).where(Authorization.request_id == request.id)
            )
        ).scalars()
    }
    created: list[Authorization] = []
    for line in request.lines:
        if not (line.authorization_number and line.authorized_start and line.authorized_end):
            continue
        found = existing.get(line.id)
        if found is None:
            found = from_line(request, line, now=now, issued_by=issued_by)
            session.add(found)
            created.append(found)
        if line.authorization_state is AuthorizationState.VOID and found.state in (
            AuthorizationStatus.ACTIVE,
            AuthorizationStatus.EXPIRING,
        ):
            found.state = AuthorizationStatus.VOID
            found.state_changed_at = now
    if created:
        await session.flush()
        await _supersede_renewed(session, created, now=now)
    _attach(request, [*existing.values(), *created])
    return created


async def _supersede_renewed(
    session: AsyncSession, created: list[Authorization], *, now: datetime
) -> None:
    """A renewal's authorization supersedes the one it renews (issue 16).

    ``superseded_by_id`` is set at once; the state turns ``superseded`` when the new period
    starts (at once when it already has: the expiry worker does it for later starts), so
    coverage passes from one to the other with no gap and no overlap.
    """
    today = plan_today(now)
    for new in created:
        if new.renews_id is None or new.state is AuthorizationStatus.VOID:
            continue
        old = await session.get(Authorization, new.renews_id, with_for_update=True)
        if old is None:
            continue
        old.superseded_by_id = new.id
        if new.start_date <= today and old.state in IN_FORCE:
            old.state = AuthorizationStatus.SUPERSEDED
            old.state_changed_at = now
            # The same event and feed entry the expiry worker writes for a later start.
            renewed = await session.get_one(AuthorizationRequest, old.request_id)
            kind = EVENT_KINDS[AuthorizationStatus.SUPERSEDED]
            await events.record_system(
                session, renewed, kind, now, actor_id=ACTOR, data=old.as_event_data()
            )
            await changes.record(session, renewed, kind, now)
    await session.flush()


def _attach(request: AuthorizationRequest, rows: list[Authorization]) -> None:
    """Set each line's ``authorization`` (read by ``to_read``) to its row, or None."""
    by_line = {a.line_id: a for a in rows}
    for line in request.lines:
        set_committed_value(line, "authorization", by_line.get(line.id))


def from_line(
    request: AuthorizationRequest, line: RequestLine, *, now: datetime, issued_by: str
) -> Authorization:
    """The authorization an approved (or modified) line grants."""
    number, start, end = line.authorization_number, line.authorized_start, line.authorized_end
    if number is None or start is None or end is None:
        raise ValueError("the line carries no authorization")
    return Authorization(
        number=number,
        member_id=request.member_id,
        vendor_id=request.vendor_id,
        network_id=request.network_id,
        request_id=request.id,
        line_id=line.id,
        line_number=line.line_number,
        hcpcs=line.hcpcs,
        modifiers=list(line.modifiers or []),
        quantity=line.approved_quantity or line.quantity,
        unit=line.unit,
        frequency=line.frequency,
        brand=line.brand,
        start_date=start,
        end_date=end,
        state=AuthorizationStatus.VOID
        if line.authorization_state is AuthorizationState.VOID
        else AuthorizationStatus.ACTIVE,
        issued_at=now,
        issued_by=issued_by,
        state_changed_at=now,
        renews_id=line.renews_authorization_id,
    )
