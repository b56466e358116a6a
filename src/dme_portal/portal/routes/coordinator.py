"""The care coordinator: find a child by CIN and date of birth, then every request and
authorization of theirs in the coordinator's networks, with what each waits on.

The search is a POST (no CIN in any URL) and the result is that POST's page. The member is
found as GET /v1/members/{cin}/eligibility finds one (``members.service.eligibility``): an
unknown CIN and a wrong date of birth get the same "not found", each lookup is logged and
counted against the member-lookup limit. Requests are read through the status view only
(``submissions.views.status_view``): no diagnoses, notes, questions or documents.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from starlette.datastructures import FormData
from starlette.responses import Response

from dme_portal.api.access import AccessLogDep
from dme_portal.api.deps import ClockDep, SessionDep, SettingsDep
from dme_portal.audit import repository as audit_repository
from dme_portal.audit.models import AccessAction, Outcome, ResourceType
from dme_portal.auth.principal import Principal
from dme_portal.auth.roles import Role
from dme_portal.authorizations import reads
from dme_portal.authorizations import repository as authorization_repository
from dme_portal.authorizations.expiry import plan_today
from dme_portal.errors import DomainError, Forbidden
from dme_portal.members import service as member_service
from dme_portal.portal import csrf
from dme_portal.portal.forms import FormErrors, text
from dme_portal.portal.session import PortalPrincipal
from dme_portal.portal.templating import render
from dme_portal.sla.policy import SlaState
from dme_portal.submissions import repository as request_repository
from dme_portal.submissions import service as submission_service
from dme_portal.submissions.models import RequestStatus
from dme_portal.submissions.schemas import AuthorizationRequestStatusView

router = APIRouter(include_in_schema=False)

MAX_ROWS = 100
NOT_FOUND = (
    "No child in your networks has this CIN and date of birth. Check both against the "
    "Medi-Cal card."
)
CIN_LENGTH = 9


@dataclass(frozen=True, slots=True)
class FindForm:
    cin: str
    birth_date: date | None

    @classmethod
    def parse(cls, form: FormData) -> tuple[FindForm, FormErrors]:
        errors = FormErrors()
        cin = text(form, "cin", max_length=20).upper()
        raw_date = text(form, "birth_date", max_length=10)
        birth: date | None = None
        if not cin:
            errors.add("cin", "Enter the child's CIN.")
        elif len(cin) != CIN_LENGTH or not cin[:8].isdigit() or not cin[8].isalpha():
            errors.add("cin", "A CIN is 8 digits and a letter, e.g. 12345678A.")
        if not raw_date:
            errors.add("birth_date", "Enter the child's date of birth.")
        else:
            try:
                birth = date.fromisoformat(raw_date)
            except ValueError:
                errors.add("birth_date", "Enter the date as YYYY-MM-DD.")
        return cls(cin=cin, birth_date=birth), errors


def next_step(item: AuthorizationRequestStatusView) -> str:
    """What the coordinator can do next, from the request's status and clock."""
    due = item.due_at.strftime("%d %b %Y")
    status = item.status
    if status is RequestStatus.PENDED:
        if item.vendor_answered_since_last_question:
            return f"The vendor has answered; {item.network.name} will continue its review."
        paused = " The decision clock is paused until then." if item.sla_paused else ""
        return (
            f"The vendor must send what {item.network.name} asked for; call "
            f"{item.vendor.name} to make sure it is on its way.{paused}"
        )
    if status is RequestStatus.IN_REVIEW:
        if item.sla_state is SlaState.BREACHED:
            return (
                f"The decision was due {due} and is late: call {item.network.name} to ask "
                "when it will be decided."
            )
        if "vendor" in item.waiting_on.lower() and "send" in item.waiting_on.lower():
            return (
                f"The vendor must send documents; call {item.vendor.name}. "
                f"{item.network.name} decides by {due}."
            )
        return f"{item.network.name} is reviewing it; a decision is due by {due}."
    if status is RequestStatus.CANCELLED:
        return "Nothing to do: the vendor withdrew this request."
    if status is RequestStatus.DENIED:
        return (
            "The family or vendor may ask for a reconsideration; the vendor has the "
            "decision letter."
        )
    if status in (RequestStatus.PARTIALLY_APPROVED, RequestStatus.MODIFIED):
        return (
            f"Some items were approved; the vendor may supply them now and ask "
            f"{item.network.name} to reconsider the rest."
        )
    return "Approved: the vendor may supply the items under the authorization numbers below."


def _page(request: Request, principal: Principal, settings: Any, **context: Any) -> Response:
    return render(
        request,
        "coordinator/find.html",
        settings=settings,
        principal=principal,
        **{"errors": FormErrors(), "cin": "", "birth_date": "", "found": False, **context},
    )


def _check(principal: Principal) -> None:
    if principal.role is not Role.CARE_COORDINATOR:
        raise Forbidden("This page is for care coordinators.")


@router.get("/coordinator")
async def find_form(
    request: Request, principal: PortalPrincipal, settings: SettingsDep
) -> Response:
    _check(principal)
    return _page(request, principal, settings)


@router.post("/coordinator")
async def find_member(
    request: Request,
    principal: PortalPrincipal,
    settings: SettingsDep,
    session: SessionDep,
    clock: ClockDep,
    access: AccessLogDep,
) -> Response:
    _check(principal)
    form = await request.form()
    csrf.verify(request, form, settings)
    parsed, errors = FindForm.parse(form)
    if errors or parsed.birth_date is None:
        return _page(
            request,
            principal,
            settings,
            errors=errors,
            cin=parsed.cin,
            birth_date=text(form, "birth_date", max_length=10),
            status_code=422,
        )
    action, resource_type = AccessAction.ELIGIBILITY, ResourceType.MEMBER
    await access.guard_member_lookup(principal, action=action, resource_type=resource_type)
    now = clock.now()
    try:
        eligibility = await member_service.eligibility(
            session,
            principal=principal,
            cin=parsed.cin,
            birth_date=parsed.birth_date,
            on=now.date(),
        )
    except DomainError:
        await access.record_apart(
            principal, action=action, resource_type=resource_type, outcome=Outcome.NOT_FOUND
        )
        not_found = FormErrors()
        not_found.add("cin", NOT_FOUND)
        return _page(
            request,
            principal,
            settings,
            errors=not_found,
            cin=parsed.cin,
            birth_date=parsed.birth_date.isoformat(),
        )
    rows = await request_repository.list_readable(
        session,
        principal,
        request_repository.ListFilter(member_cin=parsed.cin),
        after=None,
        limit=MAX_ROWS,
    )
    items = [
        view
        for view in (submission_service.view(r, now=now, viewer=principal.role) for r in rows)
        if isinstance(view, AuthorizationRequestStatusView)
    ]
    auth_rows = await authorization_repository.list_readable(
        session,
        principal,
        authorization_repository.ListFilter(member_cin=parsed.cin),
        after=None,
        limit=MAX_ROWS,
        today=plan_today(now),
    )
    authorizations = await reads.to_reads(session, auth_rows, viewer=principal)
    member_id = await audit_repository.member_id_by_cin(session, parsed.cin)
    network_id = eligibility.network.id if eligibility.network else None
    await access.record(
        principal,
        action=action,
        resource_type=resource_type,
        resource_id=member_id,
        network_id=network_id,
        members=[(member_id, network_id)] if member_id else [],
    )
    await access.record(
        principal, action=AccessAction.LIST, resource_type=ResourceType.REQUEST, requests=rows
    )
    await access.record(
        principal,
        action=AccessAction.LIST,
        resource_type=ResourceType.AUTHORIZATION,
        members=[(a.member_id, a.network_id) for a in auth_rows],
    )
    open_items = [i for i in items if i.status in (RequestStatus.IN_REVIEW, RequestStatus.PENDED)]
    open_items.sort(key=lambda i: i.due_at)
    closed_items = [i for i in items if i not in open_items]
    member = items[0].member if items else None
    return _page(
        request,
        principal,
        settings,
        found=True,
        now=now,
        eligibility=eligibility,
        member=member,
        open_items=open_items,
        closed_items=closed_items,
        authorizations=authorizations,
        next_step=next_step,
    )
