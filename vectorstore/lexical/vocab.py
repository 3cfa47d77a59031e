"""Reading a snapshot's arrays without mapping them, and its BM25 vocabulary in place.

A fresh process should cost the same at any corpus size, in time and in memory. Two
things a snapshot reader used to do grew with the corpus:

- bm25s keeps the vocabulary as one JSON object (`bm25/vocab.index.json`); reading it into
  a dict cost ~25 ms and ~7 MB on the MultiHop-RAG store (28,691 terms). A snapshot also
  holds the terms sorted, as fixed-width UTF-8 (`vocab_sorted.npy`), each one's id
  (`vocab_ids.npy`) and every `BLOCK`-th sorted term (`vocab_index.npy`, the only part
  read whole): a look-up finds the block in that index, then reads one block of each file.
  Terms longer than `MAX_WIDTH` bytes (rare: a long run of letters) are kept apart in
  `vocab_long.json`, so one odd term cannot widen every row.
- A memory-mapped array shows in the process's RSS for much more than the bytes a question
  reads: the kernel maps whole cached folios around each touched page (touching one byte
  per 256 KB of a 2.9 MB posting file maps all of it). `ArrayFile` reads slices with
  `os.pread` instead: only the bytes asked for are copied, nothing stays mapped.

Snapshots written before these files existed are read through the JSON object.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

MAX_WIDTH = 64  # bytes of the longest term kept in the sorted array
BLOCK = 64  # sorted terms per block of a look-up
SORTED, IDS, INDEX, LONG = "vocab_sorted.npy", "vocab_ids.npy", "vocab_index.npy", "vocab_long.json"


def write_vocabulary(folder: Path, vocab: Sequence[str]) -> None:
    """Write the sorted-term files of `vocab` (terms in id order) into `folder`."""
    encoded = [t.encode("utf-8") for t in vocab]
    short = [i for i, e in enumerate(encoded) if len(e) <= MAX_WIDTH]
    width = max((len(encoded[i]) for i in short), default=1)
    terms = np.array([encoded[i] for i in short], dtype=f"S{max(1, width)}")
    order = np.argsort(terms, kind="stable")
    ordered = terms[order]
    np.save(folder / SORTED, ordered, allow_pickle=False)
    np.save(folder / IDS, np.asarray(short, dtype=np.int64)[order].astype(np.int32), allow_pickle=False)
    np.save(folder / INDEX, ordered[::BLOCK], allow_pickle=False)
    long = {vocab[i]: i for i, e in enumerate(encoded) if len(e) > MAX_WIDTH}
    (folder / LONG).write_text(json.dumps(long, ensure_ascii=False), encoding="utf-8")


class ArrayFile:
    """A 1-d `.npy` array on disk, read by slices with `os.pread` (safe across threads)."""

    def __init__(self, path: Path) -> None:
        with open(path, "rb") as f:
            major, _minor = np.lib.format.read_magic(f)
            header = np.lib.format.read_array_header_1_0 if major == 1 else np.lib.format.read_array_header_2_0
            shape, fortran, self.dtype = header(f)
            self._offset = f.tell()
        if len(shape) != 1 or fortran or self.dtype.hasobject:
            raise ValueError(f"{path}: not a flat array")
        self.size = int(shape[0])
        self._file = open(path, "rb", buffering=0)  # noqa: SIM115 - closed with this object

    def __len__(self) -> int:
        return self.size

    def read(self, start: int, end: int) -> np.ndarray:
        """Elements `start` to `end` (a new array, not a view of the file)."""
        start, end = max(0, start), min(self.size, end)
        if end <= start:
            return np.zeros(0, dtype=self.dtype)
        width = self.dtype.itemsize
        raw = os.pread(self._file.fileno(), (end - start) * width, self._offset + start * width)
        return np.frombuffer(raw, dtype=self.dtype)

    def close(self) -> None:
        """Close the file."""
        self._file.close()


def terms_starting_with(vocab: Mapping[str, int], prefix: str, limit: int = BLOCK) -> list[str]:
    """Up to `limit` longer terms of `vocab` that start with `prefix` (a `Vocabulary` looks in
    its sorted terms; a plain dict, from a snapshot written before them, is scanned)."""
    if isinstance(vocab, Vocabulary):
        return vocab.starting_with(prefix, limit)
    return sorted(t for t in vocab if t.startswith(prefix) and t != prefix)[:limit]


class Vocabulary(Mapping[str, int]):
    """Term -> id, looked up in the sorted-term files (a read-only dict to its callers).

    Terms looked up are remembered (at most `cache_limit`), so the words questions use
    again and again cost a dict look-up after the first time."""

    def __init__(self, folder: Path, *, cache_limit: int = 50_000) -> None:
        self._index = np.load(folder / INDEX, allow_pickle=False)
        self._sorted = ArrayFile(folder / SORTED)
        self._ids = ArrayFile(folder / IDS)
        self._long: dict[str, int] = json.loads((folder / LONG).read_text(encoding="utf-8"))
        self._width = self._sorted.dtype.itemsize
        self._cache: dict[str, int | None] = {}
        self._cache_limit = cache_limit

    @staticmethod
    def exists(folder: Path) -> bool:
        """True when `folder` holds the sorted-term files."""
        return all((folder / name).exists() for name in (SORTED, IDS, INDEX, LONG))

    def get(self, term: str, default: int | None = None) -> int | None:  # type: ignore[override]
        """The term's id, or `default` when the vocabulary lacks it."""
        try:
            found = self._cache[term]
        except KeyError:
            found = self._find(term)
            if len(self._cache) >= self._cache_limit:
                self._cache.clear()
            self._cache[term] = found
        return default if found is None else found

    def _find(self, term: str) -> int | None:
        key = term.encode("utf-8")
        if len(key) > self._width or not len(self._index):
            return self._long.get(term)
        block = int(np.searchsorted(self._index, key, side="right")) - 1
        if block < 0:
            return self._long.get(term)
        start = block * BLOCK
        rows = self._sorted.read(start, start + BLOCK)
        at = int(np.searchsorted(rows, key))
        if at < len(rows) and bytes(rows[at]) == key:
            return int(self._ids.read(start + at, start + at + 1)[0])
        return self._long.get(term)

    def starting_with(self, prefix: str, limit: int = BLOCK) -> list[str]:
        """Up to `limit` longer terms that start with `prefix`, in sorted order ("relationship"
        for "relat"): about one block of the sorted terms read."""
        key = prefix.encode("utf-8")
        out: list[str] = []
        if len(key) <= self._width and len(self._index):
            start = max(0, int(np.searchsorted(self._index, key, side="right")) - 1) * BLOCK
            rows = self._sorted.read(start, start + BLOCK + limit)
            for raw in rows[int(np.searchsorted(rows, key, side="right")):]:
                if not bytes(raw).startswith(key) or len(out) >= limit:
                    break
                out.append(bytes(raw).decode("utf-8"))
        return out + [t for t in self._long if t.startswith(prefix) and t != prefix][:max(0, limit - len(out))]

    def __getitem__(self, term: str) -> int:
        found = self.get(term) if isinstance(term, str) else None
        if found is None:
            raise KeyError(term)
        return found

    def __contains__(self, term: object) -> bool:
        return isinstance(term, str) and self.get(term) is not None

    def __len__(self) -> int:
        return len(self._sorted) + len(self._long)

    def __iter__(self) -> Iterator[str]:
        for start in range(0, len(self._sorted), 4096):
            for raw in self._sorted.read(start, start + 4096):
                yield bytes(raw).decode("utf-8")
        yield from self._long

    def close(self) -> None:
        """Close the files."""
        self._sorted.close()
        self._ids.close()
