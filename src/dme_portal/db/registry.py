"""Imports every model module so that ``Base.metadata`` is complete (for Alembic)."""

from dme_portal.attachments import models as attachment_models
from dme_portal.audit import models as audit_models
from dme_portal.auth import models as auth_models
from dme_portal.authorizations import models as authorization_models
from dme_portal.db.base import Base
from dme_portal.idempotency import models as idempotency_models
from dme_portal.members import models as member_models
from dme_portal.networks import models as network_models
from dme_portal.reconsiderations import models as reconsideration_models
from dme_portal.rulesets import models as ruleset_models
from dme_portal.submissions import models as submission_models
from dme_portal.vendors import models as vendor_models

__all__ = [
    "Base",
    "attachment_models",
    "audit_models",
    "auth_models",
    "authorization_models",
    "idempotency_models",
    "member_models",
    "network_models",
    "reconsideration_models",
    "ruleset_models",
    "submission_models",
    "vendor_models",
]

metadata = Base.metadata
