"""The `newsdesk` command and its subcommands."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Optional

import typer

from ..settings import Settings
from .cli_common import StoreOpt, global_options
from .cli_common import chain_for as _chain
from .cli_common import fail as _fail
from .cli_common import open_store as _open_store
from .cli_common import settings_for as _settings
from .cli_eval import eval_app

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Newsdesk: answers questions about a publication's coverage, with cited quotes.")

app.callback()(global_options)
log = logging.getLogger("newsdesk")

MaxPagesOpt = typer.Option(None, "--max-pages", min=0, help="Fetch at most N web pages (new pages first).")
SinceOpt = typer.Option(None, "--since", help="Only feed/sitemap entries dated on or after this date.")
AllowHostOpt = typer.Option(None, "--allow-host", help="Also follow feed/sitemap entries on this host (repeatable).")


def _crawl_config(settings: Settings, max_pages: Optional[int], since: Optional[str],
                  allow_host: Optional[list[str]]):  # noqa: ANN202 - CrawlConfig
    from ..language.dates import parse_user_date

    try:
        since_iso = parse_user_date(since) or ""
    except ValueError as exc:
        _fail(str(exc))
    crawl = settings.crawl
    return crawl.with_(max_pages=crawl.max_pages if max_pages is None else max_pages, since=since_iso,
                       allowed_hosts=crawl.allowed_hosts + tuple(allow_host or ()))


def _run_ingest(settings: Settings, inputs: list[str], *, prune: bool, crawl, source: str, wait: float,  # noqa: ANN001
                progress: bool, reembed: bool = False):  # noqa: ANN202 - IngestReport
    from ingest.pipeline import IngestBusyError, Ingestor
    from ingest.web.state import CrawlStateError
    from vectorstore.store import StoreError

    # --reembed: the store's vectors may be of another precision; embed as the settings say
    news = _open_store(settings, adopt_vectors=not reembed)
    ingestor = Ingestor(news, default_source=source or settings.default_source,
                        max_file_bytes=int(settings.max_file_mb * 1_000_000), progress=progress, wait=wait)
    try:
        return ingestor.run(inputs, prune=prune, crawl=crawl, reembed=reembed)
    except IngestBusyError as exc:
        _fail(str(exc), 3)
    except (StoreError, CrawlStateError) as exc:
        _fail(str(exc))


@app.command()
def ingest(
    paths: Optional[list[str]] = typer.Argument(None, help="Files, folders (recursive), globs, or URLs of pages, "
                                                "RSS/Atom feeds, sitemaps or a site's home page."),
    prune: bool = typer.Option(False, "--prune", help="Remove documents whose files are gone, and web pages "
                               "that are gone (404/410) or left a crawled feed or sitemap."),
    reembed: bool = typer.Option(False, "--reembed", help="Rebuild every stored vector with the current "
                                 "embedding backend and precision (then ingest PATHS, if any)."),
    json_out: bool = typer.Option(False, "--json", help="Print the summary as one JSON object."),
    source: str = typer.Option("", "--source", help="Outlet name for pages that do not give one."),
    wait: float = typer.Option(0.0, "--wait", help="Seconds to wait for another ingest to finish."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
    max_pages: Optional[int] = MaxPagesOpt,
    since: Optional[str] = SinceOpt,
    allow_host: Optional[list[str]] = AllowHostOpt,
    store: Optional[Path] = StoreOpt,
) -> None:
    """Read articles (files or web pages) into the store; only what changed is re-embedded."""
    if not paths and not reembed:
        _fail("give files, folders, globs or URLs to ingest (or --reembed)")
    settings = _settings(store)
    crawl = _crawl_config(settings, max_pages, since, allow_host)
    report = _run_ingest(settings, list(paths or []), prune=prune, crawl=crawl, source=source, wait=wait,
                         progress=not (quiet or json_out) and sys.stderr.isatty(), reembed=reembed)
    if json_out:
        data = report.as_dict()
        typer.echo(json.dumps(data, ensure_ascii=False))
    else:
        from .reports import print_ingest_report

        print_ingest_report(report)
    if report.interrupted:
        raise typer.Exit(130)
    if report.failed:
        raise typer.Exit(1)


@app.command()
def sync(
    every: Optional[str] = typer.Option(None, "--every", help="Keep going: sync again every interval "
                                        "(e.g. 30m, 1h); Ctrl-C stops."),
    prune: Optional[bool] = typer.Option(None, "--prune/--no-prune", help="Also remove what is gone "
                                         "(default NEWSDESK_SYNC_PRUNE)."),
    json_out: bool = typer.Option(False, "--json", help="Print each summary as one JSON object."),
    wait: float = typer.Option(0.0, "--wait", help="Seconds to wait for another ingest to finish."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
    max_pages: Optional[int] = MaxPagesOpt,
    since: Optional[str] = SinceOpt,
    store: Optional[Path] = StoreOpt,
) -> None:
    """Ingest every source in NEWSDESK_SOURCES (folders, feeds, sitemaps, pages) once, or --every interval."""
    from ingest.sync import parse_interval, run_every

    settings = _settings(store)
    crawl = _crawl_config(settings, max_pages, since, None)
    prune = settings.sync_prune if prune is None else prune
    interval = None
    if every:
        try:
            interval = parse_interval(every)
        except ValueError as exc:
            _fail(str(exc))
    sources = settings.sync_sources

    def once():  # noqa: ANN202 - IngestReport
        return _run_ingest(settings, sources, prune=prune, crawl=crawl, source="", wait=wait,
                           progress=not (quiet or json_out or interval) and sys.stderr.isatty())

    def show(report) -> None:  # noqa: ANN001
        if json_out:
            typer.echo(json.dumps(report.as_dict(), ensure_ascii=False))
            return
        from .reports import print_ingest_report

        print_ingest_report(report)

    if interval is None:
        report = once()
        show(report)
        raise typer.Exit(130 if report.interrupted else 1 if report.failed else 0)

    def failed(exc: BaseException) -> None:
        if isinstance(exc, typer.Exit):  # _fail already said why (e.g. another ingest holds the lock)
            return
        from ..errors import new_error_id

        error_id = new_error_id()
        log.error("sync failed [error %s]", error_id, exc_info=exc)
        typer.secho(f"error: sync failed (error id {error_id}); trying again at the next interval",
                    fg=typer.colors.RED, err=True)

    typer.echo(f"syncing {len(sources)} source(s) every {every}; Ctrl-C stops", err=True)
    try:
        run_every(interval, once, on_result=show, on_error=failed)
    except KeyboardInterrupt:
        typer.echo("stopped", err=True)
        raise typer.Exit(130) from None


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
    from .reports import print_stats

    print_stats(st)


def _filters(since: Optional[str], until: Optional[str], kind: str, source: Optional[str]):  # noqa: ANN202
    from ..language.dates import parse_user_date
    from ..retrieval.filters import SearchFilters, kinds_for

    try:
        return SearchFilters(since=parse_user_date(since), until=parse_user_date(until), kinds=kinds_for(kind),
                             sources=(source,) if source else None)
    except ValueError as exc:
        _fail(str(exc))


@app.command()
def ask(
    question: str = typer.Argument(..., help="The question, or - to read questions from standard input, one a line."),
    k: Optional[int] = typer.Option(None, "--k", min=1, max=50, help="Passages per answer (default NEWSDESK_TOP_K)."),
    since: Optional[str] = typer.Option(None, "--since", help="Only coverage on or after this date (YYYY-MM-DD)."),
    until: Optional[str] = typer.Option(None, "--until", help="Only coverage on or before this date."),
    kind: str = typer.Option("all", "--kind", help="article, comment or all."),
    source: Optional[str] = typer.Option(None, "--source", help="Only this outlet."),
    json_out: bool = typer.Option(False, "--json", help="Print the Answer as one JSON object (a line per "
                                  "question with -: JSON Lines, in input order)."),
    passages: bool = typer.Option(False, "--passages", help="Also print the retrieved passages."),
    store: Optional[Path] = StoreOpt,
) -> None:
    """Answer a question with quoted, cited passages (`ask -`: a batch from standard input)."""
    from vectorstore.store import StoreError

    from ..chain import AskOptions
    from ..errors import log_failure
    from .terminal import format_answer, format_passages

    settings = _settings(store)
    options = AskOptions(k=k, filters=_filters(since, until, kind, source))
    chain = _chain(settings)
    batch = question.strip() == "-"
    questions = (line.strip() for line in sys.stdin) if batch else iter([question])
    failed = False
    for text in questions:
        if not text:
            continue
        try:
            answer = chain.ask(text, options)
        except Exception as exc:  # e.g. the LLM endpoint refused: its error text may echo the API key
            error_id = log_failure(log, "answering failed")
            reason = str(exc) if isinstance(exc, StoreError) else f"answering failed (error id {error_id}); " \
                                                                  "the details are in the log"
            if not batch:
                _fail(reason, 2 if isinstance(exc, StoreError) else 1)
            failed = True
            if json_out:
                typer.echo(json.dumps({"question": text, "error": reason}, ensure_ascii=False))
            else:
                typer.secho(f"> {text}\nerror: {reason}\n", fg=typer.colors.RED, err=True)
            continue
        if json_out:
            typer.echo(json.dumps(answer.to_dict(with_passages=passages), ensure_ascii=False))
            continue
        if batch:
            typer.echo(f"> {text}")
        typer.echo(format_answer(answer, timings=True))
        if passages:
            typer.echo("\n" + format_passages(answer.passages))
        if batch:
            typer.echo("")
    if failed:
        raise typer.Exit(1)


@app.command()
def repl(store: Optional[Path] = StoreOpt) -> None:
    """Interactive questions, with the retrieved passages on request (:help)."""
    from .repl import run_repl

    settings = _settings(store)
    run_repl(settings, _chain(settings))


app.add_typer(eval_app, name="eval")


@app.command()
def discord(store: Optional[Path] = StoreOpt) -> None:
    """Run the Discord bot (token from DISCORD_TOKEN)."""
    from vectorstore.store import StoreError

    from .discord.app import run_bot

    settings = _settings(store, bot=True)
    try:
        run_bot(settings)
    except (ValueError, StoreError) as exc:
        _fail(str(exc))


@app.command()
def feedback(
    export: str = typer.Option("-", "--export", help="File to write the votes to ('-' = stdout)."),
    fmt: str = typer.Option("csv", "--format", help="csv or jsonl."),
    store: Optional[Path] = StoreOpt,
) -> None:
    """Export the 👍/👎 votes given on Discord answers."""
    from .discord.feedback import export_feedback

    settings = _settings(store)
    try:
        count = export_feedback(settings, fmt, export)
    except (FileNotFoundError, ValueError) as exc:
        _fail(str(exc))
    if export != "-":
        typer.echo(f"{count} votes written to {export}", err=True)


@app.command()
def start(store: Optional[Path] = StoreOpt) -> None:
    """Start the Discord bot when DISCORD_TOKEN is set, the local REPL otherwise."""
    settings = _settings(store)
    if settings.discord_token.get_secret_value():
        discord(store=store)
        return
    from .repl import run_repl

    run_repl(settings, _chain(settings))


def main() -> None:
    """Console entry point."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
