"""Compile a ruleset once per version into lookups, so evaluation cost does not grow with it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from dme_portal.rules.ruleset import (
    Csag,
    CsagItem,
    DocumentType,
    Durations,
    RuleSet,
    SlaPolicy,
    normalize_prefix,
)

MAX_PREFIX = 7  # ICD-10-CM codes have at most 7 characters without the dot


@dataclass(frozen=True, slots=True)
class CsagEntry:
    csag: Csag
    item: CsagItem


@dataclass(frozen=True, slots=True)
class CompiledRuleSet:
    version: int
    no_auth: Mapping[str, int | None]
    # (diagnosis prefix, hcpcs) -> CSAG entries that cover the code for that prefix.
    csag_index: Mapping[tuple[str, str], tuple[CsagEntry, ...]]
    lifelong_prefixes: frozenset[str]
    quantity_limits: Mapping[str, int]
    docs_by_code: Mapping[str, tuple[DocumentType, ...]]
    docs_by_category: Mapping[str, tuple[DocumentType, ...]]
    durations: Durations
    require_brand_reason: bool
    requires_letter_of_agreement: bool
    sla: SlaPolicy


def compile_ruleset(ruleset: RuleSet, *, version: int) -> CompiledRuleSet:
    """Index the ruleset by code and diagnosis prefix."""
    index: dict[tuple[str, str], list[CsagEntry]] = defaultdict(list)
    for csag in ruleset.csags:
        for prefix in csag.diagnosis_prefixes:
            for item in csag.items:
                index[(normalize_prefix(prefix), item.hcpcs)].append(CsagEntry(csag, item))
    docs_by_code: dict[str, list[DocumentType]] = defaultdict(list)
    docs_by_category: dict[str, list[DocumentType]] = defaultdict(list)
    for req in ruleset.documentation:
        target = docs_by_code[req.hcpcs] if req.hcpcs else docs_by_category[req.category or ""]
        target.extend(d for d in req.documents if d not in target)
    return CompiledRuleSet(
        version=version,
        no_auth=MappingProxyType(
            {i.hcpcs: i.max_units_per_month for i in ruleset.no_authorization}
        ),
        csag_index=MappingProxyType({k: tuple(v) for k, v in index.items()}),
        lifelong_prefixes=frozenset(
            normalize_prefix(p) for p in ruleset.durations.lifelong_diagnosis_prefixes
        ),
        quantity_limits=MappingProxyType(
            {q.hcpcs: q.max_units_per_month for q in ruleset.quantity_limits}
        ),
        docs_by_code=MappingProxyType({k: tuple(v) for k, v in docs_by_code.items()}),
        docs_by_category=MappingProxyType({k: tuple(v) for k, v in docs_by_category.items()}),
        durations=ruleset.durations,
        require_brand_reason=ruleset.brand.require_reason,
        requires_letter_of_agreement=ruleset.out_of_network.requires_letter_of_agreement,
        sla=ruleset.sla,
    )


def prefixes_of(code: str) -> list[str]:
    """Every prefix of a diagnosis code, longest first (``G80.1`` -> G801, G80, G8, G)."""
    bare = normalize_prefix(code)[:MAX_PREFIX]
    return [bare[:n] for n in range(len(bare), 0, -1)]
