"""The ingest run: read files, skip what is unchanged, chunk and embed the rest, write.

The store itself is the record of what was ingested: every chunk carries its
document's id, content hash, file and root (the approach of simonw/llm's
`Collection`). LangChain's indexing API keeps that record in a second database (its
record manager), which a crash between the two writes, or a second process on a
Chroma server, can put out of step with the vectors; here there is nothing to get out
of step. Per document, the new chunks are written before the old ones are deleted,
so a crash leaves the previous version queryable and the next run finishes the job.

After a run that changed something (or when the store has no lexical snapshot for its
version yet), the run writes the lexical index snapshot every bot memory-maps
(`vectorstore.lexical.save_snapshot`): from the previous snapshot and the chunks this run
wrote, when the previous snapshot is of the version the run started from.
"""

from __future__ import annotations

import logging
import sys
import time
from collections import defaultdict
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import numpy as np
from filelock import FileLock, Timeout

from vectorstore.lexical import folder_for, matches, save_snapshot, snapshot_doc_records
from vectorstore.store import DocRecord, NewsStore

from .chunking import CHUNKER_VERSION, Chunker, document_hash
from .decode import BadFileError
from .discover import SourceFile, discover
from .documents import Chunk, Document
from .loaders import LoadResult, load_file
from .lock import IngestBusyError, lock_path_for  # noqa: F401 - re-exported: callers import them from here
from .report import FileFailure, IngestReport  # noqa: F401 - re-exported: callers import them from here

if TYPE_CHECKING:
    from .web.config import CrawlConfig

log = logging.getLogger(__name__)

EMBED_BATCH_CHUNKS = 512  # chunks per embedding call (the model sorts them by length)


def is_url(value: str) -> bool:
    """True for an http(s) URL given where a path could be (the crawler takes it)."""
    return value[:8].lower().startswith(("http://", "https://"))


@dataclass
class _Pending:
    doc: Document
    doc_hash: str
    status: str  # "added" | "updated"
    old_ids: list[str]
    root: str


class Ingestor:
    """Ingests files into a `NewsStore`, incrementally."""

    def __init__(self, store: NewsStore, *, default_source: str = "", max_file_bytes: int = 20_000_000,
                 progress: bool = True, wait: float = 0.0, batch_chunks: int = EMBED_BATCH_CHUNKS,
                 on_progress: Callable[[str, int, int], None] | None = None) -> None:
        self.store = store
        self.default_source = default_source
        self.max_file_bytes = max_file_bytes
        self.progress = progress
        self.wait = wait
        self.on_progress = on_progress
        self.batch_chunks = batch_chunks
        embedder = store.embedder
        self.chunker = Chunker(count_tokens=embedder.count_tokens, window=embedder.content_window,
                               chunk_tokens=store.config.chunk_tokens, overlap=store.config.chunk_overlap)
        self.settings_key = "|".join([embedder.label, str(store.config.chunk_tokens), str(store.config.chunk_overlap),
                                      CHUNKER_VERSION])
        self._written: list[str] = []  # chunk ids upserted and deleted by the current run
        self._deleted: list[str] = []

    def run(self, inputs: list[str], *, prune: bool = False, crawl: "CrawlConfig | None" = None,
            reembed: bool = False) -> IngestReport:
        """Ingest `inputs`: files, folders, globs, and http(s) URLs of pages, feeds and sitemaps
        (crawled with `crawl`, or the default `CrawlConfig`). Never raises for a bad file or URL.

        `reembed` first rebuilds the vectors of everything already stored with this
        process's runtime and precision (`newsdesk ingest --reembed`)."""
        lock = FileLock(str(lock_path_for(self.store)))
        try:
            lock.acquire(timeout=self.wait)
        except Timeout:
            raise IngestBusyError(
                f"another ingest is running on the {self.store.config.describe()} "
                f"(lock {lock.lock_file}); wait for it to finish, or pass --wait SECONDS"
            ) from None
        try:
            return self._run_locked(inputs, prune=prune, crawl=crawl, reembed=reembed)
        finally:
            lock.release()

    # --- the run ------------------------------------------------------------------------
    def _run_locked(self, inputs: list[str], *, prune: bool, crawl: "CrawlConfig | None",
                    reembed: bool = False) -> IngestReport:
        started = time.perf_counter()
        report = IngestReport()
        self.store.check_compatible(vectors=not reembed)
        base_version = self.store.version()
        self._written, self._deleted, self._writing = [], [], False
        embedder = self.store.embedder
        report.embed_backend, report.embed_precision = embedder.backend, embedder.precision
        if reembed:
            try:
                self._reembed(report)
            except KeyboardInterrupt:
                report.interrupted = True
                report.warnings.append("interrupted during --reembed: run `newsdesk ingest --reembed` again to finish")
                report.chunks = self.store.count()
                report.seconds = time.perf_counter() - started
                return report
            if not inputs:
                self._save_lexical(base_version, True, report)
                report.chunks = self.store.count()
                report.seconds = time.perf_counter() - started
                return report
        urls = [i for i in inputs if is_url(i)]
        paths = [i for i in inputs if not is_url(i)]
        stored = self._stored_documents()
        seen: set[str] = set()
        completed = False
        try:
            if paths or not urls:
                files, missing = discover(paths)
                report.failed.extend(FileFailure(path, reason) for path, reason in missing)
                report.files = len(files)
                pending, stale_ids = self._plan(files, stored, report, seen)
                self.write(pending, stale_ids, report)
                if prune:
                    self._prune(files, paths, stored, seen, report)
            if urls:
                from .web.crawl import WebCrawl  # the crawler's imports cost nothing for file ingests
                from .web.config import CrawlConfig

                WebCrawl(self, crawl or CrawlConfig(), stored, seen, report, prune=prune).run(urls)
            completed = True
        except KeyboardInterrupt:
            report.interrupted = True
            report.warnings.append("interrupted: what was written is consistent; run the ingest again to finish")
        finally:
            changed = bool(report.chunks_written or report.chunks_deleted)
            if changed or self._writing:  # a run that did not finish stays marked (`_stored_documents`)
                self.store.bump_version(writing=False if completed else None)
            if completed:
                self._save_lexical(base_version, changed, report)
            report.chunks = self.store.count()
            report.seconds = time.perf_counter() - started
        return report

    def _stored_documents(self) -> dict[str, DocRecord]:
        """What the store holds per document: from the lexical snapshot when it matches the store and the last
        run finished its changes (a server took 11.5 s at 97,591 chunks, the snapshot 0.7 s), else the store."""
        if not self.store.writes_unfinished():
            records = snapshot_doc_records(self.store)
            if records is not None:
                return records
        return self.store.doc_records()

    def begin_changes(self) -> None:
        """Mark the store before this run's first change: a run that does not finish leaves the mark."""
        if not self._writing:
            self.store.bump_version(writing=True)
            self._writing = True

    def note_deleted(self, chunk_ids: list[str]) -> None:
        """Chunks deleted by a part of the run outside this class (the crawler's pruning), for the
        lexical snapshot."""
        self._deleted.extend(chunk_ids)

    def _save_lexical(self, base_version: int, changed: bool, report: IngestReport) -> None:
        """Write the lexical index snapshot when the run changed the store or none matches it."""
        try:
            if not changed and matches(folder_for(self.store).current_manifest(), self.store.version()):
                return
            info = save_snapshot(self.store, written=self._written, deleted=self._deleted, base_version=base_version,
                                 reason="ingest")
        except Exception as exc:  # the store is written; bots build the index themselves meanwhile
            log.exception("writing the lexical index snapshot failed")
            report.warnings.append(f"lexical index snapshot not written ({type(exc).__name__}: {exc}); "
                                   "bots will build the index from the store")
            return
        report.lexical_seconds = info.seconds
        report.lexical_snapshot = info.name

    def _reembed(self, report: IngestReport) -> None:
        """Rebuild every stored chunk's vector from its stored header and text. The store
        is marked while this runs, so an interrupted re-embed is refused by queries and
        finished by the next `--reembed`; texts, ids and metadata are left as they are."""
        embedder = self.store.embedder
        target = f"{embedder.precision} ({embedder.backend})"
        self.store.record_vectors(embedder.backend, embedder.precision, pending=target)
        ids = [cid for cid, _text, _meta in self.store.iter_records(include_documents=False)]
        bar = self._bar(total=len(ids), unit="chunk", desc="re-embedding")
        for start in range(0, len(ids), self.batch_chunks):
            passages = self.store.get_passages(ids[start:start + self.batch_chunks])
            texts = [f"{p.header}\n{p.text}" if p.header else p.text for p in passages]
            t0 = time.perf_counter()
            vectors = embedder.encode(texts)
            report.embed_seconds += time.perf_counter() - t0
            self.store.update_vectors([p.chunk_id for p in passages], vectors)
            report.reembedded += len(passages)
            if bar is not None:
                bar.update(len(passages))
            self._notify("re-embedding", report.reembedded, len(ids))
        if bar is not None:
            bar.close()
        self.store.record_vectors(embedder.backend, embedder.precision)
        self.store.bump_version()

    @staticmethod
    def records_by_file(stored: dict[str, DocRecord]) -> dict[tuple[str, str], list[DocRecord]]:
        """The stored documents grouped by (root, file): what each file or web page holds."""
        by_file: dict[tuple[str, str], list[DocRecord]] = defaultdict(list)
        for rec in stored.values():
            by_file[(rec.root, rec.file)].append(rec)
        return by_file

    def _plan(self, files: list[SourceFile], stored: dict[str, DocRecord], report: IngestReport,
              seen: set[str]) -> tuple[list[_Pending], list[str]]:
        """Read every file; decide per document whether it is new, changed or unchanged."""
        pending: list[_Pending] = []
        stale_ids: list[str] = []
        by_file = self.records_by_file(stored)
        bar = self._bar(total=len(files), unit="file", desc="reading")
        for n, source in enumerate(files, start=1):
            rel = source.rel_path
            try:
                result = load_file(source.path, rel, default_source=self.default_source,
                                   max_bytes=self.max_file_bytes)
            except BadFileError as exc:
                report.failed.append(FileFailure(str(source.path), str(exc)))
            except Exception as exc:  # a parser bug must not stop the other files
                log.exception("unexpected error reading %s", source.path)
                report.failed.append(FileFailure(str(source.path), f"unexpected error: {type(exc).__name__}: {exc}"))
            else:
                self.plan_result(result, str(source.path), str(source.root), rel, stored, by_file, seen,
                                 pending, stale_ids, report)
            if bar is not None:
                bar.update(1)
            self._notify("reading", n, len(files))
        if bar is not None:
            bar.close()
        return pending, stale_ids

    def plan_result(self, result: LoadResult, label: str, root: str, rel: str, stored: dict[str, DocRecord],
                    by_file: dict[tuple[str, str], list[DocRecord]], seen: set[str], pending: list[_Pending],
                    stale_ids: list[str], report: IngestReport) -> None:
        """Plan the documents read from one file or page (`root`, `rel`): new and changed ones go to
        `pending`, the chunks of documents it no longer holds to `stale_ids`; counts go to `report`."""
        report.warnings.extend(f"{label}: {w}" for w in result.warnings)
        new_ids = set()
        for doc in result.documents:
            if doc.doc_id in seen:
                report.warnings.append(f"{label}: document {doc.doc_id} already read from another file; skipped")
                continue
            seen.add(doc.doc_id)
            new_ids.add(doc.doc_id)
            digest = document_hash(doc, self.settings_key)
            rec = stored.get(doc.doc_id)
            if rec is not None and rec.consistent and rec.doc_hash == digest:
                report.unchanged += 1
            else:
                pending.append(_Pending(doc, digest, "updated" if rec else "added",
                                        rec.chunk_ids if rec else [], root))
        # documents this file used to hold but no longer does (e.g. a deleted comment)
        for rec in by_file.get((root, rel), []):
            if rec.doc_id not in new_ids and rec.doc_id not in seen:
                stale_ids.extend(rec.chunk_ids)
                report.removed += 1

    def write(self, pending: list[_Pending], stale_ids: list[str], report: IngestReport, *,
              show_bar: bool = True) -> None:
        """Chunk, embed and write pending documents in batches; a writer thread overlaps
        Chroma's writes with the next batch's embedding."""
        total_docs = len(pending)
        if pending or stale_ids:
            self.begin_changes()
        bar = self._bar(total=total_docs, unit="doc", desc="embedding") if show_bar else None
        writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="newsdesk-writer")
        in_flight: Future | None = None
        done_docs = 0
        try:
            batch: list[tuple[_Pending, list[Chunk]]] = []
            batch_chunks = 0
            for item in pending:
                meta = {"root": item.root}
                chunks = self.chunker.chunk(item.doc, item.doc_hash, meta)
                batch.append((item, chunks))
                batch_chunks += len(chunks)
                if batch_chunks >= self.batch_chunks:
                    in_flight = self._flush(batch, writer, in_flight, report)
                    done_docs += len(batch)
                    if bar is not None:
                        bar.update(len(batch))
                        bar.set_postfix(chunks=report.chunks_written, refresh=False)
                    self._notify("embedding", done_docs, total_docs)
                    batch, batch_chunks = [], 0
            if batch:
                in_flight = self._flush(batch, writer, in_flight, report)
                if bar is not None:
                    bar.update(len(batch))
            if in_flight is not None:
                in_flight.result()
            if stale_ids:
                self.store.delete(stale_ids)
                self._deleted.extend(stale_ids)
                report.chunks_deleted += len(stale_ids)
        finally:
            writer.shutdown(wait=True)
            if bar is not None:
                bar.close()

    def _flush(self, batch: list[tuple[_Pending, list[Chunk]]], writer: ThreadPoolExecutor,
               in_flight: Future | None, report: IngestReport) -> Future:
        chunks = [c for _, cs in batch for c in cs]
        vectors = self._kept_vectors(batch, writer)
        fresh = [c for c in chunks if c.chunk_id not in vectors]
        report.chunks_kept += len(chunks) - len(fresh)
        t0 = time.perf_counter()
        encoded = self.store.embedder.encode([c.embed_text() for c in fresh]) if fresh else []
        vectors.update(zip([c.chunk_id for c in fresh], encoded))
        report.embed_seconds += time.perf_counter() - t0
        stacked = np.stack([vectors[c.chunk_id] for c in chunks]) if chunks else np.zeros((0, 1), dtype=np.float32)
        if in_flight is not None:
            in_flight.result()  # keep writes in order, at most one batch in memory
        return writer.submit(self._store_batch, batch, stacked, report)

    def _kept_vectors(self, batch: list[tuple[_Pending, list[Chunk]]], writer: ThreadPoolExecutor) -> dict:
        """Stored vectors the batch's new chunks keep: same id (same text, same document) and same
        header. Read on the writer thread, after the write in flight: reads never race writes."""
        wanted = {c.chunk_id: c.header for item, cs in batch for old in [set(item.old_ids)]
                  for c in cs if c.chunk_id in old}
        if not wanted:
            return {}
        stored = writer.submit(self.store.get_vectors, list(wanted)).result()
        return {cid: vector for cid, (vector, meta) in stored.items() if meta.get("header") == wanted[cid]}

    def _store_batch(self, batch: list[tuple[_Pending, list[Chunk]]], vectors: np.ndarray,
                     report: IngestReport) -> None:
        ids = [c.chunk_id for _, chunks in batch for c in chunks]
        if ids:
            self.store.upsert(ids, vectors, [c.text for _, chunks in batch for c in chunks],
                              [c.metadata for _, chunks in batch for c in chunks])
            self._written.extend(ids)
        keep = set(ids)
        old = [cid for item, _ in batch for cid in item.old_ids if cid not in keep]
        if old:
            self.store.delete(old)
            self._deleted.extend(old)
        for item, _ in batch:
            if item.status == "added":
                report.added += 1
            else:
                report.updated += 1
        report.chunks_written += len(ids)
        report.chunks_deleted += len(old)
        self.store.bump_version()

    def _prune(self, files: list[SourceFile], inputs: list[str], stored: dict[str, DocRecord],
               seen: set[str], report: IngestReport) -> None:
        """Remove documents whose files, under the folders ingested, are gone."""
        roots = {str(Path(i).resolve()) for i in inputs if Path(i).is_dir()}
        roots |= {str(f.root) for f in files}
        gone: list[str] = []
        for rec in stored.values():
            if rec.doc_id in seen or rec.root not in roots:
                continue
            if not (Path(rec.root) / rec.file).exists():
                gone.extend(rec.chunk_ids)
                report.removed += 1
        if gone:
            self.begin_changes()
            self.store.delete(gone)
            self._deleted.extend(gone)
            report.chunks_deleted += len(gone)

    # --- progress -----------------------------------------------------------------------
    def _bar(self, *, total: int, unit: str, desc: str):  # noqa: ANN202 - tqdm or None
        if not self.progress or total == 0:
            return None
        from tqdm import tqdm

        return tqdm(total=total, unit=unit, desc=desc, file=sys.stderr, leave=False, dynamic_ncols=True)

    def _notify(self, phase: str, done: int, total: int) -> None:
        if self.on_progress is not None:
            self.on_progress(phase, done, total)
