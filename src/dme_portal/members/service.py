"""Member eligibility: which network on a date, and CCS eligibility."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from dme_portal.auth.principal import Principal
from dme_portal.auth.roles import OrgKind
from dme_portal.errors import NotFound
from dme_portal.members.schemas import Eligibility
from dme_portal.submissions import repository
from dme_portal.submissions.schemas import NetworkRef


class MemberNotFound(NotFound):
    code = "member.not_found"
    title = "Member not found"


async def eligibility(
    session: AsyncSession, *, principal: Principal, cin: str, birth_date: date, on: date
) -> Eligibility:
    """Vendors and the plan may check any member; a network only its own enrollees.

    The caller must know the member's date of birth (as Medi-Cal's AEVS asks for): an unknown
    CIN and a wrong birth date get the very same 404, so that a CIN cannot be probed.
    """
    member = await repository.get_member_by_cin(session, cin)
    if member is None or member.birth_date != birth_date:
        raise MemberNotFound()
    found = await repository.enrollment_on(session, member.id, on)
    if principal.org_kind is OrgKind.NETWORK and (found is None or found[1].id != principal.org_id):
        raise MemberNotFound()
    if (
        principal.org_kind is OrgKind.PLAN
        and found is not None
        and (found[1].plan_id != principal.org_id)
    ):
        raise MemberNotFound()
    ccs = (
        member.ccs_eligible_from is not None
        and member.ccs_eligible_from <= on
        and (member.ccs_eligible_to is None or on <= member.ccs_eligible_to)
    )
    enrollment, network = found if found else (None, None)
    return Eligibility(
        cin=member.cin,
        on=on,
        enrolled=found is not None,
        network=NetworkRef(id=network.id, code=network.code, name=network.name)
        if network
        else None,
        enrollment_from=enrollment.effective_from if enrollment else None,
        enrollment_to=enrollment.effective_to if enrollment else None,
        ccs_eligible=ccs,
        ccs_eligible_from=member.ccs_eligible_from,
        ccs_eligible_to=member.ccs_eligible_to,
    )
