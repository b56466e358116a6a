"""HCPCS Level II codes for DME: format checks, modifiers and the catalog of current codes.

The catalog is built from the data files in ``codes/data`` (``README.md`` there names each source):

- which codes exist: the newest ``hcpcs-level2-dme-YYYY-MM.csv`` (CMS's quarterly OPPS
  Addendum B, B/E/K/L and A4000-A9999 codes with CMS's short descriptor) and
  ``medi_cal_t_codes.csv`` (Medi-Cal T codes that Addendum B does not list);
- how they are shown: ``hcpcs_dme.csv``, the hub's curated long descriptions and categories,
  which win for the codes they name; a curated row whose code is no longer current (K0553 and
  K0554, retired 2023-04-01) is ignored, so a retired code is refused like any unknown code;
- every other code's category: ``category_ranges.csv``, code ranges to categories (the
  narrowest range containing a code wins; ``other`` when none does).

A new quarter is a new CMS file dropped into ``codes/data`` (the old one removed): no code
changes. Every file is checked when the catalog loads, so a bad row fails at start-up rather
than mis-routing requests later.
"""

import csv
import functools
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
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
        "ostomy",
        "incontinence",
        "wound_care",
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

# A CMS quarter's file, e.g. hcpcs-level2-dme-2026-04.csv; the latest year and month wins.
CMS_FILE_PATTERN = re.compile(r"^hcpcs-level2-dme-[0-9]{4}-[0-9]{2}\.csv$")
MEDI_CAL_FILE = "medi_cal_t_codes.csv"
CURATED_FILE = "hcpcs_dme.csv"
RANGES_FILE = "category_ranges.csv"


@dataclass(frozen=True, slots=True)
class HcpcsCode:
    """One catalog entry: a current HCPCS Level II code, how to show it and its DME category."""

    code: str
    description: str  # the curated long description, else the short descriptor
    category: str
    short_descriptor: str  # as published (CMS abbreviates, e.g. "Adju cgm receiver/monitor")


@dataclass(frozen=True, slots=True)
class CategoryRange:
    """Codes ``first`` to ``last`` (same letter, inclusive) belong to ``category``."""

    first: str
    last: str
    category: str

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and self.first <= code <= self.last

    @property
    def width(self) -> int:
        return int(self.last[1:]) - int(self.first[1:])


def is_well_formed(code: str) -> bool:
    """Return True if code is exactly one uppercase letter and four digits (e.g. E0570)."""
    return HCPCS_PATTERN.fullmatch(code) is not None


def is_known_modifier(m: str) -> bool:
    """Return True if m (case-insensitive, surrounding spaces ignored) is a known DME modifier."""
    return m.strip().upper() in KNOWN_MODIFIERS


def lookup(code: str) -> HcpcsCode | None:
    """Return the catalog entry for code (case-insensitive), or None if it is not current."""
    return all_codes().get(code.strip().upper())


@functools.cache
def all_codes() -> Mapping[str, HcpcsCode]:
    """Return the packaged HCPCS catalog keyed by code, loaded once and read-only."""
    data = resources.files("dme_portal.codes").joinpath("data")
    return MappingProxyType(
        load_catalog(
            [newest_cms_file(data), data.joinpath(MEDI_CAL_FILE)],
            curated=data.joinpath(CURATED_FILE),
            ranges=data.joinpath(RANGES_FILE),
        )
    )


def newest_cms_file(folder: Traversable) -> Traversable:
    """The CMS code file with the latest quarter in its name (``...-YYYY-MM.csv``)."""
    found = sorted((f for f in folder.iterdir() if CMS_FILE_PATTERN.match(f.name)), key=_name)
    if not found:
        raise ValueError("no hcpcs-level2-dme-YYYY-MM.csv file in the HCPCS data folder")
    return found[-1]


def _name(f: Traversable) -> str:
    return f.name


def load_catalog(
    code_files: Iterable[Traversable], *, curated: Traversable, ranges: Traversable
) -> dict[str, HcpcsCode]:
    """Build the catalog: codes from ``code_files``, described by the curated file or ranges."""
    table = parse_ranges(ranges.read_text(encoding="utf-8"))
    described = _parse_curated(curated.read_text(encoding="utf-8"))
    shorts: dict[str, str] = {}
    for source in code_files:
        for code, short in _parse_code_file(source.read_text(encoding="utf-8"), source.name):
            if code in shorts:
                raise ValueError(f"{source.name}: {code} is also in another code file")
            shorts[code] = short
    catalog: dict[str, HcpcsCode] = {}
    for code in sorted(shorts):
        mine = described.get(code)
        catalog[code] = HcpcsCode(
            code=code,
            description=mine.description if mine else shorts[code],
            category=mine.category if mine else category_for(code, table),
            short_descriptor=shorts[code],
        )
    return catalog


def category_for(code: str, table: Iterable[CategoryRange]) -> str:
    """The category of the narrowest range holding code, or ``other``."""
    holding = [r for r in table if code in r]
    return min(holding, key=lambda r: r.width).category if holding else "other"


def curated_codes() -> frozenset[str]:
    """Every code the curated file names, current or not."""
    data = resources.files("dme_portal.codes").joinpath("data", CURATED_FILE)
    return frozenset(_parse_curated(data.read_text(encoding="utf-8")))


def parse_ranges(text: str) -> tuple[CategoryRange, ...]:
    """Parse the category range table; ranges must be nested or disjoint, never overlap."""
    out: list[CategoryRange] = []
    for line_no, row in _rows(text, ("first", "last", "category", "covers"), "ranges"):
        r = CategoryRange(row["first"], row["last"], row["category"])
        if not (is_well_formed(r.first) and is_well_formed(r.last)):
            raise ValueError(f"ranges line {line_no}: malformed code in {r.first}-{r.last}")
        if r.first[0] != r.last[0] or r.first > r.last:
            raise ValueError(f"ranges line {line_no}: {r.first}-{r.last} is not a range")
        if r.category not in CATEGORIES:
            raise ValueError(f"ranges line {line_no}: unknown category {r.category!r}")
        for other in out:
            overlaps = r.first <= other.last and other.first <= r.last
            nested = (r.first in other and r.last in other) or (
                other.first in r and other.last in r
            )
            if overlaps and (not nested or r.width == other.width):
                raise ValueError(
                    f"ranges line {line_no}: {r.first}-{r.last} overlaps "
                    f"{other.first}-{other.last} without one holding the other"
                )
        out.append(r)
    return tuple(out)


def _parse_code_file(text: str, name: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for line_no, row in _rows(text, ("code", "short_descriptor"), name, extra_ok=True):
        code, short = row["code"], row["short_descriptor"].strip()
        if not is_well_formed(code):
            raise ValueError(f"{name} line {line_no}: malformed HCPCS code {code!r}")
        if not short:
            raise ValueError(f"{name} line {line_no}: empty short descriptor for {code}")
        if code in seen:
            raise ValueError(f"{name} line {line_no}: duplicate HCPCS code {code}")
        seen.add(code)
        out.append((code, short))
    return out


@dataclass(frozen=True, slots=True)
class _Curated:
    description: str
    category: str


def _parse_curated(text: str) -> dict[str, _Curated]:
    catalog: dict[str, _Curated] = {}
    for line_no, row in _rows(text, ("code", "description", "category"), CURATED_FILE):
        code, description, category = row["code"], row["description"], row["category"]
        if not is_well_formed(code):
            raise ValueError(f"line {line_no}: malformed HCPCS code {code!r}")
        if category not in CATEGORIES:
            raise ValueError(f"line {line_no}: unknown category {category!r}")
        if not description.strip():
            raise ValueError(f"line {line_no}: empty description for {code}")
        if code in catalog:
            raise ValueError(f"line {line_no}: duplicate HCPCS code {code}")
        catalog[code] = _Curated(description, category)
    return catalog


def _rows(
    text: str, header: tuple[str, ...], name: str, *, extra_ok: bool = False
) -> Iterable[tuple[int, dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text))
    fields = tuple(reader.fieldnames or ())
    if fields[: len(header)] != header or (len(fields) > len(header) and not extra_ok):
        raise ValueError(f"unexpected {name} header: {list(fields)}")
    for line_no, row in enumerate(reader, start=2):
        if any(row.get(column) is None for column in header):
            raise ValueError(f"{name} line {line_no}: missing a column")
        yield line_no, row
