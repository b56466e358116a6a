"""The demo scenarios' network, vendors, members and submissions (fictional, from ``make run``)."""

from __future__ import annotations

from typing import Any

Json = dict[str, Any]

RECEIVED = "2026-11-02T15:00:00Z"
DUE = "2026-11-05T15:00:00Z"
START, END = "2026-11-02", "2027-04-30"  # 180 days: the CSAGs' period for lifelong conditions
PRESCRIBER = "1234567893"
WC_DOCUMENTS = ["prescription", "seating_evaluation"]

CHOC: Json = {
    "id": "0b7c3f1e-5a2d-4e8b-9c61-2f4d8a7e9b10",
    "code": "choc",
    "name": "CHOC Health Alliance",
}
HARBOR: Json = {
    "id": "6f1d2c3b-8e4a-4b7d-a2c5-9e0f1a2b3c4d",
    "name": "Harbor Pediatric Mobility",
    "npi": "1047382613",
}
LIGHTHOUSE: Json = {
    "id": "a3e5c7d9-1b2f-4c6e-8a0d-3f5b7c9e1a2b",
    "name": "Lighthouse Home Care Equipment",
    "npi": "1613740285",
}
CP_MEMBER: Json = {
    "cin": "93680993R",
    "first_name": "Aaliyah",
    "last_name": "Reyes",
    "birth_date": "2011-10-12",
    "age_years": 15,
}
T1D_MEMBER: Json = {
    "cin": "90385180P",
    "first_name": "Bao",
    "last_name": "Park",
    "birth_date": "2019-06-13",
    "age_years": 7,
}
WC_MEMBER: Json = {
    "cin": "94469339N",
    "first_name": "Sofia",
    "last_name": "Dang",
    "birth_date": "2018-02-10",
    "age_years": 8,
}
CP_REQUEST_ID = "4c2a9e71-0d3b-4f6a-8e25-7b1c9d0f3a64"
T1D_REQUEST_ID = "9e4b1c72-6a5d-4e38-b0f1-2c7d8a9e5b36"
WC_REQUEST_ID = "2d8f6a13-9c4e-4b71-a5d0-8e3f1b6c7a92"
QUESTION_ID = "37c25d2c-e86b-4b20-9564-cdf6f33eaedc"
PRESCRIPTION_ID = "136e826b-a171-4219-a031-2c0d861f3c60"
SEATING_EVALUATION_ID = "5a0e2f4b-7c39-4d18-9b6e-1f2a3c4d5e6f"
T1D_PRESCRIPTION_ID = "6d4a54d6-aff1-48ef-b810-0cce02f582a1"
ASSIGNMENT_ID = "6255e295-478e-4366-80fd-16893b3006a2"

CP_ORTHOTICS = "Cerebral palsy: orthoses, seating and gait"
T1D_SUPPLIES = "Type 1 diabetes: testing and CGM supplies"

# --- Request bodies -------------------------------------------------------------------------

CP_SUBMISSION: Json = {
    "member_cin": CP_MEMBER["cin"],
    "member_birth_date": CP_MEMBER["birth_date"],
    "prescriber_npi": PRESCRIBER,
    "diagnoses": ["G80.1"],
    "lines": [
        {
            "hcpcs": "L1960",
            "quantity": 2,
            "unit": "each",
            "frequency": "once",
            "start_date": START,
            "end_date": END,
        }
    ],
}
T1D_SUBMISSION: Json = {
    "member_cin": T1D_MEMBER["cin"],
    "member_birth_date": T1D_MEMBER["birth_date"],
    "prescriber_npi": PRESCRIBER,
    "diagnoses": ["E10.9", "Z79.4"],
    "lines": [
        {
            "hcpcs": "E2102",
            "quantity": 1,
            "unit": "each",
            "frequency": "once",
            "start_date": START,
            "end_date": END,
        },
        {
            "hcpcs": "A4239",
            "quantity": 1,
            "unit": "month",
            "frequency": "monthly",
            "start_date": START,
            "end_date": END,
        },
        {
            "hcpcs": "A4238",
            "quantity": 2,
            "unit": "month",
            "frequency": "monthly",
            "start_date": START,
            "end_date": END,
            "brand": "Dexcom G7",
            "manufacturer": "Dexcom",
            "brand_reason": "Skin reaction to the adhesive of the alternative sensor.",
        },
    ],
    "notes": "Newly diagnosed; the endocrinologist orders continuous glucose monitoring.",
}
WC_SUBMISSION: Json = {
    "member_cin": WC_MEMBER["cin"],
    "member_birth_date": WC_MEMBER["birth_date"],
    "network_id": CHOC["id"],
    "prescriber_npi": PRESCRIBER,
    "urgency": "standard",
    "kind": "initial",
    "diagnoses": ["G80.0"],
    "lines": [
        {
            "hcpcs": "E1161",
            "modifiers": ["NU"],
            "quantity": 1,
            "unit": "each",
            "frequency": "once",
            "start_date": START,
            "end_date": END,
            "acquisition": "purchase",
        }
    ],
    "attachment_ids": [PRESCRIPTION_ID, SEATING_EVALUATION_ID],
}

SUBMISSIONS: dict[str, Json] = {
    "cp-orthotics": {
        "summary": "CP orthotics: L1960 for G80.1",
        "description": "Approved by the network's cerebral palsy CSAG at submission.",
        "value": CP_SUBMISSION,
    },
    "t1d-supplies": {
        "summary": "T1D supplies: E2102, A4239, A4238 for E10.9",
        "description": "A named brand with its reason; one line over the CSAG's limit.",
        "value": T1D_SUBMISSION,
    },
    "wheelchair": {
        "summary": "Wheelchair: E1161 for G80.0, documents uploaded first",
        "description": "Every optional field given; the prescription and the seating "
        "evaluation come from `POST /v1/attachments`.",
        "value": WC_SUBMISSION,
    },
}
