"""Renewals by the ruleset (issue 16): the filing window, the new period, the extended
lifelong period. Pure: no I/O, no clock; the caller passes the dates.

The period a renewal gets is the one the network's rules give an initial request for the same
item and diagnoses (``durations`` and the CSAG item's ``max_period_days``), so lifelong
conditions keep their longer periods on renewal. The extended lifelong period
(``renewals.extended_lifelong_days``) is offered only for lifelong conditions, and only a
reviewer grants it.
"""

from __future__ import annotations

from datetime import date

from dme_portal.rules.compile import CompiledRuleSet, prefixes_of
from dme_portal.rules.dates import shift
from dme_portal.rules.evaluate import allowed_days
from dme_portal.rules.ruleset import Renewals


def window_opens(end: date, renewals: Renewals) -> date:
    """First day a renewal of an authorization ending on ``end`` may be filed."""
    return shift(end, -renewals.window_days)


def window_problem(today: date, end: date, renewals: Renewals) -> str | None:
    """Why an authorization ending on ``end`` cannot be renewed ``today``, or None.

    Open from ``end - window_days`` to ``end`` inclusive; no grace after the end (coverage
    would have a gap: a lapsed item is a new ``initial`` request).
    """
    opens = window_opens(end, renewals)
    if today < opens:
        return f"can be renewed from {opens.isoformat()}"
    if today > end:
        return (
            f"ended on {end.isoformat()}: renewals close at the end of the authorization; "
            "submit a new request"
        )
    return None


def is_lifelong(rules: CompiledRuleSet, diagnoses: tuple[str, ...]) -> bool:
    """Whether any diagnosis is one of the ruleset's lifelong conditions."""
    return any(p in rules.lifelong_prefixes for dx in diagnoses for p in prefixes_of(dx))


def period_days(rules: CompiledRuleSet, diagnoses: tuple[str, ...], hcpcs: str) -> int:
    """Days the rules give a period of ``hcpcs`` for these diagnoses (the longest a CSAG
    covering it allows; else the ruleset's duration, lifelong or default)."""
    lifelong = is_lifelong(rules, diagnoses)
    by_prefix = rules.csag_index.get(hcpcs, {})
    items = [
        e.item.max_period_days
        for dx in diagnoses
        for p in prefixes_of(dx)
        for e in by_prefix.get(p, ())
    ]
    if not items:
        return allowed_days(rules, lifelong)
    return max(allowed_days(rules, lifelong, item) for item in items)


def extended_problem(rules: CompiledRuleSet, diagnoses: tuple[str, ...]) -> str | None:
    """Why the extended lifelong period cannot be asked for, or None."""
    if rules.renewals.extended_lifelong_days is None:
        return "this network's rules offer no extended period"
    if not is_lifelong(rules, diagnoses):
        return "the extended period is only for members with a lifelong condition"
    return None
