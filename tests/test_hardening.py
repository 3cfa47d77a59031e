"""Reliability promises, tested: repeated kills mid-ingest, ingest while answering, and a
soak of 2,000 questions with memory measured."""

from __future__ import annotations

import gc
import json
import os
import random
import signal
import subprocess
import sys
import threading

import psutil
import pytest

from bot.chain import AnswerChain
from bot.retrieval import HybridRetriever
from ingest.pipeline import Ingestor
from tests.conftest import ROOT
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
def test_repeated_kills_never_corrupt_and_the_last_run_completes(tmp_path, embedder, sample_copy):
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
    assert _check(path)["count"] == expected


@pytest.mark.slow
def test_ingest_while_answering(tmp_path, embedder, sample_copy):
    store = NewsStore(StoreConfig(path=tmp_path / "s"), embedder)
    Ingestor(store, progress=False).run([str(sample_copy / "notes")])
    chain = AnswerChain(HybridRetriever(store, refresh_interval=0.0))
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
    assert report.ok and report.added > 30
    assert not errors, errors[:3]
    assert len(answers) >= 5 and all(a.found and "£58m" in a.answer for a in answers)
    # afterwards the new coverage answers too
    assert "9,400" in chain.ask("How many patients must re-register after the Kettlebridge closure?").answer


@pytest.mark.soak  # ~2 min: run by `make soak`, not in the default suite; figures in BENCHMARKS.md
def test_soak_2000_questions_memory_bounded(sample_store):
    chain = AnswerChain(HybridRetriever(sample_store))  # production settings
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
    assert growth_mb < 50
