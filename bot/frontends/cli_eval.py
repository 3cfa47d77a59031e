"""`newsdesk eval`: retrieval, complete evidence and answer quality (MultiHop-RAG), and a QA file."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer

from .cli_common import StoreOpt
from .cli_common import chain_for as _chain
from .cli_common import fail as _fail
from .cli_common import settings_for as _settings

eval_app = typer.Typer(no_args_is_help=True, help="Measure retrieval and answer quality.")


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
    data["reranker_trained_on"], cross_validated = _reranker_overlap(queries, limit)
    if out:
        out.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    if json_out:
        typer.echo(json.dumps(data))
        return
    from .reports import print_retrieval_report

    print_retrieval_report(report)
    if data["reranker_trained_on"]:
        figures = ", ".join(f"{k} {v:.3f}" for k, v in cross_validated.items())
        typer.echo(f"note: {data['reranker_trained_on']} of these questions trained the search re-ranker, so the "
                   f"figures above are optimistic; its 5-fold cross-validated retrieval figures: {figures}")


def _reranker_overlap(queries: Path, limit: int | None) -> tuple[int, dict]:
    """How many of the file's questions trained the shipped re-ranker (`rerank.trained_on`)."""
    from ..evaluation.metrics import load_multihop_queries
    from ..retrieval.rerank import trained_on

    return trained_on([q["query"] for q in load_multihop_queries(queries)[:limit]])


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
