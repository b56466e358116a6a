"""Renewal examples: the CP orthoses of the demo, renewed as they were, with a change, with
the extended lifelong period, and in a batch."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from dme_portal.api.openapi.examples.requests import CP_READ
from dme_portal.authorizations.renewals.schemas import (
    RenewalBatchCreate,
    RenewalBatchRead,
    RenewalCreate,
    RenewalRead,
)

RENEWED: dict[str, Any] = {
    "authorization_id": "0b7f3c1e-5d2a-4c8e-9f10-2a3b4c5d6e7f",
    "outcome": "approved",
    "request": {**CP_READ, "kind": "renewal"},
}

EXAMPLES: dict[type[BaseModel], list[dict[str, Any]]] = {
    RenewalCreate: [
        {},
        {"quantity": 2, "notes": "The child grew: a pair for each foot."},
        {"extended_period": {"reason": "Spastic diplegic CP, stable for three years."}},
    ],
    RenewalBatchCreate: [
        {
            "renewals": [
                {"authorization_id": "0b7f3c1e-5d2a-4c8e-9f10-2a3b4c5d6e7f"},
                {"authorization_id": "5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b", "quantity": 2},
                {
                    "authorization_id": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
                    "brand": "Cascade DAFO",
                    "brand_reason": "Fits the child's shoes",
                },
            ]
        }
    ],
    RenewalRead: [RENEWED],
    RenewalBatchRead: [{"renewals": [RENEWED]}],
}
