"""Renewals in one call: one authorization, or up to 100 at once (all or nothing)."""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse

from dme_portal.api import idempotent
from dme_portal.api.access import AccessLogDep, AccessLogger, location_id
from dme_portal.api.deps import Authenticator, ClockDep, SessionDep, SettingsDep, require_json
from dme_portal.api.idempotent import REQUIRES_KEY, Claim, IdempotencyKey
from dme_portal.api.problem import problem_responses
from dme_portal.api.v1.attachments import BlobStoreDep
from dme_portal.audit.models import AccessAction, ResourceType
from dme_portal.auth.principal import Principal
from dme_portal.auth.roles import VENDOR_ROLES
from dme_portal.authorizations.renewals import service as renewal_service
from dme_portal.authorizations.renewals.schemas import (
    RenewalBatchCreate,
    RenewalBatchRead,
    RenewalCreate,
    RenewalItem,
    RenewalRead,
)
from dme_portal.submissions import service as submission_service

router = APIRouter(tags=["renewals"])

VendorPrincipal = Annotated[Principal, Depends(Authenticator(roles=VENDOR_ROLES))]
AuthorizationId = Annotated[uuid.UUID, Path(description="The authorization's id.")]

_CONFLICT = {
    **problem_responses(409)[409],
    "description": "The Idempotency-Key was used with another body, or an authorization is "
    "not in force (`expired`, `superseded`, `void`) or already has an open or approved renewal "
    "(`renewal.conflict`, naming each in `errors[]`)",
}
_INVALID = {
    **problem_responses(422)[422],
    "description": "Outside the renewal window (`can be renewed from YYYY-MM-DD`), a start "
    "other than the day after the old end, an extended period the network does not offer or "
    "the member has no lifelong condition for (`renewal.invalid`; each problem in `errors[]`)",
}


def _read(filed: renewal_service.Filed, principal: Principal, now: Any) -> RenewalRead:
    return RenewalRead(
        authorization_id=filed.authorization_id,
        outcome=filed.outcome,
        request=submission_service.to_read(filed.request, now=now, viewer=principal.role),
    )


async def _replayed(access: AccessLogger, principal: Principal, claimed: Claim) -> JSONResponse:
    """The first answer again, logged as a read of the requests it names."""
    assert claimed.replay is not None
    stored = json.loads(bytes(claimed.replay.body))
    items = stored.get("renewals", [stored]) if isinstance(stored, dict) else []
    ids = [uuid.UUID(i["request"]["id"]) for i in items if isinstance(i, dict) and "request" in i]
    await access.record(
        principal,
        action=AccessAction.READ,
        resource_type=ResourceType.REQUEST,
        resource_id=location_id(claimed.replay),
        request_ids=ids,
    )
    return claimed.replay


@router.post(
    "/authorizations/{authorization_id}/renewals",
    operation_id="renewAuthorization",
    status_code=201,
    response_model=RenewalRead,
    dependencies=[Depends(require_json)],
    openapi_extra=REQUIRES_KEY,
    responses={
        201: {
            "description": "Filed (or replayed for a repeated Idempotency-Key)",
            "headers": {
                "Location": {"description": "URL of the new request", "schema": {"type": "string"}}
            },
        },
        **problem_responses(401, 403, 404, 409, 415, 422, 428),
        409: _CONFLICT,
        422: _INVALID,
    },
    summary="Renew an authorization in one call",
)
async def renew(
    request: Request,
    authorization_id: AuthorizationId,
    body: RenewalCreate,
    principal: VendorPrincipal,
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
    access: AccessLogDep,
    store: BlobStoreDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Files a `renewal` request carrying the line, diagnoses, prescriber and documents forward.

    It goes to the network the member is enrolled in on the new start date (the day after the
    old end), under that network's rules: a condition-specific group approves it inside the
    call, and the new authorization supersedes the old one from its start, with no gap and no
    overlap. Renewals open `renewals.window_days` before the end (30 by default) and close on
    the end date. Another vendor's authorization is a 404.
    """
    now = clock.now()
    claimed = await idempotent.claim(
        session,
        principal=principal,
        key=idempotency_key,
        operation="authorization.renew",
        payload={"authorization_id": str(authorization_id), **body.model_dump(mode="json")},
        now=now,
        window=settings.idempotency.window,
    )
    if claimed.replay is not None:
        return await _replayed(access, principal, claimed)
    item = RenewalItem(authorization_id=authorization_id, **body.model_dump())
    (filed,) = await renewal_service.renew(
        session,
        principal=principal,
        items=[item],
        batch=False,
        now=now,
        store=store,
        default_at_risk_fraction=settings.sla.at_risk_fraction,
    )
    await access.record(
        principal,
        action=AccessAction.CREATE,
        resource_type=ResourceType.REQUEST,
        resource_id=filed.request.id,
        requests=[filed.request],
    )
    payload = _read(filed, principal, now).model_dump(mode="json")
    location = str(request.url_for("get_authorization_request", request_id=filed.request.id).path)
    await claimed.complete(session, status=201, body=payload, location=location)
    return JSONResponse(payload, status_code=201, headers={"Location": location})


@router.post(
    "/authorization-renewals",
    operation_id="renewAuthorizations",
    status_code=201,
    response_model=RenewalBatchRead,
    dependencies=[Depends(require_json)],
    openapi_extra=REQUIRES_KEY,
    responses={
        201: {"description": "All filed (or replayed for a repeated Idempotency-Key)"},
        **problem_responses(401, 403, 409, 415, 422, 428),
        409: _CONFLICT,
        422: {
            **_INVALID,
            "description": "One item or more cannot be renewed; nothing was stored. "
            + str(_INVALID["description"])
            + "; fields are named `renewals[i].<field>`",
        },
    },
    summary="Renew up to 100 authorizations at once, all or nothing",
)
async def renew_many(
    body: RenewalBatchCreate,
    principal: VendorPrincipal,
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
    access: AccessLogDep,
    store: BlobStoreDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Every item is checked before anything is stored: one that cannot be renewed refuses the
    batch (422, or 409 for state conflicts), naming each problem as `renewals[i].<field>`.
    Otherwise every renewal is filed in one transaction, each with its outcome: `approved`
    inside the call by a condition-specific group, or `in_review`.
    """
    now = clock.now()
    claimed = await idempotent.claim(
        session,
        principal=principal,
        key=idempotency_key,
        operation="authorization.renew_batch",
        payload=body.model_dump(mode="json"),
        now=now,
        window=settings.idempotency.window,
    )
    if claimed.replay is not None:
        return await _replayed(access, principal, claimed)
    filed = await renewal_service.renew(
        session,
        principal=principal,
        items=body.renewals,
        batch=True,
        now=now,
        store=store,
        default_at_risk_fraction=settings.sla.at_risk_fraction,
    )
    await access.record(
        principal,
        action=AccessAction.CREATE,
        resource_type=ResourceType.REQUEST,
        requests=[f.request for f in filed],
    )
    payload = RenewalBatchRead(renewals=[_read(f, principal, now) for f in filed]).model_dump(
        mode="json"
    )
    await claimed.complete(session, status=201, body=payload, location=None)
    return JSONResponse(payload, status_code=201)
