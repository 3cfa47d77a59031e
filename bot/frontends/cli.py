"""The `newsdesk` command and its subcommands."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Optional

import typer

from ..logs import setup_logging
from ..settings import Settings, load_settings

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Newsdesk: answers questions about a publication's coverage, with cited quotes.")

StoreOpt = typer.Option(None, "--store", help="Store folder (overrides NEWSDESK_STORE_DIR).")
log = logging.getLogger("newsdesk")


_LOGGING: dict = {"verbose": 0, "log_file": None}  # the global -v / --log-file options of this run


@app.callback()
def _global_options(
    verbose: int = typer.Option(0, "--verbose", "-v", count=True,
                                help="More log output on the terminal: -v INFO, -vv DEBUG (default: warnings only)."),
    log_file: Optional[Path] = typer.Option(None, "--log-file", help="Also write the log, with tracebacks, to this "
                                            "file (default NEWSDESK_LOG_FILE)."),
) -> None:
    _LOGGING.update(verbose=verbose, log_file=log_file)


def _settings(store: Optional[Path], *, bot: bool = False) -> Settings:
    """Settings with --store applied, and logging set up: warnings only on the terminal for
    commands; INFO and a rotating log file (newsdesk.log in the store folder) for the bot."""
    settings = load_settings(store_dir=store)
    if bot:
        setup_logging(settings, verbose=_LOGGING["verbose"], log_file=_LOGGING["log_file"], default_level="INFO",
                      default_file=settings.store_dir / "newsdesk.log")
    else:
        setup_logging(settings, verbose=_LOGGING["verbose"], log_file=_LOGGING["log_file"])
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
        from .reports import print_ingest_report

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


def _chain(settings: Settings):  # noqa: ANN202 - AnswerChain
    from vectorstore.store import StoreError

    from ..chain import build_chain

    try:
        return build_chain(settings)
    except StoreError as exc:
        _fail(str(exc))


@app.command()
def ask(
    question: str = typer.Argument(..., help="The question."),
    k: Optional[int] = typer.Option(None, "--k", min=1, max=50, help="Passages per answer (default NEWSDESK_TOP_K)."),
    since: Optional[str] = typer.Option(None, "--since", help="Only coverage on or after this date (YYYY-MM-DD)."),
    until: Optional[str] = typer.Option(None, "--until", help="Only coverage on or before this date."),
    kind: str = typer.Option("all", "--kind", help="article, comment or all."),
    source: Optional[str] = typer.Option(None, "--source", help="Only this outlet."),
    json_out: bool = typer.Option(False, "--json", help="Print the Answer as one JSON object."),
    passages: bool = typer.Option(False, "--passages", help="Also print the retrieved passages."),
    store: Optional[Path] = StoreOpt,
) -> None:
    """Answer one question with quoted, cited passages."""
    from vectorstore.store import StoreError

    from ..chain import AskOptions
    from ..errors import log_failure
    from .terminal import format_answer, format_passages

    settings = _settings(store)
    filters = _filters(since, until, kind, source)
    chain = _chain(settings)
    try:
        answer = chain.ask(question, AskOptions(k=k, filters=filters))
    except StoreError as exc:
        _fail(str(exc))
    except Exception:  # e.g. the LLM endpoint refused: its error text may echo the API key
        error_id = log_failure(log, "answering failed")
        _fail(f"answering failed (error id {error_id}); the details are in the log", 1)
    if json_out:
        typer.echo(json.dumps(answer.to_dict(with_passages=passages), ensure_ascii=False))
        return
    typer.echo(format_answer(answer, timings=True))
    if passages:
        typer.echo("\n" + format_passages(answer.passages))


@app.command()
def repl(store: Optional[Path] = StoreOpt) -> None:
    """Interactive questions, with the retrieved passages on request (:help)."""
    from .repl import run_repl

    settings = _settings(store)
    run_repl(settings, _chain(settings))


eval_app = typer.Typer(no_args_is_help=True, help="Measure retrieval and answer quality.")
app.add_typer(eval_app, name="eval")


@eval_app.command("multihop")
def eval_multihop(
    corpus: Path = typer.Option(..., "--corpus", exists=True, dir_okay=False, help="MultiHop-RAG corpus.json."),
    queries: Path = typer.Option(..., "--queries", exists=True, dir_okay=False, help="Questions file (JSON list)."),
    limit: Optional[int] = typer.Option(None, "--limit", help="Only the first N questions."),
    json_out: bool = typer.Option(False, "--json", help="Print the report as one JSON object."),
    out: Optional[Path] = typer.Option(None, "--out", help="Also write the JSON report to this file."),
    store: Optional[Path] = StoreOpt,
) -> None:
    """Retrieval quality on MultiHop-RAG with the published protocol (top 10, null questions skipped)."""
    from ..evaluation.runner import run_multihop

    settings = _settings(store)
    report = run_multihop(settings, corpus, queries, limit=limit, progress=not json_out and sys.stderr.isatty())
    data = report.as_dict()
    if out:
        out.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    if json_out:
        typer.echo(json.dumps(data))
        return
    from .reports import print_retrieval_report

    print_retrieval_report(report)


@eval_app.command("answers")
def eval_answers(
    corpus: Path = typer.Option(..., "--corpus", exists=True, dir_okay=False, help="MultiHop-RAG corpus.json."),
    queries: Path = typer.Option(..., "--queries", exists=True, dir_okay=False, help="Questions file (JSON list)."),
    limit: Optional[int] = typer.Option(None, "--limit", help="Only the first N questions."),
    json_out: bool = typer.Option(False, "--json", help="Print the report as one JSON object."),
    out: Optional[Path] = typer.Option(None, "--out", help="Also write the report, with every answer, to this file."),
    store: Optional[Path] = StoreOpt,
) -> None:
    """Answer accuracy on MultiHop-RAG as the paper measures it, for the configured answerer."""
    from ..evaluation.answers import run_answers

    settings = _settings(store)
    report = run_answers(settings, corpus, queries, limit=limit, progress=not json_out and sys.stderr.isatty())
    if out:
        out.write_text(json.dumps(report.as_dict(with_results=True), indent=2, ensure_ascii=False) + "\n",
                       encoding="utf-8")
    if json_out:
        typer.echo(json.dumps(report.as_dict(), ensure_ascii=False))
        return
    from .reports import print_answer_report

    print_answer_report(report)


@eval_app.command("qa")
def eval_qa(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="QA file (JSON Lines)."),
    json_out: bool = typer.Option(False, "--json", help="Print results as one JSON object."),
    store: Optional[Path] = StoreOpt,
) -> None:
    """Pass/fail per question of a QA file against the current store; exit 1 if any fails."""
    from ..evaluation.runner import run_qa

    settings = _settings(store)
    try:
        results = run_qa(_chain(settings), file)
    except ValueError as exc:
        _fail(str(exc))
    passed = sum(r.passed for r in results)
    if json_out:
        from dataclasses import asdict

        typer.echo(json.dumps({"passed": passed, "failed": len(results) - passed, "total": len(results),
                               "results": [asdict(r) for r in results]}, ensure_ascii=False))
    else:
        for r in results:
            mark = "PASS" if r.passed else "FAIL"
            typer.echo(f"{mark} {r.id}: {r.question}" + ("" if r.passed else f"  -- {r.reason}"))
        typer.echo(f"{passed} passed, {len(results) - passed} failed")
    if passed != len(results):
        raise typer.Exit(1)


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
