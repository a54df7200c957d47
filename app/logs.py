"""Logging that never carries what was typed into a URL (a search for a name, a return path),
nor the secret in an ouder's questionnaire link; every line names its request.

In production the lines are JSON (REGIE_LOG_FORMAAT=json), one object per line with the
request id, for a log collector. What is logged is what the code logs: routes, statuses, error
types and ids. No handreiking content is ever passed to a logger, and the database driver is
told to leave query parameters out of its errors (`app.db`).
"""

from __future__ import annotations

import logging
import re
import sys
from contextvars import ContextVar
from typing import Literal

from pythonjsonlogger.json import JsonFormatter

LogFormaat = Literal["tekst", "json"]
REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)
LOGGERS = ("regie", "uvicorn", "uvicorn.access", "uvicorn.error")
JSON_FIELDS = "{asctime}{levelname}{name}{message}{request_id}"

# An ouder's personal links are /vragenlijst/<token>, /uitnodiging/<token> and
# /terugkomen/<token>: whoever has the token can answer (or, with the code, get in), so it is
# as secret as a password. (The professionals' /vragenlijsten/<uuid> is no secret.)
_LINK_TOKEN = re.compile(r"(/vragenlijst/|/uitnodiging/|/terugkomen/)[^/?#\s\"']+")
VERBORGEN = "…"


def mask_link_tokens(text: str) -> str:
    """Replace the token of every questionnaire link in `text`."""
    return _LINK_TOKEN.sub(lambda m: m.group(1) + VERBORGEN, text)


class DropQueryStrings(logging.Filter):
    """Uvicorn's access log prints the full path; keep only the part before "?"."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], args[2].split("?", 1)[0], *args[3:])
        return True


class MaskLinkTokens(logging.Filter):
    """Mask questionnaire link tokens in a record's message and in each of its text arguments.

    On uvicorn's access log (the path is an argument) and on our own logger (an unexpected error
    names the path it happened on).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = mask_link_tokens(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(
                mask_link_tokens(a) if isinstance(a, str) else a for a in record.args
            )
        return True


class NameRequest(logging.Filter):
    """Put the id of the request being handled (X-Request-ID) on every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        return True


def install(formaat: LogFormaat = "tekst") -> None:
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, DropQueryStrings) for f in access.filters):
        access.addFilter(DropQueryStrings())
    for name in ("uvicorn.access", "uvicorn.error", "regie"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, MaskLinkTokens) for f in logger.filters):
            logger.addFilter(MaskLinkTokens())
    if formaat == "json":
        _json_lines()


class _Stderr:
    """Whatever sys.stderr is when a line is written (a test, or a supervisor, may swap it)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def _json_lines() -> None:
    """One JSON object per line on stderr, for each of our loggers and uvicorn's."""
    handler = logging.StreamHandler(_Stderr())
    handler.setFormatter(JsonFormatter(JSON_FIELDS, style="{", timestamp=True))
    # On the handler: a logger's filters skip what its child loggers (regie.toegang) send up.
    handler.addFilter(NameRequest())
    handler.addFilter(MaskLinkTokens())
    for name in LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        logger.propagate = False
    # The access lines (INFO) are wanted only here; in text mode uvicorn prints its own, and a
    # record per request built only to be dropped would be waste on the hot path.
    logging.getLogger("regie").setLevel(logging.INFO)
    # The app's own access line (app.middleware.Meting) has the route template and the request
    # id; uvicorn's would repeat it with the raw path.
    logging.getLogger("uvicorn.access").disabled = True
