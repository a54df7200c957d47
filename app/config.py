"""Settings from the environment (REGIE_*), validated once at start-up."""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Omgeving(StrEnum):
    """Where the app runs; production refuses every dev convenience."""

    DEV = "dev"
    PRODUCTION = "production"


class Settings(BaseSettings):
    """One typed object for all configuration; the README's table lists every field."""

    model_config = SettingsConfigDict(env_prefix="REGIE_", extra="ignore")

    env: Omgeving = Omgeving.DEV
    data_dir: Path = Path("data")
    database_url: str = ""
    data_keys: str | None = Field(default=None, repr=False)
    index_key: str | None = Field(default=None, repr=False)
    data_key_file: Path | None = None
    session_secret: str | None = Field(default=None, repr=False, min_length=32)
    session_idle_minutes: int = Field(default=240, gt=0, le=720)
    session_max_hours: int = Field(default=12, gt=0, le=24)
    jwt_issuer: str = "regie-dev"
    jwt_audience: str = "regie"
    jwt_public_key_file: Path | None = None
    jwks_file: Path | None = None
    jwks_url: str | None = None
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = Field(default=None, repr=False)
    oidc_account_claim: str = "preferred_username"
    oidc_redirect_url: str | None = None
    # A second, separate provider for invited ouders and jeugdigen (DigiD through a broker):
    # their first sign-in binds it to the account their invitation link and code made; after
    # that it is how they come back. Never used for professionals, and the other way round.
    burger_oidc_issuer: str | None = None
    burger_oidc_client_id: str | None = None
    burger_oidc_client_secret: str | None = Field(default=None, repr=False)
    burger_oidc_claim: str = "sub"
    burger_oidc_redirect_url: str | None = None
    burger_oidc_naam: str = Field(default="DigiD", min_length=1, max_length=40)
    token_ttl_seconds: int = Field(default=3600, gt=0, le=86400)
    policy_file: Path = Path(__file__).resolve().parent.parent / "policies" / "access.yaml"
    extra_form_dir: Path | None = None
    form_version: str = "twente-2020.1"
    afgesloten_zichtbaar_dagen: int = Field(default=90, ge=0)
    publieke_url: str | None = Field(default=None, pattern=r"^https?://[^\s?#]+/$")
    vragenlijst_geldig_dagen: int = Field(default=30, ge=1, le=365)
    # An invitation's link for ouders/jeugdige works once, within this many hours.
    uitnodiging_geldig_uren: int = Field(default=72, ge=1, le=24 * 14)
    # A new link for an invitee coming back (their code still opens it) works this long.
    terugkeer_geldig_minuten: int = Field(default=30, ge=5, le=24 * 60)
    # Outgoing e-mail (invitations). Without a host, dev writes each message to
    # <data_dir>/postbus; production refuses to invite until a host is set.
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_starttls: bool = True
    smtp_gebruiker: str | None = None
    smtp_wachtwoord: str | None = Field(default=None, repr=False)
    mail_afzender: str = "Regie <regie@localhost>"
    onderzoek_k: int = Field(default=5, ge=2)
    onderzoek_max_onderdrukt: float = Field(default=0.05, ge=0.0, le=0.5)
    onderzoek_sleutel: str | None = Field(default=None, repr=False)
    onderzoek_projecten: str = Field(default="pilot-regie", pattern=r"^[a-z0-9-]+(,[a-z0-9-]+)*$")
    max_body_bytes: int = Field(default=1_048_576, gt=0)
    # At most 32: each admitted request may need a worker thread, and anyio's pool holds 40.
    max_gelijktijdig: int = Field(default=16, ge=1, le=32)
    page_size_max: int = Field(default=100, gt=0)
    log_formaat: Literal["tekst", "json"] = "tekst"
    aanmelden_per_minuut: int = Field(default=20, ge=1)
    proxy_adressen: str | None = Field(default=None, pattern=r"^[0-9a-fA-F.:/,*]+$")

    @model_validator(mode="after")
    def _defaults(self) -> Settings:
        """Derive the embedded SQLite URL from the data folder when none is given."""
        if not self.database_url:
            self.database_url = f"sqlite:///{(self.data_dir / 'regie.db').as_posix()}"
        if self.oidc_issuer and not (self.oidc_client_id and self.oidc_redirect_url):
            raise ValueError(
                "REGIE_OIDC_ISSUER vraagt ook REGIE_OIDC_CLIENT_ID en REGIE_OIDC_REDIRECT_URL"
            )
        if self.burger_oidc_issuer and not (
            self.burger_oidc_client_id and self.burger_oidc_redirect_url
        ):
            raise ValueError(
                "REGIE_BURGER_OIDC_ISSUER vraagt ook REGIE_BURGER_OIDC_CLIENT_ID en "
                "REGIE_BURGER_OIDC_REDIRECT_URL"
            )
        self._citizens_apart()
        if not self.is_dev and self.publieke_url and not self.publieke_url.startswith("https://"):
            raise ValueError("REGIE_PUBLIEKE_URL moet in productie met https:// beginnen")
        # A closing invitation must not outlive the casus' visibility: after
        # afgesloten_zichtbaar_dagen the casus is gone for everyone but its regievoerder, and
        # an invitation that still worked would show (and accept answers on) a casus the
        # professional can no longer see.
        if self.vragenlijst_geldig_dagen > self.afgesloten_zichtbaar_dagen:
            raise ValueError(
                f"REGIE_VRAGENLIJST_GELDIG_DAGEN ({self.vragenlijst_geldig_dagen}) mag niet groter "
                f"zijn dan REGIE_AFGESLOTEN_ZICHTBAAR_DAGEN ({self.afgesloten_zichtbaar_dagen}): "
                "een vragenlijst bij het afsluiten moet verlopen voordat de afgesloten casus uit "
                "beeld verdwijnt. Verlaag REGIE_VRAGENLIJST_GELDIG_DAGEN of verhoog "
                "REGIE_AFGESLOTEN_ZICHTBAAR_DAGEN."
            )
        return self

    def _citizens_apart(self) -> None:
        """The citizens' provider is a trust decision of its own: the same issuer and client
        as the organisations' would let one kind of ID token pass for the other, and a return
        address on the other flow's callback would mix the two."""
        if not self.burger_oidc_issuer:
            return
        zelfde = (self.burger_oidc_issuer.rstrip("/"), self.burger_oidc_client_id) == (
            (self.oidc_issuer or "").rstrip("/"),
            self.oidc_client_id,
        )
        if zelfde:
            raise ValueError(
                "REGIE_BURGER_OIDC_ISSUER met REGIE_BURGER_OIDC_CLIENT_ID mag niet dezelfde "
                "client zijn als REGIE_OIDC_ISSUER met REGIE_OIDC_CLIENT_ID"
            )
        if not (self.burger_oidc_redirect_url or "").endswith("/burger/terug"):
            raise ValueError("REGIE_BURGER_OIDC_REDIRECT_URL moet eindigen op /burger/terug")
        if (self.oidc_redirect_url or "").endswith("/burger/terug"):
            raise ValueError("REGIE_OIDC_REDIRECT_URL hoort niet bij /burger/terug")

    @property
    def oidc_enabled(self) -> bool:
        return bool(self.oidc_issuer)

    @property
    def is_dev(self) -> bool:
        return self.env is Omgeving.DEV

    @property
    def projecten(self) -> list[str]:
        """Research projects an export may be made for; each gets its own pseudonyms."""
        return self.onderzoek_projecten.split(",")

    @property
    def onderzoek_sleutel_file(self) -> Path:
        return self.data_dir / "onderzoek-sleutel"

    @property
    def session_secret_file(self) -> Path:
        return self.data_dir / "session-secret"

    @property
    def dev_key_file(self) -> Path:
        return self.data_dir / "dev-jwt-private.pem"


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings; tests build their own Settings and pass them explicitly."""
    return Settings()
