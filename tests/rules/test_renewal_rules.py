"""Renewals by the ruleset (issue 16): window, period, extended lifelong period; pure."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from dme_portal.rules import renewals
from dme_portal.rules.compile import compile_ruleset
from dme_portal.rules.evaluate import RuleOutcome, evaluate
from dme_portal.rules.facts import LineFacts, RequestFacts
from dme_portal.rules.ruleset import Renewals, RuleSet

END = date(2027, 5, 1)


def compiled(extended: int | None = None, **durations: Any) -> Any:
    doc = {
        "csags": [
            {
                "id": "cp",
                "name": "CP orthoses",
                "diagnosis_prefixes": ["G80"],
                "items": [{"hcpcs": "L1960", "max_units_per_month": 2, "max_period_days": 120}],
            }
        ],
        "durations": {
            "default_days": 90,
            "lifelong_days": 180,
            "lifelong_diagnosis_prefixes": ["G80", "Q05"],
            "max_days": 365,
            **durations,
        },
        "renewals": {"window_days": 30, "extended_lifelong_days": extended},
    }
    return compile_ruleset(RuleSet.model_validate(doc), version=1)


@pytest.mark.parametrize(
    ("today", "problem"),
    [
        (END - timedelta(days=31), "can be renewed from 2027-04-01"),
        (END - timedelta(days=30), None),
        (END, None),
        (END + timedelta(days=1), "ended on 2027-05-01"),
    ],
)
def test_window(today: date, problem: str | None) -> None:
    found = renewals.window_problem(today, END, Renewals(window_days=30))
    assert (found is None) if problem is None else (problem in (found or ""))


@pytest.mark.parametrize(
    ("diagnoses", "hcpcs", "days"),
    [
        (("G80.0",), "L1960", 120),  # the CSAG item's cap under the lifelong 180
        (("G80.0",), "E0570", 180),  # no CSAG: lifelong duration
        (("Q05.9",), "E0570", 180),
        (("J45.909",), "E0570", 90),  # not lifelong: default
        (("J45.909", "G80.1"), "E0570", 180),  # any diagnosis counts
    ],
)
def test_period_days(diagnoses: tuple[str, ...], hcpcs: str, days: int) -> None:
    assert renewals.period_days(compiled(), diagnoses, hcpcs) == days


@pytest.mark.parametrize(
    ("extended", "diagnoses", "problem"),
    [
        (None, ("G80.0",), "offer no extended period"),
        (365, ("J45.909",), "lifelong condition"),
        (365, ("G80.0",), None),
    ],
)
def test_extended_problem(
    extended: int | None, diagnoses: tuple[str, ...], problem: str | None
) -> None:
    found = renewals.extended_problem(compiled(extended), diagnoses)
    assert (found is None) if problem is None else (problem in (found or ""))


def _line(**kw: Any) -> LineFacts:
    values: dict[str, Any] = {
        "line_number": 1,
        "hcpcs": "L1960",
        "category": "orthotics",
        "modifiers": (),
        "quantity": 1,
        "frequency": "once",
        "start_date": END + timedelta(days=1),
        "end_date": END + timedelta(days=90),
        "in_network": True,
        **kw,
    }
    return LineFacts(**values)


@pytest.mark.parametrize(
    ("extended_days", "outcome", "rule"),
    [
        (None, RuleOutcome.APPROVED, "csag:cp"),
        (365, RuleOutcome.NEEDS_REVIEW, "extended_period"),
    ],
)
def test_an_extended_period_goes_to_review(
    extended_days: int | None, outcome: RuleOutcome, rule: str
) -> None:
    facts = RequestFacts(diagnoses=("G80.0",), lines=(_line(extended_days=extended_days),))
    (result,) = evaluate(facts, compiled(365)).lines
    assert result.outcome is outcome
    assert result.trace[-1].rule == rule
    if extended_days:
        assert result.reasons[0].code == "extended_period_requested"
        assert "365 days" in result.reasons[0].message
        assert result.authorized_end is None
