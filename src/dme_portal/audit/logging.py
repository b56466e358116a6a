"""A log filter that masks member identifiers (Medi-Cal CINs) and dates in log lines.

Logs carry no member names or birth dates (DESIGN §13); names never reach a log call, and
CINs, which appear in URLs such as ``/v1/members/{cin}/eligibility``, are masked here, and so
is the value of a ``birth_date`` query parameter, whatever its form (a malformed one, refused
with a 422, still reaches the access log).
"""

from __future__ import annotations

import logging
import re

_CIN = re.compile(r"(?<![0-9A-Za-z])[0-9]{8}[A-Z](?![0-9A-Za-z])")
_DATE = re.compile(r"(?<![0-9])(19|20)[0-9]{2}-[01][0-9]-[0-3][0-9](?![0-9])")
_BIRTH_DATE_PARAM = re.compile(r"(?<![0-9A-Za-z_])(birth_date=)[^&#\s\"']*")
MASK = "[redacted]"


def mask(text: str) -> str:
    """Replace CIN-like and calendar-date-like substrings, and birth_date query values."""
    text = _BIRTH_DATE_PARAM.sub(rf"\g<1>{MASK}", text)
    return _DATE.sub(MASK, _CIN.sub(MASK, text))


class PhiMaskingFilter(logging.Filter):
    """Mask the message template and every string argument."""

    def filter(self, record: logging.LogRecord) -> bool:
        # Keep the arguments' shape: formatters (uvicorn's access log) unpack them.
        if isinstance(record.msg, str):
            record.msg = mask(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(mask(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: mask(v) if isinstance(v, str) else v for k, v in record.args.items()}
        return True


LOGGERS = ("uvicorn.access", "uvicorn.error", "dme_portal", "dme_portal.api", "dme_portal.audit")


def install() -> None:
    """Attach the filter to the loggers that may see request paths or payloads."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, PhiMaskingFilter) for f in logger.filters):
            logger.addFilter(PhiMaskingFilter())
