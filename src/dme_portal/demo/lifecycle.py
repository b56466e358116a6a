"""What happens to a drafted demo request, and when: claims, questions, answers, decisions.

Pure and seeded. Each network reviews at its own pace, and some let requests run late, so the
reports differ between networks the way the focus groups describe. Steps later than ``now`` are
dropped: they have not happened yet.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from dme_portal.codes import hcpcs
from dme_portal.demo.catalog import ANSWERS, CANCEL_REASONS, DOWNGRADE_REASON, QUESTIONS


class StepKind(StrEnum):
    SUBMIT = "submit"  # uploads ``documents`` first, then submits with them
    CLAIM = "claim"
    ASK = "ask"  # pends the request for information (``documents`` asked for)
    ATTACH = "attach"  # the vendor attaches ``documents`` to the open request
    RESPOND = "respond"  # the vendor attaches ``documents`` and answers the question
    DOWNGRADE = "downgrade"
    DECIDE = "decide"
    CANCEL = "cancel"


class Fate(StrEnum):
    APPROVE = "approve"
    MODIFY = "modify"
    PARTIAL = "partial"
    DENY_MEDICAL = "deny_medical"
    DENY_BENEFIT = "deny_benefit"
    DENY_OUT_OF_NETWORK = "deny_out_of_network"
    DENY_NO_ANSWER = "deny_no_answer"
    CANCEL = "cancel"


@dataclass(frozen=True, slots=True)
class PlannedLine:
    hcpcs: str
    quantity: int
    unit: str
    frequency: str
    start: date
    end: date
    acquisition: str
    modifiers: tuple[str, ...]
    brand: str | None
    manufacturer: str | None
    brand_reason: str | None
    # Over-asked: the period (days) or monthly quantity a reviewer trims it to.
    trim_to_days: int | None = None
    trim_to_quantity: int | None = None
    in_network: bool = True

    @property
    def recurring(self) -> bool:
        return self.frequency != "once" or self.acquisition == "rental"


@dataclass(frozen=True, slots=True)
class Draft:
    """A request as the vendor sends it, with what the plan needs to know about it."""

    received: datetime
    network_code: str
    turnaround_hours: int
    standard_hours: int
    vendor_user: str
    member_cin: str
    member_birth_date: date
    prescriber_npi: str
    diagnoses: tuple[str, ...]
    expedited_reason: str | None
    kind: str
    notes: str | None
    lines: tuple[PlannedLine, ...]
    documents_sent: tuple[str, ...]
    documents_expected: tuple[str, ...]
    benefit_question: bool
    has_csags: bool
    # Some lines in a CSAG and some not: the rules approve part of it at once.
    partly_covered: bool = False


@dataclass(frozen=True, slots=True)
class Verdict:
    """A reviewer's decision on one line, applied if the line is still open then."""

    line_number: int
    outcome: str  # approved | modified | denied
    reason_code: str | None = None
    reason: str | None = None
    quantity: int | None = None
    end: date | None = None


@dataclass(frozen=True, slots=True)
class Step:
    at: datetime
    kind: StepKind
    actor: str  # the demo username who acts
    documents: tuple[str, ...] = ()
    text: str | None = None
    verdicts: tuple[Verdict, ...] = ()


@dataclass(frozen=True, slots=True)
class PlannedRequest:
    number: int
    draft: Draft
    fate: Fate
    steps: tuple[Step, ...]  # steps[0] is the submission, at the receipt time

    @property
    def closes_at(self) -> datetime | None:
        """When a person closes it (decision or cancellation), if by ``now``."""
        return next((s.at for s in self.steps if s.kind in _CLOSING), None)


_CLOSING = (StepKind.DECIDE, StepKind.CANCEL)
_STAFF_STEPS = (StepKind.CLAIM, StepKind.ASK, StepKind.DOWNGRADE, StepKind.DECIDE)
_PACIFIC = timedelta(hours=8)  # UTC-8 (standard time) is close enough for office hours
# Per network: the share of the turnaround a reviewer typically takes, and the share of
# requests left to run past due (illustrative, not any network's real performance).
_PACE: dict[str, tuple[float, float]] = {
    "choc": (0.65, 0.05),  # "about 3 days to approval" (the focus groups)
    "chn": (0.5, 0.10),
    "altamed": (0.55, 0.10),
    "arta": (0.7, 0.20),
    "noble": (0.5, 0.08),
    "prospect": (0.55, 0.10),
    "talbert": (0.55, 0.12),
    "ucmg": (0.7, 0.22),
}
_PEND = 0.22
_CLAIM = 0.5
_NEVER_ANSWERED = 0.1
_DOWNGRADE = 0.2
_EXPEDITED_PACE = 0.4  # reviewers take expedited requests first
_BACKLOG_DAYS = 6  # most networks are behind this week (the open queue and breach list)


def hours(value: float) -> timedelta:
    return timedelta(minutes=round(value * 60))


def plan_lifecycle(
    rng: random.Random, draft: Draft, *, number: int, now: datetime, fate: Fate | None = None
) -> PlannedRequest:
    """The request's steps up to ``now``, from submission to a decision or cancellation.

    ``fate`` is drawn unless given.
    """
    steps = [Step(draft.received, StepKind.SUBMIT, draft.vendor_user, draft.documents_sent)]
    missing = tuple(d for d in draft.documents_expected if d not in draft.documents_sent)
    after = draft.received
    if missing and draft.has_csags and rng.random() < 0.85:
        # waiting_on names the documents the CSAG waits for: the vendor sends them.
        after += hours(rng.uniform(2, 30))
        steps.append(Step(after, StepKind.ATTACH, draft.vendor_user, missing))
        missing = ()
    fate = fate or _fate(rng, draft)
    recent = now - draft.received < timedelta(days=_BACKLOG_DAYS)
    steps += _review(rng, draft, fate, missing, after, recent=recent)
    if not draft.expedited_reason:  # expedited requests go to the reviewer on call
        steps = office_hours(steps)
    return PlannedRequest(number, draft, fate, tuple(s for s in steps if s.at < now))


def office_hours(steps: list[Step]) -> list[Step]:
    """Network staff do not work at weekends: their steps move to Monday, and what follows
    moves with them (the SLA clock does not stop, so weekends make requests late)."""
    out: list[Step] = []
    shift = timedelta()
    for step in steps:
        at = step.at + shift
        if step.kind in _STAFF_STEPS:
            local = at - _PACIFIC
            if local.weekday() >= 5:
                monday = local.date() + timedelta(days=7 - local.weekday())
                moved = datetime.combine(monday, time(8), at.tzinfo) + _PACIFIC
                moved += timedelta(minutes=(at.minute * 7 + at.hour * 13) % 300)
                shift += moved - at
                at = moved
        out.append(replace(step, at=at))
    return out


def _fate(rng: random.Random, draft: Draft) -> Fate:
    if not all(ln.in_network for ln in draft.lines) and rng.random() < 0.5:
        return Fate.DENY_OUT_OF_NETWORK
    weights = {
        Fate.APPROVE: 58,
        Fate.MODIFY: 12,
        Fate.PARTIAL: 8 if len(draft.lines) > 1 else 0,
        Fate.DENY_MEDICAL: 8,
        Fate.DENY_BENEFIT: 30 if draft.benefit_question else 0,
        # The vendor withdraws more often when the rest waits on a reviewer (and what the
        # rules approved is void then).
        Fate.CANCEL: 20 if draft.partly_covered else 7,
    }
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _review(
    rng: random.Random,
    draft: Draft,
    fate: Fate,
    missing: tuple[str, ...],
    after: datetime,
    *,
    recent: bool,
) -> list[Step]:
    reviewer = f"reviewer.{draft.network_code}"
    pace, late_share = _PACE[draft.network_code]
    if draft.expedited_reason:
        pace, late_share = pace * _EXPEDITED_PACE, late_share / 2
    turnaround = draft.turnaround_hours
    t = after + hours(turnaround * pace * rng.uniform(0.03, 0.3))
    # Half the reviewers claim from the queue first; the others decide straight from it.
    steps = [Step(t, StepKind.CLAIM, reviewer)] if rng.random() < _CLAIM else []
    if draft.expedited_reason and rng.random() < _DOWNGRADE:
        t += hours(rng.uniform(0.2, 2))
        steps.append(Step(t, StepKind.DOWNGRADE, reviewer, text=DOWNGRADE_REASON))
        turnaround = draft.standard_hours
    if fate is Fate.CANCEL:
        at = after + hours(rng.uniform(1, 0.7 * turnaround))
        kept = [s for s in steps if s.at < at]
        reason = rng.choice(CANCEL_REASONS)
        return [*kept, Step(at, StepKind.CANCEL, draft.vendor_user, text=reason)]
    if missing or rng.random() < _PEND:
        asked = missing or rng.choice(((), ("letter_of_medical_necessity",), ("prescription",)))
        key = asked[0] if asked else ""
        t += hours(rng.uniform(0.3, 3))
        steps.append(Step(t, StepKind.ASK, reviewer, asked, QUESTIONS[key]))
        if rng.random() < _NEVER_ANSWERED:
            t += timedelta(days=rng.uniform(5, 9))
            return [*steps, _decision(draft, Fate.DENY_NO_ANSWER, t)]
        # A letter from the child's physician can take days.
        t += hours(rng.uniform(2, 24) if rng.random() < 0.6 else rng.uniform(24, 120))
        steps.append(Step(t, StepKind.RESPOND, draft.vendor_user, asked, ANSWERS[key]))
    if recent:
        late_share = min(late_share * 3, 0.8)  # this week's backlog: the queues grew
    late = rng.random() < late_share
    share = rng.uniform(1.03, 2.5) if late else min(pace * rng.uniform(0.2, 1.3), 0.9)
    decided = max(draft.received + hours(turnaround * share), t + hours(rng.uniform(0.5, 6)))
    if late and all(s.kind is StepKind.CLAIM for s in steps):
        # Nobody touched it until the day it was decided.
        claimed = max(decided - hours(rng.uniform(0.5, 6)), after + hours(0.1))
        steps = [Step(claimed, StepKind.CLAIM, reviewer)]
    return [*steps, _decision(draft, fate, decided)]


def _decision(draft: Draft, fate: Fate, at: datetime) -> Step:
    net = draft.network_code
    lines = list(enumerate(draft.lines, start=1))
    note = None
    if fate is Fate.DENY_MEDICAL:
        verdicts = [_deny(i, ln, "medical_necessity") for i, ln in lines]
    elif fate in (Fate.DENY_BENEFIT, Fate.DENY_NO_ANSWER):
        code = "not_a_covered_benefit" if fate is Fate.DENY_BENEFIT else "information_not_received"
        verdicts = [_deny(i, ln, code) for i, ln in lines]
    elif fate is Fate.DENY_OUT_OF_NETWORK:
        verdicts = [
            _grant(i, ln, modify=False)
            if ln.in_network
            else _deny(i, ln, "out_of_network_no_agreement")
            for i, ln in lines
        ]
    else:
        modify = fate is Fate.MODIFY
        verdicts = [_grant(i, ln, modify=modify) for i, ln in lines]
        if fate is Fate.PARTIAL:
            verdicts[-1] = _deny(len(lines), draft.lines[-1], "medical_necessity")
        if not all(ln.in_network for ln in draft.lines):
            note = "Letter of agreement signed with the vendor for this order."
    physician = any(v.reason_code == "medical_necessity" for v in verdicts)
    actor = f"md.{net}" if physician else f"reviewer.{net}"
    return Step(at, StepKind.DECIDE, actor, text=note, verdicts=tuple(verdicts))


def _describe(code: str) -> str:
    found = hcpcs.lookup(code)
    return f"{code} ({found.description.lower()})" if found else code


_DENIALS = {
    "medical_necessity": "The records sent do not show that {item} is medically necessary for "
    "the child at this time. The treating physician may ask for a peer-to-peer review or send "
    "new clinical notes for reconsideration.",
    "not_a_covered_benefit": "{item} is a comfort and convenience item, not a covered benefit "
    "under the member's plan. The CCS Medical Therapy Program may help with bathing equipment.",
    "information_not_received": "The information the network asked for was not received, so "
    "{item} cannot be approved. Submit a new request with the documents.",
    "out_of_network_no_agreement": "The vendor is not contracted with the network and no "
    "letter of agreement was reached for {item}. The network will refer the order to a "
    "contracted vendor.",
}


def _deny(number: int, line: PlannedLine, code: str) -> Verdict:
    reason = _DENIALS[code].format(item=_describe(line.hcpcs))
    return Verdict(number, "denied", code, reason[0].upper() + reason[1:])


def _grant(number: int, line: PlannedLine, *, modify: bool) -> Verdict:
    """Approve, trimming what was over-asked (or, to modify, a quarter of a large quantity)."""
    if line.trim_to_days is not None:
        days = line.trim_to_days
        return Verdict(
            number,
            "modified",
            "period_exceeds_policy",
            f"Authorized for {days} days, the network's period for this condition; "
            "ask for a renewal before it ends.",
            end=line.start + timedelta(days=days - 1),
        )
    if line.trim_to_quantity is not None or (modify and line.quantity >= 4):
        quantity = line.trim_to_quantity or line.quantity * 3 // 4
        return Verdict(
            number,
            "modified",
            "quantity_exceeds_policy",
            f"Authorized {quantity} {line.unit} {line.frequency} for {line.hcpcs}, what the "
            "network's policy and the child's records support.",
            quantity=quantity,
        )
    return Verdict(number, "approved")
