"""Human-readable output of the command line (rich tables)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from ingest.pipeline import IngestReport
from vectorstore.store import StoreStats


def print_ingest_report(report: IngestReport, console: Console | None = None) -> None:
    """The summary printed at the end of `newsdesk ingest`."""
    console = console or Console()
    console.print(
        f"[bold]{report.files}[/] files: [green]{report.added} added[/], [cyan]{report.updated} updated[/], "
        f"{report.unchanged} unchanged, [yellow]{report.removed} removed[/], "
        f"[red]{len(report.failed)} failed[/] (documents; comments count as documents)"
    )
    console.print(
        f"{report.chunks_written} chunks written in {report.seconds:.1f} s "
        f"({report.chunks_per_second:.0f} chunks/s); {report.chunks} chunks in the store"
    )
    if report.chunks_kept:
        console.print(f"{report.chunks_kept} of them unchanged in changed documents: their vectors were kept")
    if getattr(report, "requests", 0):
        console.print(f"{report.pages} web pages ({report.pages_not_modified} not modified, not parsed again); "
                      f"{report.requests} HTTP requests")
    if report.reembedded:
        console.print(f"{report.reembedded} stored chunks re-embedded "
                      f"({report.embed_precision}, {report.embed_backend})")
    for failure in report.failed:
        console.print(f"[red]failed[/] {failure.path}: {failure.reason}", highlight=False)
    for warning in report.warnings[:50]:
        console.print(f"[yellow]warning[/] {warning}", highlight=False)
    if len(report.warnings) > 50:
        console.print(f"[yellow]… {len(report.warnings) - 50} more warnings[/]")


def print_stats(stats: StoreStats, console: Console | None = None) -> None:
    """The output of `newsdesk stats`."""
    console = console or Console()
    table = Table(title=f"{stats.documents} documents, {stats.chunks} chunks")
    for col in ("outlet", "kind", "documents", "chunks"):
        table.add_column(col, justify="right" if col in ("documents", "chunks") else "left")
    for (source, kind), (docs, chunks) in sorted(stats.by_source_kind.items()):
        table.add_row(source, kind, str(docs), str(chunks))
    console.print(table)
    console.print(f"newest article: {stats.newest_article or '(no dated article)'}")
    for key, value in stats.settings.items():
        console.print(f"{key}: {value}", highlight=False)


def print_retrieval_report(report, console: Console | None = None) -> None:  # noqa: ANN001 - RetrievalReport
    """The output of `newsdesk eval multihop`: retrieval, complete evidence and answer metrics per type."""
    console = console or Console()
    table = Table(title=f"MultiHop-RAG: {report.n} questions, chunks of at most {report.chunk_tokens} tokens")
    columns = [("Hits@4", "hits_at_4"), ("Hits@10", "hits_at_10"), ("MRR@10", "mrr_at_10"), ("MAP@10", "map_at_10"),
               ("complete@4", "complete_at_4"), ("complete@10", "complete_at_10"),
               ("quotes fact", "answer_quotes_fact"), ("cites all", "answer_cites_all"),
               ("inference answer", "inference_answer")]
    table.add_column("type")
    table.add_column("n", justify="right")
    for name, _ in columns:
        table.add_column(name, justify="right")

    def cell(value: object) -> str:
        return f"{value:.3f}" if isinstance(value, float) else "—"

    for qtype, m in report.per_type.items():
        table.add_row(qtype, str(m["n"]), *(cell(m.get(key)) for _, key in columns))
    table.add_row("all", str(report.n), *(cell(getattr(report, key)) for _, key in columns), style="bold")
    console.print(table)
    if report.null_refused is not None:
        console.print(f"null questions refused: {report.null_refused:.1%}; "
                      f"answerable questions wrongly refused: {report.answerable_refused:.1%}")
    if report.latency_ms:
        console.print("search latency: " + ", ".join(f"{k} {v:.1f} ms" for k, v in report.latency_ms.items()))


def print_answer_report(report, console: Console | None = None) -> None:  # noqa: ANN001 - AnswerReport
    """The output of `newsdesk eval answers`."""
    console = console or Console()
    who = report.answerer + (f" ({report.model}, prompt v{report.prompt_version})" if report.model else "")
    table = Table(title=f"MultiHop-RAG answer accuracy: {report.n} questions, answered by {who}")
    for col in ("type", "n", "accuracy"):
        table.add_column(col, justify="left" if col == "type" else "right")
    for qtype, m in report.per_type.items():
        table.add_row(qtype, str(m["n"]), f"{m['accuracy']:.3f}")
    table.add_row("all", str(report.n), f"{report.accuracy:.3f}", style="bold")
    console.print(table)
    yes_no = report.yes_no
    console.print(f"without null questions: {report.accuracy_answerable:.3f}; yes/no questions ({yes_no['n']}): "
                  f"gold word in the answer {yes_no['gold_in_answer']:.1%}, verdict first {yes_no['verdict_first']:.1%}")
    if report.fallbacks:
        console.print(f"[yellow]{report.fallbacks} answers came from the extractive fallback (the model failed)[/]")
    console.print("the paper: " + ", ".join(f"{k} {v:.2f}" for k, v in report.paper.items()))
