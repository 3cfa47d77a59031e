"""Reliability promises, tested: repeated kills mid-ingest, ingest while answering, and a
soak of 2,000 questions with memory measured."""

from __future__ import annotations

import gc
import json
import multiprocessing
import os
import random
import signal
import subprocess
import sys
import threading
from pathlib import Path
import time

import psutil
import pytest

from bot.chain import build_chain
from bot.retrieval import HybridRetriever
from ingest.pipeline import Ingestor
from tests.conftest import ROOT, SAMPLE
from vectorstore.config import StoreConfig
from vectorstore.store import NewsStore

INGEST = """
import sys
from ingest.pipeline import Ingestor
from vectorstore.config import StoreConfig
from vectorstore.store import NewsStore
store = NewsStore(StoreConfig(path=sys.argv[1]))
report = lambda phase, done, total: print(phase, done, total, flush=True)
Ingestor(store, progress=False, batch_chunks=8, on_progress=report).run([sys.argv[2]])
print("finished", flush=True)
"""
CHECK = """
import json, sys
from vectorstore.config import StoreConfig
from vectorstore.store import NewsStore
store = NewsStore(StoreConfig(path=sys.argv[1]), create=False)
ids = [cid for cid, _, _ in store.iter_records(include_documents=False)]
records = store.doc_records()
hits = store.query(store.embedder.encode_query("GP contract uplift"), 3)
print(json.dumps({"count": store.count(), "ids": len(ids), "unique": len(set(ids)), "hits": len(hits),
                  "mixed": sum(not r.consistent for r in records.values())}))
"""


def _check(path) -> dict:
    out = subprocess.run([sys.executable, "-c", CHECK, str(path)], cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_repeated_kills_never_corrupt_and_the_last_run_completes(tmp_path, embedder, sample_copy, record_figure):
    expected = Ingestor(NewsStore(StoreConfig(path=tmp_path / "ref"), embedder), progress=False).run(
        [str(sample_copy)]).chunks
    path = tmp_path / "victim"
    rng = random.Random(7)
    kills = 0
    for _ in range(3):
        proc = subprocess.Popen([sys.executable, "-c", INGEST, str(path), str(sample_copy)], cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        target, seen = rng.randint(1, 3), 0
        for line in proc.stdout:
            if line.startswith("embedding"):
                seen += 1
                if seen == target:
                    os.kill(proc.pid, signal.SIGKILL)
                    kills += 1
                    break
        proc.wait(timeout=60)
        state = _check(path)
        assert state["ids"] == state["unique"] == state["count"] <= expected
        assert state["hits"] > 0 and state["mixed"] == 0
    assert kills == 3
    final = subprocess.run([sys.executable, "-c", INGEST, str(path), str(sample_copy)], cwd=ROOT,
                           capture_output=True, text=True, timeout=300)
    assert "finished" in final.stdout
    final_count = _check(path)["count"]
    record_figure("kills_injected", kills)
    record_figure("expected_chunks", expected)
    record_figure("final_chunks", final_count)
    assert final_count == expected


@pytest.mark.slow
def test_ingest_while_answering(tmp_path, embedder, sample_copy, record_figure):
    store = NewsStore(StoreConfig(path=tmp_path / "s"), embedder)
    Ingestor(store, progress=False).run([str(sample_copy / "notes")])
    chain = build_chain(retriever=HybridRetriever(store, refresh_interval=0.0))
    errors: list[BaseException] = []
    answers = []
    done = threading.Event()

    def ask_loop():
        while not done.is_set():
            try:
                answers.append(chain.ask("How much is the winter access fund?"))
            except BaseException as exc:  # noqa: BLE001 - recorded for the assertion
                errors.append(exc)

    askers = [threading.Thread(target=ask_loop) for _ in range(2)]
    for t in askers:
        t.start()
    try:
        report = Ingestor(store, progress=False, batch_chunks=16).run([str(sample_copy)])
    finally:
        done.set()
        for t in askers:
            t.join(timeout=60)
    record_figure("answers_during_ingest", len(answers))
    record_figure("errors_during_ingest", len(errors))
    assert report.ok and report.added > 30
    assert not errors, errors[:3]
    assert len(answers) >= 5 and all(a.found and "£58m" in a.answer for a in answers)
    # afterwards the new coverage answers too, once the background rebuild is in
    chain.retriever.wait_for_refresh(timeout=60)  # one may have started before the last batch
    chain.retriever.refresh_if_stale(wait=True)
    assert "9,400" in chain.ask("How many patients must re-register after the Kettlebridge closure?").answer


@pytest.mark.soak  # ~2 min: run by `make soak`, not in the default suite; figures in BENCHMARKS.md
def test_soak_2000_questions_memory_bounded(sample_store, record_figure):
    chain = build_chain(retriever=HybridRetriever(sample_store))  # production settings
    questions = [json.loads(l)["question"] for l in (ROOT / "tests" / "qa" / "regression.jsonl").read_text().splitlines()
                 if l.strip()]
    for q in questions:
        chain.ask(q)  # warm up: indexes, caches
    gc.collect()
    process = psutil.Process()
    start = process.memory_info().rss
    for i in range(2000):
        chain.ask(questions[i % len(questions)] + ("" if i % 2 else " please"))
    gc.collect()
    growth_mb = (process.memory_info().rss - start) / 2**20
    print(f"soak: 2000 questions, RSS growth {growth_mb:.1f} MB")
    record_figure("soak_questions", 2000)
    record_figure("soak_rss_growth_mb", round(growth_mb, 1))
    assert growth_mb < 50


def _start_ingest(folder, store, *extra):
    """A real `newsdesk ingest --json` process (run outside the project, so no .env is read)."""
    newsdesk = os.path.join(os.path.dirname(sys.executable), "newsdesk")
    return subprocess.Popen([newsdesk, "ingest", str(folder), "--json", "--quiet", "--store", str(store), *extra],
                            cwd=store.parent, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finish(procs) -> list[tuple[int, dict | None, str]]:
    """(exit code, the --json summary or None, stderr) of each process."""
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        lines = out.strip().splitlines()
        results.append((proc.returncode, json.loads(lines[-1]) if lines else None, err))
    return results


@pytest.mark.slow
def test_two_ingests_at_once(tmp_path, embedder, sample_copy, sample_store, record_figure):
    # the reference: the same files, ingested alone into the session's sample store
    root = str(SAMPLE.resolve())
    reference = [m for _, _, m in sample_store.iter_records(include_documents=False) if m["root"] == root]
    expected, documents = len(reference), len({m["doc_id"] for m in reference})
    path = tmp_path / "store"

    # two plain ingests at the same moment, and (a moment later, so it rarely wins the lock) one with --wait
    procs = [_start_ingest(sample_copy, path), _start_ingest(sample_copy, path)]
    time.sleep(1.5)
    procs.append(_start_ingest(sample_copy, path, "--wait", "240"))
    results = _finish(procs)
    detail = [(code, report, err[-600:]) for code, report, err in results]
    working = [i for i, (_, report, _) in enumerate(results) if report and report["added"]]
    assert len(working) == 1, detail  # exactly one did the work
    (worker,) = working
    report = results[worker][1]
    assert report["added"] == documents and report["failed"] == [] and report["chunks"] == expected
    refused = [results[i] for i in (0, 1) if i != worker]  # the plain ones that did not get the lock
    for code, summary, err in refused:  # refused at once, clearly
        assert code == 3 and summary is None, detail
        assert "another ingest is running" in err and "--wait" in err and "Traceback" not in err, err
    waited = worker != 2
    if waited:  # the usual case: --wait waited for the other and then found nothing to do
        code, report, _ = results[2]
        assert code == 0 and (report["added"], report["updated"], report["removed"]) == (0, 0, 0), detail
        assert report["unchanged"] == documents and report["chunks_written"] == 0 and report["chunks"] == expected

    # the store: exactly the reference's chunks, unique ids, consistent, queryable; a third run does nothing
    store = NewsStore(StoreConfig(path=path), embedder)
    ids = [cid for cid, _, _ in store.iter_records(include_documents=False)]
    assert len(ids) == len(set(ids)) == store.count() == expected
    assert all(r.consistent for r in store.doc_records().values())
    assert store.query(embedder.encode_query("GP contract uplift"), 3)
    again = Ingestor(store, progress=False).run([str(sample_copy)])
    assert again.ok and again.unchanged == documents and again.chunks_written == again.chunks_deleted == 0
    assert again.added == again.updated == again.removed == 0 and again.chunks == expected
    record_figure("concurrent_ingests_refused", len(refused))
    record_figure("concurrent_ingests_waited", int(waited))
    record_figure("concurrent_ingest_final_chunks", store.count())
    record_figure("concurrent_ingest_expected_chunks", expected)


def _open_fresh_store(path: str, barrier, results) -> None:  # noqa: ANN001 - multiprocessing objects
    from vectorstore.config import StoreConfig
    from vectorstore.store import NewsStore

    barrier.wait()
    try:
        NewsStore(StoreConfig(path=Path(path)))
        results.put("ok")
    except Exception as exc:  # noqa: BLE001 - reported to the test
        results.put(f"{type(exc).__name__}: {exc}")


@pytest.mark.slow
def test_processes_opening_a_fresh_store_at_once_all_succeed(tmp_path, record_figure):
    """Chroma creates a new folder's database without a lock ("table collections already
    exists" for one of two processes, about one pair in six, before the store took turns)."""
    ctx = multiprocessing.get_context("spawn")
    outcomes = []
    for round_ in range(12):
        barrier, results = ctx.Barrier(2), ctx.Queue()
        procs = [ctx.Process(target=_open_fresh_store, args=(str(tmp_path / str(round_)), barrier, results))
                 for _ in range(2)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(timeout=120)
        outcomes += [results.get(timeout=10) for _ in procs]
    record_figure("fresh_store_concurrent_opens", len(outcomes))
    assert outcomes == ["ok"] * 24, [o for o in outcomes if o != "ok"][:3]
