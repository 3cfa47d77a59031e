"""One lexical index snapshot on disk: written once into a folder, then only read, memory-mapped.

Files of a snapshot folder:

| file | what |
|---|---|
| `manifest.json` | format, the store version it matches, tokenizer fingerprint, BM25 k1/b, counts |
| `bm25/` | the BM25 scores and vocabulary, by `bm25s.BM25.save` (the score arrays read memory-mapped) |
| `vocab_sorted.npy`, `vocab_ids.npy`, `vocab_index.npy`, `vocab_long.json` | the vocabulary sorted, for look-ups in place (`vocab.py`) |
| `ids.npy`, `id_order.npy` | chunk ids (UTF-8, fixed width) and their sorted order (id -> row lookups) |
| `day.npy`, `month.npy`, `dom.npy`, `chunk_index.npy` | per-row columns for filters and date boosts |
| `kind.npy`, `source.npy`, `doc.npy` + `tables.json` | per-row codes into the kinds, outlets and document ids |
| `doc_rows.npy`, `doc_ptr.npy` | rows of each document in chunk order (a document's passages) |
| `records.bin`, `record_offsets.npy` | each chunk's text, metadata and sentence analysis (`sentences.py`) as JSON, for the passages returned |
| `tf_*.npy`, `doc_len.npy` | term counts per row: the next snapshot reuses unchanged rows from them |
| `sentence_ptr.npy`, `sentence_hashes.npy` | each row's sentences' fingerprints (`sentences.sentence_hash`), reused like the term counts |
| `boilerplate.npy` | the fingerprints of sentences written in at least `BOILERPLATE_DOCS` documents ("Sign up to our newsletter", "CLICK HERE TO GET THE APP"): answers never quote them |

The arrays are opened with `mmap_mode="r"`: processes reading the same snapshot share its
pages through the page cache instead of each holding a copy. The BM25 postings and the
sorted vocabulary, of which a question reads a few scattered slices, are read with
`os.pread` instead (`vocab.py` says why), and so are the records of the passages a question
returns: mapped, the records and postings a bot touched stayed in its RSS (at 100k chunks,
160 MB after 1,200 questions). Reading needs neither bm25s nor scipy (which
bm25s imports): the scores are summed here exactly as bm25s sums them, so a fresh process
answering lexically imports neither, and opening a snapshot reads no file in whole.
"""

from __future__ import annotations

import json
import logging
import mmap
import os
import threading
import weakref
from collections import OrderedDict
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

import numpy as np
import orjson

from .build import BM25_B, BM25_K1, LexicalData, bm25_matrix
from .sentences import StoredAnalysis
from .vocab import ArrayFile, Vocabulary, write_vocabulary

FORMAT = 3  # 2: records carry their sentence analysis; 3: sentence fingerprints and the boilerplate set
BOILERPLATE_DOCS = 5  # a sentence written in this many documents is page furniture, not reporting
MANIFEST = "manifest.json"

log = logging.getLogger(__name__)


def _codes(values: Sequence[str]) -> tuple[list[str], np.ndarray]:
    table, codes = np.unique(np.asarray(values, dtype=object).astype(str), return_inverse=True) if len(values) else (
        np.zeros(0, dtype=str), np.zeros(0, dtype=np.int64))
    return [str(t) for t in table], codes.astype(np.int32)


def write_snapshot(data: LexicalData, folder: Path, manifest: dict[str, Any], *, k1: float = BM25_K1,
                   b: float = BM25_B) -> None:
    """Write `data` as a snapshot into the new folder `folder` (files flushed to disk)."""
    import bm25s

    folder.mkdir(parents=True)
    matrix = bm25_matrix(data, k1, b)
    bm25 = bm25s.BM25(k1=k1, b=b)
    bm25.scores = matrix
    bm25.nonoccurrence_array = None  # set by `index`, which this bypasses (the Lucene variant has none)
    if not hasattr(bm25, "corpus"):
        bm25.corpus = None
    bm25.vocab_dict = {t: i for i, t in enumerate(data.vocab)}
    bm25.save(str(folder / "bm25"), show_progress=False)
    write_vocabulary(folder, data.vocab)

    def save(name: str, array: np.ndarray) -> None:
        np.save(folder / f"{name}.npy", array, allow_pickle=False)

    encoded = [cid.encode("utf-8") for cid in data.ids]
    width = max((len(e) for e in encoded), default=1)
    ids = np.array(encoded, dtype=f"S{max(1, width)}")
    save("ids", ids)
    save("id_order", np.argsort(ids, kind="stable").astype(np.int64))
    save("day", data.day.astype(np.int64))
    dates = data.day.astype("datetime64[D]")
    months = dates.astype("datetime64[M]")
    known = data.day > 0
    save("month", np.where(known, months.astype(np.int64) % 12 + 1, 0).astype(np.int64))
    save("dom", np.where(known, (dates - months).astype(np.int64) + 1, 0).astype(np.int64))
    save("chunk_index", data.chunk_index.astype(np.int32))
    tables = {}
    for name, values in (("kinds", data.kind), ("sources", data.source), ("docs", data.doc)):
        table, codes = _codes(values)
        tables[name] = table
        save({"kinds": "kind", "sources": "source", "docs": "doc"}[name], codes)
    doc_codes = np.load(folder / "doc.npy")
    doc_rows = np.lexsort((data.chunk_index, doc_codes)).astype(np.int64)  # by document, then chunk order
    save("doc_rows", doc_rows)
    save("doc_ptr", np.concatenate([[0], np.cumsum(np.bincount(doc_codes, minlength=len(tables["docs"])))]).astype(np.int64))
    (folder / "tables.json").write_text(json.dumps(tables, ensure_ascii=False), encoding="utf-8")
    with open(folder / "records.bin", "wb") as f:
        for part in data.record_parts:
            f.write(part)
    save("record_offsets", np.concatenate([[0], np.cumsum(data.record_lengths)]).astype(np.int64))
    save("tf_indptr", data.tf_indptr.astype(np.int64))
    save("tf_terms", data.tf_terms.astype(np.int32))
    save("tf_counts", data.tf_counts.astype(np.int32))
    save("doc_len", data.doc_len.astype(np.int64))
    save("sentence_ptr", data.sentence_ptr.astype(np.int64))
    save("sentence_hashes", data.sentence_hashes.astype(np.uint64))
    save("boilerplate", boilerplate(data.sentence_hashes, data.sentence_ptr, doc_codes))
    full = {**manifest, "format": FORMAT, "k1": k1, "b": b, "chunks": data.size, "vocabulary": len(data.vocab),
            "reused_rows": data.reused_rows}
    (folder / MANIFEST).write_text(json.dumps(full, indent=1), encoding="utf-8")
    _sync_tree(folder)


def boilerplate(hashes: np.ndarray, ptr: np.ndarray, doc_codes: np.ndarray,
                min_docs: int = BOILERPLATE_DOCS) -> np.ndarray:
    """The fingerprints (sorted) of sentences written in at least `min_docs` documents.

    Measured on MultiHop-RAG's 609 articles: the 74 sentences written in 5 or more are site
    furniture ("Read our privacy notice Thanks for signing up to the", "Advertisement",
    "CLICK HERE TO GET THE FOX NEWS APP", newsletter sign-ups, list numbers); among those in
    3 or 4 are also background paragraphs a series repeats (The Verge's FTX trial stories)."""
    if not len(hashes):
        return np.zeros(0, dtype=np.uint64)
    docs = np.repeat(np.asarray(doc_codes, dtype=np.int64), np.diff(np.asarray(ptr)))
    pairs = np.unique(np.stack([np.asarray(hashes, dtype=np.uint64), docs.astype(np.uint64)]), axis=1)
    found, counts = np.unique(pairs[0], return_counts=True)
    return found[counts >= min_docs].astype(np.uint64)


def _sync_tree(folder: Path) -> None:
    """Flush every file of `folder` and the folders themselves to disk."""
    for path in sorted(folder.rglob("*")) + [folder]:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def read_manifest(folder: Path) -> dict[str, Any] | None:
    """A snapshot folder's manifest (None when missing or unreadable)."""
    try:
        return json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


class IdColumn(Sequence[str]):
    """The chunk ids of a snapshot, decoded on access from the mapped array."""

    def __init__(self, raw: np.ndarray) -> None:
        self.raw = raw

    def __len__(self) -> int:
        return len(self.raw)

    def __getitem__(self, i):  # noqa: ANN001, ANN204 - int -> str (slices -> list)
        if isinstance(i, slice):
            return [bytes(x).decode("utf-8") for x in self.raw[i]]
        return bytes(self.raw[i]).decode("utf-8")

    def __iter__(self) -> Iterator[str]:
        for x in self.raw:
            yield bytes(x).decode("utf-8")


# Postings of the terms read last, kept for the next questions: at 100k chunks a question's
# rankings read ~80 term postings, mostly of the same few hundred words (0.1-0.4 MB each);
# 8 MB keeps the commonest ones (a bot at 100k chunks holds all of it).
POSTINGS_CACHE_BYTES = 8 * 2**20
# A term in more than 1/8 of the rows is kept as a full-length array of its scores: adding one
# (20 µs at 100k rows) beats scattering over 12,500 postings (3.4 ns each). Such terms are 19%
# of a MultiHop question's terms at 100k chunks and 66% of the postings it reads.
DENSE_SHARE = 8


class Snapshot:
    """A snapshot folder opened for reading: arrays memory-mapped, small tables in memory."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        manifest = read_manifest(self.folder)
        if manifest is None or manifest.get("format") != FORMAT:
            raise ValueError(f"{self.folder} is not a lexical snapshot of format {FORMAT}")
        self.manifest = manifest
        self.store_version = int(manifest["store_version"])
        self.size = int(manifest["chunks"])

        def load(name: str) -> np.ndarray:
            return np.load(self.folder / f"{name}.npy", mmap_mode="r", allow_pickle=False)

        bm25 = self.folder / "bm25"
        params = json.loads((bm25 / "params.index.json").read_text(encoding="utf-8"))
        if params.get("method", "lucene") != "lucene":  # the only variant written (no non-occurrence scores)
            raise ValueError(f"{self.folder}: BM25 variant {params.get('method')!r} is not supported")
        self._score_dtype = np.dtype(params.get("dtype", "float32"))
        # the postings are read by slices, not mapped (see `vocab.ArrayFile`)
        self._data = ArrayFile(bm25 / "data.csc.index.npy")
        self._indices = ArrayFile(bm25 / "indices.csc.index.npy")
        self._indptr = np.asarray(np.load(bm25 / "indptr.csc.index.npy", mmap_mode="r", allow_pickle=False))
        self._postings: OrderedDict[int, tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._postings_bytes = 0
        self._postings_lock = threading.Lock()
        self.vocab: Mapping[str, int] = (Vocabulary(self.folder) if Vocabulary.exists(self.folder) else
                                         json.loads((bm25 / "vocab.index.json").read_text(encoding="utf-8")))
        self._id_raw = load("ids")
        self.ids = IdColumn(self._id_raw)
        self._id_order = load("id_order")
        self.day = load("day")
        self.month = load("month")
        self.dom = load("dom")
        self.chunk_index = load("chunk_index")
        tables = json.loads((self.folder / "tables.json").read_text(encoding="utf-8"))
        self.kinds: list[str] = tables["kinds"]
        self.sources: list[str] = tables["sources"]
        self.docs: list[str] = tables["docs"]
        # per-row strings as object arrays pointing at the few table strings (8 bytes a row)
        self.kind_codes = np.asarray(load("kind"))  # row -> index into `kinds` (filters compare these)
        self.source_codes = np.asarray(load("source"))  # row -> index into `sources`
        self._doc_codes = np.asarray(load("doc"))
        self._doc_lookup = {d: i for i, d in enumerate(self.docs)}
        self._doc_rows = load("doc_rows")
        self._doc_ptr = load("doc_ptr")
        self._offsets = np.asarray(load("record_offsets"))
        self.boilerplate: frozenset[int] = frozenset(int(h) for h in load("boilerplate"))
        self._records_fd = os.open(self.folder / "records.bin", os.O_RDONLY)
        weakref.finalize(self, os.close, self._records_fd)

    # --- searching -------------------------------------------------------------------
    def scores(self, query_terms: Sequence[str]) -> np.ndarray:
        """BM25 score of every chunk for the query terms (zeros when none is known)."""
        return self.term_scores(self.term_ids(query_terms)).astype(np.float64)

    def term_ids(self, query_terms: Sequence[str]) -> tuple[int, ...]:
        """The vocabulary ids of the known query terms, in order (repeats kept: they count twice)."""
        vocab = self.vocab
        return tuple(i for i in (vocab.get(t) for t in query_terms) if i is not None)

    def term_scores(self, ids: Sequence[int], start_from: np.ndarray | None = None) -> np.ndarray:
        """BM25 scores (float32) of every chunk for vocabulary ids, from those terms' postings;
        `start_from`: the scores of terms before these, added to (a new array is returned)."""
        # as bm25s's `get_scores` (numpy backend) sums them, term by term: the same float32 values
        scores = np.zeros(self.size, dtype=self._score_dtype) if start_from is None else start_from.copy()
        for i in ids:
            rows, values = self.postings(i)
            if rows is None:  # a common term's scores, every row (0 where it is absent: x + 0 == x)
                np.add(scores, values, out=scores)
            else:  # (numpy 2's np.add.at: 2-4x a fancy-index add for 5k-12k postings)
                np.add.at(scores, rows, values)
        return scores

    def postings(self, term_id: int) -> tuple[np.ndarray | None, np.ndarray]:
        """(rows, BM25 values) of one term's postings (the last-used terms are remembered, up to
        `POSTINGS_CACHE_BYTES`: questions use the same common words again and again). A term
        in more than 1/`DENSE_SHARE` of the rows comes as (None, its score in every row): adding
        a full-length array is cheaper than scattering that many postings."""
        with self._postings_lock:
            hit = self._postings.get(term_id)
            if hit is not None:
                self._postings.move_to_end(term_id)
                return hit
        start, end = int(self._indptr[term_id]), int(self._indptr[term_id + 1])
        value = (self._indices.read(start, end), self._data.read(start, end))
        if (end - start) * DENSE_SHARE > self.size:
            dense = np.zeros(self.size, dtype=self._score_dtype)
            dense[value[0]] = value[1]  # rows are distinct within a term's postings
            value = (None, dense)
        size = sum(a.nbytes for a in value if a is not None)
        with self._postings_lock:
            if term_id not in self._postings:
                self._postings[term_id] = value
                self._postings_bytes += size
            while self._postings_bytes > POSTINGS_CACHE_BYTES and len(self._postings) > 1:
                _, evicted = self._postings.popitem(last=False)
                self._postings_bytes -= sum(a.nbytes for a in evicted if a is not None)
        return value

    def df(self, term: str) -> int:
        """Number of chunks holding `term`."""
        i = self.vocab.get(term)
        return int(self._indptr[i + 1] - self._indptr[i]) if i is not None else 0

    def position(self, chunk_id: str) -> int | None:
        """The row of a chunk id (None when not in the snapshot)."""
        if not self.size:
            return None
        key = chunk_id.encode("utf-8")
        if len(key) > self._id_raw.dtype.itemsize:
            return None
        at = int(np.searchsorted(self._id_raw, key, sorter=self._id_order))
        if at < self.size:
            row = int(self._id_order[at])
            if bytes(self._id_raw[row]) == key:
                return row
        return None

    # --- rows ------------------------------------------------------------------------
    def record(self, i: int) -> tuple[str, str, dict]:
        """(chunk id, text, metadata) of row `i`, read from the records file."""
        text, meta, _ = self._stored(i)
        return self.ids[i], text, meta

    def analysed_record(self, i: int) -> tuple[str, str, dict, StoredAnalysis]:
        """(chunk id, text, metadata, the text's sentence analysis as the ingester found it) of row `i`."""
        text, meta, stored = self._stored(i)
        return self.ids[i], text, meta, StoredAnalysis(stored)

    def _stored(self, i: int) -> tuple[str, dict, Any]:
        start, end = int(self._offsets[i]), int(self._offsets[i + 1])
        if end <= start:
            return "", {}, [[], [], ""]
        raw = os.pread(self._records_fd, end - start, start)
        try:
            text, meta, stored = orjson.loads(raw)  # 5.5 µs a record, json's 13
        except orjson.JSONDecodeError:  # what only json writes and reads (NaN in a metadata value)
            text, meta, stored = json.loads(raw)
        return text, meta, stored

    @property
    def doc_codes(self) -> np.ndarray:
        """Each row's document, as a code (an index into `docs`)."""
        return self._doc_codes

    def first_rows(self, codes: np.ndarray) -> np.ndarray:
        """The first row (first chunk) of each document code."""
        return np.asarray(self._doc_rows)[np.asarray(self._doc_ptr)[codes]]

    def document_rows(self, doc_id: str) -> np.ndarray:
        """The rows of one document, in chunk order."""
        code = self._doc_lookup.get(doc_id)
        if code is None:
            return np.zeros(0, dtype=np.int64)
        return np.asarray(self._doc_rows[self._doc_ptr[code]:self._doc_ptr[code + 1]])

    @property
    def kind(self) -> np.ndarray:
        """Each row's kind (object array, built on first use)."""
        return self._labels("_kind", self.kinds, self.kind_codes)

    @property
    def source(self) -> np.ndarray:
        """Each row's outlet (object array, built on first use)."""
        return self._labels("_source", self.sources, self.source_codes)

    def _labels(self, key: str, table: list[str], codes: np.ndarray) -> np.ndarray:
        cached = self.__dict__.get(key)
        if cached is None:
            cached = self.__dict__[key] = (np.asarray(table, dtype=object)[codes] if self.size
                                           else np.zeros(0, dtype=object))
        return cached

    @property
    def doc(self) -> np.ndarray:
        """Each row's document id (object array, built on first use)."""
        cached = self.__dict__.get("_doc")
        if cached is None:
            cached = self.__dict__["_doc"] = (np.asarray(self.docs, dtype=object)[self._doc_codes] if self.size
                                              else np.zeros(0, dtype=object))
        return cached

    # --- what the next build reuses (`build.PreviousRows`) --------------------------------
    @property
    def vocab_list(self) -> list[str]:
        """Terms by id."""
        out = [""] * len(self.vocab)
        for term, i in json.loads((self.folder / "bm25" / "vocab.index.json").read_text(encoding="utf-8")).items():
            out[i] = term
        return out

    def previous_rows(self) -> "_Previous":
        """This snapshot's rows as `build.update` takes them."""
        return _Previous(self)

    def close(self) -> None:
        """Close the postings and vocabulary files (the records file closes when the object is dropped)."""
        self._data.close()
        self._indices.close()
        if isinstance(self.vocab, Vocabulary):
            self.vocab.close()


class _Previous:
    def __init__(self, snap: Snapshot) -> None:
        load = lambda name: np.load(snap.folder / f"{name}.npy", mmap_mode="r")  # noqa: E731
        self.ids = list(snap.ids)
        self.vocab = snap.vocab_list
        self.tf_indptr, self.tf_terms, self.tf_counts = load("tf_indptr"), load("tf_terms"), load("tf_counts")
        self.doc_len = load("doc_len")
        self.sentence_ptr, self.sentence_hashes = load("sentence_ptr"), load("sentence_hashes")
        self.day, self.chunk_index = snap.day, snap.chunk_index
        self.kind, self.source, self.doc = snap.kind, snap.source, snap.doc
        self.record_offsets = snap._offsets
        with open(snap.folder / "records.bin", "rb") as f:
            self.records = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if snap._offsets[-1] else b""
