"""Authorization requests as the hub returns them, at each step of the three scenarios."""

from __future__ import annotations

import copy
import uuid
from typing import Any

from pydantic import BaseModel

from dme_portal.api.openapi.examples.demo import (
    CHOC,
    CP_MEMBER,
    CP_ORTHOTICS,
    CP_REQUEST_ID,
    CP_SUBMISSION,
    DUE,
    END,
    HARBOR,
    LIGHTHOUSE,
    QUESTION_ID,
    RECEIVED,
    START,
    T1D_MEMBER,
    T1D_PRESCRIPTION_ID,
    T1D_REQUEST_ID,
    T1D_SUBMISSION,
    T1D_SUPPLIES,
    WC_MEMBER,
    WC_REQUEST_ID,
    WC_SUBMISSION,
    Json,
)
from dme_portal.review.schemas import (
    ChangePage,
    DecisionCreate,
    InformationRequestCreate,
    InformationResponseCreate,
    QueuePage,
    UrgencyChange,
)
from dme_portal.submissions import views
from dme_portal.submissions.schemas import (
    AuthorizationRequestCreate,
    AuthorizationRequestPage,
    AuthorizationRequestRead,
    AuthorizationRequestStatusView,
    CancelBody,
    InformationRequestList,
    InformationRequestRead,
)

# --- Authorization requests as read ---------------------------------------------------------


def _step(csag: str, name: str, code: str) -> Json:
    return {
        "rule": f"csag:{csag}",
        "passed": True,
        "message": f"{name} pre-approves {code} for these diagnoses: authorized {START} to "
        f"{END} (180 days, lifelong condition).",
    }


def _line(
    number: int,
    line_id: str,
    line: Json,
    *,
    description: str,
    category: str,
    rules: Json,
    authorization: str | None,
) -> Json:
    approved = authorization is not None
    return {
        "id": line_id,
        "line_number": number,
        "hcpcs": line["hcpcs"],
        "description": description,
        "category": category,
        "modifiers": line.get("modifiers", []),
        "quantity": line["quantity"],
        "unit": line["unit"],
        "frequency": line["frequency"],
        "start_date": line["start_date"],
        "end_date": line["end_date"],
        "acquisition": line.get("acquisition", "purchase"),
        "brand": line.get("brand"),
        "manufacturer": line.get("manufacturer"),
        "brand_reason": line.get("brand_reason"),
        "contract_status": "in_network",
        "outcome": "approved" if approved else None,
        "x12_action_code": "A1" if approved else "A4",
        "approved_quantity": None,
        "decision_reason_code": None,
        "decision_reason": None,
        "deciding_physician": None,
        "rules": rules,
        "authorization": None
        if authorization is None
        else {
            "id": authorization_id(authorization),
            "number": authorization,
            "start_date": START,
            "end_date": END,
            "state": "active",
        },
    }


def authorization_id(number: str) -> str:
    """The example authorization's id (stable: derived from its number)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"dme-portal:authorization:{number}"))


def _approved_by(csag: str, name: str, code: str, documents: list[str]) -> Json:
    return {
        "outcome": "approved",
        "decided_by": f"csag:{csag}",
        "reasons": [],
        "trace": [_step(csag, name, code)],
        "documents_required": documents,
        "documents_missing": [],
    }


def _request(
    request_id: str, submission: Json, member: Json, vendor: Json, lines: list[Json], **rest: Any
) -> Json:
    decided = all(line["outcome"] is not None for line in lines)
    read: Json = {
        "id": request_id,
        "status": "approved" if decided else "in_review",
        "x12_action_code": "A1" if decided else "A4",
        "urgency": submission.get("urgency", "standard"),
        "kind": submission.get("kind", "initial"),
        "member_cin": member["cin"],
        "vendor_id": vendor["id"],
        "network": CHOC,
        "prescriber_npi": submission["prescriber_npi"],
        "diagnoses": submission["diagnoses"],
        "lines": lines,
        "notes": submission.get("notes"),
        "received_at": RECEIVED,
        "due_at": DUE,
        "decided_at": RECEIVED if decided else None,
        "updated_at": RECEIVED,
        "sla_state": "met" if decided else "on_time",
        "waiting_on": f"Nothing: {CHOC['name']} has decided this request."
        if decided
        else f"Waiting for {CHOC['name']} to review the request and decide.",
        "version": 1,
        "ruleset_version": 1,
        "expedited_reason": None,
        "sla_paused": False,
        "paused_seconds": 0,
        "assigned_to": None,
        "network_reference": None,
        "member": member,
        "vendor": vendor,
        "open_information_request": None,
        "vendor_answered_since_last_question": None,
    }
    read.update(rest)
    return read


CP_READ = _request(
    CP_REQUEST_ID,
    CP_SUBMISSION,
    CP_MEMBER,
    HARBOR,
    [
        _line(
            1,
            "b6f0a2c4-1d3e-4f5a-8b7c-9d0e1f2a3b4c",
            CP_SUBMISSION["lines"][0],
            description="AFO, posterior solid ankle, plastic, custom fabricated",
            category="orthotics",
            rules=_approved_by("cp-mobility", CP_ORTHOTICS, "L1960", []),
            authorization="CHOC-B606B86666",
        )
    ],
)
WC_READ = _request(
    WC_REQUEST_ID,
    WC_SUBMISSION,
    WC_MEMBER,
    HARBOR,
    [
        _line(
            1,
            "c7a1b3d5-2e4f-4a6b-9c8d-0e1f2a3b4c5d",
            WC_SUBMISSION["lines"][0],
            description="Manual adult size wheelchair, includes tilt in space",
            category="wheelchairs",
            rules=_approved_by(
                "cp-mobility", CP_ORTHOTICS, "E1161", ["prescription", "seating_evaluation"]
            ),
            authorization="CHOC-2AC08D1359",
        )
    ],
)
_OVER_LIMIT = (
    f"2 units a month is over {T1D_SUPPLIES}'s limit of 1 a month for A4238."  # as the rules say
)
T1D_READ = _request(
    T1D_REQUEST_ID,
    T1D_SUBMISSION,
    T1D_MEMBER,
    LIGHTHOUSE,
    [
        _line(
            1,
            "5be62f1a-955e-44f7-bb40-b0be9bc26e22",
            T1D_SUBMISSION["lines"][0],
            description="Adjunctive, nonimplanted continuous glucose monitor (CGM) or receiver",
            category="diabetes",
            rules=_approved_by("t1d-supplies", T1D_SUPPLIES, "E2102", []),
            authorization="CHOC-18AFA6B964",
        ),
        _line(
            2,
            "741f16c2-9e0c-42db-ae5f-46ce8f630ef9",
            T1D_SUBMISSION["lines"][1],
            description="Supply allowance for nonadjunctive, nonimplanted continuous glucose "
            "monitor (CGM), includes all supplies and accessories, 1 month supply = 1 unit of "
            "service",
            category="diabetes",
            rules=_approved_by("t1d-supplies", T1D_SUPPLIES, "A4239", []),
            authorization="CHOC-E1248950B0",
        ),
        _line(
            3,
            "551f61ad-3f2f-4486-87f9-c1def5167a42",
            T1D_SUBMISSION["lines"][2],
            description="Supply allowance for adjunctive, nonimplanted continuous glucose "
            "monitor (CGM), includes all supplies and accessories, 1 month supply = 1 unit of "
            "service",
            category="diabetes",
            rules={
                "outcome": "needs_review",
                "decided_by": None,
                "reasons": [{"code": "csag_quantity_limit", "message": _OVER_LIMIT}],
                "trace": [{"rule": "csag:t1d-supplies", "passed": False, "message": _OVER_LIMIT}],
                "documents_required": [],
                "documents_missing": [],
            },
            authorization=None,
        ),
    ],
)

SUBMITTED: dict[str, Json] = {
    "cp-orthotics": {
        "summary": "CP orthotics: approved by the CSAG",
        "value": CP_READ,
    },
    "t1d-supplies": {
        "summary": "T1D supplies: two lines approved, one in review",
        "value": T1D_READ,
    },
    "wheelchair": {
        "summary": "Wheelchair: approved, its documents on file",
        "value": WC_READ,
    },
}

QUESTION: Json = {
    "id": QUESTION_ID,
    "request_id": T1D_REQUEST_ID,
    "requested_at": "2026-11-02T17:30:00Z",
    "requested_by": "user:reviewer.choc",
    "requested_by_role": "network_reviewer",
    "message": "Please send the endocrinologist's prescription and the last HbA1c.",
    "documents_requested": ["prescription"],
    "due_at": DUE,
    "answered_at": None,
    "answered_by": None,
    "answer": None,
    "attachment_ids": [],
}
ANSWER = "Prescription attached; HbA1c 8.1% on 2026-10-20."
ANSWERED: Json = {
    **QUESTION,
    "due_at": None,
    "answered_at": "2026-11-03T09:10:00Z",
    "answered_by": "user:vendor.lighthouse",
    "answer": ANSWER,
    "attachment_ids": [T1D_PRESCRIPTION_ID],
}
T1D_PENDED = {
    **T1D_READ,
    "status": "pended",
    "updated_at": QUESTION["requested_at"],
    "waiting_on": f"Waiting for the vendor to send the prescription, which {CHOC['name']} "
    "asked for.",
    "version": 3,
    "assigned_to": "user:reviewer.choc",
    "open_information_request": QUESTION,
    "vendor_answered_since_last_question": False,
}
T1D_DECIDED = copy.deepcopy(T1D_READ)
T1D_DECIDED["lines"][2].update(
    outcome="modified",
    x12_action_code="A6",
    approved_quantity=1,
    decision_reason_code="quantity_exceeds_policy",
    decision_reason="One month's supply per month.",
    authorization={
        "id": authorization_id("CHOC-3F9D2B7A41"),
        "number": "CHOC-3F9D2B7A41",
        "start_date": START,
        "end_date": END,
        "state": "active",
    },
)
T1D_DECIDED.update(
    status="modified",
    x12_action_code="A6",
    decided_at="2026-11-03T11:45:00Z",
    updated_at="2026-11-03T11:45:00Z",
    sla_state="met",
    waiting_on=f"Nothing: {CHOC['name']} has decided this request.",
    version=6,
    assigned_to="user:md.choc",
    vendor_answered_since_last_question=True,
)
# What a care coordinator reads of the pended T1D request: nothing clinical.
T1D_STATUS: Json = views.status_view(
    AuthorizationRequestRead.model_validate(T1D_PENDED)
).model_dump(mode="json")
WC_CANCELLED = copy.deepcopy(WC_READ)
WC_CANCELLED["lines"][0]["x12_action_code"] = "C"
WC_CANCELLED["lines"][0]["authorization"]["state"] = "void"
WC_CANCELLED.update(
    status="cancelled",
    x12_action_code="C",
    updated_at="2026-11-02T16:05:00Z",
    sla_state="cancelled",
    waiting_on="Nothing: the vendor cancelled this request.",
    version=2,
)


EXAMPLES: dict[type[BaseModel], list[Json]] = {
    AuthorizationRequestCreate: [CP_SUBMISSION, T1D_SUBMISSION, WC_SUBMISSION],
    AuthorizationRequestRead: [CP_READ, T1D_PENDED, WC_READ],
    AuthorizationRequestStatusView: [T1D_STATUS],
    AuthorizationRequestPage: [
        {"items": [T1D_READ], "next_cursor": "eyJ0IjogIjIwMjYtMTEtMDJUMTU6MDA6MDBaIn0"}
    ],
    CancelBody: [{"reason": "The family chose another supplier."}],
    InformationRequestList: [{"items": [ANSWERED]}],
    InformationRequestRead: [QUESTION, ANSWERED],
    InformationRequestCreate: [
        {"message": QUESTION["message"], "documents_requested": ["prescription"]}
    ],
    InformationResponseCreate: [{"message": ANSWER, "attachment_ids": [T1D_PRESCRIPTION_ID]}],
    QueuePage: [{"items": [T1D_READ], "next_cursor": None}],
    ChangePage: [
        {
            "items": [
                {
                    "change_id": 1842,
                    "kind": "submitted",
                    "changed_at": RECEIVED,
                    "request": T1D_READ,
                }
            ],
            "next_cursor": "1842",
        }
    ],
    DecisionCreate: [
        {
            "lines": [
                {
                    "line_number": 3,
                    "outcome": "modified",
                    "quantity": 1,
                    "reason_code": "quantity_exceeds_policy",
                    "reason": "One month's supply per month.",
                }
            ],
            "note": "Approved with the supply allowance at one per month.",
            "network_reference": "UM-2026-118204",
        },
        {
            "lines": [
                {
                    "line_number": 3,
                    "outcome": "modified",
                    "quantity": 1,
                    "reason_code": "less_costly_alternative",
                    "reason": "One allowance a month meets the child's need with the receiver.",
                }
            ],
            "network_reference": "UM-2026-118204",
            "deciding_physician": {"npi": "1922334457", "name": "Ana Ruiz, MD"},
        },
    ],
    UrgencyChange: [
        {
            "urgency": "standard",
            "reason": "No imminent risk: the current chair is usable until the new one comes.",
        }
    ],
}
