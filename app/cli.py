"""The `regie` command: serve, migrate, demo data, dev tokens, export, audit and keys."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from app.config import get_settings
from app.db import make_engine, snapshot_session
from app.enums import Formaat

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy import Engine

# Each command imports what it alone needs: `regie audit verify` should not wait for the web
# app, Alembic, the research export or the crypto to load (Formaat comes from app.enums).

cli = typer.Typer(help="Regie: de levende handreiking.", no_args_is_help=True, add_completion=False)
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _engine() -> Engine:
    """The configured database, with every table mapped.

    A command imports only its own modules, but the ORM resolves foreign keys (a revision's
    author, say) against the whole model the first time it flushes.
    """
    import app.models  # noqa: F401 - registers every table on the metadata

    return make_engine(get_settings().database_url)


def alembic_config(url: str) -> Config:
    """Alembic pointed at our migrations and at the given database."""
    from alembic.config import Config

    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Adres om op te luisteren")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Poort")] = 8000,
) -> None:
    """Start the web application (uvicorn)."""
    import uvicorn

    # Behind a reverse proxy every request comes from the proxy: only the proxies named in
    # REGIE_PROXY_ADRESSEN may say who the client is (X-Forwarded-For), e.g. for rate limits.
    proxies = get_settings().proxy_adressen
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host,
        port=port,
        proxy_headers=proxies is not None,
        forwarded_allow_ips=proxies,
    )


@cli.command()
def migrate() -> None:
    """Bring the database schema up to date (alembic upgrade head)."""
    from alembic import command

    command.upgrade(alembic_config(get_settings().database_url), "head")


@cli.command()
def demo(
    reset: Annotated[bool, typer.Option("--reset", help="Leeg de database eerst")] = False,
    genereer: Annotated[
        int, typer.Option(min=0, help="Zorg voor minstens zoveel gegenereerde casussen")
    ] = 0,
) -> None:
    """Load the fictitious demo data (idempotent), and make sure N generated casussen exist."""
    from alembic import command

    from app.crypto.service import keyring_for
    from app.demo import load_demo
    from app.form.definition import load_formulieren
    from app.generator import aantal_gegenereerd as generated_count
    from app.generator import genereer as generate
    from app.research.vragenlijst import load_vragenlijsten

    settings = get_settings()
    if reset:
        config = alembic_config(settings.database_url)
        command.downgrade(config, "base")
        command.upgrade(config, "head")
    engine = _engine()
    loaded = load_demo(settings, engine)
    typer.echo("Demodata geladen." if loaded else "Demodata was al geladen.")
    erbij = genereer - generated_count(engine)
    if erbij > 0:
        formulieren = load_formulieren(settings.extra_form_dir, settings.form_version)
        with _progress() as progress:
            task = progress.add_task("Casussen genereren", total=erbij)
            generate(
                engine,
                formulieren[formulieren.standaard],
                keyring_for(settings),
                load_vragenlijsten(),
                erbij,
                voortgang=lambda n: progress.advance(task, n),
            )
        typer.echo(f"{erbij} gegenereerde casussen toegevoegd.")
    engine.dispose()


@cli.command()
def token(gebruikersnaam: str) -> None:
    """Print a bearer token for an existing account (dev mode only, valid one hour)."""
    from app.auth.tokens import DevModeVereist, issue_dev_token, load_actor
    from app.db import unit_of_work
    from app.errors import NietGeauthenticeerd

    settings = get_settings()
    if not settings.is_dev:
        typer.echo("Geweigerd: regie token werkt alleen met REGIE_ENV=dev.", err=True)
        raise typer.Exit(2)
    try:
        with unit_of_work(_engine()) as session:
            load_actor(session, gebruikersnaam, burger=True)
        typer.echo(issue_dev_token(settings, gebruikersnaam))
    except NietGeauthenticeerd:
        typer.echo(f"Onbekend of inactief account: {gebruikersnaam}", err=True)
        raise typer.Exit(1) from None
    except DevModeVereist as exc:
        typer.echo(f"Geweigerd: {exc}", err=True)
        raise typer.Exit(2) from None


@cli.command("export")
def export(
    uit: Annotated[Path, typer.Option("--uit", help="Bestand om naar te schrijven")],
    formaat: Annotated[Formaat, typer.Option(help="csv of jsonl")] = Formaat.CSV,
    project: Annotated[str | None, typer.Option(help="Onderzoeksproject (pseudoniemen)")] = None,
) -> None:
    """Write the anonymised research export, and beside it what was generalised and suppressed."""
    from app.errors import RegieFout
    from app.research.bestand import export_to_file, side_file

    settings = get_settings()
    engine = _engine()
    # What is loaded by now lives as long as the process: out of the garbage collector's way.
    # The export's tables grow with the casussen, and every full collection they set off would
    # walk every module's objects again (on 100k casussen a tenth of the run). Garbage first, so
    # none is frozen with them.
    gc.collect()
    gc.freeze()
    try:
        toelichting = export_to_file(
            engine, settings, formaat=formaat, project=project, uit=uit, progress=_progress
        )
    except RegieFout as exc:
        typer.echo(f"Geweigerd: {exc.detail}", err=True)
        raise typer.Exit(2) from None
    finally:
        engine.dispose()
    typer.echo(
        f"{toelichting['rijen']} casussen geschreven naar {uit} "
        f"({toelichting['onderdrukt']} onderdrukt); toelichting in {side_file(uit)}."
    )


audit_cli = typer.Typer(help="De audittrail.", no_args_is_help=True)
cli.add_typer(audit_cli, name="audit")


@audit_cli.command("verify")
def audit_verify() -> None:
    """Walk the hash chain; exit 1 naming the first broken event.

    In one read-only snapshot: the count, every event and the head belong together, and a walk
    over millions of events must not hold the write lock from people saving meanwhile.
    """
    from app.audit import chain

    # Not `_engine()`: this reads and writes nothing but the two audit tables, and loading the
    # whole model (FastAPI with it) would take longer than walking a small trail.
    engine = make_engine(get_settings().database_url)
    with snapshot_session(engine) as session, _progress() as progress:
        task = progress.add_task("Audittrail controleren", total=chain.count(session))
        breuk = chain.verify(session, lambda n: progress.advance(task, n))
        total = progress.tasks[0].completed
    engine.dispose()
    if breuk is not None:
        typer.echo(
            f"Audittrail GEBROKEN bij gebeurtenis {breuk.volgnummer}: {breuk.reden}", err=True
        )
        raise typer.Exit(1)
    typer.echo(f"Audittrail intact: {int(total)} gebeurtenissen gecontroleerd.")


keys_cli = typer.Typer(help="De datasleutels.", no_args_is_help=True)
cli.add_typer(keys_cli, name="keys")


@keys_cli.command("rotate")
def keys_rotate(
    hervat: Annotated[
        bool, typer.Option("--hervat", help="Geen nieuwe sleutel: maak een onderbroken rotatie af")
    ] = False,
    batch: Annotated[int, typer.Option(min=1, max=5000, help="Casussen per transactie")] = 200,
) -> None:
    """Add a new data key (key file) and re-encrypt everything with it, in batches."""
    from app.crypto.keyring import add_key_to_file
    from app.crypto.rotation import count_casussen, rotate
    from app.crypto.service import key_file_in_use, keyring_for
    from app.form.definition import load_formulieren

    settings = get_settings()
    key_file = key_file_in_use(settings)
    if not hervat and key_file is not None:
        typer.echo(f"Nieuwe sleutel {add_key_to_file(key_file)} toegevoegd aan {key_file}.")
    elif not hervat:
        typer.echo("Sleutels komen uit REGIE_DATA_KEYS: de laatste daarvan wordt gebruikt.")
    engine = _engine()
    keyring = keyring_for(settings)
    formulieren = load_formulieren(settings.extra_form_dir, settings.form_version)
    with _progress() as progress:
        task = progress.add_task("Opnieuw versleutelen", total=count_casussen(engine))
        totaal = rotate(
            engine, keyring, formulieren, batch=batch, progress=lambda n: progress.advance(task, n)
        )
    engine.dispose()
    typer.echo(
        f"Klaar: {totaal.revisies} revisies in {totaal.casussen} casussen "
        f"versleuteld met sleutel {keyring.current}."
    )


@keys_cli.command("nieuw")
def keys_new(
    index: Annotated[
        bool, typer.Option("--index", help="Een sleutel voor REGIE_INDEX_KEY")
    ] = False,
) -> None:
    """Print a new `kid:key` entry for REGIE_DATA_KEYS, or with --index a REGIE_INDEX_KEY."""
    from app.crypto.keyring import generate_index_key, generate_key_line

    typer.echo(generate_index_key() if index else generate_key_line())


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        transient=True,
    )


def main() -> None:
    cli()
