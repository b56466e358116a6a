"""Medi-Cal Client Index Number (CIN) format checks."""

import re

# Eight digits followed by one uppercase check letter, e.g. 91234567A.
CIN_PATTERN = re.compile(r"^[0-9]{8}[A-Z]$")


def is_valid_cin(value: str) -> bool:
    """Return True if value is a well-formed Medi-Cal CIN (8 digits and an uppercase letter)."""
    return CIN_PATTERN.fullmatch(value) is not None
