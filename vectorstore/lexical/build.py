"""Building the lexical index's arrays in memory: per-chunk term counts, BM25 scores, the
filter columns, and the chunks' texts and metadata as one blob of JSON records.

The BM25 scores are bm25s's default (Lucene) variant, computed with numpy from the term
counts: the same float32 values `bm25s.BM25.index` gives for the same terms (a test checks
it bit for bit), in the CSC layout bm25s saves and loads. Keeping the term counts lets the
next build reuse every unchanged chunk: after a re-ingest that changed one article, only
that article's chunks are read from the store and tokenized, and the scores of all chunks
(which depend on corpus statistics) are recomputed in a second or two.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any, Iterable, Protocol, Sequence

import numpy as np

from .sentences import TextAnalysis, analyse_text, sentence_hash
from .tokenizer import terms

BM25_K1 = 1.2  # term-frequency saturation (RetrievalConfig.k1's default)
BM25_B = 0.75  # length normalisation (RetrievalConfig.b's default)

Record = tuple[str, str, dict]  # (chunk id, text, metadata) as the store holds them


def record_terms(text: str, meta: dict) -> list[str]:
    """What BM25 indexes of a chunk: the terms of its header ("title | outlet | date") and text."""
    return terms(f"{meta.get('header', '')}\n{text}")


def encode_record(text: str, meta: dict, analysis: TextAnalysis) -> bytes:
    """A chunk's text, metadata and sentence analysis (`sentences.py`) as stored in the records blob."""
    return json.dumps([text, meta, analysis.encode()], ensure_ascii=False, separators=(",", ":")).encode("utf-8")


@dataclass
class LexicalData:
    """Everything a snapshot holds, in memory, row by row (one row per chunk)."""

    ids: list[str] = field(default_factory=list)
    vocab: list[str] = field(default_factory=list)
    tf_indptr: np.ndarray = field(default_factory=lambda: np.zeros(1, dtype=np.int64))
    tf_terms: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    tf_counts: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    doc_len: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    day: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    chunk_index: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    kind: list[str] = field(default_factory=list)
    source: list[str] = field(default_factory=list)
    doc: list[str] = field(default_factory=list)
    sentence_ptr: np.ndarray = field(default_factory=lambda: np.zeros(1, dtype=np.int64))  # row -> its sentences
    sentence_hashes: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint64))  # `sentence_hash`es
    record_parts: list[Any] = field(default_factory=list)  # bytes-like pieces of the records blob, in row order
    record_lengths: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    reused_rows: int = 0  # rows taken from a previous snapshot rather than tokenized again

    @property
    def size(self) -> int:
        """Number of chunks."""
        return len(self.ids)


class _Rows:
    """Accumulates new rows (tokenizing them) against a vocabulary."""

    def __init__(self, vocab: list[str]) -> None:
        self.vocab = vocab
        self.lookup = {t: i for i, t in enumerate(vocab)}
        self.ids: list[str] = []
        self.terms: list[np.ndarray] = []
        self.counts: list[np.ndarray] = []
        self.lens: list[int] = []
        self.day: list[int] = []
        self.chunk_index: list[int] = []
        self.kind: list[str] = []
        self.source: list[str] = []
        self.doc: list[str] = []
        self.blobs: list[bytes] = []
        self.hashes: list[np.ndarray] = []

    def add(self, chunk_id: str, text: str, meta: dict) -> None:
        # the text's terms come with its sentences' (`record_terms` gives the same list)
        analysis, text_terms = analyse_text(text)
        tokens = terms(f"{meta.get('header', '')}") + text_terms
        lookup = self.lookup
        ids = []
        for t in tokens:
            i = lookup.get(t)
            if i is None:
                i = lookup[t] = len(self.vocab)
                self.vocab.append(t)
            ids.append(i)
        uniq, counts = np.unique(np.asarray(ids, dtype=np.int32), return_counts=True)
        self.ids.append(chunk_id)
        self.terms.append(uniq.astype(np.int32))
        self.counts.append(counts.astype(np.int32))
        self.lens.append(len(tokens))
        self.day.append(int(meta.get("published_day", 0) or 0))
        self.chunk_index.append(int(meta.get("chunk_index", 0) or 0))
        self.kind.append(str(meta.get("kind", "article")))
        self.source.append(str(meta.get("source", "")))
        self.doc.append(str(meta.get("doc_id", "")))
        self.blobs.append(encode_record(text, meta, analysis))
        self.hashes.append(np.asarray([sentence_hash(x) for x in analysis.sentences], dtype=np.uint64))


def build(records: Iterable[Record]) -> LexicalData:
    """The arrays of every record (a full build)."""
    rows = _Rows([])
    for chunk_id, text, meta in records:
        rows.add(chunk_id, text or "", dict(meta or {}))
    return _combine(LexicalData(), np.zeros(0, dtype=np.int64), rows)


def update(previous: "PreviousRows", records: Iterable[Record], removed: Iterable[str]) -> LexicalData:
    """A previous snapshot's rows less `removed` and less the ids of `records`, plus
    `records` (tokenized now). Row order: the kept rows as they were, then the new ones.

    The kept rows' entries are copied as slices, one per run of consecutive kept rows: after
    a re-ingest that changed one article of 97,591 chunks, boolean masks over the 15 million
    term entries took most of the update's 2 s."""
    fresh = list(records)
    drop = set(removed) | {r[0] for r in fresh}
    keep = np.fromiter((cid not in drop for cid in previous.ids), dtype=bool, count=len(previous.ids))
    rows = _Rows(list(previous.vocab))
    for chunk_id, text, meta in fresh:
        rows.add(chunk_id, text or "", dict(meta or {}))
    kept = np.flatnonzero(keep)
    breaks = np.flatnonzero(np.diff(kept) != 1) + 1
    runs = [(int(run[0]), int(run[-1]) + 1) for run in np.split(kept, breaks)] if len(kept) else []

    def entries(values: Any, ptr: Any, dtype: Any) -> np.ndarray:  # the kept rows' entries, run by run
        values, ptr = np.asarray(values), np.asarray(ptr)
        parts = [values[ptr[a]:ptr[b]] for a, b in runs]
        return np.concatenate(parts).astype(dtype, copy=False) if parts else np.zeros(0, dtype=dtype)

    def column(values: Any) -> list[str]:
        return np.asarray(values, dtype=object)[kept].tolist()

    lens = np.diff(np.asarray(previous.tf_indptr))
    base = LexicalData(
        ids=column(previous.ids),
        tf_indptr=np.concatenate([[0], np.cumsum(lens[kept])]).astype(np.int64),
        tf_terms=entries(previous.tf_terms, previous.tf_indptr, np.int32),
        tf_counts=entries(previous.tf_counts, previous.tf_indptr, np.int32),
        doc_len=np.asarray(previous.doc_len)[kept].astype(np.int64, copy=False),
        day=np.asarray(previous.day)[kept].astype(np.int64, copy=False),
        chunk_index=np.asarray(previous.chunk_index)[kept].astype(np.int32, copy=False),
        kind=column(previous.kind), source=column(previous.source), doc=column(previous.doc),
        reused_rows=len(kept),
    )
    sentence_counts = np.diff(np.asarray(previous.sentence_ptr))
    base.sentence_ptr = np.concatenate([[0], np.cumsum(sentence_counts[kept])]).astype(np.int64)
    base.sentence_hashes = entries(previous.sentence_hashes, previous.sentence_ptr, np.uint64)
    offsets = np.asarray(previous.record_offsets)
    base.record_parts = [previous.records[int(offsets[a]):int(offsets[b])] for a, b in runs]
    lengths = np.diff(offsets)[kept] if len(kept) else np.zeros(0, dtype=np.int64)
    return _combine(base, np.asarray(lengths, dtype=np.int64), rows)


class PreviousRows(Protocol):
    """What `update` needs of a previous snapshot (`Snapshot` provides it)."""

    ids: Sequence[str]
    vocab: Sequence[str]
    tf_indptr: np.ndarray
    tf_terms: np.ndarray
    tf_counts: np.ndarray
    doc_len: np.ndarray
    day: np.ndarray
    chunk_index: np.ndarray
    kind: Sequence[str]
    source: Sequence[str]
    doc: Sequence[str]
    records: Any  # the records blob (bytes-like)
    record_offsets: np.ndarray
    sentence_ptr: np.ndarray
    sentence_hashes: np.ndarray


def _combine(base: LexicalData, base_lengths: np.ndarray, rows: _Rows) -> LexicalData:
    """`base` followed by the new `rows`, with unused vocabulary dropped."""
    new_lens = np.asarray([len(t) for t in rows.terms], dtype=np.int64)
    data = LexicalData(
        ids=base.ids + rows.ids,
        tf_indptr=np.concatenate([base.tf_indptr, base.tf_indptr[-1] + np.cumsum(new_lens)]).astype(np.int64),
        tf_terms=np.concatenate([base.tf_terms, *rows.terms]).astype(np.int32, copy=False),
        tf_counts=np.concatenate([base.tf_counts, *rows.counts]).astype(np.int32, copy=False),
        doc_len=np.concatenate([base.doc_len, np.asarray(rows.lens, dtype=np.int64)]),
        day=np.concatenate([base.day, np.asarray(rows.day, dtype=np.int64)]),
        chunk_index=np.concatenate([base.chunk_index, np.asarray(rows.chunk_index, dtype=np.int32)]),
        kind=base.kind + rows.kind, source=base.source + rows.source, doc=base.doc + rows.doc,
        sentence_ptr=np.concatenate([base.sentence_ptr, base.sentence_ptr[-1] + np.cumsum(
            np.asarray([len(h) for h in rows.hashes], dtype=np.int64))]).astype(np.int64),
        sentence_hashes=np.concatenate([base.sentence_hashes, *rows.hashes]).astype(np.uint64, copy=False),
        record_parts=base.record_parts + rows.blobs,
        record_lengths=np.concatenate([base_lengths, np.asarray([len(b) for b in rows.blobs], dtype=np.int64)]),
        reused_rows=base.reused_rows,
    )
    used = np.bincount(data.tf_terms, minlength=len(rows.vocab)) > 0
    if used.all():
        data.vocab = rows.vocab
    else:  # terms only deleted chunks had
        remap = (np.cumsum(used) - 1).astype(np.int32)
        data.tf_terms = remap[data.tf_terms]
        data.vocab = [t for t, u in zip(rows.vocab, used) if u]
    return data


def bm25_matrix(data: LexicalData, k1: float = BM25_K1, b: float = BM25_B) -> dict[str, Any]:
    """BM25 scores as bm25s keeps them: a CSC matrix (one column per term) of float32 scores,
    computed exactly as `bm25s.BM25(method="lucene").index` computes them."""
    n_docs, n_vocab = data.size, len(data.vocab)
    if n_docs == 0:
        return {"data": np.zeros(0, dtype=np.float32), "indices": np.zeros(0, dtype=np.int32),
                "indptr": np.zeros(n_vocab + 1, dtype=np.int64), "num_docs": 0}
    df = np.bincount(data.tf_terms, minlength=n_vocab)
    distinct, which = np.unique(df, return_inverse=True)  # math.log per distinct df, as bm25s per term
    logs = [math.log(1 + (n_docs - int(v) + 0.5) / (int(v) + 0.5)) if v else 0.0 for v in distinct]
    idf = np.asarray(logs, dtype=np.float64)[which].astype(np.float32)
    avg = np.asarray(data.doc_len, dtype=np.int64).mean()
    denom = k1 * ((1 - b) + b * data.doc_len.astype(np.float64) / avg)
    rows = np.repeat(np.arange(n_docs, dtype=np.int32), np.diff(data.tf_indptr))
    tf = data.tf_counts.astype(np.float32).astype(np.float64)
    scores = (idf[data.tf_terms].astype(np.float64) * (tf / (denom[rows] + tf))).astype(np.float32)
    order = np.argsort(data.tf_terms, kind="stable")  # by term, then by row
    indptr = np.concatenate([[0], np.cumsum(df)]).astype(np.int64)
    return {"data": scores[order], "indices": rows[order].astype(np.int32), "indptr": indptr, "num_docs": n_docs}
