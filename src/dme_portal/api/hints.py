"""Validation messages that teach: what a valid value looks like, where the JSON breaks."""

from __future__ import annotations

from typing import Any

from dme_portal.api.network_ref import NETWORK_REF_PATTERN
from dme_portal.text import NO_NUL

# Each pattern the API declares, in words a developer can act on (with an example).
PATTERN_HINTS: dict[str, str] = {
    r"^[A-Z][0-9]{4}$": "must be a HCPCS Level II code: one capital letter and four digits, "
    "such as E1161",
    r"^[0-9]{8}[A-Z]$": "must be a Medi-Cal CIN: eight digits and a capital letter, such as "
    "91234567A",
    r"^[0-9]{10}$": "must be an NPI: ten digits, such as 1234567893",
    r"^[A-Z0-9]{2}$": "must be a HCPCS modifier: two capital letters or digits, such as RT",
    r"^[A-TV-Z][0-9][0-9A-Z](\.?[0-9A-Z]{1,4})?$": "must be an ICD-10-CM code: a letter, two "
    "characters and up to four more after the dot, such as G80.0",
    r"^[a-z0-9][a-z0-9_-]{0,63}$": "must be an identifier of lower-case letters, digits, '-' "
    "and '_', such as cp-mobility",
    r"^[\x21-\x7e]+$": "must be printable ASCII without spaces, such as a UUID",
    r"^[0-9]{1,19}$": "must be the number given as next_cursor",
    NETWORK_REF_PATTERN: "must be a network's id (a UUID) or its code, such as choc",
    NO_NUL: "must not contain NUL characters",
}


def pattern_message(ctx: dict[str, Any] | None) -> str | None:
    """The hint for a pattern mismatch, or None when the pattern has none."""
    pattern = (ctx or {}).get("pattern")
    return PATTERN_HINTS.get(pattern) if isinstance(pattern, str) else None


def json_message(document: object, position: object, reason: object) -> str:
    """Where a JSON body breaks: ``... at line 3, column 14``."""
    text = document.decode("utf-8", "replace") if isinstance(document, bytes) else document
    if not isinstance(text, str) or not isinstance(position, int):
        return "The body is not valid JSON."
    line = text.count("\n", 0, position) + 1
    column = position - (text.rfind("\n", 0, position) + 1) + 1
    why = f": {reason}" if reason else ""
    return f"The body is not valid JSON{why} at line {line}, column {column}."
