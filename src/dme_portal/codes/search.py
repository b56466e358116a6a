"""Code search for autocomplete: HCPCS Level II and ICD-10-CM, by code prefix or by words.

Each index is built once per process, on first use: codes sorted, with a lowercased text per
code, so that a query never parses a file. A query is a scan from the cursor position that
stops as soon as a page is full (a rare word scans to the end: ~98,000 ICD-10-CM codes).
"""

from __future__ import annotations

import bisect
import functools
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from dme_portal.codes import hcpcs, icd10

T = TypeVar("T")
_CHUNK = 8192  # codes scanned per step, so that a common word stops early

# CMS short descriptors are abbreviated to 28 characters ("Adju cgm receiver/monitor",
# "W/c lateral trunk/hip supp"). These expansions are added to the searchable text (never
# shown), so that plain words find codes that have no curated description, in any quarter.
ABBREVIATIONS: dict[str, str] = {
    "cgm": "continuous glucose monitor",
    "bld": "blood",
    "w/c": "wheelchair",
    "wc": "wheelchair",
    "w/ch": "wheelchair",
    "whlchr": "wheelchair",
    "whchr": "wheelchair",
    "wheelchr": "wheelchair",
    "pwc": "power wheelchair",
    "mwc": "manual wheelchair",
    "ped": "pediatric",
    "ost": "ostomy",
    "trach": "tracheostomy",
    "cath": "catheter",
    "drsg": "dressing",
    "drg": "dressing",
    "o2": "oxygen",
    "sgd": "speech generating device",
    "ef": "enteral formula",
    "pn": "parenteral nutrition",
    "pap": "positive airway pressure",
    "tens": "transcutaneous electrical nerve stimulator",
    "batt": "battery",
}
_ABBREVIATION = re.compile(
    r"(?<![a-z0-9/])("
    + "|".join(re.escape(a) for a in sorted(ABBREVIATIONS, key=len, reverse=True))
    + r")(?![a-z0-9/])"
)


@dataclass(frozen=True, slots=True)
class Icd10Code:
    """An ICD-10-CM code (category or subcategory) with its description."""

    code: str
    description: str
    billable: bool


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of matches; ``last_code`` is set when more matches follow."""

    items: list[T]
    last_code: str | None


class CodeIndex(Generic[T]):
    """Codes in code order, each with a lowercased searchable text."""

    def __init__(self, rows: Iterable[tuple[str, str, T]]) -> None:
        entries = sorted(rows, key=lambda row: row[0])
        self._codes = [code for code, _, _ in entries]
        self._keys = [code.replace(".", "") for code in self._codes]
        self._texts = [text.lower() for _, text, _ in entries]
        self._items = [item for _, _, item in entries]

    def __len__(self) -> int:
        return len(self._codes)

    def search(
        self,
        q: str,
        *,
        after: str | None = None,
        limit: int = 25,
        where: Callable[[T], bool] | None = None,
    ) -> Page[T]:
        """Codes after ``after`` that start with q, or whose text holds every word of q.

        A one-character q (``e``) is a code prefix only: as a word it would match nearly all.
        """
        words = sorted(set(q.lower().split()), key=len, reverse=True)  # longest first: rarest
        if not words:
            return Page([], None)
        # Codes sharing a prefix are contiguous in code order (dotted or not), so one bisect.
        prefix = words[0].replace(".", "").upper() if len(words) == 1 else None
        lo = hi = 0
        if prefix:
            lo = bisect.bisect_left(self._keys, prefix)
            hi = bisect.bisect_left(self._keys, prefix + "\uffff")
        start = bisect.bisect_right(self._codes, after) if after is not None else 0
        if len(words) == 1 and len(words[0]) == 1:
            words = []  # the code prefix alone decides
        found: list[T] = []
        codes: list[str] = []
        for chunk in range(start, len(self._codes), _CHUNK):
            for i in self._matches(words, chunk, min(chunk + _CHUNK, len(self._codes)), lo, hi):
                item = self._items[i]
                if where is not None and not where(item):
                    continue
                if len(found) == limit:
                    return Page(found, codes[-1])
                found.append(item)
                codes.append(self._codes[i])
        return Page(found, None)

    def _matches(self, words: list[str], begin: int, end: int, lo: int, hi: int) -> list[int]:
        # List comprehensions over plain lists: ~10 ms for all ~98,000 ICD-10-CM codes.
        texts = self._texts
        if not words:
            hits = []
        elif len(words) > 1:
            first, rest = words[0], words[1:]
            hits = [
                i
                for i in range(begin, end)
                if first in texts[i] and all(w in texts[i] for w in rest)
            ]
        else:
            hits = [i for i in range(begin, end) if words[0] in texts[i]]
        by_code = range(max(lo, begin), min(hi, end))
        if not by_code:
            return hits
        return sorted(set(hits).union(by_code))


def hcpcs_search_text(entry: hcpcs.HcpcsCode) -> str:
    """What a HCPCS query matches: description, short descriptor and expanded abbreviations."""
    short = entry.short_descriptor.lower()
    expanded = {ABBREVIATIONS[m] for m in _ABBREVIATION.findall(short)}
    return " ".join([entry.description, entry.short_descriptor, *sorted(expanded)])


# functools.cache does not stop two threads building an index at once; these locks do.
_hcpcs_lock = threading.Lock()
_icd10_lock = threading.Lock()


@functools.cache
def _hcpcs_index() -> CodeIndex[hcpcs.HcpcsCode]:
    return CodeIndex((e.code, hcpcs_search_text(e), e) for e in hcpcs.all_codes().values())


def hcpcs_index() -> CodeIndex[hcpcs.HcpcsCode]:
    """The HCPCS search index, built on first use (about 0.1 s)."""
    with _hcpcs_lock:
        return _hcpcs_index()


@functools.cache
def _icd10_index() -> CodeIndex[Icd10Code]:
    return CodeIndex(
        (code, description, Icd10Code(code, description, billable))
        for code, description, billable in icd10.all_codes()
    )


def icd10_index() -> CodeIndex[Icd10Code]:
    """The ICD-10-CM search index, built on first use (~2 s with the code set's own load)."""
    with _icd10_lock:
        return _icd10_index()
