"""API schemas of authorizations: what an approved or modified line grants, as a resource."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, Field

from dme_portal.submissions.models import AuthorizationState
from dme_portal.submissions.schemas import NetworkRef

# The warning codes an authorization may carry.
CCS_ELIGIBILITY_ENDS_BEFORE = "ccs_eligibility_ends_before_authorization"


class AuthorizationMember(BaseModel):
    """Whom the authorization is for, as request reads show it. Names are PHI: never logged."""

    cin: str = Field(description="Medi-Cal CIN.")
    first_name: str = Field(description="Given name.")
    last_name: str = Field(description="Family name.")


class AuthorizationVendor(BaseModel):
    """The DME supplier the authorization was issued to."""

    id: uuid.UUID = Field(description="The vendor's id.")
    name: str = Field(description="The vendor's name.")


class AuthorizationLink(BaseModel):
    """Another authorization: the one renewed, or the renewal that took over."""

    id: uuid.UUID = Field(description="Its id (`GET /v1/authorizations/{id}`).")
    number: str = Field(description="Its authorization number.")


class Continuity(BaseModel):
    """Continuity of care: the member moved to another network, which honours this
    authorization until `until` (the plan's continuity period)."""

    network: NetworkRef = Field(description="The network the member moved to.")
    until: date = Field(description="Last day the new network honours it, inclusive.")


class AuthorizationWarning(BaseModel):
    """Something the vendor should know before billing against the authorization."""

    code: str = Field(
        description="Stable code: `ccs_eligibility_ends_before_authorization` when the "
        "member's CCS eligibility ends before the authorization does."
    )
    message: str = Field(description="The same in plain words.")


class AuthorizationRead(BaseModel):
    """An authorization: what an approved or modified line grants, its period and its state.

    Its `ETag` (`"v<version>"`) changes whenever its state or continuity does.
    """

    id: uuid.UUID = Field(description="The authorization's id.")
    number: str = Field(description="The authorization number to bill against.")
    state: AuthorizationState = Field(description="Where it stands now.")
    member: AuthorizationMember = Field(description="Whom it is for.")
    vendor: AuthorizationVendor = Field(description="The vendor it was issued to.")
    source_network: NetworkRef = Field(
        description="The network that issued it (it stays so after the member moves)."
    )
    request_id: uuid.UUID = Field(description="The authorization request it was granted on.")
    line_number: int = Field(description="The request line it was granted on.")
    hcpcs: str = Field(description="HCPCS Level II code authorized.")
    description: str = Field(description="The code's description.")
    modifiers: list[str] = Field(description="HCPCS modifiers, as requested.")
    quantity: int = Field(
        description="Units authorized per `frequency` (the approved quantity when modified)."
    )
    unit: str = Field(description="What one unit is (see `Unit`).")
    frequency: str = Field(description="How often the quantity is supplied (see `Frequency`).")
    brand: str | None = Field(description="Brand authorized, if the request named one.")
    start_date: date = Field(description="First day authorized.")
    end_date: date = Field(description="Last day authorized, inclusive.")
    renewable_from: date = Field(
        description="The first day a renewal may be filed: `end_date` less the issuing "
        "network's renewal window (`renewals.window_days` of its current ruleset)."
    )
    issued_at: datetime = Field(description="When it was issued.")
    issued_by: str = Field(
        description="`rules` (a CSAG or the network's rules) or who decided "
        "(`user:...`, `client:...`; `reviewer` for authorizations issued before issue 16); "
        "`network` for a network that honours it under continuity (who decided at the "
        "issuing network is not shown to another network)."
    )
    renews: AuthorizationLink | None = Field(description="The authorization this one renews.")
    superseded_by: AuthorizationLink | None = Field(
        description="The renewal that took over from this one; null unless `superseded`."
    )
    continuity: Continuity | None = Field(
        description="Set once the member moved to another network that honours it for now."
    )
    ccs_eligible_to: date | None = Field(
        description="The member's last day of CCS eligibility, if known."
    )
    warnings: list[AuthorizationWarning] = Field(
        description="Things to check before billing; empty when none."
    )
    version: int = Field(description='Increases with every change; the ETag is `"v<version>"`.')


class AuthorizationPage(BaseModel):
    """One page of authorizations, soonest end first."""

    items: list[AuthorizationRead] = Field(description="Ordered by `end_date`, then `id`.")
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end."
    )


class ContinuityItem(BaseModel):
    """One authorization the new network honours: the item, its period, until when."""

    authorization_id: uuid.UUID = Field(
        description="Its id (`GET /v1/authorizations/{id}`, readable by the new network from "
        "the move's effective date)."
    )
    number: str = Field(description="The authorization number to honour.")
    hcpcs: str = Field(description="HCPCS code of the item.")
    description: str = Field(description="The code's short description.")
    modifiers: list[str] = Field(description="HCPCS modifiers.")
    quantity: int = Field(description="Quantity per period.")
    unit: str = Field(description="Unit of the quantity.")
    frequency: str = Field(description="How often the quantity is supplied.")
    start_date: date = Field(description="First day of the authorized period.")
    end_date: date = Field(description="Last day of the authorized period, inclusive.")
    continuity_until: date = Field(
        description="Last day the new network honours it (the plan's continuity period), inclusive."
    )
    vendor: AuthorizationVendor = Field(description="The vendor that keeps serving the member.")


class ContinuityView(BaseModel):
    """What a network that a member moved to needs to honour the old network's authorizations,
    and nothing clinical: no diagnoses, notes, documents, questions, rule traces, prescriber
    or decision reasons, and no birth date (the new network holds its own enrollment)."""

    member: AuthorizationMember = Field(
        description="Whom to honour them for (CIN and name, to match the new enrollment)."
    )
    source_network: NetworkRef = Field(description="The network that issued them.")
    effective_from: date = Field(description="The move's effective date.")
    authorizations: list[ContinuityItem] = Field(description="The authorizations it honours.")
