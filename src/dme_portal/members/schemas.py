"""Eligibility answer: no names or birth dates, only what routing needs."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from dme_portal.submissions.schemas import NetworkRef


class Eligibility(BaseModel):
    cin: str
    on: date
    enrolled: bool = Field(description="Enrolled in a network of the plan on `on`.")
    network: NetworkRef | None
    enrollment_from: date | None
    enrollment_to: date | None
    ccs_eligible: bool = Field(description="CCS-eligible on `on` (annual redetermination).")
    ccs_eligible_from: date | None
    ccs_eligible_to: date | None
