"""Examples of reconsideration: the wheelchair child's denied tilt-in-space wheelchair is
reconsidered with a new seating evaluation and overturned by a second medical director."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from dme_portal.api.openapi.examples.demo import WC_REQUEST_ID
from dme_portal.reconsiderations.schemas import (
    ReconsiderationCreate,
    ReconsiderationDecision,
    ReconsiderationList,
    ReconsiderationPage,
    ReconsiderationRead,
)

Json = dict[str, Any]

_ID = "5b7e1c94-2a3d-4f86-9b10-c4d2e8a6f073"
_EVALUATION = "8c4f2a71-6d3b-4e95-a0c8-1f7b3d5e9a26"

ASK: Json = {
    "lines": [1],
    "reason": "The new seating evaluation documents hip subluxation and pressure injury risk "
    "that only tilt-in-space positioning relieves.",
    "attachment_ids": [_EVALUATION],
    "expedited": False,
}

OPEN: Json = {
    "view": "full",
    "id": _ID,
    "request_id": WC_REQUEST_ID,
    "lines": [
        {
            "line_number": 1,
            "outcome": None,
            "line_outcome": None,
            "quantity": None,
            "start_date": None,
            "end_date": None,
            "authorization_number": None,
        }
    ],
    "status": "open",
    "outcome": None,
    "requested_at": "2026-11-20T16:30:00Z",
    "requested_by": "user:vendor.harbor",
    "reason": ASK["reason"],
    "attachment_ids": [_EVALUATION],
    "expedited": False,
    "expedited_reason": None,
    "ruleset_version": 3,
    "due_at": "2026-12-20T16:30:00Z",
    "decided_at": None,
    "decided_by": None,
    "deciding_physician": None,
    "note": None,
    "version": 1,
}

OVERTURNED: Json = {
    **OPEN,
    "lines": [
        {
            "line_number": 1,
            "outcome": "overturned",
            "line_outcome": "approved",
            "quantity": 1,
            "start_date": "2026-11-04",
            "end_date": "2027-02-01",
            "authorization_number": "CHOC-7F3A91C2E4",
        }
    ],
    "status": "decided",
    "outcome": "overturned",
    "decided_at": "2026-11-24T11:05:00Z",
    "decided_by": "user:md2.choc",
    "deciding_physician": {"subject": "user:md2.choc", "npi": None, "name": None},
    "note": "The evaluation shows the medical need; approved as requested.",
    "version": 2,
}

DECISION: Json = {
    "lines": [{"line_number": 1, "outcome": "overturned"}],
    "note": "The evaluation shows the medical need; approved as requested.",
}

EXAMPLES: dict[type[BaseModel], list[Json]] = {
    ReconsiderationCreate: [ASK],
    ReconsiderationDecision: [DECISION],
    ReconsiderationRead: [OPEN, OVERTURNED],
    ReconsiderationList: [{"items": [OVERTURNED]}],
    ReconsiderationPage: [{"items": [OPEN], "next_cursor": None}],
}
