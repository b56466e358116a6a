"""Evaluate request facts against a compiled ruleset: per-line outcome and a readable trace.

Pure: the same facts and ruleset version always give the same answer (DESIGN §5).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import NamedTuple

from dme_portal.rules.compile import CompiledRuleSet, CsagEntry, prefixes_of
from dme_portal.rules.dates import shift
from dme_portal.rules.facts import LineFacts, RequestFacts
from dme_portal.rules.ruleset import DocumentType


class RuleOutcome(StrEnum):
    APPROVED = "approved"
    NOT_REQUIRED = "not_required"
    NEEDS_REVIEW = "needs_review"
    # A CSAG approves the line as soon as its required documents are on file.
    AWAITING_DOCUMENTS = "awaiting_documents"


class Reason(NamedTuple):
    code: str
    message: str


class TraceStep(NamedTuple):
    rule: str
    passed: bool
    message: str


@dataclass(frozen=True, slots=True)
class LineEvaluation:
    line_number: int
    outcome: RuleOutcome
    decided_by: str | None
    reasons: tuple[Reason, ...]
    trace: tuple[TraceStep, ...]
    documents_required: tuple[DocumentType, ...]
    documents_missing: tuple[DocumentType, ...]
    authorized_start: date | None = None
    authorized_end: date | None = None


@dataclass(frozen=True, slots=True)
class Evaluation:
    ruleset_version: int
    lines: tuple[LineEvaluation, ...]


_DOC_WORDS = {
    DocumentType.PRESCRIPTION: "a prescription",
    DocumentType.LETTER_OF_MEDICAL_NECESSITY: "a letter of medical necessity",
    DocumentType.SEATING_EVALUATION: "a seating evaluation",
    DocumentType.EVALUATION: "a clinical evaluation",
    DocumentType.OTHER: "supporting documents",
}


def evaluate(facts: RequestFacts, rules: CompiledRuleSet) -> Evaluation:
    """Decide each line by the ruleset, or say why it needs a reviewer."""
    # Every prefix of every diagnosis, primary first, computed once per request.
    prefixes = tuple(dict.fromkeys(p for dx in facts.diagnoses for p in prefixes_of(dx)))
    lifelong = any(p in rules.lifelong_prefixes for p in prefixes)
    return Evaluation(
        ruleset_version=rules.version,
        lines=tuple(_evaluate_line(line, facts, rules, lifelong, prefixes) for line in facts.lines),
    )


def _candidates(
    line: LineFacts, prefixes: tuple[str, ...], rules: CompiledRuleSet
) -> list[CsagEntry]:
    by_prefix = rules.csag_index.get(line.hcpcs)
    if by_prefix is None:
        return []
    found: list[CsagEntry] = []
    seen: set[str] = set()
    for prefix in prefixes:
        for entry in by_prefix.get(prefix, ()):
            if entry.csag.id not in seen:
                seen.add(entry.csag.id)
                found.append(entry)
    return found


def allowed_days(rules: CompiledRuleSet, lifelong: bool, item_max: int | None = None) -> int:
    d = rules.durations
    days = min(d.lifelong_days if lifelong else d.default_days, d.max_days)
    return min(days, item_max) if item_max is not None else days


def _csag_failures(
    entry: CsagEntry, line: LineFacts, facts: RequestFacts, allowed_days: int
) -> list[Reason]:
    csag, item = entry.csag, entry.item
    out: list[Reason] = []
    if csag.requires_assignment and csag.id not in facts.csag_assignments:
        out.append(
            Reason(
                "csag_assignment_required",
                f"{csag.name} covers {line.hcpcs} only after the network's case manager "
                "assigns the member to it.",
            )
        )
    if csag.requires_in_network_vendor and not line.contracted:
        out.append(
            Reason(
                "csag_in_network_required",
                f"{csag.name} pre-approves {line.hcpcs} only from vendors in the network.",
            )
        )
    if item.modifiers and not set(line.modifiers) <= set(item.modifiers):
        allowed = ", ".join(item.modifiers)
        out.append(
            Reason(
                "csag_modifier",
                f"{csag.name} pre-approves {line.hcpcs} only with modifiers {allowed}.",
            )
        )
    if line.units_per_month > item.max_units_per_month:
        out.append(
            Reason(
                "csag_quantity_limit",
                f"{line.units_per_month} units a month is over {csag.name}'s limit of "
                f"{item.max_units_per_month} a month for {line.hcpcs}.",
            )
        )
    if line.period_days > allowed_days:
        out.append(
            Reason(
                "csag_period_limit",
                f"A {line.period_days}-day period is over the {allowed_days} days that "
                f"{csag.name} allows for {line.hcpcs}.",
            )
        )
    return out


def _evaluate_line(
    line: LineFacts,
    facts: RequestFacts,
    rules: CompiledRuleSet,
    lifelong: bool,
    prefixes: tuple[str, ...],
) -> LineEvaluation:
    trace: list[TraceStep] = []
    required = rules.documents_for(line.hcpcs, line.category)
    missing = tuple(d for d in required if d not in facts.documents) if required else ()

    def result(
        outcome: RuleOutcome,
        decided_by: str | None,
        reasons: list[Reason],
        start: date | None = None,
        end: date | None = None,
        *,
        waived: bool = False,
    ) -> LineEvaluation:
        return LineEvaluation(
            line.line_number,
            outcome,
            decided_by,
            tuple(reasons),
            tuple(trace),
            required,
            () if waived else missing,
            start,
            end,
        )

    if line.hcpcs in rules.no_auth:
        ceiling = rules.no_auth[line.hcpcs]
        if ceiling is None or line.units_per_month <= ceiling:
            limit = f" up to {ceiling} a month" if ceiling is not None else ""
            trace.append(
                TraceStep(
                    "no_authorization",
                    True,
                    f"{line.hcpcs} needs no authorization at this network{limit}.",
                )
            )
            return result(RuleOutcome.NOT_REQUIRED, "no_authorization", [])
        trace.append(
            TraceStep(
                "no_authorization",
                False,
                f"{line.hcpcs} needs no authorization only up to {ceiling} a "
                f"month; {line.units_per_month} were asked.",
            )
        )

    if line.under_continuity:
        trace.append(_continuity_step(line))

    if line.extended_days is not None:
        # A person grants the longer period, never the rules: the network sees it as such.
        reasons = _extended_reasons(line, missing)
        trace.append(TraceStep("extended_period", False, reasons[0].message))
        return result(RuleOutcome.NEEDS_REVIEW, None, reasons)

    brand_missing_reason = bool(rules.require_brand_reason and line.brand and not line.brand_reason)
    candidates = _candidates(line, prefixes, rules)
    failures: list[Reason] = []
    awaiting: CsagEntry | None = None
    for entry in candidates:
        allowed = allowed_days(rules, lifelong, entry.item.max_period_days)
        problems = _csag_failures(entry, line, facts, allowed)
        rule = f"csag:{entry.csag.id}"
        if problems:
            trace.extend(TraceStep(rule, False, p.message) for p in problems)
            failures = failures or problems
            continue
        if brand_missing_reason:
            failures = failures or [_brand_reason(line)]
            trace.append(TraceStep(rule, False, failures[0].message))
            continue
        if missing and not entry.csag.documents_waived:
            # Documentation rules bind rule approvals too (DESIGN §5): wait for the documents.
            awaiting = awaiting or entry
            trace.append(
                TraceStep(
                    rule,
                    False,
                    f"{entry.csag.name} pre-approves {line.hcpcs} for these diagnoses once "
                    f"{_words(missing)} {'is' if len(missing) == 1 else 'are'} on file.",
                )
            )
            continue
        end = shift(line.start_date, allowed - 1)
        if line.under_continuity and line.continuity_until is not None:
            # The network honours an out-of-network vendor only while continuity lasts.
            end = min(end, line.continuity_until)
        if missing:
            trace.append(
                TraceStep(
                    "documents_waived",
                    True,
                    f"{entry.csag.name} waives the documents the network otherwise asks for "
                    f"({_words(missing)}).",
                )
            )
        trace.append(
            TraceStep(
                rule,
                True,
                f"{entry.csag.name} pre-approves {line.hcpcs} for these "
                f"diagnoses: authorized {line.start_date.isoformat()} to "
                f"{end.isoformat()} ({(end - line.start_date).days + 1} days"
                f"{', lifelong condition' if lifelong else ''}).",
            )
        )
        return result(RuleOutcome.APPROVED, rule, [], line.start_date, end, waived=True)

    if awaiting is not None:
        reason = Reason(
            "documents_missing",
            f"Send {_words(missing)} for {line.hcpcs}: {awaiting.csag.name} approves it "
            "as soon as the documents are on file, with no reviewer.",
        )
        return result(RuleOutcome.AWAITING_DOCUMENTS, None, [reason])

    reasons = list(failures)
    if not candidates:
        reasons.append(
            Reason(
                "no_csag",
                f"No condition-specific group at this network covers "
                f"{line.hcpcs} for the diagnoses given, so a reviewer "
                "decides it.",
            )
        )
    monthly_limit = rules.quantity_limits.get(line.hcpcs)
    if monthly_limit is not None and line.units_per_month > monthly_limit:
        reasons.append(
            Reason(
                "quantity_limit",
                f"{line.units_per_month} units a month is over "
                f"the network's limit of {monthly_limit} for "
                f"{line.hcpcs}.",
            )
        )
    if missing:
        reasons.append(Reason("documents_missing", f"Send {_words(missing)} for {line.hcpcs}."))
    if brand_missing_reason and not any(r.code == "brand_reason_required" for r in reasons):
        reasons.append(_brand_reason(line))
    if not line.contracted and rules.requires_letter_of_agreement:
        reasons.append(
            Reason(
                "out_of_network",
                "The vendor is not contracted with this network "
                "for the date: the network needs a letter of "
                "agreement before it can approve.",
            )
        )
    trace.extend(TraceStep("review", False, r.message) for r in reasons if r not in failures)
    return result(RuleOutcome.NEEDS_REVIEW, None, reasons)


def _continuity_step(line: LineFacts) -> TraceStep:
    """Continuity of care: the member's vendor keeps serving after a network move."""
    until = line.continuity_until.isoformat() if line.continuity_until else ""
    return TraceStep(
        "continuity_of_care",
        True,
        f"The vendor is not contracted with this network, but it continues the member's "
        f"care for {line.hcpcs} from the previous network until {until}: it counts as in "
        "network until then (continuity of care, W&I Code 14094.13).",
    )


def _extended_reasons(line: LineFacts, missing: tuple[DocumentType, ...]) -> list[Reason]:
    """Why a renewal asking for the extended lifelong period goes to a reviewer (issue 16)."""
    reasons = [
        Reason(
            "extended_period_requested",
            f"The vendor asks for the extended lifelong period ({line.extended_days} days) "
            f"for {line.hcpcs}: a reviewer decides it.",
        )
    ]
    if missing:
        reasons.append(Reason("documents_missing", f"Send {_words(missing)} for {line.hcpcs}."))
    return reasons


def _words(documents: tuple[DocumentType, ...]) -> str:
    return ", ".join(_DOC_WORDS[d] for d in documents)


def _brand_reason(line: LineFacts) -> Reason:
    return Reason(
        "brand_reason_required",
        f"A named brand ({line.brand}) needs a reason, such "
        "as an allergy or a fit with the child's equipment.",
    )
