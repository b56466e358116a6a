"""The facts a ruleset is evaluated against: frozen, built by the caller, no ORM."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from dme_portal.rules.ruleset import DocumentType

# Units per month implied by one line's quantity at its frequency.
_MONTHLY_FACTOR = {"once": 1, "monthly": 1, "quarterly": 1, "weekly": 5, "daily": 31}


@dataclass(frozen=True, slots=True)
class LineFacts:
    line_number: int
    hcpcs: str
    category: str
    modifiers: tuple[str, ...]
    quantity: int
    frequency: str
    start_date: date
    end_date: date
    in_network: bool
    brand: str | None = None
    brand_reason: str | None = None
    # A renewal's request for the ruleset's extended lifelong period, in days (issue 16):
    # a person grants it, so the line goes to review.
    extended_days: int | None = None
    # The last day an out-of-network vendor keeps serving the member for this item after the
    # member moved network (continuity of care, W&I Code 14094.13); None when no continuity.
    continuity_until: date | None = None

    @property
    def under_continuity(self) -> bool:
        """Out of network, but continuing the member's care from the previous network."""
        return (
            not self.in_network
            and self.continuity_until is not None
            and self.start_date <= self.continuity_until
        )

    @property
    def contracted(self) -> bool:
        """Counts as in network for the contract checks (CSAG vendor rule, out-of-network)."""
        return self.in_network or self.under_continuity

    @property
    def units_per_month(self) -> int:
        return self.quantity * _MONTHLY_FACTOR.get(self.frequency, 1)

    @property
    def period_days(self) -> int:
        return (self.end_date - self.start_date).days + 1


@dataclass(frozen=True, slots=True)
class RequestFacts:
    diagnoses: tuple[str, ...]
    lines: tuple[LineFacts, ...]
    csag_assignments: frozenset[str] = frozenset()
    documents: frozenset[DocumentType] = frozenset()
