"""Running the evaluations against the production chain (used by `newsdesk eval`)."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from ..answer import Answer
from ..chain import AnswerChain, AskOptions, build_chain
from ..settings import Settings
from .metrics import QAResult, RetrievalReport, check_qa, evaluate_multihop, load_multihop_queries, load_qa

if TYPE_CHECKING:
    from vectorstore.store import NewsStore


def _file_hash(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:12]


def eval_store_path(settings: Settings, corpus: Path) -> Path:
    """The throw-away store for a corpus: cached by the corpus's hash and the chunk settings."""
    cfg = settings.store
    key = f"{_file_hash(corpus)}-{cfg.chunk_tokens}-{cfg.chunk_overlap}"
    return settings.store_dir / "eval" / f"{corpus.stem}-{key}"


def eval_store(settings: Settings, corpus: Path, *, progress: bool = False) -> NewsStore:
    """The corpus's cached throw-away store, ingested first (a no-op when it is up to date)."""
    from ingest.pipeline import Ingestor
    from vectorstore.store import NewsStore

    cfg = replace(settings.store, path=eval_store_path(settings, corpus), host="", collection="multihop")
    store = NewsStore(cfg)
    report = Ingestor(store, progress=progress, max_file_bytes=200_000_000).run([str(corpus)])
    if report.failed:
        raise RuntimeError(f"could not ingest {corpus}: {report.failed[0].reason}")
    return store


def run_multihop(settings: Settings, corpus: Path, queries: Path, *, limit: int | None = None,
                 progress: bool = False, k: int = 10) -> RetrievalReport:
    """Ingest the corpus into its cached store (a no-op when cached), then run the protocol.

    Each question is answered once by the production chain from its top `k` passages;
    the retrieval metrics score those passages and the answer metrics the answer.
    """
    store = eval_store(settings, corpus, progress=progress)
    chain = build_chain(settings, store)
    items = load_multihop_queries(queries)[:limit]
    latencies: list[float] = []
    answers: dict[str, Answer] = {}

    def answer(question: str) -> Answer:
        reply = chain.ask(question, AskOptions(k=k))
        latencies.append(reply.timings.get("retrieve_ms", 0.0))
        answers[question] = reply
        return reply

    def search(question: str) -> list[str]:
        reply = answers.pop(question, None) or answer(question)
        return [p.text for p in reply.passages]

    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(items), unit="q", desc="questions")
    result = evaluate_multihop(search, items, store.config.chunk_tokens, answer=answer,
                               progress=bar.update if bar else None)
    if bar:
        bar.close()
    if latencies:
        ordered = sorted(latencies)
        result.latency_ms = {"search_p50": ordered[len(ordered) // 2],
                             "search_p95": ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]}
    return result


def run_qa(chain: AnswerChain, path: Path) -> list[QAResult]:
    """Ask every question of a QA file and judge the answers."""
    results = []
    for item in load_qa(path):
        answer = chain.ask(item["question"], AskOptions())
        passed, reason = check_qa(item, answer.found, answer.answer, [c.title for c in answer.citations],
                                  [c.kind for c in answer.citations])
        results.append(QAResult(id=str(item["id"]), question=item["question"], passed=passed, reason=reason,
                                answer=answer.answer, sources=[c.title for c in answer.citations]))
    return results
