"""HCPCS Level II codes for pediatric DME: format checks, modifiers and a curated catalog."""

import csv
import functools
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType

HCPCS_PATTERN = re.compile(r"^[A-Z][0-9]{4}$")
MODIFIER_PATTERN = re.compile(r"^[A-Z0-9]{2}$")

CATEGORIES: frozenset[str] = frozenset(
    {
        "orthotics",
        "prosthetics",
        "wheelchairs",
        "seating",
        "mobility",
        "respiratory",
        "enteral",
        "diabetes",
        "urological",
        "incontinence",
        "hospital_beds",
        "bathing_toileting",
        "lifts",
        "monitoring",
        "other",
    }
)

# Meanings follow the CMS HCPCS Level II modifier list (DMEPOS-relevant subset).
KNOWN_MODIFIERS: Mapping[str, str] = MappingProxyType(
    {
        "NU": "New equipment",
        "RR": "Rental",
        "UE": "Used durable medical equipment",
        "NR": "New when rented",
        "RA": "Replacement of a DME, orthotic or prosthetic item",
        "RB": "Replacement of a part of a DME, orthotic or prosthetic item, as part of a repair",
        "KX": "Requirements specified in the medical policy have been met",
        "LT": "Left side",
        "RT": "Right side",
        "50": "Bilateral procedure",
        "52": "Reduced services",
        "59": "Distinct procedural service",
        "99": "Multiple modifiers",
        "BA": "Item furnished in conjunction with parenteral or enteral nutrition (PEN) services",
        "BO": "Orally administered nutrition, not by feeding tube",
        "BP": "Beneficiary informed of purchase and rental options and elected to purchase",
        "BR": "Beneficiary informed of purchase and rental options and elected to rent",
        "BU": "Beneficiary informed of purchase and rental options, no decision after 30 days",
        "KH": "DMEPOS item, initial claim, purchase or first month rental",
        "KI": "DMEPOS item, second or third month rental",
        "KJ": "DMEPOS item, PEN pump or capped rental, months four to fifteen",
        "MS": "Six-month maintenance and servicing fee for parts and labor not covered by warranty",
        "GA": "Waiver of liability statement issued as required by payer policy, individual case",
        "GK": "Reasonable and necessary item or service associated with a GA or GZ modifier",
        "GY": "Item or service statutorily excluded or not a contract benefit",
        "GZ": "Item or service expected to be denied as not reasonable and necessary",
        "EY": "No physician or other licensed health care provider order for this item or service",
        "KS": "Glucose monitor supply for diabetic beneficiary not treated with insulin",
        "KF": "Item designated by FDA as class III device",
        "KA": "Add-on option or accessory for wheelchair",
        "KC": "Replacement of special power wheelchair interface",
        "AU": "Item furnished in conjunction with a urological, ostomy or respiratory supply",
        "AV": "Item furnished in conjunction with a prosthetic device, prosthetic or orthotic",
        "AW": "Item furnished in conjunction with a surgical dressing",
        "K0": "Lower extremity prosthesis functional level 0: no ability or potential to ambulate",
        "K1": "Lower extremity prosthesis functional level 1: household ambulator",
        "K2": "Lower extremity prosthesis functional level 2: limited community ambulator",
        "K3": "Lower extremity prosthesis functional level 3: variable cadence ambulator",
        "K4": "Lower extremity prosthesis functional level 4: exceeds basic ambulation skills",
    }
)

_CSV_RESOURCE = ("data", "hcpcs_dme.csv")


@dataclass(frozen=True, slots=True)
class HcpcsCode:
    """One catalog entry: a HCPCS Level II code, its short description and DME category."""

    code: str
    description: str
    category: str


def is_well_formed(code: str) -> bool:
    """Return True if code is exactly one uppercase letter and four digits (e.g. E0570)."""
    return HCPCS_PATTERN.fullmatch(code) is not None


def is_known_modifier(m: str) -> bool:
    """Return True if m (case-insensitive, surrounding spaces ignored) is a known DME modifier."""
    return m.strip().upper() in KNOWN_MODIFIERS


def lookup(code: str) -> HcpcsCode | None:
    """Return the catalog entry for code (case-insensitive), or None if it is not in the catalog."""
    return all_codes().get(code.strip().upper())


@functools.cache
def all_codes() -> Mapping[str, HcpcsCode]:
    """Return the packaged HCPCS catalog keyed by code, loaded once and read-only."""
    resource = resources.files("dme_portal.codes").joinpath(*_CSV_RESOURCE)
    return MappingProxyType(_parse_catalog(resource.read_text(encoding="utf-8")))


def _parse_catalog(text: str) -> dict[str, HcpcsCode]:
    # A bad row is a packaging bug, so fail loudly at load rather than mis-route requests later.
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames != ["code", "description", "category"]:
        raise ValueError(f"unexpected HCPCS catalog header: {reader.fieldnames}")
    catalog: dict[str, HcpcsCode] = {}
    for line_no, row in enumerate(reader, start=2):
        entry = HcpcsCode(
            code=row["code"], description=row["description"], category=row["category"]
        )
        if not is_well_formed(entry.code):
            raise ValueError(f"line {line_no}: malformed HCPCS code {entry.code!r}")
        if entry.category not in CATEGORIES:
            raise ValueError(f"line {line_no}: unknown category {entry.category!r}")
        if not entry.description.strip():
            raise ValueError(f"line {line_no}: empty description for {entry.code}")
        if entry.code in catalog:
            raise ValueError(f"line {line_no}: duplicate HCPCS code {entry.code}")
        catalog[entry.code] = entry
    return catalog
