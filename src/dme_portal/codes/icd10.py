"""ICD-10-CM diagnosis codes: normalization, format checks and billability."""

import functools
import re
from types import ModuleType

# Dotted, uppercase form. U is left out: WHO reserves it for special purposes.
ICD10_PATTERN = re.compile(r"^[A-TV-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$")


def normalize(code: str) -> str:
    """Return code stripped and uppercased, with the dot inserted after 3 characters if missing."""
    cleaned = code.strip().upper()
    if "." not in cleaned and len(cleaned) > 3:
        return f"{cleaned[:3]}.{cleaned[3:]}"
    return cleaned


def is_well_formed(code: str) -> bool:
    """Return True if code is already in canonical dotted uppercase ICD-10-CM form."""
    return ICD10_PATTERN.fullmatch(code) is not None


def is_billable(code: str) -> bool:
    """Return True if code (normalized first) is a valid, billable (leaf) ICD-10-CM code."""
    canonical = normalize(code)
    if not is_well_formed(canonical):
        return False
    icd = _icd()
    return bool(icd.is_valid_item(canonical) and icd.is_leaf(canonical))


def describe(code: str) -> str | None:
    """Return the ICD-10-CM description of code (normalized first), or None if unknown."""
    canonical = normalize(code)
    if not is_well_formed(canonical):
        return None
    icd = _icd()
    if not icd.is_valid_item(canonical):
        return None
    return str(icd.get_description(canonical))


def warm() -> None:
    """Load the ICD-10-CM tables now, so that the first request does not pay for it."""
    _icd()


@functools.cache
def _icd() -> ModuleType:
    # Importing simple_icd_10_cm parses the whole code set (~2.6 s), so defer it to first use.
    import simple_icd_10_cm

    module: ModuleType = simple_icd_10_cm
    return module
