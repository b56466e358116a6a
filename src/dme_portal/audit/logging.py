"""A log filter that masks member identifiers (Medi-Cal CINs) and dates in log lines.

Logs carry no member names or birth dates (DESIGN §13); names never reach a log call, and
CINs, which appear in URLs such as ``/v1/members/{cin}/eligibility``, are masked here.
"""

from __future__ import annotations

import logging
import re

_CIN = re.compile(r"(?<![0-9A-Za-z])[0-9]{8}[A-Z](?![0-9A-Za-z])")
_DATE = re.compile(r"(?<![0-9])(19|20)[0-9]{2}-[01][0-9]-[0-3][0-9](?![0-9])")
MASK = "[redacted]"


def mask(text: str) -> str:
    """Replace CIN-like and calendar-date-like substrings."""
    return _DATE.sub(MASK, _CIN.sub(MASK, text))


class PhiMaskingFilter(logging.Filter):
    """Render the message, mask it, and drop the arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True
        masked = mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


LOGGERS = ("uvicorn.access", "uvicorn.error", "dme_portal", "dme_portal.api", "dme_portal.audit")


def install() -> None:
    """Attach the filter to the loggers that may see request paths or payloads."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, PhiMaskingFilter) for f in logger.filters):
            logger.addFilter(PhiMaskingFilter())
