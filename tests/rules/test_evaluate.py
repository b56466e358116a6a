"""The rule engine: table-driven cases and properties, no database."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from dme_portal.rules.compile import compile_ruleset
from dme_portal.rules.evaluate import RuleOutcome, evaluate
from dme_portal.rules.facts import LineFacts, RequestFacts
from dme_portal.rules.ruleset import DocumentType, RuleSet

START = date(2026, 12, 1)

RULES = RuleSet.model_validate(
    {
        "no_authorization": [{"hcpcs": "A4554", "max_units_per_month": 150}],
        "csags": [
            {
                "id": "cp-orthotics",
                "name": "Cerebral palsy orthotics",
                "diagnosis_prefixes": ["G80"],
                "items": [
                    {"hcpcs": "L1960", "max_units_per_month": 2, "max_period_days": 180},
                    {
                        "hcpcs": "E8000",
                        "modifiers": ["NU"],
                        "max_units_per_month": 1,
                        "max_period_days": 365,
                    },
                ],
            },
            {
                "id": "sb-catheters",
                "name": "Spina bifida catheters",
                "diagnosis_prefixes": ["Q05", "N31.9"],
                "requires_assignment": True,
                "items": [{"hcpcs": "A4351", "max_units_per_month": 200, "max_period_days": 90}],
            },
        ],
        "durations": {
            "default_days": 90,
            "lifelong_days": 180,
            "lifelong_diagnosis_prefixes": ["G80", "Q05"],
            "max_days": 365,
        },
        "quantity_limits": [{"hcpcs": "A4253", "max_units_per_month": 3}],
        "documentation": [
            {"category": "wheelchairs", "documents": ["prescription", "seating_evaluation"]},
            {"hcpcs": "E0483", "documents": ["letter_of_medical_necessity"]},
        ],
    }
)
COMPILED = compile_ruleset(RULES, version=3)


def line(**overrides: Any) -> LineFacts:
    values: dict[str, Any] = {
        "line_number": 1,
        "hcpcs": "L1960",
        "category": "orthotics",
        "modifiers": (),
        "quantity": 1,
        "frequency": "once",
        "start_date": START,
        "end_date": START + timedelta(days=89),
        "in_network": True,
    }
    values.update(overrides)
    return LineFacts(**values)


def run(*lines: LineFacts, dx: tuple[str, ...] = ("G80.0",), **kw: Any) -> Any:
    return evaluate(RequestFacts(diagnoses=dx, lines=lines, **kw), COMPILED).lines


class TestCsag:
    def test_inside_limits_is_approved_with_lifelong_period(self) -> None:
        (result,) = run(line(quantity=2))
        assert result.outcome is RuleOutcome.APPROVED
        assert result.decided_by == "csag:cp-orthotics"
        assert result.authorized_start == START
        assert result.authorized_end == START + timedelta(days=179)  # lifelong: 180 days
        assert "Cerebral palsy orthotics" in result.trace[-1].message

    def test_one_unit_over_goes_to_review_naming_the_limit(self) -> None:
        (result,) = run(line(quantity=3))
        assert result.outcome is RuleOutcome.NEEDS_REVIEW
        assert [r.code for r in result.reasons] == ["csag_quantity_limit"]
        assert "limit of 2 a month" in result.reasons[0].message

    def test_period_over_limit_goes_to_review(self) -> None:
        (result,) = run(line(end_date=START + timedelta(days=180)))
        assert result.outcome is RuleOutcome.NEEDS_REVIEW
        assert result.reasons[0].code == "csag_period_limit"

    def test_diagnosis_outside_the_group_goes_to_review(self) -> None:
        (result,) = run(line(), dx=("E84.0",))
        assert result.outcome is RuleOutcome.NEEDS_REVIEW
        assert result.reasons[0].code == "no_csag"

    def test_secondary_diagnosis_matches(self) -> None:
        (result,) = run(line(), dx=("E84.0", "G80.1"))
        assert result.outcome is RuleOutcome.APPROVED

    def test_modifier_not_allowed(self) -> None:
        (ok,) = run(line(hcpcs="E8000", category="mobility", modifiers=("NU",)))
        (bad,) = run(line(hcpcs="E8000", category="mobility", modifiers=("RR",)))
        assert ok.outcome is RuleOutcome.APPROVED
        assert bad.outcome is RuleOutcome.NEEDS_REVIEW
        assert bad.reasons[0].code == "csag_modifier"

    def test_assignment_required(self) -> None:
        cath = line(hcpcs="A4351", category="urological", quantity=120, frequency="monthly")
        (without,) = run(cath, dx=("Q05.9",))
        (with_,) = run(cath, dx=("Q05.9",), csag_assignments=frozenset({"sb-catheters"}))
        assert without.reasons[0].code == "csag_assignment_required"
        assert with_.outcome is RuleOutcome.APPROVED
        assert with_.authorized_end == START + timedelta(days=89)  # item max 90 < lifelong 180

    def test_non_lifelong_diagnosis_gets_default_duration(self) -> None:
        cath = line(hcpcs="A4351", category="urological", quantity=10, frequency="monthly")
        (result,) = run(cath, dx=("N31.9",), csag_assignments=frozenset({"sb-catheters"}))
        assert result.outcome is RuleOutcome.APPROVED
        assert result.authorized_end == START + timedelta(days=89)

    def test_out_of_network_vendor(self) -> None:
        (result,) = run(line(in_network=False))
        codes = [r.code for r in result.reasons]
        assert result.outcome is RuleOutcome.NEEDS_REVIEW
        assert codes == ["csag_in_network_required", "out_of_network"]

    def test_brand_without_reason(self) -> None:
        (no_reason,) = run(line(brand="Cascade"))
        (reason,) = run(line(brand="Cascade", brand_reason="latex allergy"))
        assert no_reason.outcome is RuleOutcome.NEEDS_REVIEW
        assert no_reason.reasons[0].code == "brand_reason_required"
        assert reason.outcome is RuleOutcome.APPROVED


class TestOutsideCsags:
    def test_exempt_code_under_ceiling(self) -> None:
        (result,) = run(line(hcpcs="A4554", category="incontinence", quantity=150))
        assert result.outcome is RuleOutcome.NOT_REQUIRED
        assert result.decided_by == "no_authorization"

    def test_exempt_code_over_ceiling_needs_review(self) -> None:
        (result,) = run(line(hcpcs="A4554", category="incontinence", quantity=151))
        assert result.outcome is RuleOutcome.NEEDS_REVIEW
        assert result.trace[0].passed is False

    def test_missing_documents_are_named(self) -> None:
        (result,) = run(line(hcpcs="E1161", category="wheelchairs"))
        assert result.documents_required == (
            DocumentType.PRESCRIPTION,
            DocumentType.SEATING_EVALUATION,
        )
        assert (
            "a seating evaluation"
            in next(r for r in result.reasons if r.code == "documents_missing").message
        )

    def test_documents_provided_are_not_missing(self) -> None:
        (result,) = run(
            line(hcpcs="E1161", category="wheelchairs"),
            documents=frozenset({DocumentType.PRESCRIPTION, DocumentType.SEATING_EVALUATION}),
        )
        assert result.documents_missing == ()
        assert "documents_missing" not in [r.code for r in result.reasons]

    def test_quantity_limit(self) -> None:
        (result,) = run(line(hcpcs="A4253", category="diabetes", quantity=4, frequency="monthly"))
        assert "quantity_limit" in [r.code for r in result.reasons]


class TestValidation:
    @pytest.mark.parametrize(
        ("doc", "message"),
        [
            ({"no_authorization": [{"hcpcs": "Z9999"}]}, "not a DME HCPCS code"),
            (
                {
                    "csags": [
                        {
                            "id": "x",
                            "name": "X",
                            "diagnosis_prefixes": ["80G"],
                            "items": [
                                {"hcpcs": "L1960", "max_units_per_month": 1, "max_period_days": 90}
                            ],
                        }
                    ]
                },
                "not an ICD-10-CM prefix",
            ),
            (
                {
                    "no_authorization": [{"hcpcs": "A4554", "max_units_per_month": 100}],
                    "csags": [
                        {
                            "id": "x",
                            "name": "X",
                            "diagnosis_prefixes": ["Q05"],
                            "items": [
                                {
                                    "hcpcs": "A4554",
                                    "max_units_per_month": 200,
                                    "max_period_days": 90,
                                }
                            ],
                        }
                    ],
                },
                "also on the no-authorization list",
            ),
            (
                {"durations": {"default_days": 200, "max_days": 100, "lifelong_days": 90}},
                "max_days",
            ),
        ],
    )
    def test_contradictions_are_rejected(self, doc: dict[str, Any], message: str) -> None:
        with pytest.raises(ValidationError, match=message):
            RuleSet.model_validate(doc)


@given(quantity=st.integers(min_value=1, max_value=50), in_network=st.booleans())
def test_approval_iff_within_limits(quantity: int, in_network: bool) -> None:
    (result,) = run(line(quantity=quantity, in_network=in_network))
    within = quantity <= 2 and in_network
    assert (result.outcome is RuleOutcome.APPROVED) == within
    if result.outcome is RuleOutcome.NEEDS_REVIEW:
        assert result.reasons, "a line sent to review always says why"


@given(n=st.integers(min_value=0, max_value=300))
def test_unrelated_csags_do_not_change_the_answer(n: int) -> None:
    """Adding CSAGs for other conditions never changes a line's outcome."""
    extra = [
        {
            "id": f"other-{i}",
            "name": f"Other {i}",
            "diagnosis_prefixes": [f"M{i % 100:02d}"],
            "items": [{"hcpcs": "L1960", "max_units_per_month": 9, "max_period_days": 90}],
        }
        for i in range(n)
    ]
    doc = RULES.model_dump()
    doc["csags"] = doc["csags"] + extra
    compiled = compile_ruleset(RuleSet.model_validate(doc), version=4)
    facts = RequestFacts(diagnoses=("G80.0",), lines=(line(quantity=3),))
    assert evaluate(facts, compiled).lines[0].outcome is RuleOutcome.NEEDS_REVIEW
    assert evaluate(facts, compiled).lines[0].reasons == run(line(quantity=3))[0].reasons
