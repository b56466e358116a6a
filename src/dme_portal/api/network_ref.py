"""A network named by its id or by its code (``choc``), in paths and in filters.

An unknown code resolves to the nil UUID, which no network has: the use case then answers as
for an unknown id (404, or an empty list), after authentication, so a code reveals nothing
that an id would not.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Path, Query
from sqlalchemy import select

from dme_portal.api.deps import SessionDep
from dme_portal.networks.models import Network

NETWORK_REF_PATTERN = (
    r"^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    r"|[a-z0-9][a-z0-9_-]{0,31})$"
)
_DESCRIPTION = "The network's `id` (a UUID) or its `code`, such as `choc` (see `GET /v1/networks`)."
UNKNOWN = uuid.UUID(int=0)


async def resolve(session: SessionDep, ref: str) -> uuid.UUID:
    """The network id a reference names (``UNKNOWN`` when no network has that code)."""
    try:
        return uuid.UUID(ref)
    except ValueError:
        found = await session.scalar(select(Network.id).where(Network.code == ref))
        return found if found is not None else UNKNOWN


async def _from_path(
    session: SessionDep,
    network_id: Annotated[
        str,
        Path(pattern=NETWORK_REF_PATTERN, description=_DESCRIPTION, examples=["choc"]),
    ],
) -> uuid.UUID:
    return await resolve(session, network_id)


NetworkInPath = Annotated[uuid.UUID, Depends(_from_path)]


NetworkQuery = Annotated[
    str | None,
    Query(pattern=NETWORK_REF_PATTERN, description=_DESCRIPTION, examples=["choc"]),
]


async def resolve_optional(session: SessionDep, ref: str | None) -> uuid.UUID | None:
    """``resolve`` for an optional filter."""
    return None if ref is None else await resolve(session, ref)
