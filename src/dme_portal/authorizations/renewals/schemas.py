"""Renewal bodies and answers."""

from __future__ import annotations

import uuid
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from dme_portal.submissions.schemas import AuthorizationRequestRead, IsoDate
from dme_portal.text import Text

MAX_BATCH = 100


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ExtendedPeriodAsk(_Strict):
    """Ask for the ruleset's extended lifelong period (`renewals.extended_lifelong_days`)."""

    reason: Text = Field(
        min_length=1,
        max_length=2000,
        description="Why the member needs the longer period; a reviewer reads it and decides.",
    )


class RenewalChanges(_Strict):
    """What changes from the authorization renewed; everything else is carried forward (the
    line, the diagnoses, the prescriber and the documents)."""

    quantity: StrictInt | None = Field(
        default=None, gt=0, le=100_000, description="A new quantity per frequency."
    )
    brand: Text | None = Field(
        default=None, min_length=1, max_length=120, description="A new brand (give its reason)."
    )
    brand_reason: Text | None = Field(
        default=None, min_length=1, max_length=2000, description="Why this brand."
    )
    start_date: IsoDate | None = Field(
        default=None,
        description="Must be the day after the authorization ends (the default): coverage "
        "continues with no gap and no overlap.",
    )
    end_date: IsoDate | None = Field(
        default=None,
        description="Last day of the new period; by default the period the network's rules "
        "give (longer for lifelong conditions).",
    )
    extended_period: ExtendedPeriodAsk | None = Field(
        default=None,
        description="Ask for the extended lifelong period, with a reason: the line then goes to "
        "a reviewer (the rules never grant it). 422 when the network offers none or the member "
        "has no lifelong condition.",
    )
    notes: Text | None = Field(
        default=None, max_length=4000, description="Free text for the network's reviewer."
    )


class RenewalCreate(RenewalChanges):
    """One renewal: the changes, if any (an empty object renews as it was)."""


class RenewalItem(RenewalChanges):
    """One renewal in a batch."""

    authorization_id: uuid.UUID = Field(description="The authorization to renew.")


class RenewalBatchCreate(_Strict):
    """Up to 100 renewals, all or nothing: one bad item refuses the batch, naming each
    problem as `renewals[i].<field>`."""

    renewals: list[RenewalItem] = Field(
        min_length=1, max_length=MAX_BATCH, description="One item per authorization, 1 to 100."
    )


class RenewalOutcome(StrEnum):
    """`approved` inside the call (a condition-specific group), or `in_review` (a person)."""

    APPROVED = "approved"
    IN_REVIEW = "in_review"


class RenewalRead(BaseModel):
    """A renewal filed: the authorization renewed, what became of it, and the new request."""

    authorization_id: uuid.UUID = Field(description="The authorization renewed.")
    outcome: RenewalOutcome = Field(
        description="`approved` inside the call (a condition-specific group), or `in_review`."
    )
    request: AuthorizationRequestRead = Field(description="The new `renewal` request.")


class RenewalBatchRead(BaseModel):
    """The renewals filed, in the order asked."""

    renewals: list[RenewalRead] = Field(description="One per item, in the order asked.")
