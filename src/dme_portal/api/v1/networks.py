"""GET /v1/networks."""

from __future__ import annotations

from fastapi import APIRouter

from dme_portal.api.deps import AnyPrincipal, SessionDep
from dme_portal.api.problem import problem_responses
from dme_portal.networks import service as network_service
from dme_portal.networks.schemas import NetworkList, NetworkRead

router = APIRouter(prefix="/networks", tags=["networks"])


@router.get(
    "",
    operation_id="listNetworks",
    response_model=NetworkList,
    responses=problem_responses(401),
    summary="The plan's health networks",
)
async def list_networks(principal: AnyPrincipal, session: SessionDep) -> NetworkList:
    """Every network, with its turnaround policy."""
    rows = await network_service.list_networks(session, principal)
    return NetworkList(items=[NetworkRead.model_validate(n, from_attributes=True) for n in rows])
