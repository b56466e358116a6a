"""Networks, rulesets, CSAG assignments, reports, codes and eligibility."""

from __future__ import annotations

import copy

from pydantic import BaseModel

from dme_portal.api.openapi.examples.demo import (
    ASSIGNMENT_ID,
    CHOC,
    CP_MEMBER,
    CP_ORTHOTICS,
    DUE,
    RECEIVED,
    START,
    T1D_REQUEST_ID,
    T1D_SUPPLIES,
    WC_DOCUMENTS,
    WC_MEMBER,
    Json,
)
from dme_portal.api.openapi.examples.requests import T1D_READ
from dme_portal.codes.schemas import HcpcsCodePage, Icd10CodePage
from dme_portal.members.schemas import Eligibility
from dme_portal.networks.schemas import NetworkList
from dme_portal.reports.schemas import BreachPage, MetricsReport
from dme_portal.review.reasons import REASONS
from dme_portal.review.schemas import ReasonCodeList
from dme_portal.rulesets.schemas import (
    CsagAssignmentCreate,
    CsagAssignmentEnd,
    CsagAssignmentPage,
    CsagAssignmentRead,
    DraftRead,
    DraftValidation,
    DraftWrite,
    RulesetDiff,
    RulesetVersionList,
    RulesetVersionRead,
)

# --- Network rules --------------------------------------------------------------------------


def _item(code: str, units: int) -> Json:
    return {"hcpcs": code, "modifiers": [], "max_units_per_month": units, "max_period_days": 180}


RULESET: Json = {
    "schema_version": 1,
    "description": "CSAGs for common pediatric CCS conditions; 90 days, 180 for lifelong "
    "conditions. Illustrative demo rules, not the network's real policy.",
    "illustrative": True,
    "no_authorization": [{"hcpcs": "A4554", "max_units_per_month": 150}],
    "csags": [
        {
            "id": "cp-mobility",
            "name": CP_ORTHOTICS,
            "diagnosis_prefixes": ["G80"],
            "items": [_item("L1960", 2), _item("L1970", 2), _item("E1161", 1)],
            "requires_assignment": False,
            "requires_in_network_vendor": True,
            "documents_waived": False,
            "citation": "CHOC Health Alliance CSAG list (illustrative)",
        },
        {
            "id": "t1d-supplies",
            "name": T1D_SUPPLIES,
            "diagnosis_prefixes": ["E10"],
            "items": [_item("A4238", 1), _item("A4239", 1), _item("E2102", 1)],
            "requires_assignment": False,
            "requires_in_network_vendor": True,
            "documents_waived": False,
            "citation": "CHOC Health Alliance CSAG list (illustrative)",
        },
    ],
    "durations": {
        "default_days": 90,
        "lifelong_days": 180,
        "lifelong_diagnosis_prefixes": ["G80", "E10"],
        "max_days": 365,
    },
    "quantity_limits": [{"hcpcs": "A4253", "max_units_per_month": 10}],
    "documentation": [
        {"hcpcs": None, "category": "wheelchairs", "documents": WC_DOCUMENTS},
    ],
    "brand": {"require_reason": True},
    "out_of_network": {"requires_letter_of_agreement": True},
    "sla": {
        "standard_hours": 72,
        "expedited_hours": 72,
        "pause_while_pended": False,
        "at_risk_fraction": 0.1667,
    },
}
RULESET_V2 = copy.deepcopy(RULESET)
RULESET_V2["durations"]["lifelong_days"] = 365
ASSIGNMENT: Json = {
    "id": ASSIGNMENT_ID,
    "network_id": CHOC["id"],
    "member_cin": CP_MEMBER["cin"],
    "csag_id": "cp-mobility",
    "effective_from": "2026-11-02",
    "effective_to": None,
    "assigned_at": "2026-11-02T10:00:00Z",
    "assigned_by": "user:admin.choc",
    "ended_at": None,
    "ended_by": None,
}


EXAMPLES: dict[type[BaseModel], list[Json]] = {
    Eligibility: [
        {
            "cin": WC_MEMBER["cin"],
            "on": START,
            "enrolled": True,
            "network": CHOC,
            "enrollment_from": "2024-10-29",
            "enrollment_to": None,
            "ccs_eligible": True,
            "ccs_eligible_from": "2026-01-18",
            "ccs_eligible_to": "2027-01-17",
        }
    ],
    HcpcsCodePage: [
        {
            "items": [
                {
                    "code": "E2102",
                    "description": "Adjunctive, nonimplanted continuous glucose monitor (CGM) "
                    "or receiver",
                    "category": "diabetes",
                }
            ],
            "next_cursor": "eyJhZnRlciI6ICJFMjEwMiJ9",
        }
    ],
    Icd10CodePage: [
        {
            "items": [
                {"code": "G80", "description": "Cerebral palsy", "billable": False},
                {
                    "code": "G80.0",
                    "description": "Spastic quadriplegic cerebral palsy",
                    "billable": True,
                },
                {
                    "code": "G80.1",
                    "description": "Spastic diplegic cerebral palsy",
                    "billable": True,
                },
            ],
            "next_cursor": "eyJhZnRlciI6ICJHODAuMSJ9",
        }
    ],
    NetworkList: [
        {
            "items": [
                {**CHOC, "standard_turnaround_hours": 72, "expedited_turnaround_hours": 72},
                {
                    "id": "cf0b6e47-7441-4295-bb0a-e6f004bfd755",
                    "code": "noble",
                    "name": "Noble Mid-Orange County",
                    "standard_turnaround_hours": 72,
                    "expedited_turnaround_hours": 24,
                },
            ]
        }
    ],
    MetricsReport: [
        {
            "from": "2026-11-01",
            "to": "2026-12-01",
            "generated_at": "2026-12-01T08:00:00Z",
            "items": [
                {
                    "network_id": CHOC["id"],
                    "network_code": CHOC["code"],
                    "network_name": CHOC["name"],
                    "urgency": "standard",
                    "requests": 412,
                    "cancelled": 9,
                    "decided_by_rules_share": 0.6311,
                    "approved": 331,
                    "partially_approved": 12,
                    "modified": 27,
                    "denied": 18,
                    "pended": 41,
                    "approved_after_reconsideration": 0,
                    "extended_timeframe_share": 0.0,
                    "decision_hours_mean": 9.42,
                    "decision_hours_median": 0.0,
                    "decision_hours_p90": 41.5,
                    "sla_met": 384,
                    "sla_missed": 4,
                    "sla_compliance": 0.9897,
                    "breaches": 6,
                }
            ],
        }
    ],
    BreachPage: [
        {
            "generated_at": "2026-11-06T09:00:00Z",
            "items": [
                {
                    "request_id": T1D_REQUEST_ID,
                    "network_id": CHOC["id"],
                    "network_name": CHOC["name"],
                    "status": "in_review",
                    "urgency": "standard",
                    "received_at": RECEIVED,
                    "due_at": DUE,
                    "hours_late": 18.0,
                    "assigned_to": "user:reviewer.choc",
                    "waiting_on": T1D_READ["waiting_on"],
                    "escalated": True,
                }
            ],
            "next_cursor": None,
        }
    ],
    ReasonCodeList: [
        {
            "items": [
                {"code": code.value, "text": info.text, "medical_necessity": info.medical_necessity}
                for code, info in REASONS.items()
            ]
        }
    ],
    RulesetVersionRead: [
        {
            "network_id": CHOC["id"],
            "version": 1,
            "published_at": "2026-10-01T16:00:00Z",
            "published_by": "user:admin.choc",
            "document": RULESET,
        }
    ],
    RulesetVersionList: [
        {
            "items": [
                {
                    "version": 2,
                    "published_at": "2026-11-01T16:00:00Z",
                    "published_by": "user:admin.choc",
                },
                {
                    "version": 1,
                    "published_at": "2026-10-01T16:00:00Z",
                    "published_by": "user:admin.choc",
                },
            ]
        }
    ],
    RulesetDiff: [
        {
            "from_version": 1,
            "to_version": 2,
            "changes": [{"path": "durations.lifelong_days", "before": 180, "after": 365}],
        }
    ],
    DraftWrite: [{"document": RULESET_V2}],
    DraftRead: [
        {
            "network_id": CHOC["id"],
            "document": RULESET_V2,
            "updated_at": "2026-10-28T10:00:00Z",
            "updated_by": "user:admin.choc",
            "revision": 4,
        }
    ],
    DraftValidation: [
        {"valid": True, "errors": []},
        {
            "valid": False,
            "errors": [
                {
                    "field": "sla.standard_hours",
                    "message": "must be at most 120 where California HSC 1367.01 applies "
                    "(five business days)",
                }
            ],
        },
    ],
    CsagAssignmentCreate: [
        {"member_cin": CP_MEMBER["cin"], "csag_id": "cp-mobility", "effective_from": START}
    ],
    CsagAssignmentEnd: [{"effective_to": "2027-05-31"}],
    CsagAssignmentRead: [ASSIGNMENT],
    CsagAssignmentPage: [{"items": [ASSIGNMENT], "next_cursor": None}],
}
