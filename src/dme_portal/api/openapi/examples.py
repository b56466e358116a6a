"""Example bodies for the document, built from the demo scenarios."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

EXAMPLES: dict[type[BaseModel], list[dict[str, Any]]] = {}


def attach(schemas: dict[str, Any]) -> None:
    """Set each model's examples on its component schema."""
