"""Opaque keyset cursors."""

from __future__ import annotations

import base64
import json
import re
import uuid
from datetime import UTC, date, datetime

from dme_portal.errors import InvalidInput


def encode_cursor(at: datetime, last_id: uuid.UUID) -> str:
    raw = json.dumps({"t": at.isoformat(), "id": str(last_id)}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    """Parse a cursor made by ``encode_cursor``; a 422 naming ``cursor`` otherwise."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
        at = datetime.fromisoformat(data["t"])
        if at.tzinfo is None:
            raise ValueError("naive")
        return at.astimezone(UTC), uuid.UUID(data["id"])
    except (ValueError, KeyError, TypeError, AttributeError, OverflowError) as exc:
        raise InvalidInput("cursor", "is not a cursor this API returned") from exc


def encode_key_cursor(key: str) -> str:
    """An opaque cursor for a list ordered by a unique string key (e.g. a code)."""
    raw = json.dumps({"after": key}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_key_cursor(cursor: str, *, pattern: re.Pattern[str]) -> str:
    """Parse a cursor made by ``encode_key_cursor`` whose key fits ``pattern``; else a 422."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key = json.loads(raw)["after"]
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidInput("cursor", "is not a cursor this API returned") from exc
    if not isinstance(key, str) or not pattern.fullmatch(key):
        raise InvalidInput("cursor", "is not a cursor this API returned")
    return key


def encode_date_cursor(on: date, last_id: uuid.UUID) -> str:
    """An opaque cursor for a list ordered by (a date, id), e.g. (end_date, id)."""
    raw = json.dumps({"d": on.isoformat(), "id": str(last_id)}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_date_cursor(cursor: str) -> tuple[date, uuid.UUID]:
    """Parse a cursor made by ``encode_date_cursor``; a 422 naming ``cursor`` otherwise."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
        return date.fromisoformat(data["d"]), uuid.UUID(data["id"])
    except (ValueError, KeyError, TypeError, AttributeError, OverflowError) as exc:
        raise InvalidInput("cursor", "is not a cursor this API returned") from exc
