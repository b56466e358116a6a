"""What each role reads of a request: the status view, events without clinical detail, and
who sees the physician behind a medical-necessity decision.

Who reads what is one rule, ``auth.policies.clinical_access``: network admins, care
coordinators and the plan's admins and systems read status, timeline and ``waiting_on``
(DESIGN §3) and nothing clinical: no diagnoses, notes, justifications, decision texts, rule
traces (a CSAG's name tells the child's condition), questions, answers or documents.
"""

from __future__ import annotations

from typing import Any

from dme_portal.auth.policies import STATUS_READERS, clinical_access
from dme_portal.auth.roles import Role
from dme_portal.submissions.models import RequestEvent
from dme_portal.submissions.schemas import (
    AuthorizationRequestRead,
    AuthorizationRequestStatusView,
    EventRead,
    StatusLineRead,
)

STATUS_VIEW_ROLES = STATUS_READERS

# Event data a status reader keeps: clock, routing and authorization facts, never free text,
# document ids, rule names or the physician.
_STATUS_DATA_KEYS = frozenset(
    {
        "network_id",
        "due_at",
        "out_of_network_lines",
        "ruleset_version",
        "trigger",
        "documents",
        "document_type",
        "information_request_id",
        "sla_paused",
        "sla_paused_seconds",
        "urgency",
        "voided_authorizations",
        "network_reference",
        # Reconsideration: which one, which lines, its clock and its outcome (no reason text).
        "reconsideration_id",
        "line_numbers",
        "expedited",
        "outcome",
        # The member's network move (continuity of care): which networks, not why.
        "from_network_id",
        "to_network_id",
        # An authorization's expiry, expiring or supersession (authorization.as_event_data()).
        "authorization_id",
        "authorization_number",
        "start_date",
        "end_date",
        "state",
    }
)
_STATUS_LINE_KEYS = frozenset(
    {
        "line_number",
        "outcome",
        "quantity",
        "start_date",
        "end_date",
        "reason_code",
        "authorization_number",
    }
)


def status_only(viewer: Role | None) -> bool:
    """None: a route only the network's review reaches (it reads the whole request)."""
    return viewer is not None and not clinical_access(viewer)


def shows_physician(viewer: Role | None) -> bool:
    """Who made a medical-necessity determination is read by the network's review and the
    vendor who asked: a denial or modification must name the health care professional
    responsible for it (California HSC 1367.01(h)(4)). Status readers do not.

    None: a route closed to everyone but the network's review."""
    return viewer is None or clinical_access(viewer)


def status_view(full: AuthorizationRequestRead) -> AuthorizationRequestStatusView:
    """The status readers' view, cut from the full one field by field (an allow-list)."""
    return AuthorizationRequestStatusView(
        view="status",
        id=full.id,
        status=full.status,
        x12_action_code=full.x12_action_code,
        urgency=full.urgency,
        kind=full.kind,
        member_cin=full.member_cin,
        member=full.member,
        network=full.network,
        vendor=full.vendor,
        lines=[
            StatusLineRead(
                line_number=ln.line_number,
                hcpcs=ln.hcpcs,
                description=ln.description,
                quantity=ln.quantity,
                unit=ln.unit,
                frequency=ln.frequency,
                start_date=ln.start_date,
                end_date=ln.end_date,
                contract_status=ln.contract_status,
                outcome=ln.outcome,
                x12_action_code=ln.x12_action_code,
                approved_quantity=ln.approved_quantity,
                decision_reason_code=ln.decision_reason_code,
                authorization=ln.authorization,
            )
            for ln in full.lines
        ],
        received_at=full.received_at,
        due_at=full.due_at,
        decided_at=full.decided_at,
        updated_at=full.updated_at,
        sla_state=full.sla_state,
        sla_paused=full.sla_paused,
        waiting_on=full.waiting_on,
        vendor_answered_since_last_question=full.vendor_answered_since_last_question,
        version=full.version,
    )


def event_read(event: RequestEvent, viewer: Role) -> EventRead:
    """One timeline entry as ``viewer`` may read it."""
    read = EventRead.model_validate(event, from_attributes=True)
    if status_only(viewer):
        return read.model_copy(update={"reason": None, "data": _status_data(read.data)})
    if not shows_physician(viewer) and "deciding_physician" in read.data:
        data = {k: v for k, v in read.data.items() if k != "deciding_physician"}
        return read.model_copy(update={"data": data})
    return read


def _status_data(data: dict[str, Any]) -> dict[str, Any]:
    kept = {k: v for k, v in data.items() if k in _STATUS_DATA_KEYS}
    if isinstance(data.get("lines"), list):
        kept["lines"] = [
            {k: v for k, v in line.items() if k in _STATUS_LINE_KEYS}
            for line in data["lines"]
            if isinstance(line, dict)
        ]
    return kept
