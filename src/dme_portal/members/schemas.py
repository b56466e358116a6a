"""Eligibility answer: no names or birth dates, only what routing needs."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from dme_portal.submissions.schemas import NetworkRef


class Eligibility(BaseModel):
    """Which network decides for the member on a date, and whether CCS covers them."""

    cin: str = Field(description="The member's Medi-Cal CIN.")
    on: date = Field(description="The date asked about.")
    enrolled: bool = Field(description="Enrolled in a network of the plan on `on`.")
    network: NetworkRef | None = Field(
        description="The network that decides the member's requests on `on`; null when not "
        "enrolled."
    )
    enrollment_from: date | None = Field(description="First day of that enrollment.")
    enrollment_to: date | None = Field(
        description="Last day of that enrollment; null while open-ended."
    )
    ccs_eligible: bool = Field(description="CCS-eligible on `on` (annual redetermination).")
    ccs_eligible_from: date | None = Field(description="First day of the CCS eligibility.")
    ccs_eligible_to: date | None = Field(
        description="Last day of the CCS eligibility (the next redetermination is due)."
    )
