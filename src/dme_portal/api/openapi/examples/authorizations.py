"""Authorizations as the hub returns them: the CP orthoses CHOC's CSAG approved at submission."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from dme_portal.api.openapi.examples.demo import (
    CHOC,
    CP_MEMBER,
    CP_REQUEST_ID,
    CP_SUBMISSION,
    END,
    HARBOR,
    RECEIVED,
    START,
)
from dme_portal.api.openapi.examples.requests import authorization_id
from dme_portal.authorizations.schemas import AuthorizationPage, AuthorizationRead

Json = dict[str, Any]

CP_AUTHORIZATION: Json = {
    "id": authorization_id("CHOC-B606B86666"),
    "number": "CHOC-B606B86666",
    "state": "active",
    "member": {k: CP_MEMBER[k] for k in ("cin", "first_name", "last_name")},
    "vendor": {"id": HARBOR["id"], "name": HARBOR["name"]},
    "source_network": CHOC,
    "request_id": CP_REQUEST_ID,
    "line_number": 1,
    "hcpcs": "L1960",
    "description": "AFO, posterior solid ankle, plastic, custom fabricated",
    "modifiers": [],
    "quantity": CP_SUBMISSION["lines"][0]["quantity"],
    "unit": "each",
    "frequency": "once",
    "brand": None,
    "start_date": START,
    "end_date": END,
    "renewable_from": "2027-03-31",
    "issued_at": RECEIVED,
    "issued_by": "rules",
    "renews": None,
    "superseded_by": None,
    "continuity": None,
    "ccs_eligible_to": "2027-10-11",
    "warnings": [],
    "version": 1,
}

EXAMPLES: dict[type[BaseModel], list[Json]] = {
    AuthorizationRead: [CP_AUTHORIZATION],
    AuthorizationPage: [{"items": [CP_AUTHORIZATION], "next_cursor": None}],
}
