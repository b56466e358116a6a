"""Demo rulesets, one per network. ILLUSTRATIVE ONLY: not any network's real policy.

CHOC Health Alliance is the one network with Condition-Specific Authorization Groups (as the
focus groups describe); the others authorize item by item, with 90-day periods, and one gives
365 days for lifelong conditions.
"""

from __future__ import annotations

import copy
from typing import Any

LIFELONG_PREFIXES = ["G80", "Q05", "E84", "E10", "G12", "G71", "Q78", "Q74", "G82", "Z93"]

_DOCS = [
    {"category": "wheelchairs", "documents": ["prescription", "seating_evaluation"]},
    {"category": "seating", "documents": ["prescription", "seating_evaluation"]},
    {"category": "hospital_beds", "documents": ["prescription", "letter_of_medical_necessity"]},
    {"category": "lifts", "documents": ["prescription", "letter_of_medical_necessity"]},
    {"hcpcs": "E0483", "documents": ["prescription", "letter_of_medical_necessity"]},
    {"hcpcs": "E0465", "documents": ["prescription", "letter_of_medical_necessity"]},
]

_NO_AUTH = [
    {"hcpcs": "A4554", "max_units_per_month": 150},
    {"hcpcs": "A4259", "max_units_per_month": 200},
]


def _item(
    code: str, units: int, days: int = 180, modifiers: list[str] | None = None
) -> dict[str, Any]:
    return {
        "hcpcs": code,
        "modifiers": modifiers or [],
        "max_units_per_month": units,
        "max_period_days": days,
    }


CHOC_CSAGS: list[dict[str, Any]] = [
    {
        "id": "cp-mobility",
        "name": "Cerebral palsy: orthoses, seating and gait",
        "diagnosis_prefixes": ["G80"],
        "items": [
            _item("L1960", 2),
            _item("L1970", 2),
            _item("L1907", 2),
            _item("L1940", 2),
            _item("E1161", 1),
            _item("E2291", 1),
            _item("E2292", 1),
            _item("E2293", 1),
            _item("E2294", 1),
            _item("E2295", 1),
            _item("E8000", 1),
            _item("E8001", 1),
            _item("E8002", 1),
            _item("E0641", 1),
            _item("E0642", 1),
        ],
        "requires_in_network_vendor": True,
        # A wheelchair or seating system is approved only with its prescription and seating
        # evaluation on file; orthoses need neither.
        "documents_waived": False,
        "citation": "CHOC Health Alliance CSAG list (illustrative)",
    },
    {
        "id": "sb-continence",
        "name": "Spina bifida: catheters and incontinence supplies",
        "diagnosis_prefixes": ["Q05", "N31"],
        "items": [
            _item("A4351", 200),
            _item("A4352", 200),
            _item("A4353", 200),
            _item("T4529", 300),
            _item("T4530", 300),
            _item("T4533", 300),
            _item("T4534", 300),
        ],
        "requires_in_network_vendor": True,
        "citation": "CHOC Health Alliance CSAG list (illustrative)",
    },
    {
        "id": "cf-airway",
        "name": "Cystic fibrosis: nebulizer and airway clearance",
        "diagnosis_prefixes": ["E84"],
        "items": [
            _item("E0570", 1),
            _item("A7003", 2),
            _item("A7004", 4),
            _item("A7015", 2),
            _item("E0483", 1, 365),
        ],
        "requires_in_network_vendor": False,
        # The CF centre's standing orders are on file with the network: no letter per vest.
        "documents_waived": True,
        "citation": "CHOC Health Alliance CSAG list (illustrative)",
    },
    {
        "id": "t1d-supplies",
        "name": "Type 1 diabetes: testing and CGM supplies",
        "diagnosis_prefixes": ["E10"],
        "items": [
            _item("A4253", 10),
            _item("E0607", 1),
            # Current CGM codes (CMS 2023 on): supply allowance and receiver.
            _item("A4238", 1),
            _item("A4239", 1),
            _item("E2102", 1),
            _item("E2103", 1),
        ],
        "requires_in_network_vendor": True,
        "citation": "CHOC Health Alliance CSAG list (illustrative)",
    },
    {
        "id": "trach-care",
        "name": "Tracheostomy supplies",
        "diagnosis_prefixes": ["Z93.0", "J96.1"],
        "items": [
            _item("A7520", 2),
            _item("A7521", 2),
            _item("A4624", 300),
            _item("A4625", 31),
            _item("A4629", 31),
            _item("E0600", 1),
        ],
        "requires_assignment": True,
        "requires_in_network_vendor": True,
        "citation": "CHOC Health Alliance CSAG list (illustrative)",
    },
    {
        "id": "gtube-feeding",
        "name": "Gastrostomy: feeding supplies",
        "diagnosis_prefixes": ["Z93.1"],
        "items": [
            _item("B4034", 31),
            _item("B4035", 31),
            _item("B4087", 1),
            _item("B4088", 1),
            _item("B9002", 1),
        ],
        "requires_assignment": True,
        "requires_in_network_vendor": True,
        "citation": "CHOC Health Alliance CSAG list (illustrative)",
    },
]


def _base(description: str, *, lifelong_days: int, expedited_hours: int = 72) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "illustrative": True,
        "description": description + " Illustrative demo rules, not the network's real policy.",
        "no_authorization": _NO_AUTH,
        "csags": [],
        "durations": {
            "default_days": 90,
            "lifelong_days": lifelong_days,
            "lifelong_diagnosis_prefixes": LIFELONG_PREFIXES if lifelong_days > 90 else [],
            "max_days": 365,
        },
        "quantity_limits": [
            {"hcpcs": "A4253", "max_units_per_month": 10},
            {"hcpcs": "T4529", "max_units_per_month": 300},
        ],
        "documentation": _DOCS,
        "brand": {"require_reason": True},
        "out_of_network": {"requires_letter_of_agreement": True},
        "sla": {
            "standard_hours": 72,
            "expedited_hours": expedited_hours,
            "pause_while_pended": False,
            "at_risk_fraction": 1 / 6,
        },
    }


def ruleset_for(network_code: str, *, expedited_hours: int = 72) -> dict[str, Any]:
    """The demo ruleset document of a network."""
    if network_code == "choc":
        doc = _base(
            "CSAGs for common pediatric CCS conditions; 90 days, 180 for lifelong conditions.",
            lifelong_days=180,
            expedited_hours=expedited_hours,
        )
        doc["csags"] = copy.deepcopy(CHOC_CSAGS)
        return doc
    if network_code == "prospect":
        doc = _base(
            "Item by item; 90 days, 365 for lifelong conditions; the SLA clock stops while the "
            "network waits for information it asked for.",
            lifelong_days=365,
            expedited_hours=expedited_hours,
        )
        doc["sla"]["pause_while_pended"] = True
        return doc
    return _base(
        "Item by item; 90-day authorizations.", lifelong_days=90, expedited_hours=expedited_hours
    )
