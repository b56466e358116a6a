"""Enrollment changes: the wheelchair scenario's child moves from CHOC to Prospect."""

from __future__ import annotations

from pydantic import BaseModel

from dme_portal.api.openapi.examples.demo import CHOC, WC_MEMBER, WC_REQUEST_ID, Json
from dme_portal.members.schemas import EnrollmentChange, EnrollmentCreate, EnrollmentHistory

PROSPECT: Json = {
    "id": "8a1f3e5c-7b2d-4c9e-a6f0-1d3b5c7e9f21",
    "code": "prospect",
    "name": "Prospect Medical Group",
}
_CHOC_PERIOD: Json = {
    "id": "c41b7e2a-93d5-4f08-b6e1-5a2c8d0f7e39",
    "network": CHOC,
    "effective_from": "2024-10-29",
    "effective_to": "2027-01-31",
    "reason": None,
    "recorded_by": None,
    "recorded_at": None,
}
_PROSPECT_PERIOD: Json = {
    "id": "f0e2d4c6-1a3b-4d5e-8f7a-9b0c1d2e3f4a",
    "network": PROSPECT,
    "effective_from": "2027-02-01",
    "effective_to": None,
    "reason": "county transfer",
    "recorded_by": "client:plan-caloptima",
    "recorded_at": "2026-12-14T17:05:00Z",
}

EXAMPLES: dict[type[BaseModel], list[Json]] = {
    EnrollmentCreate: [
        {"network": "prospect", "effective_from": "2027-02-01", "reason": "county transfer"}
    ],
    EnrollmentChange: [
        {
            "cin": WC_MEMBER["cin"],
            "outcome": "applied",
            "enrollment": _PROSPECT_PERIOD,
            "closed": _CHOC_PERIOD,
            "continuity": [
                {
                    "authorization_id": "5e7c9a1b-3d2f-4e6a-8b0c-1f3e5a7c9d2b",
                    "authorization_number": "CHOC-7F3A9C21B4",
                    "request_id": WC_REQUEST_ID,
                    "hcpcs": "E1161",
                    "source_network": CHOC,
                    "continuity_network": PROSPECT,
                    "end_date": "2027-04-30",
                    "continuity_until": "2027-04-30",
                }
            ],
        }
    ],
    EnrollmentHistory: [{"cin": WC_MEMBER["cin"], "items": [_CHOC_PERIOD, _PROSPECT_PERIOD]}],
}
