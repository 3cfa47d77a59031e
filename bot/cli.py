"""The `newsdesk` command and its subcommands."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Optional

import typer

from .logs import setup_logging
from .settings import Settings, load_settings

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Newsdesk: answers questions about a publication's coverage, with cited quotes.")

StoreOpt = typer.Option(None, "--store", help="Store folder (overrides NEWSDESK_STORE_DIR).")
log = logging.getLogger("newsdesk")


def _settings(store: Optional[Path]) -> Settings:
    settings = load_settings(store_dir=store)
    setup_logging(settings)
    return settings


def _fail(message: str, code: int = 2) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def _open_store(settings: Settings, *, create: bool = True):  # noqa: ANN202 - NewsStore
    from vectorstore.store import NewsStore, StoreError

    try:
        return NewsStore(settings.store, create=create)
    except StoreError as exc:
        _fail(str(exc))


@app.command()
def ingest(
    paths: list[str] = typer.Argument(..., help="Files, folders (recursive) or globs of articles."),
    prune: bool = typer.Option(False, "--prune", help="Remove documents whose files are gone."),
    json_out: bool = typer.Option(False, "--json", help="Print the summary as one JSON object."),
    source: str = typer.Option("", "--source", help="Outlet name for pages that do not give one."),
    wait: float = typer.Option(0.0, "--wait", help="Seconds to wait for another ingest to finish."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
    store: Optional[Path] = StoreOpt,
) -> None:
    """Read articles into the store; only what changed is re-embedded."""
    from ingest.pipeline import IngestBusyError, Ingestor
    from vectorstore.store import StoreError

    settings = _settings(store)
    news = _open_store(settings)
    ingestor = Ingestor(news, default_source=source or settings.default_source,
                        max_file_bytes=int(settings.max_file_mb * 1_000_000),
                        progress=not (quiet or json_out) and sys.stderr.isatty(), wait=wait)
    try:
        report = ingestor.run(paths, prune=prune)
    except IngestBusyError as exc:
        _fail(str(exc), 3)
    except StoreError as exc:
        _fail(str(exc))
    if json_out:
        data = report.as_dict()
        typer.echo(json.dumps(data, ensure_ascii=False))
    else:
        from .reporting import print_ingest_report

        print_ingest_report(report)
    if report.interrupted:
        raise typer.Exit(130)
    if report.failed:
        raise typer.Exit(1)


@app.command()
def stats(store: Optional[Path] = StoreOpt,
          json_out: bool = typer.Option(False, "--json", help="Print as JSON.")) -> None:
    """What is indexed: documents and chunks per outlet and kind, newest article, settings."""
    from vectorstore.store import StoreError

    settings = _settings(store)
    news = _open_store(settings, create=False)
    try:
        st = news.stats()
    except StoreError as exc:
        _fail(str(exc))
    if json_out:
        typer.echo(json.dumps(st.as_dict(), ensure_ascii=False))
        return
    from .reporting import print_stats

    print_stats(st)


@app.command()
def start(store: Optional[Path] = StoreOpt) -> None:
    """Start the Discord bot when DISCORD_TOKEN is set, the local REPL otherwise."""
    settings = _settings(store)
    if settings.discord_token.get_secret_value():
        try:
            from .discord_bot import run_bot
        except ImportError:
            _fail("the Discord front end is not part of this version yet")
        run_bot(settings)
        return
    try:
        from .repl import run_repl
    except ImportError:
        stats(store=store, json_out=False)
        return
    run_repl(settings)


def main() -> None:
    """Console entry point."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
