"""CSV cells that would start a spreadsheet formula are neutralised (issue 15 point 7)."""

from __future__ import annotations

import pytest

from dme_portal.csvsafe import safe_cell, safe_row


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=SUM(A1:A2)", "'=SUM(A1:A2)"),
        ("+1", "'+1"),
        ("-2", "'-2"),
        ("@cmd", "'@cmd"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("plain", "plain"),
        ("a=b", "a=b"),
        ("", ""),
        (None, ""),
        (3, "3"),
        (-3, "-3"),  # a number is not a formula
    ],
)
def test_safe_cell(value: object, expected: str) -> None:
    assert safe_cell(value) == expected


def test_safe_row() -> None:
    assert safe_row(["=1", "ok", None]) == ["'=1", "ok", ""]
