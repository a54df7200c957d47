"""The access log never carries a query string (a searched name, a return path)."""

import logging

from app.logs import DropQueryStrings


def test_query_strings_are_dropped_from_access_lines() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        (
            "127.0.0.1:5000",
            "GET",
            "/casussen?naam=Sem+de+Vries&geboortedatum=2012-04-17",
            "1.1",
            200,
        ),
        None,
    )
    assert DropQueryStrings().filter(record)
    assert record.getMessage() == '127.0.0.1:5000 - "GET /casussen HTTP/1.1" 200'
    assert "Sem" not in record.getMessage()
