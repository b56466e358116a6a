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


def all_codes() -> list[tuple[str, str, bool]]:
    """Every ICD-10-CM category and subcategory as (code, description, billable), in code order.

    Chapters and blocks (``A00-A09``) are left out, as is any code this module does not
    consider well formed (U codes, and the ``QA0`` codes of the packaged code set), since a
    request could not take them.
    """
    icd = _icd()
    seen: set[str] = set()
    out: list[tuple[str, str, bool]] = []
    for code in icd.get_all_codes(True):
        # A block named like its only category (B10) is listed twice: keep one.
        if code in seen or not is_well_formed(code) or not icd.is_category_or_subcategory(code):
            continue
        seen.add(code)
        out.append((code, str(icd.get_description(code)), bool(icd.is_leaf(code))))
    out.sort()
    return out


def warm() -> None:
    """Load the ICD-10-CM tables now, so that the first request does not pay for it."""
    _icd()


@functools.cache
def _icd() -> ModuleType:
    # Importing simple_icd_10_cm parses the whole code set (~2.6 s), so defer it to first use.
    import simple_icd_10_cm

    module: ModuleType = simple_icd_10_cm
    return module
