"""Network API schemas."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, Field


class NetworkRead(BaseModel):
    """A health network of the plan: its members' requests are routed to it."""

    id: uuid.UUID = Field(description="The network's id.")
    code: str = Field(description="Short stable code, e.g. `choc`.")
    name: str = Field(description="Display name, e.g. `CHOC Health Alliance`.")
    standard_turnaround_hours: int = Field(
        description="Hours from receipt to decision for a standard request."
    )
    expedited_turnaround_hours: int = Field(
        description="Hours from receipt to decision for an expedited request."
    )


class NetworkList(BaseModel):
    """The plan's health networks."""

    items: list[NetworkRead] = Field(description="Every network you may see, by name.")
