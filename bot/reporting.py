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
