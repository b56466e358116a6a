"""Decision reason codes. Medical-necessity reasons need a physician (California HSC 1367.01(e))."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class DecisionReason(StrEnum):
    MEDICAL_NECESSITY = "medical_necessity"
    NOT_A_COVERED_BENEFIT = "not_a_covered_benefit"
    DUPLICATE_AUTHORIZATION = "duplicate_authorization"
    INFORMATION_NOT_RECEIVED = "information_not_received"
    OUT_OF_NETWORK_NO_AGREEMENT = "out_of_network_no_agreement"
    MEMBER_NOT_ELIGIBLE = "member_not_eligible"
    QUANTITY_EXCEEDS_POLICY = "quantity_exceeds_policy"
    PERIOD_EXCEEDS_POLICY = "period_exceeds_policy"
    LESS_COSTLY_ALTERNATIVE = "less_costly_alternative"


@dataclass(frozen=True, slots=True)
class ReasonInfo:
    text: str
    medical_necessity: bool


REASONS: dict[DecisionReason, ReasonInfo] = {
    DecisionReason.MEDICAL_NECESSITY: ReasonInfo("Not medically necessary", True),
    DecisionReason.NOT_A_COVERED_BENEFIT: ReasonInfo("Not a covered benefit", False),
    DecisionReason.DUPLICATE_AUTHORIZATION: ReasonInfo(
        "Duplicates an authorization already in force", False
    ),
    DecisionReason.INFORMATION_NOT_RECEIVED: ReasonInfo(
        "Information the network asked for was not received", False
    ),
    DecisionReason.OUT_OF_NETWORK_NO_AGREEMENT: ReasonInfo(
        "Vendor outside the network and no letter of agreement", False
    ),
    DecisionReason.MEMBER_NOT_ELIGIBLE: ReasonInfo("Member not eligible on the dates", False),
    DecisionReason.QUANTITY_EXCEEDS_POLICY: ReasonInfo(
        "Quantity above the network's policy limit", False
    ),
    DecisionReason.PERIOD_EXCEEDS_POLICY: ReasonInfo(
        "Period longer than the network's policy allows", False
    ),
    DecisionReason.LESS_COSTLY_ALTERNATIVE: ReasonInfo(
        "A less costly alternative meets the medical need", True
    ),
}
