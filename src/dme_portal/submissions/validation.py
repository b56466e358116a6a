"""Checks across a request's fields, reported with every field error in one answer.

Pydantic runs a model's own after-validators only once its fields are valid, so a vendor would
learn that an end date precedes its start only after fixing every other field. These checks
read the raw input instead, skip what does not parse, and join the field errors.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

Loc = tuple[str | int, ...]


def _date(value: object) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and len(value) == 10:
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _error(loc: Loc, code: str, message: str, value: object) -> InitErrorDetails:
    return {"type": PydanticCustomError(code, message), "loc": loc, "input": value}


def _line_problems(lines: list[Any]) -> list[InitErrorDetails]:
    out: list[InitErrorDetails] = []
    seen: dict[tuple[str, tuple[str, ...]], list[tuple[int, date, date]]] = {}
    for i, line in enumerate(lines):
        if not isinstance(line, dict):
            continue
        start, end = _date(line.get("start_date")), _date(line.get("end_date"))
        if start is None or end is None:
            continue
        if end < start:
            out.append(
                _error(
                    ("lines", i, "end_date"), "period_order", "must not be before start_date", end
                )
            )
            continue
        code, modifiers = line.get("hcpcs"), line.get("modifiers")
        if not isinstance(code, str):
            continue  # its own field error says what is wrong with it
        modifiers = modifiers if isinstance(modifiers, list) else []
        key = (code, tuple(sorted(m for m in modifiers if isinstance(m, str))))
        for j, other_start, other_end in seen.get(key, []):
            if start <= other_end and other_start <= end:
                out.append(
                    _error(
                        ("lines", i),
                        "duplicate_line",
                        f"duplicates lines[{j}] (same code, modifiers and overlapping period)",
                        code,
                    )
                )
                break
        seen.setdefault(key, []).append((i, start, end))
    return out


def request_problems(data: object) -> list[InitErrorDetails]:
    """Problems of a request body that no single field shows, from the raw input."""
    if not isinstance(data, dict):
        return []
    out: list[InitErrorDetails] = []
    lines = data.get("lines")
    if isinstance(lines, list):
        out += _line_problems(lines)
    diagnoses = data.get("diagnoses")
    if isinstance(diagnoses, list):
        codes = [d.upper().replace(".", "") for d in diagnoses if isinstance(d, str)]
        if len(set(codes)) != len(codes):
            out.append(
                _error(
                    ("diagnoses",), "duplicate_diagnosis", "lists the same code twice", diagnoses
                )
            )
    if data.get("urgency") == "expedited" and not data.get("expedited_reason"):
        out.append(
            _error(
                ("expedited_reason",),
                "expedited_reason_required",
                "say why the standard timeframe could seriously jeopardize the child's health",
                None,
            )
        )
    return out


def merged(
    title: str, exc: ValidationError | None, extra: list[InitErrorDetails]
) -> ValidationError:
    """One ValidationError holding the field errors of ``exc`` and the ``extra`` ones."""
    details: list[InitErrorDetails] = []
    for err in exc.errors(include_url=False) if exc is not None else []:
        ctx = {
            k: str(v) if isinstance(v, Exception) else v for k, v in (err.get("ctx") or {}).items()
        }
        details.append(
            {
                "type": PydanticCustomError(err["type"], err["msg"], ctx or None),
                "loc": err["loc"],
                "input": err["input"],
            }
        )
    return ValidationError.from_exception_data(title, [*details, *extra])
