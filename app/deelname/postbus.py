"""Outgoing e-mail: over SMTP in production, into a folder of .eml files in dev.

A development machine must never mail real people, and tests must be able to read what was
sent: without REGIE_SMTP_HOST, dev mode writes every message to <data_dir>/postbus. Production
without a mail server refuses to invite rather than pretend a link went out.
"""

from __future__ import annotations

import smtplib
import ssl
import time
import uuid
from datetime import datetime
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo

from app.accounts.models import Account
from app.config import Settings
from app.deelname.models import Uitnodiging
from app.enums import CasusRol
from app.errors import NietIngericht

_NL = ZoneInfo("Europe/Amsterdam")
_WIE = {CasusRol.OUDER: "ouder of verzorger", CasusRol.JEUGDIGE: "jeugdige"}


class Postbus(Protocol):
    def verstuur(self, bericht: EmailMessage) -> None: ...


class Map:
    """Dev and tests: each message becomes one file, named so the newest sorts last."""

    def __init__(self, map_: Path) -> None:
        self.map = map_

    def verstuur(self, bericht: EmailMessage) -> None:
        self.map.mkdir(parents=True, exist_ok=True)
        naam = f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}.eml"
        (self.map / naam).write_bytes(bytes(bericht))


class Smtp:
    """Production: one connection per message (invitations are few), TLS unless switched off."""

    def __init__(self, settings: Settings) -> None:
        assert settings.smtp_host is not None  # postbus_voor only makes this with a host
        self.settings = settings
        self.host = settings.smtp_host

    def verstuur(self, bericht: EmailMessage) -> None:
        s = self.settings
        try:
            with smtplib.SMTP(self.host, s.smtp_port, timeout=15) as smtp:
                if s.smtp_starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if s.smtp_gebruiker:
                    smtp.login(s.smtp_gebruiker, s.smtp_wachtwoord or "")
                smtp.send_message(bericht)
        except (OSError, smtplib.SMTPException) as exc:
            raise NietIngericht(
                "De e-mail met de uitnodiging kon niet verstuurd worden. "
                "Er is niets opgeslagen; probeer het later nog eens."
            ) from exc


def postbus_voor(settings: Settings) -> Postbus:
    """Where invitations go on this installation; none in production without a mail server."""
    if settings.smtp_host:
        return Smtp(settings)
    if settings.is_dev:
        return Map(settings.data_dir / "postbus")
    raise NietIngericht("Uitnodigen kan pas als REGIE_SMTP_HOST is ingesteld.")


def _bericht(settings: Settings, aan: str, onderwerp: str) -> EmailMessage:
    bericht = EmailMessage()
    bericht["From"] = settings.mail_afzender
    bericht["To"] = aan
    bericht["Subject"] = onderwerp
    bericht["Message-ID"] = make_msgid(domain="regie")
    return bericht


def uitnodigingsmail(
    settings: Settings,
    aan: str,
    naam: str,
    afzender_naam: str,
    link: str,
    uitnodiging: Uitnodiging,
    terugkomen: str,
) -> EmailMessage:
    """The invitation in plain words (B1): what it is, what to do, that the code comes apart."""
    tot = uitnodiging.verloopt_op.astimezone(_NL)
    bericht = _bericht(settings, aan, "Uitnodiging: bekijk het plan voor uw gezin in Regie")
    bericht.set_content(
        f"Beste {naam},\n\n"
        f"{afzender_naam} nodigt u uit als {_WIE[uitnodiging.rol]}. In Regie ziet u het plan "
        "dat u samen met de hulpverleners maakt. U ziet wie er meedoen en wie de regie heeft.\n\n"
        "Zo komt u erin:\n"
        f"1. Open deze link: {link}\n"
        "2. Vul de code in. U krijgt de code van de hulpverlener zelf, niet per e-mail.\n\n"
        f"De link werkt één keer, tot {tot:%d-%m-%Y} om {tot:%H:%M}.\n\n"
        "Bewaar de code. Later weer naar het plan? Ga naar "
        f"{terugkomen} en vul dit e-mailadres in. U krijgt dan een nieuwe link.\n\n"
        "Heeft u deze e-mail niet verwacht? Dan hoeft u niets te doen.\n"
    )
    return bericht


def terugkeermail(
    settings: Settings,
    aan: str,
    link: str,
    verloopt_op: datetime,
    uitnodiging: Uitnodiging,
    door: Account | None,
) -> EmailMessage:
    """A new link for someone who was let in before. It names no child or casus (the mailbox
    may be shared), but says which invitation it belongs to: someone invited to two casussen
    gets two such e-mails, each opened with that invitation's code."""
    tot = verloopt_op.astimezone(_NL)
    sinds = uitnodiging.aangemaakt_op.astimezone(_NL)
    van = f" van {door.naam}" if door is not None else ""
    bericht = _bericht(settings, aan, "Uw nieuwe link naar het plan in Regie")
    bericht.set_content(
        "Hallo,\n\n"
        "U vroeg om een nieuwe link naar het plan voor uw gezin in Regie. Deze link hoort bij "
        f"de uitnodiging{van} van {sinds:%d-%m-%Y}.\n\n"
        "Zo komt u erin:\n"
        f"1. Open deze link: {link}\n"
        "2. Vul de code in die u bij die uitnodiging van de hulpverlener kreeg.\n\n"
        f"De link werkt één keer, tot {tot:%d-%m-%Y} om {tot:%H:%M}.\n"
        "Heeft u zelf geen nieuwe link gevraagd? Dan hoeft u niets te doen. Zonder uw code "
        "kan niemand met deze link iets.\n"
    )
    return bericht
