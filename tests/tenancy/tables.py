"""The matrix's tables: what to put in each path parameter, body and required query parameter.

Each table is keyed by what the OpenAPI document names (a path parameter's name, an
``operationId``), so an operation added to the API with a parameter or body that no table
knows fails ``test_api_matrix`` until it is added here: the matrix cannot miss a door.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeVar

import pytest

from fixtures.documents import pdf_bytes
from fixtures.factories import unique_cin
from fixtures.rules import choc_like
from tenancy.world import TODAY, Actor, Tenant1, Tenant2, with_birth_date

T = TypeVar("T")

# --- path parameters: tenant 1's objects, and a "ghost" that never existed --------------------

PathValues = Callable[[Tenant1, Tenant2], list[str]]

PATH_VALUES: dict[str, PathValues] = {
    "request_id": lambda one, _: [one.open_id, one.approved_id, one.denied_id, one.renewal_id],
    "authorization_id": lambda one, _: list(reversed(one.authorization_ids)),
    "attachment_id": lambda one, _: [one.attachment_id, one.upload_id],
    "reconsideration_id": lambda one, _: [one.reconsideration_id],
    "cin": lambda one, _: [one.member.cin],
    "network_id": lambda one, _: [str(one.network.id), one.network.code],
    "version": lambda _one, _two: ["1"],
    "assignment_id": lambda one, _: [one.assignment_id],
}

# What the same parameter holds for an object that does not exist: tenant 1's object must get
# the answer this one gets (the "oracle" check), so that no status tells that it exists.
GHOSTS: dict[str, Callable[[], str]] = {
    "request_id": lambda: str(uuid.uuid4()),
    "authorization_id": lambda: str(uuid.uuid4()),
    "attachment_id": lambda: str(uuid.uuid4()),
    "reconsideration_id": lambda: str(uuid.uuid4()),
    "cin": unique_cin,
    "network_id": lambda: str(uuid.uuid4()),
    "version": lambda: "1",
    "assignment_id": lambda: str(uuid.uuid4()),
}

# A change aimed at the object it makes sense for (a reconsideration needs a denied line).
MUTATION_PATH: dict[str, dict[str, Callable[[Tenant1], str]]] = {
    "requestReconsideration": {"request_id": lambda one: one.denied_id},
    "renewAuthorization": {"authorization_id": lambda one: one.authorization_ids[1]},
}

# Own door, foreign object in the body: the caller's own network with tenant 1's member.
OWN_DOOR: dict[str, Callable[[Tenant2], dict[str, str]]] = {
    "createCsagAssignment": lambda two: {"network_id": str(two.world.network_a.id)},
    "listCsagAssignments": lambda two: {"network_id": str(two.world.network_a.id)},
}

# Bodies naming tenant 1's objects, and the same body naming objects that never existed: the
# answers must be alike (status, problem code, fields and their codes) or the body is an oracle.
BODY_GHOSTS: dict[str, Callable[[Any], Any]] = {
    "createCsagAssignment": lambda body: {**body, "member_cin": unique_cin()},
    "renewAuthorizations": lambda body: {"renewals": [{"authorization_id": str(uuid.uuid4())}]},
}

# --- query parameters ------------------------------------------------------------------------

# Required query parameters, by operation.
REQUIRED_QUERY: dict[str, Callable[[Tenant1], dict[str, str]]] = {
    "getEligibility": lambda one: {"birth_date": one.member.birth_date.isoformat()},
    "getPriorAuthorizationMetrics": lambda _: {"from": "2026-10-01", "to": "2026-11-30"},
    "searchHcpcsCodes": lambda _: {"q": "wheelchair"},
    "searchIcd10Codes": lambda _: {"q": "asthma"},
    "diffRulesetVersions": lambda _: {"from": "1", "to": "2"},
}

# Optional filters that can name tenant 1: each declared one is one more call.
FILTERS: dict[str, Callable[[Tenant1], str]] = {
    "member_cin": lambda one: one.member.cin,
    "member": lambda one: one.member.cin,
    "network_id": lambda one: str(one.network.id),
    "network": lambda one: one.network.code,
    "subject": lambda one: one.secrets["vendor_subject"],
}

# --- bodies and headers of the changes -------------------------------------------------------


@dataclass
class Send:
    """What one call sends besides its URL."""

    json: Any = None
    data: dict[str, Any] | None = None
    files: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def kwargs(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.json is not None:
            out["json"] = self.json
        if self.data is not None:
            out["data"] = self.data
        if self.files is not None:
            out["files"] = self.files
        return out


def submission(one: Tenant1) -> dict[str, Any]:
    """Tenant 1's member, with the first item and period of its open request (a duplicate)."""
    line = {
        k: v
        for k, v in one.open_lines[0].items()
        if k in ("hcpcs", "modifiers", "quantity", "unit", "frequency", "start_date", "end_date")
    }
    body = {
        "member_cin": one.member.cin,
        "prescriber_npi": "1234567893",
        "urgency": "standard",
        "kind": "initial",
        "diagnoses": ["G80.0"],
        "lines": [line],
    }
    return with_birth_date(body, one.member)


def _doc(name: str) -> dict[str, Any]:
    return {"file": (f"{name}.pdf", pdf_bytes(name), "application/pdf")}


def _if_match(key: str) -> Callable[[Tenant1], dict[str, str]]:
    return lambda one: {"If-Match": one.etags[key]}


Body = Callable[[Tenant1, Tenant2, Actor], Send]

BODIES: dict[str, Body] = {
    "issueToken": lambda _o, _t, _a: Send(
        data={
            "grant_type": "client_credentials",
            "client_id": "nobody-of-the-matrix",
            "client_secret": "x",
        }
    ),
    "revokeToken": lambda _o, _t, _a: Send(data={"token": "not-a-token"}),
    "submitAuthorizationRequest": lambda one, _t, _a: Send(json=submission(one)),
    "checkCoverage": lambda one, _t, _a: Send(json=submission(one)),
    "answerInformationRequest": lambda _o, _t, _a: Send(
        json={"message": "An answer from elsewhere.", "attachment_ids": []}
    ),
    "cancelAuthorizationRequest": lambda one, _t, _a: Send(
        json={"reason": "Not mine."}, headers={"If-Match": one.etags[one.open_id]}
    ),
    "renewAuthorization": lambda _o, _t, _a: Send(json={}),
    "renewAuthorizations": lambda one, _t, _a: Send(
        json={"renewals": [{"authorization_id": one.authorization_ids[1]}]}
    ),
    "uploadAttachment": lambda _o, _t, _a: Send(
        files=_doc("elsewhere"), data={"document_type": "prescription"}
    ),
    "uploadDocument": lambda _o, _t, _a: Send(
        files=_doc("elsewhere"), data={"document_type": "prescription"}
    ),
    "recordEnrollment": lambda _o, two, _a: Send(
        json={"network": two.network3.code, "effective_from": "2027-06-01"}
    ),
    "claimRequest": lambda _o, _t, _a: Send(),
    "releaseRequest": lambda _o, _t, _a: Send(),
    "requestInformation": lambda one, _t, _a: Send(
        json={"message": "A question from elsewhere."},
        headers={"If-Match": one.etags[one.open_id]},
    ),
    "decideRequest": lambda one, _t, _a: Send(
        json={"lines": [{"line_number": n, "outcome": "approved"} for n in (1, 2)]},
        headers={"If-Match": one.etags[one.open_id]},
    ),
    "downgradeUrgency": lambda one, _t, _a: Send(
        json={"urgency": "standard", "reason": "Not urgent."},
        headers={"If-Match": one.etags[one.open_id]},
    ),
    "requestReconsideration": lambda _o, _t, _a: Send(json={"lines": [1], "reason": "Again."}),
    "decideReconsideration": lambda one, _t, _a: Send(
        json={"lines": [{"line_number": 1, "outcome": "overturned"}]},
        headers=_if_match("reconsideration")(one),
    ),
    "saveRulesetDraft": lambda one, _t, _a: Send(
        json={"document": copy.deepcopy(choc_like())}, headers=_if_match("draft")(one)
    ),
    "validateRulesetDraft": lambda _o, _t, _a: Send(),
    "publishRuleset": lambda one, _t, _a: Send(headers=_if_match("draft")(one)),
    "createCsagAssignment": lambda one, _t, _a: Send(
        json={
            "member_cin": one.member.cin,
            "csag_id": "trach-care",
            "effective_from": TODAY.isoformat(),
        }
    ),
    "endCsagAssignment": lambda _o, _t, _a: Send(
        json={"effective_to": (TODAY + timedelta(days=1)).isoformat()}
    ),
}

# Operations that answer without a bearer token by design (the rest must not answer 401 to
# the matrix's valid tokens, or the matrix would pass by never getting in).
NO_BEARER = {"issueToken", "revokeToken", "getLiveness", "getReadiness"}

# --- known gaps: cases that fail today, each a strict xfail (an XPASS fails, so a fix removes
# its entry). Empty since issue 21 landed: a gap found later goes here until it is fixed.
KNOWN_GAPS: dict[tuple[str, str], str] = {}


def known_gap(key: str, actor: str = "*") -> Callable[[T], T]:
    """A test's strict xfail mark while KNOWN_GAPS lists it; nothing once it is removed."""
    reason = KNOWN_GAPS.get((key, actor))
    if reason is None:
        return lambda test: test
    mark: Callable[[T], T] = pytest.mark.xfail(strict=True, reason=reason)
    return mark
