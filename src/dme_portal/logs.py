"""Logging, configured once per process: PHI-masking handlers on the root logger.

The API (``create_app``), ``dme-portal serve`` and ``dme-portal worker`` call :func:`configure`.
The filter and formatters sit on the *handler*, so every logger that propagates to the root
(``dme_portal.*``, ``uvicorn.*``, ``sqlalchemy.*``) is masked, tracebacks included. Production
(``DME_ENV=prod``) writes JSON lines; elsewhere readable text (``DME_LOG__FORMAT`` overrides).
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

from dme_portal.audit.logging import JsonFormatter, PhiMaskingFilter, TextFormatter
from dme_portal.config import Settings

HANDLER_NAME = "dme_portal"
# Loggers that bring their own handlers (uvicorn's default config): ours replace them.
_REROUTED = ("uvicorn", "uvicorn.error", "uvicorn.access", "sqlalchemy")


class _StderrHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever ``sys.stderr`` is at the time (pytest swaps it per test)."""

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def configured_handler() -> logging.Handler | None:
    """The handler :func:`configure` installed, if any."""
    return next((h for h in logging.getLogger().handlers if h.get_name() == HANDLER_NAME), None)


def configure(
    settings: Settings, *, stream: TextIO | None = None, force: bool = False
) -> logging.Handler:
    """Install the masking handler on the root logger (once, unless ``force``)."""
    existing = configured_handler()
    if existing is not None and not force:
        return existing
    handler: logging.Handler = _StderrHandler() if stream is None else logging.StreamHandler(stream)
    handler.set_name(HANDLER_NAME)
    handler.addFilter(PhiMaskingFilter())
    handler.setFormatter(JsonFormatter() if settings.log_format == "json" else TextFormatter())
    root = logging.getLogger()
    if existing is not None:
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(settings.log.level)
    for name in _REROUTED:
        logger = logging.getLogger(name)
        for own in list(logger.handlers):
            logger.removeHandler(own)
        logger.propagate = True
    # Python warnings (a library's, quoting who knows what) go through the handler too.
    logging.captureWarnings(True)
    # SQL echo (dev only: refused in prod) goes through this handler, not SQLAlchemy's own.
    logging.getLogger("sqlalchemy.engine").setLevel(
        logging.INFO if settings.db.echo else logging.WARNING
    )
    return handler
