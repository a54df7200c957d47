"""The access log never carries a query string (a searched name, a return path) or a link token."""

import logging

import pytest

from app.logs import DropQueryStrings, MaskLinkTokens, install


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


def _access_record(path: str) -> logging.LogRecord:
    return logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "POST", path, "1.1", 303),
        None,
    )


@pytest.mark.parametrize("soort", ["vragenlijst", "uitnodiging", "terugkomen"])
def test_an_ouder_link_token_never_reaches_the_access_log(soort: str) -> None:
    token = "Zm9vYmFyLWdlaGVpbS10b2tlbi12b29yLW91ZGVycy0xMjM"
    record = _access_record(f"/{soort}/{token}?x=1")
    assert DropQueryStrings().filter(record) and MaskLinkTokens().filter(record)
    assert record.getMessage() == f'127.0.0.1:5000 - "POST /{soort}/… HTTP/1.1" 303'
    assert token not in record.getMessage()


def test_other_paths_stay_readable_in_the_access_log() -> None:
    for path in ("/vragenlijsten/7d3f0a52-9d1e-4c57-9a43-1d1b2a3c4d5e", "/vragenlijst/bedankt"):
        record = _access_record(path)
        assert MaskLinkTokens().filter(record)
        expected = path if path.startswith("/vragenlijsten/") else "/vragenlijst/…"
        assert f"POST {expected} HTTP" in record.getMessage()


def test_our_own_log_lines_mask_the_token_too() -> None:
    token = "c2VjcmV0LXRva2VuLWluLWFuLWVycm9yLW1lc3NhZ2UtMTIz"
    record = logging.LogRecord(
        "regie",
        logging.ERROR,
        __file__,
        1,
        "onverwachte fout bij %s",
        (f"/vragenlijst/{token}",),
        None,
    )
    assert MaskLinkTokens().filter(record)
    assert token not in record.getMessage()
    direct = logging.LogRecord(
        "regie", logging.ERROR, __file__, 1, f"fout bij /vragenlijst/{token}", None, None
    )
    assert MaskLinkTokens().filter(direct)
    assert direct.getMessage() == "fout bij /vragenlijst/…"


def test_install_puts_the_mask_on_the_access_log_and_our_logger() -> None:
    install()
    install()
    for name in ("uvicorn.access", "regie"):
        masks = [f for f in logging.getLogger(name).filters if isinstance(f, MaskLinkTokens)]
        assert len(masks) == 1
