"""Roles and the kind of organisation each is scoped to (DESIGN §3)."""

from __future__ import annotations

from enum import StrEnum


class OrgKind(StrEnum):
    VENDOR = "vendor"
    NETWORK = "network"
    PLAN = "plan"


class Role(StrEnum):
    VENDOR = "vendor"
    VENDOR_CLIENT = "vendor_client"
    REVIEWER = "reviewer"
    MEDICAL_DIRECTOR = "medical_director"
    NETWORK_CLIENT = "network_client"
    NETWORK_ADMIN = "network_admin"
    CARE_COORDINATOR = "care_coordinator"
    PLAN_ADMIN = "plan_admin"
    # The plan's own systems (enrollment feeds): machine client credentials, plan-wide.
    PLAN_CLIENT = "plan_client"


VENDOR_ROLES = frozenset({Role.VENDOR, Role.VENDOR_CLIENT})
NETWORK_ROLES = frozenset(
    {Role.REVIEWER, Role.MEDICAL_DIRECTOR, Role.NETWORK_CLIENT, Role.NETWORK_ADMIN}
)
MACHINE_ROLES = frozenset({Role.VENDOR_CLIENT, Role.NETWORK_CLIENT, Role.PLAN_CLIENT})

# Which organisation kinds a role may belong to.
ROLE_ORG_KINDS: dict[Role, frozenset[OrgKind]] = {
    Role.VENDOR: frozenset({OrgKind.VENDOR}),
    Role.VENDOR_CLIENT: frozenset({OrgKind.VENDOR}),
    Role.REVIEWER: frozenset({OrgKind.NETWORK}),
    Role.MEDICAL_DIRECTOR: frozenset({OrgKind.NETWORK}),
    Role.NETWORK_CLIENT: frozenset({OrgKind.NETWORK}),
    Role.NETWORK_ADMIN: frozenset({OrgKind.NETWORK}),
    Role.CARE_COORDINATOR: frozenset({OrgKind.NETWORK, OrgKind.PLAN}),
    Role.PLAN_ADMIN: frozenset({OrgKind.PLAN}),
    Role.PLAN_CLIENT: frozenset({OrgKind.PLAN}),
}
