"""Logging that never carries what was typed into a URL (a search for a name, a return path)."""

from __future__ import annotations

import logging


class DropQueryStrings(logging.Filter):
    """Uvicorn's access log prints the full path; keep only the part before "?"."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], args[2].split("?", 1)[0], *args[3:])
        return True


def install() -> None:
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, DropQueryStrings) for f in access.filters):
        access.addFilter(DropQueryStrings())
