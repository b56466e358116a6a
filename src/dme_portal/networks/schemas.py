"""Network API schemas."""

from __future__ import annotations

import uuid

from pydantic import BaseModel


class NetworkRead(BaseModel):
    id: uuid.UUID
    code: str
    name: str
    standard_turnaround_hours: int
    expedited_turnaround_hours: int


class NetworkList(BaseModel):
    items: list[NetworkRead]
