"""Invitations over SMTP: a tiny mail server on 127.0.0.1 stands in for the real one."""

from __future__ import annotations

import email
import email.policy
import socketserver
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.config import Settings
from app.deelname.models import Uitnodiging
from tests.api.test_deelname import LINK, adres
from tests.factories import auth, make_account, new_casus


class _Ontvanger(socketserver.StreamRequestHandler):
    """Just enough SMTP for smtplib: greet, accept every command, keep what DATA carries."""

    def handle(self) -> None:
        self.wfile.write(b"220 test ESMTP\r\n")
        regels: list[bytes] | None = None
        while line := self.rfile.readline():
            if regels is not None:
                if line == b".\r\n":
                    self.server.berichten.append(b"".join(regels))  # type: ignore[attr-defined]
                    regels = None
                    self.wfile.write(b"250 ok\r\n")
                else:
                    regels.append(line[1:] if line.startswith(b"..") else line)
                continue
            opdracht = line[:4].upper()
            if opdracht == b"DATA":
                regels = []
                self.wfile.write(b"354 ga je gang\r\n")
            elif opdracht == b"QUIT":
                self.wfile.write(b"221 dag\r\n")
                return
            else:
                self.wfile.write(b"250 ok\r\n")


@pytest.fixture
def smtp() -> Iterator[socketserver.ThreadingTCPServer]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Ontvanger)
    server.berichten = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _invite(app: Any, settings: Settings, smtp_settings: dict[str, Any], aan: str) -> Any:
    app.state.settings = settings.model_copy(update=smtp_settings)
    with TestClient(app) as client:
        anna = auth(settings, make_account(app, "anna"))
        casus = new_casus(client, anna)["id"]
        return client.post(
            f"/api/v1/casussen/{casus}/uitnodigingen",
            json={"rol": "ouder", "naam": "Petra", "email": aan},
            headers=anna,
        )


def test_an_invitation_goes_out_over_smtp(
    app: Any, settings: Settings, smtp: socketserver.ThreadingTCPServer
) -> None:
    aan = adres()
    port = smtp.server_address[1]
    update = {"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_starttls": False}
    response = _invite(app, settings, update, aan)
    assert response.status_code == 201, response.text
    [ruw] = smtp.berichten  # type: ignore[attr-defined]
    bericht = email.message_from_bytes(ruw, policy=email.policy.default)
    assert bericht["To"] == aan and bericht["From"] == settings.mail_afzender
    tekst = bericht.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert LINK.search(tekst) and response.json()["code"] not in tekst


def test_a_mail_server_that_does_not_answer_stores_nothing(app: Any, settings: Settings) -> None:
    with socketserver.TCPServer(("127.0.0.1", 0), socketserver.BaseRequestHandler) as dicht:
        port = dicht.server_address[1]  # bound but never serving, then closed: refused
    update = {"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_starttls": False}
    response = _invite(app, settings, update, adres())
    assert response.status_code == 503, response.text
    assert "kon niet verstuurd worden" in response.json()["detail"]
    with Session(app.state.engine) as session:
        assert session.exec(select(Uitnodiging)).all() == []
