"""The ingest pipeline against a real embedded Chroma: incremental runs, bad files,
settings mismatch, the lock, and recovery after a crash."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from ingest.pipeline import IngestBusyError, Ingestor, lock_path_for
from vectorstore.config import StoreConfig
from vectorstore.store import NewsStore, StoreMismatchError
from tests.conftest import ROOT


def _ingest(store, paths, **kw):
    prune = kw.pop("prune", False)
    return Ingestor(store, progress=False, **kw).run([str(p) for p in paths], prune=prune)


def test_first_ingest_then_noop_reingest(store_factory, sample_copy, monkeypatch):
    store = store_factory()
    first = _ingest(store, [sample_copy])
    assert first.ok and first.added > 13 and first.updated == first.removed == 0
    assert first.chunks == store.count() > 13
    # the second run must not embed anything
    calls = []
    real = store.embedder.encode
    monkeypatch.setattr(store.embedder, "encode", lambda texts, **k: calls.append(len(texts)) or real(texts, **k))
    version = store.version()
    second = _ingest(store, [sample_copy])
    assert calls == []
    assert second.unchanged == first.added and second.added == second.updated == second.removed == 0
    assert second.chunks == first.chunks and store.version() == version


def test_changed_document_replaces_its_chunks(store_factory, sample_copy):
    store = store_factory()
    _ingest(store, [sample_copy])
    before = store.count()
    page = sample_copy / "pages" / "03-gp-contract-uplift-2025-26.txt"
    text = page.read_text(encoding="utf-8")
    assert "4.7%" in text
    page.write_text(text.replace("4.7% uplift", "4.9% uplift", 1), encoding="utf-8")
    report = _ingest(store, [sample_copy])
    assert report.updated == 1 and report.added == 0 and report.removed == 0
    texts = [t for _, t, m in store.iter_records() if m["file"] == "pages/03-gp-contract-uplift-2025-26.txt"
             and m["kind"] == "article"]
    assert any("4.9% uplift" in t for t in texts) and not any("4.7% uplift" in t for t in texts)
    assert store.count() == before  # same number of chunks, none left behind


def test_changed_document_keeps_the_vectors_of_its_unchanged_chunks(store_factory, sample_copy, monkeypatch):
    """Only the chunks an edit changed are embedded again; the rest keep their stored vectors,
    which are the vectors embedding them again would give. A new headline (in every chunk's
    embedded header) re-embeds them all."""
    store = store_factory(chunk_tokens=64, chunk_overlap=0)
    _ingest(store, [sample_copy])
    page = sample_copy / "pages" / "03-gp-contract-uplift-2025-26.txt"
    text = page.read_text(encoding="utf-8")
    page.write_text(text.replace("4.7% uplift", "4.9% uplift", 1), encoding="utf-8")
    embedded = []
    real = store.embedder.encode
    monkeypatch.setattr(store.embedder, "encode", lambda texts, **k: embedded.extend(texts) or real(texts, **k))
    report = _ingest(store, [sample_copy])
    article = [(cid, t, m) for cid, t, m in store.iter_records()
               if m["file"] == "pages/03-gp-contract-uplift-2025-26.txt" and m["kind"] == "article"]
    assert report.updated == 1 and report.chunks_kept == report.chunks_written - len(embedded) > 0
    assert len(embedded) < len(article) and all("4.9% uplift" in t or "4.7%" not in t for t in embedded)
    stored = store.get_vectors([cid for cid, _, _ in article])
    for cid, chunk_text, meta in article:
        again = real([f"{meta['header']}\n{chunk_text}"])[0]
        assert float(stored[cid][0] @ again) > 0.999
    title = article[0][2]["title"]
    assert title in text
    page.write_text(page.read_text(encoding="utf-8").replace(title, title + " (updated)"), encoding="utf-8")
    embedded.clear()
    again = _ingest(store, [sample_copy])  # the article and its readers' comments, whose headers name it
    assert again.chunks_kept == 0 and len(embedded) == again.chunks_written > len(article)


def test_deleted_comment_is_removed_and_prune_removes_deleted_files(store_factory, sample_copy):
    store = store_factory()
    first = _ingest(store, [sample_copy])
    # drop the last named comment of a seed-000-shaped page
    page = sample_copy / "pages" / "01-staffing-flex-fund-146m.txt"
    text = page.read_text(encoding="utf-8").rstrip()
    last_header = max(i for i, line in enumerate(text.splitlines()) if line.strip().endswith(("am", "pm")))
    page.write_text("\n".join(text.splitlines()[:last_header]) + "\n", encoding="utf-8")
    report = _ingest(store, [sample_copy])
    assert report.removed == 1 and report.updated == 0
    # a file that is gone stays until --prune
    (sample_copy / "export.jsonl").unlink()
    kept = _ingest(store, [sample_copy])
    assert kept.removed == 0 and any(m["file"] == "export.jsonl" for _, _, m in store.iter_records(include_documents=False))
    pruned = _ingest(store, [sample_copy], prune=True)
    assert pruned.removed == 2
    assert not any(m["file"] == "export.jsonl" for _, _, m in store.iter_records(include_documents=False))
    assert pruned.chunks == store.count() < first.chunks


def test_bad_files_are_reported_and_the_rest_ingested(store_factory, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.jsonl").write_text(json.dumps({"title": "Good", "body": "A good article body.",
                                                   "url": "https://x.example/good"}) + "\n")
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.html").write_bytes(b"\x00\x01\x02binary\x00" * 100)
    (folder / "broken.json").write_text("{not json")
    (folder / "noarticle.txt").write_text("short\n\nlines\n")
    unreadable = folder / "secret.md"
    unreadable.write_text("# T\n\nbody text")
    unreadable.chmod(0)
    store = store_factory()
    report = _ingest(store, [folder, tmp_path / "missing-folder"])
    unreadable.chmod(0o644)
    reasons = {Path(f.path).name: f.reason for f in report.failed}
    readable = 2 if os.geteuid() == 0 else 1  # root can read a chmod-0 file
    assert report.added == readable and store.count() == readable
    assert "empty" in reasons["empty.txt"]
    assert "binary" in reasons["binary.html"]
    assert "malformed JSON" in reasons["broken.json"]
    assert "no article body" in reasons["noarticle.txt"]
    assert "missing-folder" in reasons and "no such file" in reasons["missing-folder"]
    if readable == 1:
        assert "unreadable" in reasons["secret.md"]
    assert not report.ok


def test_store_with_other_chunk_size_is_refused(tmp_path, embedder, sample_copy):
    store = NewsStore(StoreConfig(path=tmp_path / "s", chunk_tokens=256), embedder)
    _ingest(store, [sample_copy / "export.jsonl"])
    other = NewsStore(StoreConfig(path=tmp_path / "s", chunk_tokens=128), embedder)
    with pytest.raises(StoreMismatchError, match="chunk_tokens: store has 256, settings say 128"):
        _ingest(other, [sample_copy / "export.jsonl"])


def test_second_ingest_at_the_same_time_is_refused(store_factory, sample_copy):
    from filelock import FileLock

    store = store_factory()
    with FileLock(str(lock_path_for(store))):
        with pytest.raises(IngestBusyError, match="another ingest is running"):
            _ingest(store, [sample_copy])
    assert _ingest(store, [sample_copy]).ok  # free again


CRASHING_INGEST = """
import sys
from ingest.pipeline import Ingestor
from vectorstore.config import StoreConfig
from vectorstore.store import NewsStore
store = NewsStore(StoreConfig(path=sys.argv[1]))
print("ready", flush=True)
def report(phase, done, total):
    print(phase, done, total, flush=True)
Ingestor(store, progress=False, batch_chunks=8, on_progress=report).run([sys.argv[2]])
print("finished", flush=True)
"""


def test_killed_ingest_leaves_a_queryable_store_and_the_next_run_finishes(tmp_path, embedder, sample_copy):
    path = tmp_path / "crash"
    # the reference: a clean run's chunk count
    ref = _ingest(NewsStore(StoreConfig(path=tmp_path / "ref"), embedder), [sample_copy])
    proc = subprocess.Popen([sys.executable, "-c", CRASHING_INGEST, str(path), str(sample_copy)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        # Kill after the third batch is under way (two written). The store is not opened
        # here meanwhile: an embedded Chroma store is not shared between processes.
        batches = 0
        for line in proc.stdout:
            if line.startswith("embedding"):
                batches += 1
                if batches == 3:
                    break
        assert batches == 3
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    partial = NewsStore(StoreConfig(path=path), embedder, create=False)
    written = partial.count()
    assert 0 < written < ref.chunks, "the kill should land mid-ingest"
    hits = partial.query(embedder.encode_query("GP contract uplift"), 3)
    assert hits  # queryable
    report = _ingest(NewsStore(StoreConfig(path=path), embedder), [sample_copy])
    assert report.ok and report.chunks == ref.chunks
    ids = [cid for cid, _, _ in partial.iter_records(include_documents=False)]
    assert len(ids) == len(set(ids)) == ref.chunks
