"""The law's ceilings on a network's SLA policy (DESIGN §5), each problem citing its rule.

Pure: whether California's HSC 1367.01 binds the network's plan is a fact of the plan, passed
in. Checked when a draft is validated or published, not when a published version is loaded, so
that versions published before a limit was enforced still load and can be audited.
"""

from __future__ import annotations

from dme_portal.rules.ruleset import SlaPolicy

# 42 CFR 438.210(d)(2)(i): expedited authorization decisions no later than 72 hours after
# receipt; California HSC 1367.01(h)(2) says the same for Knox-Keene plans.
EXPEDITED_MAX_HOURS = 72
# 42 CFR 438.210(d)(1) as amended by CMS-0057-F (rating periods from 2026-01-01): standard
# decisions within 7 calendar days of receipt.
STANDARD_MAX_HOURS = 7 * 24
# California HSC 1367.01(h)(1): "not to exceed five business days" from receipt. The hub's
# clock counts hours from receipt and knows no business days, so the policy must end within five
# business days whatever the day and hour of receipt. Counting as the law counts time (Civil
# Code §10: the day of receipt excluded, the last day included), the shortest five business days
# are those of a request received at the very end of a Sunday: they end with Friday, 120 hours
# later. Any other receipt time (a weekday, a Saturday, a holiday in the week) leaves as much or
# more, so 120 hours is the longest clock that is lawful for every request, and 121 is not.
HSC_1367_01_STANDARD_MAX_HOURS = 5 * 24

_EXPEDITED = "42 CFR 438.210(d)(2)(i), CMS-0057-F"
_STANDARD = "42 CFR 438.210(d)(1) as amended by CMS-0057-F"
_HSC_STANDARD = "California HSC 1367.01(h)(1)"
_HSC_EXPEDITED = "California HSC 1367.01(h)(2)"


def sla_problems(policy: SlaPolicy, *, hsc_1367_01_applies: bool) -> list[tuple[str, str]]:
    """Turnaround hours over the legal maximums, as (field path, message citing the rule)."""
    out: list[tuple[str, str]] = []
    expedited, standard = policy.expedited_hours, policy.standard_hours
    if expedited > EXPEDITED_MAX_HOURS:
        cited = _EXPEDITED + (f"; {_HSC_EXPEDITED}" if hsc_1367_01_applies else "")
        out.append(
            (
                "sla.expedited_hours",
                f"{expedited} hours exceeds the legal maximum for expedited decisions: "
                f"{EXPEDITED_MAX_HOURS} hours after receipt ({cited})",
            )
        )
    if standard > STANDARD_MAX_HOURS:
        out.append(
            (
                "sla.standard_hours",
                f"{standard} hours exceeds the legal maximum for standard decisions: 7 calendar "
                f"days, {STANDARD_MAX_HOURS} hours, after receipt ({_STANDARD})",
            )
        )
    if hsc_1367_01_applies and standard > HSC_1367_01_STANDARD_MAX_HOURS:
        out.append(
            (
                "sla.standard_hours",
                f"{standard} hours can exceed the limit of {_HSC_STANDARD}, which binds this "
                "network's plan: five business days after receipt. A clock in hours stays "
                f"within five business days for every request only up to "
                f"{HSC_1367_01_STANDARD_MAX_HOURS} hours (a request received late on a Sunday "
                "is due by the end of Friday)",
            )
        )
    return out
