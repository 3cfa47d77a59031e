"""What an ingest run reports: counts of documents, failures per file or URL, timings."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class FileFailure:
    """A file that was skipped, and why."""

    path: str
    reason: str


@dataclass
class IngestReport:
    """What an ingest run did. Counts are of documents (articles and comments)."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    failed: list[FileFailure] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    files: int = 0
    chunks: int = 0  # total chunks in the store after the run
    chunks_written: int = 0
    chunks_kept: int = 0  # of those, chunks of changed documents whose stored vectors were kept, not re-embedded
    chunks_deleted: int = 0
    seconds: float = 0.0
    embed_seconds: float = 0.0
    lexical_seconds: float = 0.0  # writing the lexical index snapshot (included in `seconds`)
    lexical_snapshot: str = ""  # its folder name ("" when none was written)
    interrupted: bool = False
    pages: int = 0  # web pages checked (fetched, or answered 304)
    pages_not_modified: int = 0  # of those, answered 304 or with an unchanged body: not parsed again
    requests: int = 0  # HTTP requests sent (robots.txt, feeds, sitemaps, pages, retries, redirects)
    reembedded: int = 0  # chunks whose vectors `--reembed` rebuilt
    embed_backend: str = ""  # the runtime and precision that made this run's vectors
    embed_precision: str = ""

    @property
    def ok(self) -> bool:
        """True when no file failed and the run was not interrupted."""
        return not self.failed and not self.interrupted

    @property
    def chunks_per_second(self) -> float:
        """Chunks embedded and written per second of the whole run."""
        return self.chunks_written / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict:
        """The `--json` summary."""
        data = asdict(self)
        data["failed"] = [asdict(f) for f in self.failed]
        data["chunks_per_second"] = round(self.chunks_per_second, 1)
        data["seconds"] = round(self.seconds, 3)
        data["embed_seconds"] = round(self.embed_seconds, 3)
        data["lexical_seconds"] = round(self.lexical_seconds, 3)
        return data
