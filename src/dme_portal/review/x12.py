"""X12 278 certification action codes (HCR01) for line outcomes and request statuses.

| hub                     | X12 HCR01 | meaning               |
| ----------------------- | --------- | --------------------- |
| line approved           | A1        | certified in total    |
| line modified           | A6        | modified              |
| line denied             | A3        | not certified         |
| line not_required       | NA        | no action required    |
| line undecided          | A4        | pended                |
| request approved        | A1        |                       |
| request partially_approved | A2     | certified, partial    |
| request denied          | A3        |                       |
| request modified        | A6        |                       |
| request in_review/pended | A4       |                       |
| request cancelled       | C         | cancelled             |
| line of a cancelled request, undecided or its authorization void | C | cancelled |

A line that needed no authorization keeps NA when its request is cancelled: that stays true.
"""

from __future__ import annotations

from dme_portal.submissions.models import LineOutcome, RequestStatus

LINE_CODES: dict[LineOutcome | None, str] = {
    LineOutcome.APPROVED: "A1",
    LineOutcome.MODIFIED: "A6",
    LineOutcome.DENIED: "A3",
    LineOutcome.NOT_REQUIRED: "NA",
    None: "A4",
}

REQUEST_CODES: dict[RequestStatus, str] = {
    RequestStatus.APPROVED: "A1",
    RequestStatus.PARTIALLY_APPROVED: "A2",
    RequestStatus.DENIED: "A3",
    RequestStatus.MODIFIED: "A6",
    RequestStatus.IN_REVIEW: "A4",
    RequestStatus.PENDED: "A4",
    RequestStatus.CANCELLED: "C",
}


def line_code(outcome: LineOutcome | None, *, cancelled: bool = False) -> str:
    """HCR01 for one line's outcome; a cancelled request certifies nothing (its lines are C)."""
    if cancelled and outcome is not LineOutcome.NOT_REQUIRED:
        return "C"
    return LINE_CODES[outcome]


def request_code(status: RequestStatus) -> str:
    """HCR01 for the request as a whole."""
    return REQUEST_CODES[status]
