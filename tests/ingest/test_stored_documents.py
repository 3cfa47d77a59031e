"""A re-ingest learns what the store holds per document from the lexical snapshot, not by
paging every chunk's metadata out of Chroma, unless the snapshot is not the store's or the
last run did not finish its changes."""

from __future__ import annotations

import pytest

from ingest.pipeline import Ingestor
from vectorstore.lexical import save_snapshot, snapshot_doc_records

PAGE = "pages/03-gp-contract-uplift-2025-26.txt"


def _ingest(store, paths):
    return Ingestor(store, progress=False).run([str(p) for p in paths])


def _summary(records):
    return {d: (r.doc_hash, r.root, r.file, sorted(r.chunk_ids), r.hashes) for d, r in records.items()}


def _forbid_store_listing(store, monkeypatch):
    def listing():
        raise AssertionError("the store's documents were paged out of Chroma")

    monkeypatch.setattr(store, "doc_records", listing)


def test_snapshot_lists_what_the_store_holds(store_factory, sample_copy):
    store = store_factory()
    _ingest(store, [sample_copy])
    page = sample_copy / PAGE
    page.write_text(page.read_text(encoding="utf-8").replace("4.7% uplift", "4.9% uplift", 1), encoding="utf-8")
    assert _ingest(store, [sample_copy]).updated == 1
    from_snapshot = snapshot_doc_records(store)
    assert from_snapshot is not None and len(from_snapshot) > 13
    assert _summary(from_snapshot) == _summary(store.doc_records())


def test_reingest_reads_the_snapshot_not_the_store(store_factory, sample_copy, monkeypatch):
    store = store_factory()
    first = _ingest(store, [sample_copy])
    _forbid_store_listing(store, monkeypatch)
    assert _ingest(store, [sample_copy]).unchanged == first.added  # a no-op, from the snapshot
    page = sample_copy / PAGE
    page.write_text(page.read_text(encoding="utf-8").replace("4.7% uplift", "4.9% uplift", 1), encoding="utf-8")
    before = store.count()
    report = _ingest(store, [sample_copy])
    assert report.updated == 1 and report.added == report.removed == 0
    texts = [t for _, t, m in store.iter_records() if m["file"] == PAGE and m["kind"] == "article"]
    assert any("4.9% uplift" in t for t in texts) and not any("4.7% uplift" in t for t in texts)
    assert store.count() == before
    assert not store.writes_unfinished()


def test_snapshot_of_another_version_is_not_used(store_factory, sample_copy):
    store = store_factory()
    _ingest(store, [sample_copy])
    store.bump_version()  # a change the snapshot has not seen
    assert snapshot_doc_records(store) is None


def test_run_that_did_not_finish_makes_the_next_read_the_store(store_factory, sample_copy, monkeypatch):
    store = store_factory()
    _ingest(store, [sample_copy])
    before = store.count()
    page = sample_copy / PAGE
    page.write_text(page.read_text(encoding="utf-8").replace("4.7% uplift", "4.9% uplift", 1), encoding="utf-8")

    def crash(ids):  # the new chunks are written, the old ones not yet deleted
        raise RuntimeError("killed mid-write")

    with monkeypatch.context() as patch:
        patch.setattr(store, "delete", crash)
        with pytest.raises(RuntimeError, match="killed mid-write"):
            _ingest(store, [sample_copy])
    assert store.writes_unfinished()
    # a bot that found no snapshot for the store's version builds one meanwhile: it matches the
    # version, but the version says nothing about a run that stopped halfway
    save_snapshot(store, reason="a reader meanwhile")
    calls = []
    real = store.doc_records
    monkeypatch.setattr(store, "doc_records", lambda: calls.append(1) or real())
    report = _ingest(store, [sample_copy])
    assert calls == [1] and report.updated == 1
    texts = [t for _, t, m in store.iter_records() if m["file"] == PAGE and m["kind"] == "article"]
    assert any("4.9% uplift" in t for t in texts) and not any("4.7% uplift" in t for t in texts)
    assert store.count() == before and not store.writes_unfinished()
