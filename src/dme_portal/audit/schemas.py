"""API shapes of the PHI access log."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from dme_portal.audit.models import AccessAction, Outcome, ResourceType


class AccessLogMemberRead(BaseModel):
    """A member whose PHI the call returned or changed."""

    member_cin: str = Field(description="The member's Medi-Cal CIN.")
    network_id: uuid.UUID | None = Field(description="The member's network as the call saw it.")


class AccessLogRead(BaseModel):
    """One API call that read or changed PHI."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID = Field(description="The entry's id.")
    at: datetime = Field(description="When the hub answered the call (UTC).")
    subject: str = Field(description="Who: `user:<name>` or `client:<client id>`.")
    role: str = Field(description="The caller's role in the token.")
    org_kind: str = Field(description="`vendor`, `network` or `plan`.")
    org_id: uuid.UUID = Field(description="The caller's organisation.")
    client_id: str | None = Field(description="The machine client's id, for machine callers.")
    action: AccessAction = Field(description="What the caller did.")
    resource_type: ResourceType = Field(description="What kind of record it touched.")
    resource_id: str | None = Field(description="Which record, when the call named one.")
    network_id: uuid.UUID | None = Field(description="The network whose data it was, if one.")
    member_count: int = Field(description="How many members' PHI the call returned or changed.")
    members: list[AccessLogMemberRead] = Field(
        description="Those members (the ones in your scope, for a network admin)."
    )
    method: str = Field(description="HTTP method.")
    route: str = Field(
        description="The route template, e.g. `/v1/authorization-requests/{request_id}`."
    )
    client_address: str | None = Field(description="The caller's network address.")
    outcome: Outcome = Field(
        description="`success`; `failed` (a member lookup that found nothing); `throttled` "
        "(refused by the member-lookup rate limit or a sign-in throttle); `locked-out` (a "
        "failed sign-in that made its account and address, or its account from unknown "
        "addresses, wait)."
    )
    purpose: str | None = Field(description="The `X-Purpose-Of-Use` the caller stated, if any.")


class AccessLogPage(BaseModel):
    """One page of access-log entries, newest first."""

    items: list[AccessLogRead] = Field(description="The entries on this page.")
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end."
    )


CSV_COLUMNS = (
    "id",
    "at",
    "subject",
    "role",
    "org_kind",
    "org_id",
    "client_id",
    "action",
    "resource_type",
    "resource_id",
    "network_id",
    "member_cins",
    "method",
    "route",
    "client_address",
    "outcome",
    "purpose",
)
