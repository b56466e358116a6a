"""The law's ceilings on SLA policies: table-driven, and the 120-hour rule checked, no database."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dme_portal.demo.dataset import DemoNetwork, build_dataset
from dme_portal.demo.rulesets import ruleset_for
from dme_portal.rules.ruleset import RuleSet, SlaPolicy
from dme_portal.rules.sla_limits import HSC_1367_01_STANDARD_MAX_HOURS, sla_problems

EXPEDITED = "sla.expedited_hours"
STANDARD = "sla.standard_hours"
CFR_EXPEDITED = "42 CFR 438.210(d)(2)"
CFR_STANDARD = "42 CFR 438.210(d)(1)"
HSC = "HSC 1367.01(h)(1)"


@pytest.mark.parametrize(
    ("expedited", "standard", "hsc", "expected"),
    [
        # Within every limit.
        (72, 72, False, []),
        (72, 72, True, []),
        (1, 1, True, []),
        (24, 168, False, []),
        (72, 120, True, []),
        # Expedited: 72 hours, federal (and California's (h)(2) where it applies).
        (73, 72, False, [(EXPEDITED, CFR_EXPEDITED)]),
        (200, 72, False, [(EXPEDITED, CFR_EXPEDITED)]),
        (73, 72, True, [(EXPEDITED, "HSC 1367.01(h)(2)")]),
        # Standard: 7 calendar days federal.
        (72, 169, False, [(STANDARD, CFR_STANDARD)]),
        (72, 24 * 30, False, [(STANDARD, CFR_STANDARD)]),
        # Standard: five business days where HSC 1367.01 binds the plan.
        (72, 121, False, []),
        (72, 121, True, [(STANDARD, HSC)]),
        (72, 168, True, [(STANDARD, HSC)]),
        (72, 169, True, [(STANDARD, CFR_STANDARD), (STANDARD, HSC)]),
        (100, 200, True, [(EXPEDITED, CFR_EXPEDITED), (STANDARD, CFR_STANDARD), (STANDARD, HSC)]),
    ],
)
def test_limits(expedited: int, standard: int, hsc: bool, expected: list[tuple[str, str]]) -> None:
    policy = SlaPolicy(expedited_hours=expedited, standard_hours=standard)

    problems = sla_problems(policy, hsc_1367_01_applies=hsc)

    assert [field for field, _ in problems] == [field for field, _ in expected]
    for (field, message), (_, cited) in zip(problems, expected, strict=True):
        assert cited in message, message
        assert f"{expedited if field == EXPEDITED else standard} hours" in message


def test_the_messages_say_the_maximum() -> None:
    policy = SlaPolicy(expedited_hours=73, standard_hours=169)
    messages = dict(sla_problems(policy, hsc_1367_01_applies=False))

    assert "72 hours" in messages[EXPEDITED]
    assert "CMS-0057-F" in messages[EXPEDITED]
    assert "7 calendar days" in messages[STANDARD]
    assert "CMS-0057-F" in messages[STANDARD]
    hsc = sla_problems(SlaPolicy(standard_hours=121), hsc_1367_01_applies=True)
    assert "five business days" in hsc[0][1]
    assert "120 hours" in hsc[0][1]


def test_a_long_policy_still_loads_as_a_document() -> None:
    # Published versions older than the limits must load; the limits are not part of the shape.
    rs = RuleSet.model_validate({"sla": {"expedited_hours": 200, "standard_hours": 24 * 30}})

    assert rs.sla.expedited_hours == 200


_DEMO = build_dataset(today=date(2026, 11, 2))


@pytest.mark.parametrize("network", _DEMO.networks, ids=lambda n: n.code)
def test_the_demo_rulesets_are_lawful_for_the_demo_plan(network: DemoNetwork) -> None:
    rs = RuleSet.model_validate(ruleset_for(network.code, expedited_hours=network.expedited_hours))

    assert _DEMO.plan.hsc_1367_01_applies  # CalOptima is a Knox-Keene licensed plan
    assert sla_problems(rs.sla, hsc_1367_01_applies=True) == []


def _five_business_days_end(received: datetime) -> datetime:
    """The end of the fifth business day after receipt (Civil Code §10: the first day excluded),
    with no holidays, which only make the time longer."""
    day = received.date()
    counted = 0
    while counted < 5:
        day += timedelta(days=1)
        if day.weekday() < 5:
            counted += 1
    return datetime.combine(day + timedelta(days=1), datetime.min.time())


_RECEIPTS = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31))


@given(received=_RECEIPTS, hours=st.integers(min_value=1, max_value=HSC_1367_01_STANDARD_MAX_HOURS))
def test_up_to_120_hours_ends_within_five_business_days_whenever_received(
    received: datetime, hours: int
) -> None:
    assert received + timedelta(hours=hours) <= _five_business_days_end(received)


def test_121_hours_does_not_for_a_request_received_late_on_a_sunday() -> None:
    sunday_night = datetime(2026, 11, 8, 23, 30)  # a Sunday
    assert sunday_night.weekday() == 6

    deadline = _five_business_days_end(sunday_night)  # the end of Friday 2026-11-13

    assert deadline == datetime(2026, 11, 14)
    assert sunday_night + timedelta(hours=120) <= deadline
    assert sunday_night + timedelta(hours=121) > deadline
