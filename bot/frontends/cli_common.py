"""What every `newsdesk` subcommand shares: the --store option, the global -v/--log-file
options, settings with logging set up, clean failures, and opening the store and chain."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Optional

import typer

from ..logs import setup_logging
from ..settings import Settings, load_settings

StoreOpt = typer.Option(None, "--store", help="Store folder (overrides NEWSDESK_STORE_DIR).")
log = logging.getLogger("newsdesk")


LOGGING: dict = {"verbose": 0, "log_file": None}  # the global -v / --log-file options of this run


def global_options(
    verbose: int = typer.Option(0, "--verbose", "-v", count=True,
                                help="More log output on the terminal: -v INFO, -vv DEBUG (default: warnings only)."),
    log_file: Optional[Path] = typer.Option(None, "--log-file", help="Also write the log, with tracebacks, to this "
                                            "file (default NEWSDESK_LOG_FILE)."),
) -> None:
    LOGGING.update(verbose=verbose, log_file=log_file)


def settings_for(store: Optional[Path], *, bot: bool = False) -> Settings:
    """Settings with --store applied, and logging set up: warnings only on the terminal for
    commands; INFO and a rotating log file (newsdesk.log in the store folder) for the bot."""
    settings = load_settings(store_dir=store)
    if bot:
        setup_logging(settings, verbose=LOGGING["verbose"], log_file=LOGGING["log_file"], default_level="INFO",
                      default_file=settings.store_dir / "newsdesk.log")
    else:
        setup_logging(settings, verbose=LOGGING["verbose"], log_file=LOGGING["log_file"])
    return settings


def fail(message: str, code: int = 2) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def open_store(settings: Settings, *, create: bool = True, adopt_vectors: bool = True):  # noqa: ANN202
    from vectorstore.store import NewsStore, StoreError

    try:
        return NewsStore(settings.store, create=create, adopt_vectors=adopt_vectors)
    except StoreError as exc:
        fail(str(exc))


def chain_for(settings: Settings):  # noqa: ANN202 - AnswerChain
    from vectorstore.store import StoreError

    from ..chain import build_chain

    try:
        return build_chain(settings)
    except StoreError as exc:
        fail(str(exc))
