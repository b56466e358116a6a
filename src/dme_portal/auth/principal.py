"""The authenticated caller, as read from a verified token."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from dme_portal.auth.roles import MACHINE_ROLES, OrgKind, Role


@dataclass(frozen=True, slots=True)
class Principal:
    subject: str
    role: Role
    org_kind: OrgKind
    org_id: uuid.UUID

    @property
    def is_machine(self) -> bool:
        return self.role in MACHINE_ROLES

    @property
    def vendor_id(self) -> uuid.UUID | None:
        return self.org_id if self.org_kind is OrgKind.VENDOR else None

    @property
    def network_id(self) -> uuid.UUID | None:
        return self.org_id if self.org_kind is OrgKind.NETWORK else None

    @property
    def is_plan_wide(self) -> bool:
        return self.org_kind is OrgKind.PLAN
