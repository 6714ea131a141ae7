"""Structured JSON logs carrying the request id, with personal data scrubbed before it is written."""

from __future__ import annotations

import json
import logging
import re
import sys
from typing import Any

from services.common import context

__all__ = ["PiiFilter", "configure_logging", "scrub"]

# Mainland ID numbers (18 chars, last may be X) and mobile numbers; digits around them must not be digits,
# so order numbers and timestamps survive.
_ID_NUMBER = re.compile(
    r"(?<!\d)\d{6}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?!\d)"
)
_PHONE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d{9}(?!\d)")
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}


def scrub(text: str) -> str:
    """`text` with ID numbers and phone numbers replaced by placeholders."""
    return _PHONE.sub("[phone]", _ID_NUMBER.sub("[id_number]", text))


class PiiFilter(logging.Filter):
    """Rewrites message, args and extra fields so no ID number or phone number reaches a handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        record.msg = scrub(message)
        record.args = None
        for key, value in list(record.__dict__.items()):
            if key not in _STANDARD and isinstance(value, str):
                setattr(record, key, scrub(value))
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = scrub(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or context.current().request_id,
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and key not in entry and not key.startswith("_"):
                entry[key] = value if isinstance(value, str | int | float | bool | type(None)) else str(value)
        if record.exc_text:
            entry["exc"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = context.current().request_id
        return True


def configure_logging(*, level: str = "INFO", json_logs: bool = True) -> None:
    """Route every logger (ours, Sanic's, Tortoise's) through one scrubbed handler."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_RequestIdFilter())
    handler.addFilter(PiiFilter())
    handler.setFormatter(
        JsonFormatter() if json_logs else logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s")
    )
    root = logging.getLogger()
    for existing in list(root.handlers):
        if getattr(existing, "_citizen", False):
            root.removeHandler(existing)
    handler._citizen = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    for name in ("sanic.root", "sanic.error", "sanic.access", "sanic.server", "tortoise"):
        logger = logging.getLogger(name)
        logger.handlers = []
        logger.propagate = True
    # Tortoise logs every SQL statement with its parameters at DEBUG: never let that through.
    logging.getLogger("tortoise.db_client").setLevel(logging.INFO)
    # taskiq logs every task execution at INFO: one line a second per periodic job is noise.
    logging.getLogger("taskiq").setLevel(logging.WARNING)
