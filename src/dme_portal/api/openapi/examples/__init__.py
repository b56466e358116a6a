"""Example bodies for the document, from three demo scenarios at CHOC Health Alliance.

- **CP orthotics**: ankle-foot orthoses (L1960) for a child with spastic diplegic cerebral
  palsy (G80.1): the network's CSAG approves them at submission.
- **T1D supplies**: a CGM receiver and supply allowances (E2102, A4239, A4238) for a child with
  type 1 diabetes (E10.9): two lines approved by the CSAG, one over its limit goes to review.
- **Wheelchair**: a tilt-in-space wheelchair (E1161) for a child with spastic quadriplegic
  cerebral palsy (G80.0), its prescription and seating evaluation uploaded first.

Names, CINs and NPIs come from the demo data (``make run``); every one is fictional.
``tests/api/test_openapi_document.py`` validates each example against its model.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel

from dme_portal.api.health import Health
from dme_portal.api.openapi.examples import (
    activity,
    admin,
    audit,
    authorizations,
    demo,
    enrollments,
    problems,
    reconsideration,
    renewals,
    requests,
)
from dme_portal.api.problem import Problem
from dme_portal.api.v1.auth import TokenResponse
from dme_portal.rulesets.schemas import CoverageCheckResult
from dme_portal.submissions.schemas import AuthorizationRequestCreate, AuthorizationRequestRead

Json = dict[str, Any]

EXAMPLES: dict[type[BaseModel], list[Json]] = {
    TokenResponse: [
        {
            "access_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1c2VyOnZlbmRvci5o"
            "YXJib3IiLCJyb2xlIjoidmVuZG9yIn0.3q2Nf0P1cQ8tq2Y2m6T1m8tVt6n2n8bJr1cK9e1W3xA",
            "token_type": "Bearer",
            "expires_in": 900,
        }
    ],
    Health: [{"status": "ok"}],
    **requests.EXAMPLES,
    **activity.EXAMPLES,
    **admin.EXAMPLES,
    **problems.EXAMPLES,
    **audit.EXAMPLES,
    **reconsideration.EXAMPLES,
    **authorizations.EXAMPLES,
    **enrollments.EXAMPLES,
    **renewals.EXAMPLES,
}
# Named examples (a choice in Swagger UI) of the operations the three scenarios go through.
SUBMISSIONS = demo.SUBMISSIONS
SUBMITTED = requests.SUBMITTED
COVERAGE_REQUESTS = activity.COVERAGE_REQUESTS
COVERAGE_RESULTS = activity.COVERAGE_RESULTS
problem_example = problems.problem_example


def all_examples() -> Iterator[tuple[type[BaseModel], Json]]:
    """Every example in the document with the model it must validate as."""
    for model, values in EXAMPLES.items():
        for value in values:
            yield model, value
    for model, named in (
        (AuthorizationRequestCreate, SUBMISSIONS),
        (AuthorizationRequestCreate, COVERAGE_REQUESTS),
        (AuthorizationRequestRead, SUBMITTED),
        (CoverageCheckResult, COVERAGE_RESULTS),
    ):
        for example in named.values():
            yield model, example["value"]
    for status, problem in problems.PROBLEMS.items():
        yield Problem, {**problem, "status": status}
    for (_, status), problem in problems.PROBLEMS_BY_OPERATION.items():
        yield Problem, {**problem, "status": status}


def attach(schemas: dict[str, Any]) -> None:
    """Set each model's examples on its component schema."""
    for model, values in EXAMPLES.items():
        schema = schemas.get(model.__name__)
        if schema is not None:
            schema["examples"] = values
