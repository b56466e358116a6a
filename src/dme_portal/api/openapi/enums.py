"""Plain-language meanings of every enum value, rendered by ReDoc (``x-enumDescriptions``)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

MEANINGS: dict[type[StrEnum], dict[Any, str]] = {}


def describe(schemas: dict[str, Any]) -> None:
    """Add ``x-enumDescriptions`` to each enum schema, and list the values in its description."""
