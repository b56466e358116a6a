"""API schemas of the transparency reports (DESIGN §10)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from dme_portal.submissions.models import RequestStatus, Urgency


class MetricsRow(BaseModel):
    """One network and urgency over the requests received in the period."""

    network_id: uuid.UUID = Field(description="The network.")
    network_code: str = Field(description="The network's short code, e.g. `choc`.")
    network_name: str = Field(description="The network's name.")
    urgency: Urgency = Field(description="The request's urgency now (after any downgrade).")
    requests: int = Field(description="Requests received in the period, cancelled ones included.")
    cancelled: int = Field(description="Of those, withdrawn by the vendor.")
    decided_by_rules_share: float = Field(
        description="Requests decided outright by the network's rules at submission (a `decided` "
        "event by the rules engine) divided by `requests`; 0 when there are none. 4 decimals."
    )
    approved: int = Field(description="Requests whose status is `approved`.")
    partially_approved: int = Field(description="Requests whose status is `partially_approved`.")
    modified: int = Field(description="Requests whose status is `modified`.")
    denied: int = Field(description="Requests whose status is `denied`.")
    pended: int = Field(
        description="Requests the network ever pended (asked the vendor for information)."
    )
    approved_after_reconsideration: int | None = Field(
        default=None,
        description="Of the requests received in the period (counted as the other figures "
        "are, by receipt), those with a line approved after reconsideration: a reconsideration "
        "`overturned` or `partially_overturned`, decided at any time up to `generated_at`. "
        "Divide by `denied` + `modified` + `partially_approved` for the share approved after "
        "appeal that CMS-0057-F asks for.",
    )
    extended_timeframe_share: float = Field(
        description="Share of `requests` whose SLA clock was extended (stopped while pended, now "
        "or before); 0 when there are none. 4 decimals."
    )
    decision_hours_mean: float | None = Field(
        description="Mean hours from receipt to decision over decided requests (null when none "
        "was decided). 2 decimals."
    )
    decision_hours_median: float | None = Field(description="Median of the same. 2 decimals.")
    decision_hours_p90: float | None = Field(
        description="90th percentile of the same, interpolated linearly between the closest "
        "ranks. 2 decimals."
    )
    sla_met: int = Field(description="Decided at or before the deadline.")
    sla_missed: int = Field(description="Decided after the deadline.")
    sla_compliance: float | None = Field(
        description="`sla_met` / decided requests; null when none was decided. 4 decimals."
    )
    breaches: int = Field(
        description="`sla_missed` plus requests still open whose deadline has passed at "
        "`generated_at` (a stopped clock does not breach)."
    )


class MetricsReport(BaseModel):
    """Prior-authorization metrics over a period, per network and urgency.

    The figures CMS-0057-F asks payers to publish, side by side for every network in scope.
    """

    model_config = ConfigDict(populate_by_name=True)

    from_: date = Field(alias="from", description="First day of the period (UTC), inclusive.")
    to: date = Field(description="Day after the period (UTC), exclusive.")
    generated_at: datetime = Field(description="The hub's time when the report was computed.")
    items: list[MetricsRow] = Field(
        description="One row per network in scope and urgency, zeros included."
    )


class BreachRead(BaseModel):
    """An open request past its decision deadline."""

    request_id: uuid.UUID = Field(description="The authorization request.")
    network_id: uuid.UUID = Field(description="The network that must decide it.")
    network_name: str = Field(description="The network's name.")
    status: RequestStatus = Field(description="`in_review` or `pended`.")
    urgency: Urgency = Field(description="The request's urgency now.")
    received_at: datetime = Field(description="When the hub accepted it.")
    due_at: datetime = Field(description="The deadline it missed.")
    hours_late: float = Field(description="Hours past the deadline at `generated_at`, 2 decimals.")
    assigned_to: str | None = Field(description="The reviewer who has claimed it, if any.")
    waiting_on: str = Field(description="What it waits for, in plain words.")
    escalated: bool = Field(description="The request is on the network's escalation list.")


class BreachPage(BaseModel):
    """One page of SLA breaches, most overdue first."""

    generated_at: datetime = Field(description="The hub's time when the list was made.")
    items: list[BreachRead] = Field(description="The breaches on this page.")
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end."
    )
