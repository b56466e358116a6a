"""Problem details (RFC 9457) as each operation answers them."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from dme_portal.api.openapi.examples.demo import (
    ASSIGNMENT_ID,
    CHOC,
    CP_REQUEST_ID,
    END,
    START,
    T1D_PRESCRIPTION_ID,
    T1D_REQUEST_ID,
    WC_MEMBER,
    Json,
)
from dme_portal.api.problem import Problem

# --- Problem details ------------------------------------------------------------------------


def _problem(title: str, code: str, detail: str | None = None, **extra: Any) -> Json:
    return {"type": "about:blank", "title": title, "detail": detail or title, "code": code, **extra}


_LOOKUPS_THROTTLED = _problem(
    "Too many member lookups",
    "rate_limited.member_lookups",
    "At most 120 member lookups a minute per caller; retry in 17 s.",
    retry_after=17,
)
_BODY_TOO_LARGE = {
    "type": "about:blank",
    "title": "The request body is too large",
    "detail": "The body is larger than the limit of 256 KiB (262144 bytes).",
    "code": "request.too_large",
    "errors": [{"field": "body", "message": "At most 262144 bytes.", "code": "request.too_large"}],
    "limit_bytes": 262144,
}
_INVALID = "E9999 is not a DME HCPCS code known to the hub"
_PHYSICIAN = (
    "is required to deny or modify for medical necessity: name the physician (`npi`, `name`) "
    "who made the determination (California HSC 1367.01(e))"
)
_NOT_ENROLLED = "the member is not enrolled in this network on effective_from"
PROBLEMS: dict[int, Json] = {
    400: _problem("Bad Request", "http.400", "There was an error parsing the body"),
    401: _problem(
        "Authentication required", "auth.unauthorized", "A bearer access token is required."
    ),
    403: _problem("Not allowed", "auth.forbidden", "The role 'care_coordinator' may not do this."),
    404: _problem("Authorization request not found", "authorization_request.not_found"),
    409: _problem(
        "The request is already closed",
        "authorization_request.closed",
        "The request is approved and cannot be cancelled.",
    ),
    412: _problem(
        "The resource changed since you read it",
        "precondition_failed",
        'The request is now at "v4".',
    ),
    413: _problem(
        "The file is too large",
        "attachment.too_large",
        "file: must not be larger than 10485760 bytes",
        errors=[
            {
                "field": "file",
                "message": "must not be larger than 10485760 bytes",
                "code": "too_large",
            }
        ],
        max_bytes=10485760,
    ),
    415: _problem(
        "Unsupported media type", "unsupported_media_type", "Send the body as application/json."
    ),
    422: _problem(
        "The request is not valid",
        "validation_error",
        "Invalid fields: lines[0].hcpcs",
        errors=[{"field": "lines[0].hcpcs", "message": _INVALID, "code": "value_error"}],
    ),
    428: _problem(
        "If-Match is required",
        "precondition_required",
        "Send If-Match with the ETag of the request you reviewed.",
    ),
    429: _problem(
        "Too many failed attempts",
        "oauth.slow_down",
        "Too many failed attempts for this account; it is locked for a while.",
        error="slow_down",
        retry_after=840,
    ),
    503: _problem(
        "Service unavailable",
        "service.unavailable",
        "The service cannot reach its database right now; nothing was changed. "
        "Try again in 2 seconds.",
    ),
}
_IDEMPOTENCY_REQUIRED = _problem(
    "Idempotency-Key is required",
    "idempotency.key_required",
    "Send an Idempotency-Key header (a new random value, e.g. a UUID, per intended request; "
    "reuse it only to retry the same request).",
)
_UNSUPPORTED = "must be a PDF, PNG, JPEG or TIFF file (judged by its content, not its name)"
_UPLOAD_TYPE = _problem(
    "The file is not of an accepted type",
    "attachment.unsupported_type",
    f"file: {_UNSUPPORTED}",
    errors=[{"field": "file", "message": _UNSUPPORTED, "code": "unsupported_type"}],
)
_DUPLICATE = (
    f"lines[0]: the member already has authorization CHOC-B606B86666 for L1960 ({START} to "
    f"{END}, request {CP_REQUEST_ID}). Follow that request, or submit kind 'change' or 'renewal'."
)
# What differs from PROBLEMS, by operationId and status.
PROBLEMS_BY_OPERATION: dict[tuple[str, int], Json] = {
    ("issueToken", 400): _problem(
        "The grant is not valid",
        "oauth.invalid_grant",
        "Unknown user or wrong password.",
        error="invalid_grant",
    ),
    ("issueToken", 401): _problem(
        "The grant is not valid",
        "oauth.invalid_client",
        "Unknown client or wrong secret.",
        error="invalid_client",
    ),
    ("issueToken", 413): _BODY_TOO_LARGE,
    ("revokeToken", 413): _BODY_TOO_LARGE,
    ("revokeToken", 400): _problem(
        "The grant is not valid",
        "oauth.unauthorized_client",
        "A caller may revoke only its own tokens.",
        error="unauthorized_client",
    ),
    ("revokeToken", 401): _problem(
        "The grant is not valid",
        "oauth.invalid_client",
        "Unknown client or wrong secret.",
        error="invalid_client",
    ),
    ("issueToken", 422): _problem(
        "The request is not valid",
        "validation_error",
        "Invalid fields: username",
        errors=[
            {
                "field": "username",
                "message": "String should have at most 100 characters",
                "code": "string_too_long",
            }
        ],
    ),
    ("submitAuthorizationRequest", 409): _problem(
        "The member already has a request or authorization for this item and period",
        "authorization_request.duplicate",
        _DUPLICATE,
        errors=[{"field": "lines[0]", "message": _DUPLICATE, "code": "duplicate_request"}],
        existing_request_id=CP_REQUEST_ID,
        existing_authorization_number="CHOC-B606B86666",
        existing_period={"start": START, "end": END},
    ),
    ("submitAuthorizationRequest", 428): _IDEMPOTENCY_REQUIRED,
    ("answerInformationRequest", 428): _IDEMPOTENCY_REQUIRED,
    ("uploadAttachment", 428): _IDEMPOTENCY_REQUIRED,
    ("uploadDocument", 428): _IDEMPOTENCY_REQUIRED,
    ("uploadAttachment", 415): _UPLOAD_TYPE,
    ("uploadDocument", 415): _UPLOAD_TYPE,
    ("cancelAuthorizationRequest", 428): _problem(
        "If-Match is required",
        "precondition_required",
        "Send If-Match with the ETag of the request you read.",
    ),
    ("decideRequest", 409): _problem(
        "The request is already decided", "authorization_request.decided"
    ),
    ("decideRequest", 403): _problem(
        "Only a medical director may do this",
        "review.physician_required",
        "Only a medical director may deny or modify for medical necessity (California Health "
        "and Safety Code 1367.01(e)). Route it to your medical director.",
    ),
    ("decideRequest", 422): _problem(
        "The request is not valid",
        "validation_error",
        f"deciding_physician: {_PHYSICIAN}",
        errors=[
            {"field": "deciding_physician", "message": _PHYSICIAN, "code": "physician_required"}
        ],
    ),
    ("createCsagAssignment", 422): _problem(
        "The request is not valid",
        "validation_error",
        f"member_cin: {_NOT_ENROLLED}",
        errors=[{"field": "member_cin", "message": _NOT_ENROLLED, "code": "not_enrolled"}],
    ),
    ("claimRequest", 409): _problem(
        "Another reviewer has claimed the request",
        "authorization_request.claimed",
        "Release it first, or ask the reviewer who holds it.",
    ),
    ("publishRuleset", 409): _problem(
        "The draft is not a valid ruleset",
        "ruleset.draft_invalid",
        "1 problem(s): fix the draft and publish again.",
    ),
    ("getEligibility", 404): _problem("Member not found", "member.not_found"),
    ("getEligibility", 429): _LOOKUPS_THROTTLED,
    # An unknown CIN or a wrong member_birth_date: eligibility's very answer (issue 21).
    ("checkCoverage", 404): _problem("Member not found", "member.not_found"),
    ("checkCoverage", 429): _LOOKUPS_THROTTLED,
    ("submitAuthorizationRequest", 404): _problem("Member not found", "member.not_found"),
    ("submitAuthorizationRequest", 429): _LOOKUPS_THROTTLED,
    ("saveRulesetDraft", 428): _problem(
        "A precondition header is required",
        "precondition_required",
        'Send If-Match with the draft\'s ETag (e.g. "d3") to replace it, or If-None-Match: * '
        "to save the first draft.",
    ),
    ("publishRuleset", 428): _problem(
        "If-Match is required",
        "precondition_required",
        'Send If-Match with the ETag of the draft you mean to publish (e.g. "d3").',
    ),
}
_NOT_FOUND_BY_PATH = (
    ("/attachments", _problem("Attachment not found", "attachment.not_found")),
    ("/csag-assignments/", _problem("CSAG assignment not found", "csag_assignment.not_found")),
    ("/ruleset", _problem("Network not found", "network.not_found")),
    ("/csag-assignments", _problem("Network not found", "network.not_found")),
)
_PATH_VALUES = {
    "request_id": T1D_REQUEST_ID,
    "network_id": CHOC["id"],
    "cin": WC_MEMBER["cin"],
    "attachment_id": T1D_PRESCRIPTION_ID,
    "assignment_id": ASSIGNMENT_ID,
    "version": "1",
}


def problem_example(operation_id: str, path: str, status: int) -> Json:
    """A problem detail as this operation answers it with this status."""
    found = PROBLEMS_BY_OPERATION.get((operation_id, status))
    if found is None and status == 404:
        found = next((p for part, p in _NOT_FOUND_BY_PATH if part in path), None)
    body = found or PROBLEMS[status]
    instance = path
    for name, value in _PATH_VALUES.items():
        instance = instance.replace("{" + name + "}", value)
    return {**body, "status": status, "instance": instance}


EXAMPLES: dict[type[BaseModel], list[Json]] = {
    Problem: [
        {
            "type": "about:blank",
            "title": "Authorization request not found",
            "status": 404,
            "detail": "Authorization request not found",
            "instance": f"/v1/authorization-requests/{T1D_REQUEST_ID}",
            "code": "authorization_request.not_found",
        }
    ],
}
