"""CSV cells that a spreadsheet will not run as formulas (CSV injection, OWASP).

A cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is prefixed with
a single quote, so Excel and LibreOffice show it as text. Use it for every exported cell.
"""

from __future__ import annotations

from collections.abc import Iterable

_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """The value as CSV text, neutralised when it would start a formula (None is empty)."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if text.startswith(_TRIGGERS):
        return "'" + text
    return text


def safe_row(values: Iterable[object]) -> list[str]:
    """Each value through ``safe_cell``."""
    return [safe_cell(v) for v in values]
