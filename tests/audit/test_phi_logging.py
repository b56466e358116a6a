"""Log lines never carry a member's CIN or a date (birth dates are dates)."""

from __future__ import annotations

import logging

import pytest

from dme_portal.audit.logging import MASK, PhiMaskingFilter, mask


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("GET /v1/members/91998500L/eligibility", f"GET /v1/members/{MASK}/eligibility"),
        ("born 2016-05-01", f"born {MASK}"),
        # A birth date in any form, even one refused with a 422.
        (
            "GET /v1/members/x/eligibility?birth_date=05%2F01%2F2016&on=y HTTP/1.1",
            f"GET /v1/members/x/eligibility?birth_date={MASK}&on=y HTTP/1.1",
        ),
        ("?on=x&birth_date=1462060800", f"?on=x&birth_date={MASK}"),
        ("?not_birth_date=1", "?not_birth_date=1"),
        ("npi 1234567893 stays", "npi 1234567893 stays"),
        ("id 3c40f540a3b6 stays", "id 3c40f540a3b6 stays"),
        ("born 03/17/2015.", f"born {MASK}."),
        # Dotted ICD-10 codes anywhere; dotless ones after a diagnosis word only.
        ("E10.9 and G80.0", f"{MASK} and {MASK}"),
        ("diagnoses=['G800', 'Q059']", f"diagnoses=['{MASK}', '{MASK}']"),
        ('"diagnosis_codes": ["G800"]', f'"diagnosis_codes": ["{MASK}"]'),
        ("dx G800", f"dx {MASK}"),
        # HCPCS codes (a letter and four digits) stay readable: E1161 is a wheelchair.
        ("line 2 E1161 over limit, L1960 ok", "line 2 E1161 over limit, L1960 ok"),
        ("HTTP/1.1 version 3.11", "HTTP/1.1 version 3.11"),
    ],
)
def test_mask(raw: str, expected: str) -> None:
    assert mask(raw) == expected


def test_filter_masks_formatted_arguments() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s "%s %s"',
        ("1.2.3.4", "GET", "/v1/members/12345678Z/eligibility"),
        None,
    )
    assert PhiMaskingFilter().filter(record)
    assert isinstance(record.args, tuple)  # uvicorn's access formatter unpacks them
    assert len(record.args) == 3
    assert "12345678Z" not in record.getMessage()
    assert MASK in record.getMessage()
