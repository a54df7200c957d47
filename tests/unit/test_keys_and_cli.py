"""Key loading refuses unsafe production set-ups; `regie token` and `regie demo` behave."""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jose import jwk, jwt
from sqlalchemy import func
from sqlmodel import Session, col, select
from typer.testing import CliRunner, Result

from app.accounts.models import Account
from app.auth.keys import KeySet, SleutelFout, ensure_dev_key, load_keyset
from app.auth.tokens import verify_claims
from app.casus.models import Casus
from app.cli import cli
from app.config import Settings, get_settings
from app.db import make_engine, unit_of_work
from app.errors import NietGeauthenticeerd
from app.generator import aantal_gegenereerd
from app.main import create_app

# --- load_keyset -------------------------------------------------------------------------------


def _public_pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@pytest.fixture(scope="module")
def other_rsa() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A data folder in which dev mode has already generated its key pair."""
    ensure_dev_key(Settings(env="dev", data_dir=tmp_path))
    assert (tmp_path / "dev-jwt-private.pem").exists()
    return tmp_path


def _production(data_dir: Path, **keys: Any) -> Settings:
    return Settings(
        env="production",
        data_dir=data_dir,
        database_url=f"sqlite:///{data_dir / 'regie.db'}",
        **keys,
    )


def _write(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


def _dev_public_pem(data_dir: Path) -> bytes:
    return _public_pem(ensure_dev_key(Settings(env="dev", data_dir=data_dir)))


def test_production_without_a_key_refuses(tmp_path: Path) -> None:
    with pytest.raises(SleutelFout, match="productie zonder sleutel"):
        load_keyset(_production(tmp_path))
    assert not (tmp_path / "dev-jwt-private.pem").exists(), "production must not make a dev key"


def test_production_refuses_the_dev_public_key(data_dir: Path) -> None:
    pem = _write(data_dir / "dev-public.pem", _dev_public_pem(data_dir))
    with pytest.raises(SleutelFout, match="dev-sleutel"):
        load_keyset(_production(data_dir, jwt_public_key_file=pem))


def test_production_refuses_the_dev_key_inside_a_jwks(
    data_dir: Path, other_rsa: rsa.RSAPrivateKey
) -> None:
    keys = [
        {**jwk.construct(_public_pem(other_rsa).decode(), "RS256").to_dict(), "kid": "idp"},
        {**jwk.construct(_dev_public_pem(data_dir).decode(), "RS256").to_dict(), "kid": "x"},
    ]
    jwks = _write(data_dir / "jwks.json", json.dumps({"keys": keys}).encode())
    with pytest.raises(SleutelFout, match="dev-sleutel"):
        load_keyset(_production(data_dir, jwks_file=jwks))


def test_production_accepts_another_rsa_public_key(
    data_dir: Path, other_rsa: rsa.RSAPrivateKey
) -> None:
    pem = _write(data_dir / "idp.pem", _public_pem(other_rsa))
    keyset = load_keyset(_production(data_dir, jwt_public_key_file=pem))
    assert isinstance(keyset, KeySet)
    assert list(keyset.keys) == ["idp"]
    key = keyset.keys["idp"]
    assert key["kty"] == "RSA"
    assert key["kid"] == "idp"
    expected = jwk.construct(_public_pem(other_rsa).decode(), "RS256").to_dict()
    assert key["n"] == expected["n"]
    assert key["e"] == expected["e"]


def test_production_refuses_an_ec_public_key(tmp_path: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    pem = _write(tmp_path / "ec.pem", _public_pem(key))
    with pytest.raises(SleutelFout, match="alleen RSA"):
        load_keyset(_production(tmp_path, jwt_public_key_file=pem))


def test_jwks_keeps_only_rsa_signing_keys(tmp_path: Path, other_rsa: rsa.RSAPrivateKey) -> None:
    rsa_jwk = {**jwk.construct(_public_pem(other_rsa).decode(), "RS256").to_dict(), "kid": "rsa-1"}
    ec_key = ec.generate_private_key(ec.SECP256R1())
    ec_jwk = {**jwk.construct(_public_pem(ec_key).decode(), "ES256").to_dict(), "kid": "ec-1"}
    assert ec_jwk["kty"] == "EC"
    jwks = _write(tmp_path / "jwks.json", json.dumps({"keys": [rsa_jwk, ec_jwk]}).encode())
    keyset = load_keyset(_production(tmp_path, jwks_file=jwks))
    assert isinstance(keyset, KeySet)
    assert list(keyset.keys) == ["rsa-1"]
    assert keyset.keys["rsa-1"]["n"] == rsa_jwk["n"]
    assert keyset.for_kid("ec-1") is None


def test_a_verifier_is_built_once_and_a_broken_key_only_refuses_its_tokens(
    tmp_path: Path,
    other_rsa: rsa.RSAPrivateKey,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each key becomes jose's verifier on first use and is reused; a key in the provider's
    set that is no usable RSA key refuses the tokens naming it (401) and nothing else."""
    goed = {**jwk.construct(_public_pem(other_rsa).decode(), "RS256").to_dict(), "kid": "goed"}
    zonder_n = {k: v for k, v in goed.items() if k != "n"} | {"kid": "zonder_n"}
    te_klein = {**goed, "kid": "te_klein", "n": "AQAB"}
    keyset = KeySet({"goed": goed, "zonder_n": zonder_n, "te_klein": te_klein})
    gebouwd: list[str] = []
    bouw = jwk.construct

    def tellend(data: Any, algorithm: str) -> Any:
        if isinstance(data, dict):  # a JWK; signing a test token hands jose a PEM
            gebouwd.append(data["kid"])
        return bouw(data, algorithm)

    monkeypatch.setattr("app.auth.keys.jwk.construct", tellend)
    monkeypatch.setattr(logging.getLogger("regie"), "propagate", True)  # JSON logging stops it
    with caplog.at_level("WARNING", logger="regie"):
        for _ in range(3):  # each key is built once; a broken one is tried, and logged, once
            verifier = keyset.for_kid("goed")
            assert verifier is not None and keyset.for_kid("goed") is verifier
            assert keyset.for_kid("zonder_n") is None and keyset.for_kid("te_klein") is None
    assert sorted(gebouwd) == ["goed", "te_klein", "zonder_n"]
    gelogd = {r.getMessage().split()[1] for r in caplog.records if "RSA-sleutel" in r.getMessage()}
    assert gelogd == {"te_klein", "zonder_n"}
    assert keyset.for_kid("onbekend") is None
    assert KeySet({"goed": goed}).for_kid(None) is not None  # the only key, for a token without kid
    assert keyset.for_kid(None) is None  # two keys: a token must say which
    for vreemd in (["goed"], {"goed": 1}, 7):  # an unverified header's kid can be anything
        assert keyset.for_kid(vreemd) is None
    settings = _production(tmp_path)
    pem = other_rsa.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    claims = {
        "sub": "a.jansen", "iss": settings.jwt_issuer, "aud": settings.jwt_audience,
        "exp": int(time.time()) + 60,
    }  # fmt: skip
    for kid, geldig in (("goed", True), ("zonder_n", False), ("te_klein", False), (["x"], False)):
        token = jwt.encode(claims, pem, algorithm="RS256", headers={"kid": kid})
        if geldig:
            assert verify_claims(token, keyset, settings)["sub"] == "a.jansen"
        else:
            with pytest.raises(NietGeauthenticeerd):
                verify_claims(token, keyset, settings)


def test_jwks_with_only_an_ec_key_refuses(tmp_path: Path) -> None:
    ec_key = ec.generate_private_key(ec.SECP256R1())
    ec_jwk = {**jwk.construct(_public_pem(ec_key).decode(), "ES256").to_dict(), "kid": "ec-1"}
    jwks = _write(tmp_path / "jwks.json", json.dumps({"keys": [ec_jwk]}).encode())
    with pytest.raises(SleutelFout, match="geen RSA"):
        load_keyset(_production(tmp_path, jwks_file=jwks))


def test_app_refuses_to_start_in_production_with_the_dev_key(data_dir: Path) -> None:
    pem = _write(data_dir / "dev-public.pem", _dev_public_pem(data_dir))
    with pytest.raises(SleutelFout, match="dev-sleutel"):
        create_app(_production(data_dir, jwt_public_key_file=pem))


# --- regie token / regie demo ------------------------------------------------------------------

runner = CliRunner()


@pytest.fixture(autouse=True)
def _fresh_settings() -> Iterator[None]:
    """get_settings is cached per process; each CLI run must read its own environment."""
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _invoke(args: list[str], *, env: str, data_dir: Path, database_url: str) -> Result:
    """Run `regie` with only our REGIE_* variables set (outer ones are removed for the run)."""
    environment: dict[str, str | None] = {k: None for k in os.environ if k.startswith("REGIE_")}
    environment |= {
        "REGIE_ENV": env,
        "REGIE_DATA_DIR": str(data_dir),
        "REGIE_DATABASE_URL": database_url,
    }
    get_settings.cache_clear()
    try:
        return runner.invoke(cli, args, env=environment)
    finally:
        get_settings.cache_clear()


def _counts(database_url: str) -> tuple[int, int]:
    engine = make_engine(database_url)
    try:
        with unit_of_work(engine) as session:
            accounts = session.exec(select(func.count()).select_from(Account)).one()
            casussen = session.exec(select(func.count()).select_from(Casus)).one()
    finally:
        engine.dispose()
    return int(accounts), int(casussen)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A dev data folder with a migrated SQLite database holding the demo data, made via the CLI."""
    data_dir = tmp_path_factory.mktemp("cli")
    url = f"sqlite:///{data_dir / 'regie.db'}"
    migrated = _invoke(["migrate"], env="dev", data_dir=data_dir, database_url=url)
    assert migrated.exit_code == 0, (migrated.output, migrated.exception)
    loaded = _invoke(["demo"], env="dev", data_dir=data_dir, database_url=url)
    assert loaded.exit_code == 0, (loaded.output, loaded.exception)
    assert "Demodata geladen." in loaded.stdout
    return data_dir, url


def test_token_is_refused_in_production(demo_db: tuple[Path, str], tmp_path: Path) -> None:
    _, url = demo_db
    result = _invoke(["token", "a.jansen"], env="production", data_dir=tmp_path, database_url=url)
    assert result.exit_code != 0
    assert result.stdout.strip() == ""
    assert "eyJ" not in result.output
    assert "REGIE_ENV=dev" in result.stderr
    assert not (tmp_path / "dev-jwt-private.pem").exists()


def test_token_in_dev_verifies_for_one_hour(demo_db: tuple[Path, str]) -> None:
    data_dir, url = demo_db
    result = _invoke(["token", "a.jansen"], env="dev", data_dir=data_dir, database_url=url)
    assert result.exit_code == 0, (result.output, result.exception)
    token = result.stdout.strip()
    assert token.count(".") == 2
    assert "\n" not in token

    settings = Settings(env="dev", data_dir=data_dir, database_url=url)
    assert verify_claims(token, load_keyset(settings), settings)["sub"] == "a.jansen"
    claims = jwt.get_unverified_claims(token)
    assert abs(claims["exp"] - (time.time() + 3600)) < 60
    assert jwt.get_unverified_header(token)["alg"] == "RS256"


def test_token_for_an_unknown_account_exits_1(demo_db: tuple[Path, str]) -> None:
    data_dir, url = demo_db
    result = _invoke(["token", "niemand"], env="dev", data_dir=data_dir, database_url=url)
    assert result.exit_code == 1
    assert result.stdout.strip() == ""
    assert "niemand" in result.stderr


def test_demo_is_idempotent(demo_db: tuple[Path, str]) -> None:
    data_dir, url = demo_db
    before = _counts(url)
    assert before[0] > 0
    assert before[1] > 0
    result = _invoke(["demo"], env="dev", data_dir=data_dir, database_url=url)
    assert result.exit_code == 0, (result.output, result.exception)
    assert "al geladen" in result.stdout
    assert _counts(url) == before


def test_demo_generates_up_to_n_casussen_behind_accounts_nobody_signs_in_with(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'regie.db'}"
    assert _invoke(["migrate"], env="dev", data_dir=tmp_path, database_url=url).exit_code == 0
    for _ in range(2):
        result = _invoke(
            ["demo", "--genereer", "30"], env="dev", data_dir=tmp_path, database_url=url
        )
        assert result.exit_code == 0, (result.output, result.exception)
    engine = make_engine(url)
    try:
        assert aantal_gegenereerd(engine) == 30
        with Session(engine) as session:
            generated = session.exec(
                select(Account).where(col(Account.gebruikersnaam).startswith("gen."))
            ).all()
            assert generated and not any(a.actief for a in generated)
    finally:
        engine.dispose()
