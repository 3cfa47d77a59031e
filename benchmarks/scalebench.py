"""Scale benchmark (part of `make bench`): about 100,000 chunks in a real Chroma server.

The corpus is synthetic: each article's text is recombined from the MultiHop-RAG corpus
(a run of consecutive sentences from each of three different real articles), written as
a JSONL export and ingested by the production pipeline through `chromadb.HttpClient`
into a `chroma run` server on loopback.

The vectors are derived, not computed. Embedding 100,000 chunks with MiniLM on this
machine's 2 cores takes about three hours (the raw model rate is measured by the ingest
bench), so `DerivedEmbedder` stands in for the model: a chunk's vector is the
length-weighted mean of the real MiniLM vectors of the chunks its sentences came from,
renormalised. Everything else is the production path (loading, chunking with the real
tokenizer, hashing, the record manager, batched writes to the server, the version stamp),
so the ingest rate reported is the pipeline's rate without the model; the time with the
model is projected from the measured model rate and said to be a projection.

The ingest writes the lexical index snapshot (into a folder standing for the shared
volume of a deployment). The bot side runs in processes of their own, as deployed bots
would (`benchmarks/scalebot.py`): one opens the snapshot, answers the latency questions
with the real embedding model for the query vectors, and is measured; two more start
beside it, so the private memory of three bots at once is measured; then this process
re-ingests the corpus with one article changed while all three keep asking about it, as
another process would in production.
"""

from __future__ import annotations

import json
import math
import random
import shutil
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Sequence

import numpy as np

from ingest.chunking import split_sentences
from vectorstore.embeddings import Embedder
from vectorstore.store import NewsStore

from bot.settings import Settings

from .scalebot import MARKER_SENTENCE, SCALE_COLLECTION, bots_follow_reingest


@dataclass
class SourceArticle:
    """A real article, as sentences, with the metadata a recombined article borrows."""

    title: str
    source: str
    published: str
    author: str
    sentences: list[str]


class SentenceVectors:
    """Each sentence of the real corpus mapped to the mean vector of the chunks holding it."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self._sums: list[np.ndarray] = []
        self.matrix = np.zeros((0, 0), dtype=np.float32)

    def add(self, sentence: str, vector: np.ndarray) -> None:
        """Count `vector` for `sentence` (a sentence in two overlapping chunks gets both)."""
        i = self.index.get(sentence)
        if i is None:
            self.index[sentence] = len(self._sums)
            self._sums.append(vector.astype(np.float32).copy())
        else:
            self._sums[i] += vector

    def freeze(self) -> None:
        """Build the lookup matrix of unit vectors."""
        matrix = np.vstack(self._sums).astype(np.float32)
        matrix /= np.linalg.norm(matrix, axis=1, keepdims=True) + 1e-12
        self.matrix, self._sums = matrix, []


def read_real_corpus(store: NewsStore) -> tuple[list[SourceArticle], SentenceVectors]:
    """The real articles of `store` as sentences, and their sentences' vectors."""
    chunks: dict[str, list[tuple[int, str, dict]]] = {}
    table = SentenceVectors()
    for _, text, meta, vector in store.iter_vectors():
        chunks.setdefault(meta.get("doc_id", ""), []).append((int(meta.get("chunk_index", 0)), text, meta))
        for sentence in split_sentences(text):
            table.add(sentence, vector)
    table.freeze()
    articles = []
    for parts in chunks.values():
        parts.sort(key=lambda p: p[0])
        seen: set[str] = set()
        sentences = []
        for _, text, _ in parts:
            for s in split_sentences(text):
                if s not in seen:  # overlap repeats sentences across chunks
                    seen.add(s)
                    sentences.append(s)
        meta = parts[0][2]
        if len(sentences) >= 3:
            articles.append(SourceArticle(meta.get("title", ""), meta.get("source", ""), meta.get("published", ""),
                                          meta.get("author", ""), sentences))
    return articles, table


class DerivedEmbedder(Embedder):
    """Stands in for the model at scale: a chunk's vector is derived from real vectors of
    the sentences it is made of (see the module docstring). Tokenizer and label are the
    real model's, so chunking and the store's settings check are exactly production's."""

    def __init__(self, base: Embedder, table: SentenceVectors) -> None:
        super().__init__(base.model_name, batch_size=base.batch_size, threads=base.threads)
        self.model = base.model  # the real tokenizer for chunking (cached_property slot)
        self.table = table
        self.sentences_seen = 0
        self.sentences_found = 0

    def encode(self, texts: Sequence[str], *, threads: int | None = None) -> np.ndarray:
        """Derived unit vectors for `texts` ("header\\npassage", as the pipeline embeds them)."""
        out = np.zeros((len(texts), self.table.matrix.shape[1]), dtype=np.float32)
        for row, text in enumerate(texts):
            body = text.split("\n", 1)[-1]
            for sentence in split_sentences(body):
                self.sentences_seen += 1
                i = self.table.index.get(sentence)
                if i is not None:
                    self.sentences_found += 1
                    out[row] += len(sentence) * self.table.matrix[i]
            norm = np.linalg.norm(out[row])
            if norm > 0:
                out[row] /= norm
            else:  # nothing recognised (cannot happen for recombined text): any unit vector
                out[row, row % out.shape[1]] = 1.0
        return out


def recombined_article(i: int, articles: Sequence[SourceArticle], rng: random.Random) -> dict:
    """Synthetic article `i`: runs of consecutive sentences from three real articles."""
    picks = rng.sample(range(len(articles)), 3)
    paragraphs = []
    for a in picks:
        sentences = articles[a].sentences
        run = max(2, len(sentences) // 3)
        start = rng.randrange(0, max(1, len(sentences) - run + 1))
        paragraphs.append(" ".join(sentences[start:start + run]))
    lead = articles[picks[0]]
    return {"title": f"Recombined {i}: {lead.title}", "body": "\n\n".join(paragraphs),
            "url": f"https://synthetic.newsdesk.invalid/scale/{i}", "published_at": lead.published,
            "author": lead.author, "source": lead.source}


def write_corpus(folder: Path, articles: Sequence[SourceArticle], n_docs: int, seed: int = 7,
                 per_file: int = 500) -> None:
    """Write `n_docs` recombined articles as JSONL files of `per_file` records."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for start in range(0, n_docs, per_file):
        with open(folder / f"scale-{start // per_file:04d}.jsonl", "w", encoding="utf-8") as f:
            for i in range(start, min(n_docs, start + per_file)):
                f.write(json.dumps(recombined_article(i, articles, rng)) + "\n")


def documents_for(target_chunks: int, articles: Sequence[SourceArticle], embedder: Embedder,
                  store_cfg, sample: int = 150) -> tuple[int, float]:
    """How many recombined articles make about `target_chunks` chunks (chunking a sample)."""
    from ingest.chunking import Chunker
    from ingest.documents import Document

    chunker = Chunker(count_tokens=embedder.count_tokens, window=embedder.content_window,
                      chunk_tokens=store_cfg.chunk_tokens, overlap=store_cfg.chunk_overlap)
    rng = random.Random(11)
    counts = []
    for i in range(sample):
        rec = recombined_article(i, articles, rng)
        doc = Document(doc_id=f"s{i}", title=rec["title"], text=rec["body"], url=rec["url"],
                       published=rec["published_at"], source=rec["source"], author=rec["author"])
        counts.append(len(chunker.chunk(doc, "x")))
    per_doc = sum(counts) / len(counts)
    return math.ceil(target_chunks / per_doc), per_doc


class PeakSampler:
    """Samples a memory reading every `interval` seconds in a thread; keeps the peak."""

    def __init__(self, read, interval: float = 0.5) -> None:  # noqa: ANN001 - () -> float
        self.read, self.interval, self.peak = read, interval, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.read())
            self._stop.wait(self.interval)

    def __enter__(self) -> "PeakSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.read())


def run_scale(settings: Settings, real_store: NewsStore, queries: Path, workdir: Path,
              target_chunks: int = 100_000, model_chunks_per_s: float | None = None,
              questions: int = 300) -> dict:
    """Build the synthetic corpus, ingest it into a fresh `chroma run` server, measure the
    ingest, a no-op re-ingest, a bot process's start, latency and memory, three bots' memory
    at once, and how long the running bots take to answer from an article this process then
    re-ingests."""
    from ingest.pipeline import Ingestor
    from .chroma_server import ChromaServerProcess

    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    t0 = time.perf_counter()
    articles, table = read_real_corpus(real_store)
    embedder = DerivedEmbedder(real_store.embedder, table)
    n_docs, per_doc = documents_for(target_chunks, articles, embedder, settings.store)
    corpus_dir = workdir / "corpus"
    write_corpus(corpus_dir, articles, n_docs)
    prepare_seconds = time.perf_counter() - t0

    server = ChromaServerProcess(workdir / "chroma")
    server.start()
    try:
        lexical = workdir / "lexical"  # the shared volume of a deployment
        cfg = replace(settings.store, host=server.host, port=server.port, ssl=False, headers={},
                      collection=SCALE_COLLECTION, lexical_dir=lexical)
        store = NewsStore(cfg, embedder)
        with PeakSampler(server.rss_mb) as server_peak:
            report = Ingestor(store, progress=True, default_source="", max_file_bytes=500_000_000).run(
                [str(corpus_dir)])
        if report.failed:
            raise RuntimeError(f"scale ingest failed: {report.failed[0].path}: {report.failed[0].reason}")
        t1 = time.perf_counter()
        noop = Ingestor(store, progress=False, max_file_bytes=500_000_000).run([str(corpus_dir)])
        noop_seconds = time.perf_counter() - t1
        server_after_ingest = server.rss_mb()
        client = bots_follow_reingest(server.host, server.port, lexical, queries, questions, workdir,
                                      lambda: mark_one_article(corpus_dir),
                                      lambda: Ingestor(store, progress=False, max_file_bytes=500_000_000).run(
                                          [str(corpus_dir)]))
        server_after_queries = server.rss_mb()
        disk_mb = sum(p.stat().st_size for p in (workdir / "chroma").rglob("*") if p.is_file()) / 2**20
        current = next(lexical.glob("*/CURRENT"))
        snapshot_dir = current.parent / current.read_text().strip()
        snapshot_mb = sum(p.stat().st_size for p in snapshot_dir.rglob("*") if p.is_file()) / 2**20
    finally:
        server.stop()
    rate = report.chunks_written / report.seconds
    without_model = report.seconds - report.embed_seconds
    result = {
        "target_chunks": target_chunks, "source_articles": len(articles), "documents": report.added,
        "chunks": report.chunks, "chunks_per_document": round(per_doc, 2),
        "prepare_seconds": round(prepare_seconds, 1),
        "ingest_seconds": round(report.seconds, 1),
        "derived_vector_seconds": round(report.embed_seconds, 1),
        "ingest_chunks_per_s": round(rate, 1),
        "ingest_lexical_snapshot_seconds": round(report.lexical_seconds, 1),
        "pipeline_without_vectors_chunks_per_s": round(report.chunks_written / without_model, 1),
        "sentences_with_real_vectors": round(embedder.sentences_found / max(1, embedder.sentences_seen), 4),
        "noop_seconds": round(noop_seconds, 1), "noop_unchanged": noop.unchanged,
        "lexical_snapshot_disk_mb": round(snapshot_mb),
        "server_peak_rss_mb": round(server_peak.peak), "server_rss_after_ingest_mb": round(server_after_ingest),
        "server_rss_after_queries_mb": round(server_after_queries), "server_disk_mb": round(disk_mb),
        "bot": client,
    }
    if model_chunks_per_s:
        result["model_chunks_per_s"] = model_chunks_per_s
        result["projected_ingest_hours_with_model"] = round(
            (report.chunks / model_chunks_per_s + without_model) / 3600, 2)
    shutil.rmtree(workdir, ignore_errors=True)
    return result


def mark_one_article(corpus_dir: Path) -> None:
    """Change one article of the synthetic corpus: its body gains `MARKER_SENTENCE`."""

    first = sorted(corpus_dir.glob("*.jsonl"))[0]
    lines = first.read_text(encoding="utf-8").splitlines()
    record = json.loads(lines[0])
    record["body"] = f"{MARKER_SENTENCE}\n\n{record['body']}"
    first.write_text("\n".join([json.dumps(record), *lines[1:]]) + "\n", encoding="utf-8")
