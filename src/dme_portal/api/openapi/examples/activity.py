"""A request's timeline, its attachments, and coverage checks of the three scenarios."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from dme_portal.api.openapi.examples.demo import (
    CHOC,
    CP_ORTHOTICS,
    END,
    PRESCRIPTION_ID,
    QUESTION_ID,
    RECEIVED,
    START,
    SUBMISSIONS,
    T1D_PRESCRIPTION_ID,
    T1D_REQUEST_ID,
    WC_DOCUMENTS,
    WC_SUBMISSION,
    Json,
)
from dme_portal.api.openapi.examples.requests import CP_READ, QUESTION, T1D_READ
from dme_portal.attachments.schemas import AttachmentList, AttachmentRead
from dme_portal.rulesets.schemas import CoverageCheckResult
from dme_portal.submissions.schemas import EventList


def _event(sequence: int, at: str, kind: str, actor: str, role: str, **rest: Any) -> Json:
    kind_of_actor = {"rules": "rules"}.get(role, "user")
    return {
        "id": f"28a09c8a-8584-4796-b73b-eab66381e4{sequence:02d}",
        "sequence": sequence,
        "occurred_at": at,
        "kind": kind,
        "actor_type": kind_of_actor,
        "actor_id": actor,
        "actor_role": role,
        "from_status": rest.pop("from_status", None),
        "to_status": rest.pop("to_status", None),
        "reason": rest.pop("reason", None),
        "data": rest.pop("data", {}),
    }


T1D_EVENTS: list[Json] = [
    _event(
        1,
        RECEIVED,
        "submitted",
        "user:vendor.lighthouse",
        "vendor",
        to_status="in_review",
        data={
            "network_id": CHOC["id"],
            "due_at": "2026-11-05T15:00:00+00:00",
            "attachment_ids": [],
            "out_of_network_lines": [],
        },
    ),
    _event(
        2,
        RECEIVED,
        "rules_evaluated",
        "ruleset:v1",
        "rules",
        from_status="in_review",
        to_status="in_review",
        data={
            "ruleset_version": 1,
            "lines": [
                {"line_number": 1, "outcome": "approved", "decided_by": "csag:t1d-supplies"},
                {"line_number": 2, "outcome": "approved", "decided_by": "csag:t1d-supplies"},
                {"line_number": 3, "outcome": "needs_review", "decided_by": None},
            ],
        },
    ),
    _event(
        3,
        "2026-11-02T17:30:00Z",
        "information_requested",
        "user:reviewer.choc",
        "reviewer",
        from_status="in_review",
        to_status="pended",
        reason=QUESTION["message"],
        data={
            "information_request_id": QUESTION_ID,
            "documents": ["prescription"],
            "sla_paused": False,
        },
    ),
    _event(
        4,
        "2026-11-03T09:10:00Z",
        "information_received",
        "user:vendor.lighthouse",
        "vendor",
        from_status="pended",
        to_status="in_review",
        data={
            "information_request_id": QUESTION_ID,
            "attachment_ids": [T1D_PRESCRIPTION_ID],
            "sla_paused_seconds": 0,
            "due_at": "2026-11-05T15:00:00+00:00",
        },
    ),
    _event(
        5,
        "2026-11-03T11:45:00Z",
        "decided",
        "user:md.choc",
        "medical_director",
        from_status="in_review",
        to_status="modified",
        reason="Approved with the supply allowance at one per month.",
        data={
            "network_reference": None,
            "lines": [
                {
                    "line_number": 3,
                    "outcome": "modified",
                    "quantity": 1,
                    "reason_code": "quantity_exceeds_policy",
                    "reason": "One month's supply per month.",
                }
            ],
        },
    ),
]

# --- Attachments ----------------------------------------------------------------------------

UPLOADED: Json = {
    "id": PRESCRIPTION_ID,
    "request_id": None,
    "expires_at": "2026-11-03T14:55:00Z",
    "document_type": "prescription",
    "filename": "prescription.pdf",
    "content_type": "application/pdf",
    "size_bytes": 48213,
    "sha256": "e958754018f5c436f99b4b6b18eedea4eb26685f6c496ed07a02573ffb6e92d0",
    "uploaded_at": "2026-11-02T14:55:00Z",
    "uploaded_by": "user:vendor.harbor",
    "description": "Prescription for a tilt-in-space wheelchair",
}
ATTACHED: Json = {
    "id": T1D_PRESCRIPTION_ID,
    "request_id": T1D_REQUEST_ID,
    "expires_at": None,
    "document_type": "prescription",
    "filename": "rx.pdf",
    "content_type": "application/pdf",
    "size_bytes": 35120,
    "sha256": "c89811a09fa210e40c3a0590f040d2f0c3260823e591d34fadfdf189e3c4a208",
    "uploaded_at": "2026-11-03T09:05:00Z",
    "uploaded_by": "user:vendor.lighthouse",
    "description": "Endocrinologist's prescription",
}

# --- Coverage checks ------------------------------------------------------------------------


def _coverage(line_number: int, code: str, rules: Json, *, approved: bool) -> Json:
    return {
        "line_number": line_number,
        "hcpcs": code,
        "authorization_required": True,
        "would_be_approved": approved,
        "outcome": rules["outcome"],
        "decided_by": rules["decided_by"],
        "documents_required": rules["documents_required"],
        "documents_missing": rules["documents_missing"],
        "reasons": rules["reasons"],
        "trace": rules["trace"],
        "authorized_start": START if approved else None,
        "authorized_end": END if approved else None,
        "contract_status": "in_network",
    }


_WC_WAITING = {
    "outcome": "awaiting_documents",
    "decided_by": None,
    "documents_required": WC_DOCUMENTS,
    "documents_missing": WC_DOCUMENTS,
    "reasons": [
        {
            "code": "documents_missing",
            "message": f"Send a prescription, a seating evaluation for E1161: {CP_ORTHOTICS} "
            "approves it as soon as the documents are on file, with no reviewer.",
        }
    ],
    "trace": [
        {
            "rule": "csag:cp-mobility",
            "passed": False,
            "message": f"{CP_ORTHOTICS} pre-approves E1161 for these diagnoses once a "
            "prescription, a seating evaluation are on file.",
        }
    ],
}
COVERAGE_RESULTS: dict[str, Json] = {
    "cp-orthotics": {
        "summary": "CP orthotics: would be approved now",
        "value": {
            "network": CHOC,
            "ruleset_version": 1,
            "lines": [_coverage(1, "L1960", CP_READ["lines"][0]["rules"], approved=True)],
        },
    },
    "t1d-supplies": {
        "summary": "T1D supplies: one line over the CSAG's limit",
        "value": {
            "network": CHOC,
            "ruleset_version": 1,
            "lines": [
                _coverage(n, line["hcpcs"], line["rules"], approved=line["outcome"] is not None)
                for n, line in enumerate(T1D_READ["lines"], start=1)
            ],
        },
    },
    "wheelchair": {
        "summary": "Wheelchair without its documents: approved once they are on file",
        "value": {
            "network": CHOC,
            "ruleset_version": 1,
            "lines": [_coverage(1, "E1161", _WC_WAITING, approved=False)],
        },
    },
}
COVERAGE_REQUESTS: dict[str, Json] = {
    "cp-orthotics": SUBMISSIONS["cp-orthotics"],
    "t1d-supplies": SUBMISSIONS["t1d-supplies"],
    "wheelchair": {
        "summary": "Wheelchair: E1161 for G80.0, before uploading its documents",
        "value": {k: v for k, v in WC_SUBMISSION.items() if k != "attachment_ids"},
    },
}


EXAMPLES: dict[type[BaseModel], list[Json]] = {
    EventList: [{"items": T1D_EVENTS}],
    AttachmentRead: [UPLOADED, ATTACHED],
    AttachmentList: [{"items": [ATTACHED]}],
    CoverageCheckResult: [example["value"] for example in COVERAGE_RESULTS.values()],
}
