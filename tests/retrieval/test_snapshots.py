"""Lexical index snapshots (vectorstore/lexical, bot/retrieval/lexical.py): exactly bm25s's
scores, crash-safe publishing, never a snapshot of another store version, readers that
build one when there is none, and bots that follow another process's re-ingest."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from bot.retrieval import HybridRetriever, SearchFilters
from bot.retrieval.lexical import LiveLexicalIndex
from tests.conftest import ROOT, SAMPLE
from vectorstore.config import StoreConfig
from vectorstore.embeddings import Embedder
from vectorstore.lexical import build, folder_for, open_current, save_snapshot, terms, update
from vectorstore.lexical.build import bm25_matrix, record_terms
from vectorstore.store import NewsStore

WORDS = ("council budget flood barrier hospital waiting list school road bypass library fund pledge training "
         "practice nurse pharmacy contract uplift appointment winter pressure").split()


def _records(n: int, seed: int = 1, prefix: str = "c") -> list[tuple[str, str, dict]]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        doc = f"doc{i // 3}"
        text = " ".join(rng.choice(WORDS, size=int(rng.integers(3, 40)))) + f" £{i}m"
        meta = {"doc_id": f"{prefix}{doc}", "chunk_index": i % 3, "kind": "comment" if i % 7 == 0 else "article",
                "source": ("Gazette", "Ledger", "The Echo Online")[i % 3], "published_day": 19700 + i % 40,
                "published": "", "title": f"Title {doc}", "header": f"Title {doc} | Gazette"}
        out.append((f"{prefix}{i:05d}-ü", text, meta))
    return out


def _store(path: Path, lexical: Path | None = None) -> NewsStore:
    """An embedded store whose model is never loaded (records are written with made-up vectors)."""
    return NewsStore(StoreConfig(path=path, lexical_dir=lexical), Embedder(""))


def _put(store: NewsStore, records) -> None:
    vectors = np.random.default_rng(0).random((len(records), 8)).astype(np.float32)
    store.upsert([r[0] for r in records], vectors, [r[1] for r in records], [r[2] for r in records])
    store.bump_version()


def _bm25s_scores(records, query):
    import bm25s

    ref = bm25s.BM25(k1=1.2, b=0.75)
    ref.index([record_terms(t, m) for _, t, m in records], show_progress=False)
    ids = [ref.vocab_dict[t] for t in terms(query) if t in ref.vocab_dict]
    scores = np.asarray(ref.get_scores(ids)) if ids else np.zeros(len(records))
    return {r[0]: s for r, s in zip(records, scores)}


def _scores(records_or_snapshot, query):
    snap = records_or_snapshot
    return dict(zip(snap.ids, snap.scores(terms(query))))


# --- building ------------------------------------------------------------------------------------
def test_scores_are_bm25s_scores_bit_for_bit_full_and_updated(tmp_path):
    records = _records(300)
    store = _store(tmp_path / "s")
    _put(store, records[:250])
    first = save_snapshot(store)
    assert first.mode == "full" and first.chunks == 250
    base = store.version()
    _put(store, records[250:])  # 50 new chunks, 10 removed (one of their terms with them)
    removed = [r[0] for r in records[:10]]
    store.delete(removed)
    store.bump_version()
    second = save_snapshot(store, written=[r[0] for r in records[250:]], deleted=removed, base_version=base)
    assert second.mode == "update" and second.chunks_read == 50 and second.chunks == 290
    now = records[10:]
    snapshot = open_current(store)
    full = build(now)
    for query in ("flood barrier budget", "winter pressure £12m pharmacy", "library", "nothing matches zzz"):
        want = _bm25s_scores(now, query)
        got = _scores(snapshot, query)
        assert got.keys() == want.keys()
        assert all(got[c] == want[c] for c in want), query  # the same float32 values, not approximately
        fresh = dict(zip(full.ids, np.asarray(_raw_scores(full, query), dtype=np.float64)))
        assert all(fresh[c] == want[c] for c in want)
    assert snapshot.df("librari") == sum("library" in t for _, t, _ in now)


def _raw_scores(data, query):
    matrix = bm25_matrix(data)
    vocab = {t: i for i, t in enumerate(data.vocab)}
    scores = np.zeros(data.size, dtype=np.float32)
    for t in terms(query):
        if t in vocab:
            i = vocab[t]
            np.add.at(scores, matrix["indices"][matrix["indptr"][i]:matrix["indptr"][i + 1]],
                      matrix["data"][matrix["indptr"][i]:matrix["indptr"][i + 1]])
    return scores


def test_update_drops_terms_only_deleted_chunks_had():
    records = _records(30)
    odd = ("c99999", "zanzibar quokka", {"doc_id": "odd", "kind": "article"})
    data = build(records + [odd])

    class Prev:  # the previous snapshot as `update` reads it
        ids, vocab = data.ids, data.vocab
        tf_indptr, tf_terms, tf_counts, doc_len = data.tf_indptr, data.tf_terms, data.tf_counts, data.doc_len
        day, chunk_index, kind, source, doc = data.day, data.chunk_index, data.kind, data.source, data.doc
        records = b"".join(data.record_parts)
        record_offsets = np.concatenate([[0], np.cumsum(data.record_lengths)])
        sentence_ptr, sentence_hashes = data.sentence_ptr, data.sentence_hashes

    after = update(Prev, [], ["c99999"])
    assert "zanzibar" not in after.vocab and after.size == 30 and after.reused_rows == 30
    fresh = build(records)
    assert np.array_equal(after.sentence_ptr, fresh.sentence_ptr)
    assert np.array_equal(after.sentence_hashes, fresh.sentence_hashes)
    assert sorted(after.vocab) == sorted(build(records).vocab)
    blob = b"".join(bytes(p) for p in after.record_parts)
    assert json.loads(blob[:after.record_lengths[0]])[0] == records[0][1]


def _previous(data):
    class Prev:  # a snapshot's rows as `update` reads them
        ids, vocab = data.ids, data.vocab
        tf_indptr, tf_terms, tf_counts, doc_len = data.tf_indptr, data.tf_terms, data.tf_counts, data.doc_len
        day, chunk_index = data.day, data.chunk_index
        kind, source, doc = np.asarray(data.kind, dtype=object), np.asarray(data.source, dtype=object), data.doc
        records = b"".join(data.record_parts)
        record_offsets = np.concatenate([[0], np.cumsum(data.record_lengths)])
        sentence_ptr, sentence_hashes = data.sentence_ptr, data.sentence_hashes

    return Prev


def _rows(data):
    """Each row as plain values (terms spelled out, so vocabularies numbered differently compare)."""
    blob = b"".join(bytes(p) for p in data.record_parts)
    ends = np.cumsum(data.record_lengths)
    out = []
    for i, cid in enumerate(data.ids):
        a, b = data.tf_indptr[i], data.tf_indptr[i + 1]
        out.append((cid, sorted(zip((data.vocab[t] for t in data.tf_terms[a:b]), data.tf_counts[a:b].tolist())),
                    int(data.doc_len[i]), int(data.day[i]), int(data.chunk_index[i]), data.kind[i], data.source[i],
                    data.doc[i], data.sentence_hashes[data.sentence_ptr[i]:data.sentence_ptr[i + 1]].tolist(),
                    bytes(blob[ends[i] - data.record_lengths[i]:ends[i]])))
    return out


@pytest.mark.parametrize("removed", [[], [0], [39], [0, 1, 2], [5, 6, 20, 21, 22, 33], list(range(0, 40, 2)),
                                     list(range(40))])
def test_update_equals_a_fresh_build_of_the_same_rows(removed):
    records = _records(40)
    fresh = _records(5, seed=7, prefix="n") + [(records[10][0], "Rewritten: the flood barrier opens.", records[10][2])]
    previous = build(records)
    gone = {records[i][0] for i in removed}
    after = update(_previous(previous), fresh, gone)
    replaced = gone | {r[0] for r in fresh}
    want = build([r for r in records if r[0] not in replaced] + fresh)
    assert _rows(after) == _rows(want)
    assert after.reused_rows == sum(r[0] not in replaced for r in records) and sorted(after.vocab) == sorted(want.vocab)
    assert np.array_equal(after.tf_indptr, want.tf_indptr) and np.array_equal(after.sentence_ptr, want.sentence_ptr)


# --- publishing and matching ---------------------------------------------------------------------
CRASH = """
import os, sys, numpy as np
sys.path.insert(0, {root!r})
from vectorstore.config import StoreConfig
from vectorstore.embeddings import Embedder
from vectorstore.store import NewsStore
from vectorstore.lexical import save_snapshot
store = NewsStore(StoreConfig(path={path!r}), Embedder(""))
real, calls = np.save, []
def dying_save(*a, **k):
    calls.append(1)
    if len(calls) == 6:
        os._exit(9)  # killed mid-write: no cleanup, no exception handlers
    return real(*a, **k)
np.save = dying_save
save_snapshot(store)
"""


def test_a_crash_while_a_snapshot_is_written_leaves_the_old_one_serving(tmp_path):
    records = _records(60)
    store = _store(tmp_path / "s")
    _put(store, records[:40])
    save_snapshot(store)
    old = LiveLexicalIndex(store, refresh_interval=0.0)
    assert old.current().size == 40
    _put(store, records[40:])
    crashed = subprocess.run([sys.executable, "-c", CRASH.format(root=str(ROOT), path=str(tmp_path / "s"))],
                             capture_output=True, text=True, timeout=120)
    assert crashed.returncode == 9, crashed.stderr
    folder = folder_for(store)
    assert list(folder.root.glob(".tmp-*"))  # the half-written snapshot is there, but not current
    assert folder.current_manifest()["chunks"] == 40
    # the running reader keeps answering from the old snapshot; a new one finds none for the
    # store's version (the crashed one never became current), so it builds one
    assert old.refresh_if_stale() is True
    old.wait_for_refresh(30)
    assert old.current().size == 40 and HybridRetriever(store, dense="never").search("flood", k=3)
    assert open_current(store).size == 60 and not list(folder.root.glob(".tmp-*"))  # leftovers removed


def test_a_snapshot_that_does_not_match_the_store_is_never_used(tmp_path, caplog):
    records = _records(40)
    store = _store(tmp_path / "s")
    _put(store, records[:20])
    save_snapshot(store)
    _put(store, records[20:])  # written without a snapshot: the current one is of an older version
    assert open_current(store) is None
    reader = LiveLexicalIndex(store, refresh_interval=0.0)
    with caplog.at_level(logging.INFO, logger="bot.retrieval.lexical"):
        assert reader.current().size == 40  # not the 20-chunk snapshot: it built and saved one
    assert reader.last_build["source"] == "built"
    assert "built one from the store" in caplog.text
    again = LiveLexicalIndex(store)
    assert again.current().size == 40 and again.last_build["source"] == "snapshot"  # the next one just opens it

    # a snapshot written with another tokenizer is not used either
    manifest_path = folder_for(store).root / folder_for(store).current_name() / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest_path.write_text(json.dumps({**manifest, "tokenizer": "another"}))
    assert open_current(store) is None
    # a running reader that sees a new store version keeps its index until a matching
    # snapshot appears (it does not build one itself before `rebuild_after`)
    _put(store, _records(5, seed=2, prefix="n"))
    follower = LiveLexicalIndex(store, refresh_interval=0.0, rebuild_after=3600)
    follower._index = again.current()
    assert follower.refresh_if_stale() is True
    follower.wait_for_refresh(30)
    assert follower.current() is again.current()
    save_snapshot(store)
    assert follower.refresh_if_stale() is True
    follower.wait_for_refresh(30)
    assert follower.current().size == 45 and follower.last_build["source"] == "snapshot"


def test_only_the_current_and_previous_snapshots_are_kept(tmp_path):
    store = _store(tmp_path / "s")
    names = []
    for i in range(4):
        _put(store, _records(5, seed=i, prefix=f"r{i}"))
        names.append(save_snapshot(store).name)
    folder = folder_for(store)
    assert folder.snapshot_names() == sorted(names[-2:]) and folder.current_name() == names[-1]


# --- the ingester and the bot --------------------------------------------------------------------
@pytest.mark.slow
def test_the_ingester_writes_a_snapshot_reusing_unchanged_chunks(tmp_path, store_factory):
    import shutil

    from ingest.pipeline import Ingestor

    sample_copy = tmp_path / "articles"
    shutil.copytree(SAMPLE / "notes", sample_copy / "notes")
    shutil.copy(SAMPLE / "export.jsonl", sample_copy)
    store = store_factory("s")
    first = Ingestor(store, progress=False).run([str(sample_copy)])
    manifest = folder_for(store).current_manifest()
    assert first.lexical_snapshot == manifest["name"] and manifest["mode"] == "full"
    assert manifest["chunks"] == store.count() and manifest["store_version"] == store.version()
    page = sample_copy / "notes" / "winter-access-fund-58m.md"
    page.write_text(page.read_text(encoding="utf-8").replace("£58m", "£61m"), encoding="utf-8")
    second = Ingestor(store, progress=False).run([str(sample_copy)])
    manifest = folder_for(store).current_manifest()
    assert second.updated == 4 and manifest["mode"] == "update"
    assert manifest["reused_rows"] == store.count() - second.chunks_written
    assert Ingestor(store, progress=False).run([str(sample_copy)]).lexical_snapshot == ""  # nothing changed
    found = HybridRetriever(store, dense="never").search("winter access fund £61m", k=3)
    assert any("£61m" in p.text for p in found) and not any("£58m" in p.text for p in found)


@pytest.mark.slow
def test_fresh_build_and_ingested_snapshot_give_the_same_top_10(sample_store, tmp_path):
    """The QA file's questions, with and without filters: a snapshot a reader builds from the
    store and the one the ingester wrote (incrementally, run after run) rank alike."""
    fresh_store = NewsStore(StoreConfig(path=sample_store.config.path, lexical_dir=tmp_path / "fresh"),
                            sample_store.embedder, create=False)
    ingested = HybridRetriever(sample_store, dense="never")
    fresh = HybridRetriever(fresh_store, dense="never")
    assert fresh.index().snapshot.folder != ingested.index().snapshot.folder
    assert fresh.lexical.last_build["source"] == "built"
    questions = [json.loads(line)["question"] for line in (ROOT / "tests" / "qa" / "regression.jsonl").open()]
    filters = [None, SearchFilters(kinds=("comment",)), SearchFilters(since="2025-01-01"),
               SearchFilters(sources=("pulse",)), SearchFilters(until="2024-12-31", kinds=("article",))]
    compared = 0
    for question in questions:
        for f in filters:
            a = [(p.chunk_id, round(p.score, 9)) for p in ingested.search(question, k=10, filters=f)]
            b = [(p.chunk_id, round(p.score, 9)) for p in fresh.search(question, k=10, filters=f)]
            assert a == b, (question, f)
            compared += bool(a)
    assert compared > len(questions)
    doc = ingested.search(questions[0], k=1)[0].doc_id
    assert [p.chunk_id for p in ingested.document_passages(doc)] == [p.chunk_id for p in fresh.document_passages(doc)]
    assert ingested.sources == fresh.sources and ingested.idf("gp") == fresh.idf("gp")
    assert ingested.index().outlets.aliases == fresh.index().outlets.aliases


@pytest.mark.slow
@pytest.mark.server
def test_two_bots_follow_a_reingest_done_by_a_third_process(tmp_path, embedder):
    import shutil

    from benchmarks.chroma_server import chroma_server
    from bot.chain import build_chain
    from ingest.pipeline import Ingestor

    corpus = tmp_path / "articles"
    shutil.copytree(SAMPLE / "notes", corpus)
    lexical = tmp_path / "shared-lexical"
    with chroma_server(tmp_path / "chroma") as (host, port):
        env = {**os.environ, "CHROMA_HOST": host, "CHROMA_PORT": str(port), "NEWSDESK_LOG_LEVEL": "WARNING",
               "NEWSDESK_LEXICAL_DIR": str(lexical)}
        cli = [sys.executable, "-m", "bot.frontends.cli", "ingest", str(corpus), "--json"]
        writer = NewsStore(StoreConfig(host=host, port=port, lexical_dir=lexical), embedder)
        assert Ingestor(writer, progress=False).run([str(corpus)]).lexical_snapshot
        bots = [build_chain(retriever=HybridRetriever(
            NewsStore(StoreConfig(host=host, port=port, lexical_dir=lexical), embedder, create=False),
            refresh_interval=0.2, dense="never")) for _ in range(2)]
        for bot in bots:
            assert "£58m" in bot.ask("How much is the winter access fund?").answer
            assert bot.retriever.lexical.last_build["source"] == "snapshot"
        page = corpus / "winter-access-fund-58m.md"
        page.write_text(page.read_text(encoding="utf-8").replace("£58m", "£61m"), encoding="utf-8")
        second = subprocess.run(cli, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        assert second.returncode == 0, second.stderr
        assert json.loads(second.stdout)["lexical_snapshot"]
        done = time.monotonic()
        for bot in bots:
            while "£61m" not in bot.ask("How much is the winter access fund?").answer:
                assert time.monotonic() - done < 5, "a bot did not pick up the re-ingest within 5 s"
                time.sleep(0.05)
            assert bot.retriever.lexical.last_build["source"] == "snapshot"  # opened, not rebuilt
        assert not any(p.name.startswith(".tmp") for p in lexical.rglob("*"))


def test_a_reader_that_cannot_write_the_shared_folder_builds_a_private_snapshot(tmp_path, monkeypatch, caplog):
    from vectorstore.lexical import folder as folder_module

    store = _store(tmp_path / "s")
    _put(store, _records(10))
    shared = folder_for(store).root
    real_publish = folder_module.SnapshotFolder.publish

    def publish(self, *args, **kwargs):
        if self.root == shared:
            raise PermissionError(13, "Permission denied", str(shared))
        return real_publish(self, *args, **kwargs)

    monkeypatch.setattr(folder_module.SnapshotFolder, "publish", publish)
    with caplog.at_level(logging.WARNING, logger="bot.retrieval.lexical"):
        index = LiveLexicalIndex(store).current()
    assert index.size == 10 and "cannot write" in caplog.text
    assert shared not in index.snapshot.folder.parents and folder_for(store).current_name() is None
