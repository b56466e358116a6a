"""PHI out of logs: a masking filter and formatters for the handlers ``dme_portal.logs`` installs.

Logs carry no member names, birth dates, CINs or diagnoses (DESIGN §13). Three defences:

- Masking, on every line a configured handler writes (message, arguments, traceback, stack):
  Medi-Cal CINs (8 digits and a letter, which appear in URLs such as
  ``/v1/members/{cin}/eligibility``), calendar dates (``2016-05-01``, ``05/01/2016``: birth
  dates are dates; so, alas, are harmless ones), the value of a ``birth_date`` query parameter
  whatever its form, and ICD-10-CM codes. A dotted code (``G80.0``, ``E10.9``) is masked
  anywhere: HCPCS codes never carry a dot. A dotless one (``G800``, ``E109``) is masked only
  after a word such as ``diagnosis``, ``icd10`` or ``dx``, because ``E1161`` is both a
  wheelchair (HCPCS) and a diabetic ulcer (ICD-10 ``E11.61``): the HCPCS codes that fill the
  logs of a DME hub stay readable, and diagnoses are not logged by the code in the first place.
- Database errors are rendered without their values. The engine hides bound parameters
  (``hide_parameters``), and a driver's message is replaced by its class, SQLSTATE and
  constraint: PostgreSQL's ``DETAIL: Failing row contains (...)`` or ``Key (cin)=(...)`` would
  otherwise print a whole row, names and notes included.
- Validation errors are rendered as their fields and error kinds only: pydantic's message
  quotes every invalid input (``input_value=...``), free text included.
- Names cannot be recognised by a pattern: they are never passed to a log call, and the only
  messages that could carry one (the database's) are withheld as above.
"""

from __future__ import annotations

import json
import logging
import re
import time
import traceback
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

_CIN = re.compile(r"(?<![0-9A-Za-z])[0-9]{8}[A-Z](?![0-9A-Za-z])")
_DATE = re.compile(r"(?<![0-9])(19|20)[0-9]{2}-[01][0-9]-[0-3][0-9](?![0-9])")
_US_DATE = re.compile(r"(?<![0-9/])[01]?[0-9]/[0-3]?[0-9]/(19|20)[0-9]{2}(?![0-9])")
_BIRTH_DATE_PARAM = re.compile(r"(?<![0-9A-Za-z_])(birth_date=)[^&#\s\"']*")
_ICD10_DOTTED = re.compile(r"(?<![0-9A-Za-z.])[A-TV-Z][0-9][0-9A-Z]\.[0-9A-Z]{1,4}(?![0-9A-Za-z])")
_ICD10_CODE = r"[A-TV-Z][0-9][0-9A-Z](?:\.?[0-9A-Z]{1,4})?"
# "diagnoses=['G800', 'Q059']", "diagnosis: G800", "icd10 G800", "dx=G800, Q059".
_ICD10_IN_CONTEXT = re.compile(
    rf"(?i:diagnos[a-z_]*|icd[-_ ]?10[a-z_]*|(?<![a-z])dx)[\"'\s:=(\[{{]*"
    rf"((?:{_ICD10_CODE})(?:[\"'\s,;|]+(?:{_ICD10_CODE}))*)(?![0-9A-Za-z])"
)
_ICD10_TOKEN = re.compile(_ICD10_CODE)
MASK = "[redacted]"


def _mask_codes(match: re.Match[str]) -> str:
    start, end = match.span(1)
    whole = match.group(0)
    offset = match.start(0)
    codes = _ICD10_TOKEN.sub(MASK, whole[start - offset : end - offset])
    return whole[: start - offset] + codes + whole[end - offset :]


def mask(text: str) -> str:
    """Replace CINs, dates, ``birth_date`` query values and ICD-10 diagnosis codes."""
    text = _BIRTH_DATE_PARAM.sub(rf"\g<1>{MASK}", text)
    text = _ICD10_IN_CONTEXT.sub(_mask_codes, text)
    text = _ICD10_DOTTED.sub(MASK, text)
    text = _US_DATE.sub(MASK, text)
    return _DATE.sub(MASK, _CIN.sub(MASK, text))


_DB_MODULES = ("asyncpg", "sqlite3", "aiosqlite", "psycopg", "sqlalchemy.dialects.")
_DB_ATTRIBUTES = ("sqlstate", "sqlite_errorname", "constraint_name", "table_name", "column_name")


def _is_database_error(exc: BaseException) -> bool:
    from sqlalchemy.exc import StatementError

    module = type(exc).__module__ or ""
    return isinstance(exc, StatementError) or module.startswith(_DB_MODULES)


def _validation_summary(exc: BaseException) -> str | None:
    """A validation error's fields and messages, never its ``input_value``.

    pydantic's text quotes each invalid input (``input_value='Marisol ...'``), and FastAPI's
    request and response validation errors carry the same dicts: the free text a caller sent.
    """
    from fastapi.exceptions import ValidationException
    from pydantic import ValidationError

    if isinstance(exc, ValidationError):
        errors: Any = exc.errors(include_input=False, include_url=False, include_context=False)
        title = exc.title
    elif isinstance(exc, ValidationException):
        errors, title = exc.errors(), type(exc).__name__
    else:
        return None
    parts = []
    for err in list(errors)[:20]:
        where = ".".join(str(p) for p in err.get("loc", ())) if isinstance(err, dict) else ""
        kind = err.get("type", "invalid") if isinstance(err, dict) else "invalid"
        parts.append(f"{where or '(root)'}: {kind}")
    return f"{len(errors)} validation error(s) for {title} (input withheld): " + "; ".join(parts)


def safe_message(exc: BaseException) -> str:
    """The exception's message, or for a database error only what names no value."""
    summary = _validation_summary(exc)
    if summary is not None:
        return mask(summary)
    if not _is_database_error(exc):
        return mask(str(exc))
    from sqlalchemy.exc import StatementError

    facts = [f"{a}={getattr(exc, a)}" for a in _DB_ATTRIBUTES if getattr(exc, a, None)]
    if isinstance(exc, StatementError) and exc.statement:
        # The SQL text has placeholders, never values (no literal binds in the repositories).
        facts.append(f"statement: {' '.join(exc.statement.split())[:300]}")
    return mask(f"(database message withheld: it may quote row values) {'; '.join(facts)}")


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and all(current is not s for s in seen):
        seen.append(current)
        cause = current.__cause__
        current = (
            cause
            if cause is not None
            else (None if current.__suppress_context__ else current.__context__)
        )
    return seen[::-1]


def format_exception(exc: BaseException, _depth: int = 0) -> str:
    """A traceback like Python's, with each message passed through :func:`safe_message`."""
    parts: list[str] = []
    for i, link in enumerate(_chain(exc)):
        if i:
            parts.append(
                "\nDuring handling of the above exception, another exception occurred:\n\n"
            )
        parts.append("Traceback (most recent call last):\n")
        parts.extend(traceback.format_tb(link.__traceback__))
        kind = type(link)
        parts.append(f"{kind.__module__}.{kind.__qualname__}: {safe_message(link)}\n")
        if isinstance(link, BaseExceptionGroup) and _depth < 3:
            for n, sub in enumerate(link.exceptions, 1):
                inner = format_exception(sub, _depth + 1)
                parts.append(f"  +-- sub-exception {n}:\n")
                parts.extend(f"  | {line}\n" for line in inner.splitlines())
    return mask("".join(parts).rstrip("\n"))


_ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


def _exc_text(exc_info: _ExcInfo | tuple[None, None, None]) -> str:
    return format_exception(exc_info[1]) if exc_info[1] is not None else ""


class PhiMaskingFilter(logging.Filter):
    """Mask the message template, every argument, the traceback and the stack of a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        # Keep the arguments' shape: formatters (uvicorn's access log) unpack them.
        if isinstance(record.msg, str):
            record.msg = mask(record.msg)
        elif isinstance(record.msg, BaseException):
            record.msg = safe_message(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_mask_arg(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: _mask_arg(v) for k, v in record.args.items()}
        if record.exc_info:
            # Formatters reuse exc_text: every later handler prints the safe traceback, and a
            # text an earlier handler cached (with the database's message) is replaced.
            record.exc_text = _exc_text(record.exc_info)
        elif record.exc_text:
            record.exc_text = mask(record.exc_text)
        if record.stack_info:
            record.stack_info = mask(record.stack_info)
        return True


def _mask_arg(value: Any) -> Any:
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, BaseException):
        return safe_message(value)
    return value


class TextFormatter(logging.Formatter):
    """``time level logger: message``, then the safe traceback; all but the time masked."""

    def __init__(self) -> None:
        self.converter = time.gmtime
        super().__init__("%(asctime)sZ %(levelname)s %(name)s: %(message)s", "%Y-%m-%dT%H:%M:%S")

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = mask(record.message)
        return super().formatMessage(record)

    def formatException(self, ei: Any) -> str:
        return _exc_text(ei)

    def formatStack(self, stack_info: str) -> str:
        return mask(stack_info)

    def format(self, record: logging.LogRecord) -> str:
        # Never reuse a traceback text another formatter cached: it may quote the database.
        record.exc_text = None if record.exc_info else record.exc_text and mask(record.exc_text)
        return super().format(record)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and exc / stack when present."""

    def formatException(self, ei: Any) -> str:
        return _exc_text(ei)

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": mask(record.getMessage()),
        }
        if record.exc_info:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exc"] = mask(record.exc_text)
        if record.stack_info:
            line["stack"] = mask(record.stack_info)
        return json.dumps(line, ensure_ascii=False)
