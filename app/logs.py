"""Logging that never carries what was typed into a URL (a search for a name, a return path),
nor the secret in an ouder's questionnaire link."""

from __future__ import annotations

import logging
import re

# An ouder's personal link is /vragenlijst/<token>: whoever has the token can answer, so it is
# as secret as a password. (The professionals' /vragenlijsten/<uuid> is no secret.)
_LINK_TOKEN = re.compile(r"(/vragenlijst/)[^/?#\s\"']+")
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


def install() -> None:
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, DropQueryStrings) for f in access.filters):
        access.addFilter(DropQueryStrings())
    for name in ("uvicorn.access", "uvicorn.error", "regie"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, MaskLinkTokens) for f in logger.filters):
            logger.addFilter(MaskLinkTokens())
