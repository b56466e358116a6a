"""Free text accepted from callers: any Unicode except NUL, which PostgreSQL cannot store."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import Field

NO_NUL = r"^[^\x00]*$"

Text = Annotated[str, Field(pattern=NO_NUL)]

# PostgreSQL's text cannot hold NUL, and a lone UTF-16 surrogate (JSON's "\ud800") cannot be
# encoded as UTF-8 at all: both are refused at the door, on SQLite too, so that both databases
# answer the same 422 instead of one of them a 500.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable(value: str) -> bool:
    """Whether ``value`` can be stored as text on every supported database."""
    return _UNSTORABLE.search(value) is None


def first_unstorable(value: Any, path: tuple[str | int, ...] = ()) -> tuple[str | int, ...] | None:
    """The path of the first string (key or value) in a JSON document that cannot be stored."""
    if isinstance(value, str):
        return None if storable(value) else path
    if isinstance(value, dict):
        for key, item in value.items():
            if not storable(str(key)):
                return (*path, str(key))
            found = first_unstorable(item, (*path, str(key)))
            if found is not None:
                return found
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found = first_unstorable(item, (*path, i))
            if found is not None:
                return found
    return None
