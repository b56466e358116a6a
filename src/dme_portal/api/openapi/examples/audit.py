"""Examples of the PHI access log: who looked at the wheelchair child's record."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from dme_portal.api.openapi.examples.demo import CHOC, HARBOR, WC_MEMBER, WC_REQUEST_ID
from dme_portal.audit.schemas import AccessLogPage

Json = dict[str, Any]

_ROUTE = "/v1/authorization-requests/{request_id}"
_CALLER = {"org_kind": "network", "org_id": CHOC["id"], "client_id": None}
_MEMBER = [{"member_cin": WC_MEMBER["cin"], "network_id": CHOC["id"]}]

ACCESS_LOG: Json = {
    "items": [
        {
            "id": "9a1e7c52-3b4d-4f60-8e21-5c7d9f0b1a23",
            "at": "2026-11-03T10:12:44Z",
            "subject": "user:reviewer.choc",
            "role": "reviewer",
            **_CALLER,
            "action": "read",
            "resource_type": "authorization_request",
            "resource_id": WC_REQUEST_ID,
            "network_id": CHOC["id"],
            "member_count": 1,
            "members": _MEMBER,
            "method": "GET",
            "route": _ROUTE,
            "client_address": "10.20.4.17",
            "outcome": "success",
            "purpose": "HPAYMT",
        },
        {
            "id": "3f0c2b6e-8d1a-4c57-9e43-7a2b5d8c0e19",
            "at": "2026-11-02T15:00:02Z",
            "subject": "client:harbor-dme",
            "role": "vendor_client",
            "org_kind": "vendor",
            "org_id": HARBOR["id"],
            "client_id": "harbor-dme",
            "action": "create",
            "resource_type": "authorization_request",
            "resource_id": WC_REQUEST_ID,
            "network_id": CHOC["id"],
            "member_count": 1,
            "members": _MEMBER,
            "method": "POST",
            "route": "/v1/authorization-requests",
            "client_address": "203.0.113.24",
            "outcome": "success",
            "purpose": "TREAT",
        },
    ],
    "next_cursor": None,
}

EXAMPLES: dict[type[BaseModel], list[Json]] = {AccessLogPage: [ACCESS_LOG]}
