"""Continuity of care in the pure rules: an out-of-network vendor continuing a member's care
after a network move counts as in network until the continuity ends (W&I Code 14094.13)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from test_evaluate import START, line, run

from dme_portal.rules.compile import compile_ruleset
from dme_portal.rules.evaluate import RuleOutcome, evaluate
from dme_portal.rules.facts import RequestFacts
from dme_portal.rules.ruleset import RuleSet

DAY = timedelta(days=1)


@pytest.mark.parametrize(
    ("in_network", "continuity_until", "under", "contracted"),
    [
        (True, None, False, True),
        (False, None, False, False),
        (False, START - DAY, False, False),  # continuity ended the day before the line starts
        (False, START, True, True),  # ends on the start day
        (False, START + DAY, True, True),
        (True, START + DAY, False, True),  # a contracted vendor needs no continuity
    ],
)
def test_the_continuity_fact(
    in_network: bool, continuity_until: date | None, under: bool, contracted: bool
) -> None:
    facts = line(in_network=in_network, continuity_until=continuity_until)
    assert facts.under_continuity is under
    assert facts.contracted is contracted


@pytest.mark.parametrize(
    ("continuity_until", "outcome", "codes"),
    [
        (None, RuleOutcome.NEEDS_REVIEW, ["csag_in_network_required", "out_of_network"]),
        (START - DAY, RuleOutcome.NEEDS_REVIEW, ["csag_in_network_required", "out_of_network"]),
        (START, RuleOutcome.APPROVED, []),
        (START + timedelta(days=400), RuleOutcome.APPROVED, []),
    ],
)
def test_a_csag_line_under_continuity_is_approved_as_in_network(
    continuity_until: date | None, outcome: RuleOutcome, codes: list[str]
) -> None:
    (result,) = run(line(in_network=False, continuity_until=continuity_until))
    assert result.outcome is outcome
    assert [r.code for r in result.reasons] == codes
    steps = [t.rule for t in result.trace]
    assert ("continuity_of_care" in steps) is (outcome is RuleOutcome.APPROVED)


@pytest.mark.parametrize(
    ("continuity_until", "authorized_end"),
    [
        # CP orthotics (lifelong): 180 days, capped by the continuity period's last day.
        (START + timedelta(days=400), START + timedelta(days=179)),
        (START + timedelta(days=179), START + timedelta(days=179)),
        (START + timedelta(days=30), START + timedelta(days=30)),
        (START, START),
    ],
)
def test_the_authorization_ends_with_the_continuity(
    continuity_until: date, authorized_end: date
) -> None:
    (result,) = run(line(in_network=False, continuity_until=continuity_until))
    assert result.authorized_start == START
    assert result.authorized_end == authorized_end


def test_continuity_does_not_cap_an_in_network_vendor() -> None:
    (result,) = run(line(in_network=True, continuity_until=START))
    assert result.authorized_end == START + timedelta(days=179)
    assert "continuity_of_care" not in [t.rule for t in result.trace]


def test_a_reviewed_line_under_continuity_needs_no_letter_of_agreement() -> None:
    # No CSAG covers E0483: a reviewer decides, but the out-of-network reason is gone.
    rules = compile_ruleset(RuleSet.model_validate({}), version=1)
    facts = RequestFacts(
        diagnoses=("G80.0",),
        lines=(line(hcpcs="E0483", category="other", in_network=False),),
    )
    (without,) = evaluate(facts, rules).lines
    assert "out_of_network" in [r.code for r in without.reasons]
    facts = RequestFacts(
        diagnoses=("G80.0",),
        lines=(
            line(hcpcs="E0483", category="other", in_network=False, continuity_until=START + DAY),
        ),
    )
    (during,) = evaluate(facts, rules).lines
    assert during.outcome is RuleOutcome.NEEDS_REVIEW
    assert "out_of_network" not in [r.code for r in during.reasons]
    assert "continuity_of_care" in [t.rule for t in during.trace]
