"""Who reads a child's clinical record: the one rule every door asks (DESIGN §3, issue 21.5).

Clinical content is a request's diagnoses, notes, justifications, decision texts, rule
traces (a CSAG's name tells the child's condition), the physician behind a decision, the
network's questions and the vendor's answers, and documents. Only those who treat the child
or decide for it read it: the vendor (person or machine) and the network's review (reviewer,
medical director, its UM system). Everyone else in scope (network admins, care coordinators,
the plan's admins and systems) reads the status view: status, clock, ``waiting_on``, lines
and authorizations. There is no exception by route or page: every door asks this function.
"""

from __future__ import annotations

from dme_portal.auth.principal import Principal
from dme_portal.auth.roles import VENDOR_ROLES, Role

CLINICAL_READERS: frozenset[Role] = VENDOR_ROLES | frozenset(
    {Role.REVIEWER, Role.MEDICAL_DIRECTOR, Role.NETWORK_CLIENT}
)
STATUS_READERS: frozenset[Role] = frozenset(Role) - CLINICAL_READERS


def clinical_access(who: Principal | Role) -> bool:
    """True when ``who`` (a caller or its role) may read clinical content of a request."""
    role = who.role if isinstance(who, Principal) else who
    return role in CLINICAL_READERS
