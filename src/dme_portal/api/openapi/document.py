"""Build the OpenAPI document: FastAPI's output plus tags, security, examples and enum texts.

``openapi/openapi.json`` is this function's output, committed and checked in CI; integrators
generate clients from it, so operation ids and schema names are part of the contract.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from dme_portal import __version__
from dme_portal.api.idempotent import mark_required_headers
from dme_portal.api.openapi import enums, examples
from dme_portal.api.problem import PROBLEM_MEDIA_TYPE

TITLE = "DME prior-authorization hub"
SUMMARY = "One API for durable-medical-equipment prior authorizations at every health network."

DESCRIPTION = """\
One API for every health network in California's Whole-Child Model (CalOptima Health and its
networks): DME vendors check coverage and submit prior-authorization requests for a child; the
hub finds the member's network, applies the network's published rules (condition-specific
authorization groups approve in seconds), starts the 72-hour clock and says, in plain words,
what each request is waiting on. Network reviewers, or the network's own UM system, decide the
rest through the same API.

## Getting started
1. **Get a token**: `POST /v1/auth/token` with `grant_type=client_credentials` (a machine
   client: `client_id` and `client_secret`, as HTTP Basic or form fields) or
   `grant_type=password` (a person). The local demo (`make run`) writes its accounts to
   `var/demo-credentials.txt`; in Swagger UI (`/docs`), **Authorize** takes the same
   credentials. Send the token as `Authorization: Bearer <access_token>`.
2. **Check coverage** (`POST /v1/coverage-checks`): would the member's network need an
   authorization for these lines, which documents, and would the rules approve now? Send
   the member's CIN with their date of birth (`member_birth_date`), here and on submit: an
   unknown CIN and a wrong birth date get the same 404 as eligibility.
3. **Upload documents first** (`POST /v1/attachments`) and name them in `attachment_ids`.
4. **Submit** (`POST /v1/authorization-requests`) and follow the request: its `status`,
   `sla_state`, `due_at`, `waiting_on` and timeline (`.../events`).

## Conventions
- **Errors** are RFC 9457 problem details (`application/problem+json`) with a stable `code`;
  a 422 lists each invalid field in `errors`.
- **Scope**: every caller sees only its own organisation's data. Something outside your scope
  is a 404, never a 403, so that its existence does not leak.
- **Idempotency**: creating POSTs need an `Idempotency-Key` header (428 without). A retry with
  the same key and body returns the first answer with `Idempotent-Replayed: true`.
- **Concurrency**: responses carry an `ETag`; every update needs `If-Match` (cancelling,
  pending, downgrading, deciding, publishing a ruleset; 428 without, 412 when someone changed
  the resource since you read it, a document attached since included). The first save of a
  network's draft ruleset sends `If-None-Match: *` instead. Two writes that collide give the
  loser a 409 with `Retry-After`: read again and retry.
- **Availability**: while the database is unavailable (a restart, a failover, no free
  connection) every operation that needs it answers 503 `service.unavailable` with
  `Retry-After` (seconds); nothing was changed, and the request may be sent again.
- **Lists** are cursor-paginated: pass `next_cursor` back as `cursor`; null means the end.
- **Times** are UTC ISO 8601 date-times (`2026-11-02T15:00:00Z`); dates are `YYYY-MM-DD`.
- **Codes**: HCPCS Level II (`L1960`, `E1161`) and billable ICD-10-CM (`G80.1`, `E10.9`);
  search them with `/v1/codes/hcpcs` and `/v1/codes/icd10`.
"""

CONTACT = {"name": "DME prior-authorization hub team"}
LICENSE = {"name": "Apache-2.0", "identifier": "Apache-2.0"}
# Relative: the API is where the document is served from (local demo: http://127.0.0.1:8000).
SERVERS = [{"url": "/", "description": "This hub: the server that serves this document"}]

TAGS: list[dict[str, Any]] = [
    {
        "name": "auth",
        "x-displayName": "Access tokens",
        "description": "OAuth2 access tokens (RFC 6749): client credentials for machine "
        "clients, password for people. Every other operation needs the token as a bearer "
        "token; its role (vendor, reviewer, network admin...) decides what the caller may do.",
    },
    {
        "name": "authorization requests",
        "x-displayName": "Authorization requests",
        "description": "Submit a prior-authorization request for a member, follow it (status, "
        "SLA clock, `waiting_on`, timeline), answer the network's questions, and cancel it "
        "before a decision. Vendors see their own requests; network staff their network's; "
        "the plan all.",
    },
    {
        "name": "attachments",
        "x-displayName": "Attachments",
        "description": "Prescriptions, letters of medical necessity and evaluations (PDF, PNG, "
        "JPEG or TIFF, judged by content). Upload them before submitting and name them in "
        "`attachment_ids`, or attach them to a request in review; the network's documentation "
        "rules count them at once.",
    },
    {
        "name": "authorizations",
        "x-displayName": "Authorizations",
        "description": "What approved and modified lines grant: number, period, quantity and "
        "state (`active`, `expiring`, `expired`, `superseded`, `void`), with renewal and "
        "continuity links. List those expiring within N days to renew them in time. Vendors "
        "see their own; network staff their network's (and those honoured for members who "
        "moved there); the plan all.",
    },
    {
        "name": "renewals",
        "x-displayName": "Renewals",
        "description": "Renew authorizations in one call, one or up to 100 at once (all or "
        "nothing): each becomes a `renewal` request carrying the line, diagnoses and documents "
        "forward, under the rules of the network the member is enrolled in on the new start; "
        "a condition-specific group approves it inside the call, and the new authorization "
        "follows the old one with no gap and no overlap.",
    },
    {
        "name": "coverage checks",
        "x-displayName": "Coverage checks",
        "description": "Ask before submitting: does this line need authorization at the "
        "member's network, which documents will it need, and would the rules approve it now? "
        "Nothing is stored.",
    },
    {
        "name": "members",
        "x-displayName": "Members",
        "description": "Eligibility of a member (a child identified by a Medi-Cal CIN): the "
        "network that decides for them on a date, and their CCS eligibility.",
    },
    {
        "name": "codes",
        "x-displayName": "Codes",
        "description": "Search the HCPCS Level II codes the hub accepts on request lines and "
        "the ICD-10-CM diagnosis codes, e.g. for autocomplete.",
    },
    {
        "name": "networks",
        "x-displayName": "Networks",
        "description": "The plan's health networks and their turnaround policies.",
    },
    {
        "name": "network rules",
        "x-displayName": "Network rules",
        "description": "Each network's ruleset: no-authorization list, condition-specific "
        "authorization groups (CSAGs), durations, quantity limits, documentation requirements "
        "and SLA policy; versioned, diffable, edited as a draft and published by the network's "
        "admin. Also the members assigned to a CSAG.",
    },
    {
        "name": "review",
        "x-displayName": "Review",
        "description": "For network reviewers, medical directors and the network's own UM "
        "system: the queue (earliest due first), claims, requests for information, decisions "
        "and the feed of new and changed requests.",
    },
    {
        "name": "reconsideration",
        "x-displayName": "Reconsideration",
        "description": "A vendor asks, on the family's behalf, that a denied or modified line "
        "be reconsidered, within the network's period (60 days after the decision by "
        "default), with a reason and documents. A medical director other than the one who "
        "decided upholds or overturns each line, on the reconsideration's own clock (30 days, "
        "72 hours when expedited); an overturn issues the authorization.",
    },
    {
        "name": "reports",
        "x-displayName": "Reports",
        "description": "Transparency metrics per network (volumes, approvals, denials, "
        "turnaround, SLA compliance) and the list of SLA breaches, for the plan and network "
        "admins; JSON or CSV.",
    },
    {
        "name": "audit",
        "x-displayName": "PHI access log",
        "description": "Every call that reads or changes a member's PHI leaves one append-only "
        "entry: who (subject, role, organisation, client), what (resource and the members "
        "concerned), the action, when, from which address, the route, the outcome and the "
        "stated purpose (`X-Purpose-Of-Use`). Plan admins read their plan's entries, network "
        "admins their network's; filter by member to see who looked at a child's record. "
        "Member lookups (eligibility, coverage checks) are limited per caller and minute, "
        "counted from this log (429 with `Retry-After`).",
    },
    {
        "name": "health",
        "x-displayName": "Health",
        "description": "Liveness and readiness probes for load balancers and orchestrators; "
        "no token needed.",
    },
]

# FastAPI names form bodies after the operation; integrators get these names instead.
BODY_SCHEMAS = {
    "Body_issueToken": (
        "TokenRequest",
        "A token request (RFC 6749 §4.3 and §4.4), form-encoded. A machine client may send "
        "its id and secret as HTTP Basic instead of `client_id` and `client_secret`; other "
        "fields (such as `scope`) are ignored.",
    ),
    "Body_revokeToken": (
        "TokenRevocation",
        "A token revocation request (RFC 7009 §2.1), form-encoded: the token to withdraw, and "
        "optionally a hint of its kind.",
    ),
    "Body_uploadAttachment": (
        "AttachmentUpload",
        "A document for a request in review or pended, as `multipart/form-data`.",
    ),
    "Body_uploadDocument": (
        "DocumentUpload",
        "A document uploaded before submitting, as `multipart/form-data`; name its `id` in the "
        "submission's `attachment_ids`.",
    ),
}


# Named examples (a choice in Swagger UI, tabs in ReDoc): (operationId, "request" or status).
NAMED_EXAMPLES: dict[tuple[str, str], dict[str, Any]] = {
    ("submitAuthorizationRequest", "request"): examples.SUBMISSIONS,
    ("submitAuthorizationRequest", "201"): examples.SUBMITTED,
    ("checkCoverage", "request"): examples.COVERAGE_REQUESTS,
    ("checkCoverage", "200"): examples.COVERAGE_RESULTS,
}


def build(app: FastAPI) -> dict[str, Any]:
    """The app's OpenAPI 3.1 document, as committed in ``openapi/openapi.json``."""
    document = get_openapi(
        title=TITLE,
        version=__version__,
        openapi_version="3.1.0",
        summary=SUMMARY,
        description=DESCRIPTION,
        routes=app.routes,
        tags=TAGS,
        servers=SERVERS,
        contact=CONTACT,
        license_info=LICENSE,
    )
    for path, operation in _operations(document):
        for status, response in operation.get("responses", {}).items():
            content = response.get("content", {})
            if status[0] in "45" and "application/json" in content:
                media = content.pop("application/json")
                media["example"] = examples.problem_example(
                    operation["operationId"], path, int(status)
                )
                content[PROBLEM_MEDIA_TYPE] = media
        _document_unavailable(path, operation)
        _document_unknown_query(path, operation)
        # Say so explicitly where no token is needed (the token endpoint, health probes).
        operation.setdefault("security", [])
        _name_examples(operation)
    mark_required_headers(document)
    _rename_schemas(document, BODY_SCHEMAS)
    schemas = document.get("components", {}).get("schemas", {})
    enums.describe(schemas)
    examples.attach(schemas)
    return document


def _document_unavailable(path: str, operation: dict[str, Any]) -> None:
    """Every operation that touches the database may answer 503 with Retry-After."""
    if operation["operationId"] == "getLiveness":
        return
    response = operation.setdefault("responses", {}).setdefault(
        "503",
        {
            "description": "The database is unavailable; retry after `Retry-After` seconds",
            "content": {
                PROBLEM_MEDIA_TYPE: {
                    "schema": {"$ref": "#/components/schemas/Problem"},
                    "example": examples.problem_example(operation["operationId"], path, 503),
                }
            },
        },
    )
    response.setdefault("headers", {})["Retry-After"] = {
        "description": "Seconds to wait before sending the request again.",
        "schema": {"type": "integer", "minimum": 0},
    }


def _document_unknown_query(path: str, operation: dict[str, Any]) -> None:
    """Every operation answers 422 to a query parameter it does not declare
    (``params.reject_unknown_query``); most declare the 422 already."""
    responses = operation.setdefault("responses", {})
    if "422" in responses:
        return
    responses["422"] = {
        "description": "A query parameter this operation does not declare; `errors` names it",
        "content": {
            PROBLEM_MEDIA_TYPE: {
                "schema": {"$ref": "#/components/schemas/Problem"},
                "example": {
                    "type": "about:blank",
                    "title": "The request is not valid",
                    "status": 422,
                    "detail": "Invalid fields: bogus",
                    "instance": path,
                    "code": "validation_error",
                    "errors": [
                        {
                            "field": "bogus",
                            "message": "is not a parameter of this operation",
                            "code": "extra_forbidden",
                        }
                    ],
                },
            }
        },
    }


def _name_examples(operation: dict[str, Any]) -> None:
    bodies = {"request": operation.get("requestBody", {}), **operation.get("responses", {})}
    for key, body in bodies.items():
        named = NAMED_EXAMPLES.get((operation["operationId"], key))
        if named is not None:
            body["content"]["application/json"]["examples"] = named


def _operations(document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(path, op) for path, item in document.get("paths", {}).items() for op in item.values()]


def _rename_schemas(document: dict[str, Any], names: dict[str, tuple[str, str]]) -> None:
    schemas = document.get("components", {}).get("schemas", {})
    refs: dict[str, str] = {}
    for old, (new, description) in names.items():
        if old in schemas:
            schemas[new] = {**schemas.pop(old), "title": new, "description": description}
            refs[f"#/components/schemas/{old}"] = f"#/components/schemas/{new}"

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref in refs:
                node["$ref"] = refs[ref]
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    visit(document)
    document["components"]["schemas"] = dict(sorted(schemas.items()))
