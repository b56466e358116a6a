"""The network's questions to the vendor (information requests), as the API shows them."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from dme_portal.auth.policies import CLINICAL_READERS, clinical_access
from dme_portal.auth.principal import Principal
from dme_portal.auth.roles import Role
from dme_portal.submissions import repository
from dme_portal.submissions.exceptions import RequestNotFound
from dme_portal.submissions.models import AuthorizationRequest, InformationRequest, RequestStatus
from dme_portal.submissions.schemas import InformationRequestRead

# Only the network's review (reviewers, medical directors, its UM system) asks; the hub does
# not keep which of them, nor a person's name.
ASKER_ROLE = "network_reviewer"

# A question's text and its answer can carry clinical detail: only clinical readers
# (auth.policies) read them; status readers read waiting_on (DESIGN §3).
QUESTION_READERS = CLINICAL_READERS


def may_read_questions(role: Role) -> bool:
    return clinical_access(role)


def ordered(request: AuthorizationRequest) -> list[InformationRequest]:
    """Oldest first; at the same instant the answered ones come before the open one."""
    return sorted(
        request.information_requests,
        key=lambda q: (q.requested_at, q.answered_at is None, q.answered_at or q.requested_at),
    )


def open_question(request: AuthorizationRequest) -> InformationRequest | None:
    """The question the vendor has not answered yet (at most one: asking pends the request).

    None once the request left ``pended`` another way: cancelled, or approved by the rules
    when the documents asked for arrived; nobody waits for that answer any more.
    """
    if request.status is not RequestStatus.PENDED:
        return None
    return next((q for q in request.information_requests if q.answered_at is None), None)


def answered_since_last_question(request: AuthorizationRequest) -> bool | None:
    """True when every question is answered, False while one is open, None when none asked."""
    if not request.information_requests:
        return None
    return all(q.answered_at is not None for q in request.information_requests)


def due_at(question: InformationRequest, request: AuthorizationRequest) -> datetime | None:
    """The request's decision deadline while the question is open and the clock runs."""
    if question.answered_at is not None or request.paused_since is not None:
        return None
    return request.due_at


def to_read(question: InformationRequest, request: AuthorizationRequest) -> InformationRequestRead:
    return InformationRequestRead(
        id=question.id,
        request_id=question.request_id,
        requested_at=question.requested_at,
        requested_by=question.requested_by,
        requested_by_role=ASKER_ROLE,
        message=question.message,
        documents_requested=list(question.documents_requested),
        due_at=due_at(question, request),
        answered_at=question.answered_at,
        answered_by=question.answered_by,
        answer=question.answer,
        attachment_ids=list(question.attachment_ids),
    )


async def list_for(
    session: AsyncSession, *, principal: Principal, request_id: uuid.UUID
) -> tuple[AuthorizationRequest, list[InformationRequest]]:
    """Every question on a request the principal may see (404 otherwise), oldest first."""
    request = await repository.get_readable(session, principal, request_id)
    if request is None:
        raise RequestNotFound()
    return request, ordered(request)
