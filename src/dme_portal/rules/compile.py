"""Compile a ruleset once per version into lookups, so evaluation cost does not grow with it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from dme_portal.rules.ruleset import (
    Csag,
    CsagItem,
    DocumentType,
    Durations,
    Reconsideration,
    Renewals,
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
    # hcpcs -> diagnosis prefix -> CSAG entries covering the code for that prefix.
    csag_index: Mapping[str, Mapping[str, tuple[CsagEntry, ...]]]
    lifelong_prefixes: frozenset[str]
    quantity_limits: Mapping[str, int]
    docs_by_code: Mapping[str, tuple[DocumentType, ...]]
    docs_by_category: Mapping[str, tuple[DocumentType, ...]]
    durations: Durations
    require_brand_reason: bool
    requires_letter_of_agreement: bool
    sla: SlaPolicy
    renewals: Renewals
    reconsideration: Reconsideration
    # Memo of documents_for: derived from the two maps above, filled on first use.
    _documents: dict[tuple[str, str], tuple[DocumentType, ...]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def documents_for(self, code: str, category: str) -> tuple[DocumentType, ...]:
        """Documents a line of this code and category needs, code rules first."""
        key = (code, category)
        found = self._documents.get(key)
        if found is None:
            merged = self.docs_by_code.get(code, ()) + self.docs_by_category.get(category, ())
            found = self._documents[key] = tuple(dict.fromkeys(merged))
        return found


def compile_ruleset(ruleset: RuleSet, *, version: int) -> CompiledRuleSet:
    """Index the ruleset by code and diagnosis prefix."""
    index: dict[str, dict[str, list[CsagEntry]]] = defaultdict(lambda: defaultdict(list))
    for csag in ruleset.csags:
        for prefix in csag.diagnosis_prefixes:
            for item in csag.items:
                index[item.hcpcs][normalize_prefix(prefix)].append(CsagEntry(csag, item))
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
        csag_index=MappingProxyType(
            {
                code: MappingProxyType({p: tuple(v) for p, v in by_prefix.items()})
                for code, by_prefix in index.items()
            }
        ),
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
        renewals=ruleset.renewals,
        reconsideration=ruleset.reconsideration,
    )


def prefixes_of(code: str) -> list[str]:
    """Every prefix of a diagnosis code, longest first (``G80.1`` -> G801, G80, G8, G)."""
    bare = normalize_prefix(code)[:MAX_PREFIX]
    return [bare[:n] for n in range(len(bare), 0, -1)]
