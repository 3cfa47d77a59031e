"""Cut documents into sentence-aligned chunks that fit the embedding model's window.

Sizes are measured with the model's own tokenizer. Each chunk is embedded as
"header + text", so the header's tokens come out of the budget: a chunk's text gets
at most `min(chunk_tokens, window - header)` tokens and is never silently truncated.
Consecutive chunks share up to `overlap` tokens of whole sentences.

Sentences are joined with a space where splitting the chunk again finds the same boundary,
and with a paragraph break where it would not: a heading or page-furniture line without a
full stop ("Please try again later") must not run into the next sentence when the lexical
snapshot and the answerers split the chunk's text.

Sentences are split by `vectorstore.lexical.sentences.split_sentences`, the rule the
lexical snapshot records for every chunk (and why it is a regular expression written there).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Callable, Sequence

from vectorstore.lexical.sentences import split_sentences

from .dates import date_part, iso_day_number
from .documents import COMMENT, Chunk, Document

TokenCounter = Callable[[Sequence[str]], list[int]]

MAX_HEADER_TOKENS = 48
# Part of every document's hash: a new version re-chunks every document on the next ingest
# (chunks whose text and header are unchanged keep their stored vectors). v2: a sentence
# boundary that splitting the chunk again would miss is written as a paragraph break.
CHUNKER_VERSION = "v2"


def make_header(doc: Document) -> str:
    """The context line embedded (and indexed) with each chunk: title | outlet | date."""
    parts = [doc.title, doc.source, date_part(doc.published)]
    if doc.kind == COMMENT:
        parts.append(f"reader's comment by {doc.author}" if doc.author else "reader's comment")
    return " | ".join(p for p in parts if p)


def _digest(*parts: str, size: int = 16) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
    return h.hexdigest()[:size]


@dataclass(frozen=True)
class _Unit:
    """A sentence (or, with `continues`, a later piece of an over-long one) and its tokens."""

    text: str
    tokens: int
    continues: bool = False


def join_units(units: Sequence[_Unit]) -> str:
    """A chunk's text: its sentences joined by a space where splitting the text again finds
    the same boundary, by a paragraph break where it would not (a line without a full stop)."""
    out = units[0].text if units else ""
    for prev, unit in zip(units, units[1:]):
        glued = unit.continues or len(split_sentences(f"{prev.text} {unit.text}")) == 2
        out += (" " if glued else "\n\n") + unit.text
    return out


@dataclass
class Chunker:
    """Packs sentences into chunks under a token budget, using the model's tokenizer."""

    count_tokens: TokenCounter
    window: int  # tokens available for header + text (model window less special tokens)
    chunk_tokens: int = 256
    overlap: int = 32

    def budget_for(self, header_tokens: int) -> int:
        """Tokens left for a chunk's text once the header is counted."""
        return max(16, min(self.chunk_tokens, self.window - header_tokens))

    def _fit_header(self, header: str) -> tuple[str, int]:
        n = self.count_tokens([header])[0] if header else 0
        while header and n > MAX_HEADER_TOKENS:
            header = header[: int(len(header) * MAX_HEADER_TOKENS / n) - 1].rstrip() + "…"
            n = self.count_tokens([header])[0]
        return header, n

    def _split_long(self, sentence: str, budget: int) -> list[str]:
        """Split one over-long sentence on word boundaries into pieces under budget."""
        words = sentence.split()
        pieces: list[str] = []
        current: list[str] = []
        counts = self.count_tokens(words)
        size = 0
        for word, n in zip(words, counts):
            if n > budget:  # a single monster "word": cut by characters
                if current:
                    pieces.append(" ".join(current))
                    current, size = [], 0
                step = max(1, len(word) * budget // (n + 1))
                pieces.extend(word[i:i + step] for i in range(0, len(word), step))
                continue
            if current and size + n > budget:
                pieces.append(" ".join(current))
                current, size = [], 0
            current.append(word)
            size += n
        if current:
            pieces.append(" ".join(current))
        return pieces

    def chunk_texts(self, text: str, budget: int) -> list[str]:
        """Pack the sentences of `text` into chunks of at most `budget` tokens, with overlap."""
        sentences = split_sentences(text)
        counts = self.count_tokens(sentences)
        units: list[_Unit] = []
        for sentence, n in zip(sentences, counts):
            if n <= budget:
                units.append(_Unit(sentence, n))
            else:
                pieces = self._split_long(sentence, budget)
                units.extend(_Unit(piece, m, continues=i > 0)
                             for i, (piece, m) in enumerate(zip(pieces, self.count_tokens(pieces))))
        chunks: list[str] = []
        current: list[_Unit] = []
        size = 0
        for unit in units:
            if current and size + unit.tokens > budget:
                chunks.append(join_units(current))
                carry: list[_Unit] = []
                carried = 0
                for prev in reversed(current):
                    if carried + prev.tokens > self.overlap or carried + prev.tokens + unit.tokens > budget:
                        break
                    carry.insert(0, prev)
                    carried += prev.tokens
                current, size = carry, carried
            current.append(unit)
            size += unit.tokens
        if current:
            chunks.append(join_units(current))
        return chunks

    def chunk(self, doc: Document, doc_hash: str, extra_meta: dict | None = None) -> list[Chunk]:
        """Chunk one document; ids come from the document id and each chunk's content."""
        header, header_tokens = self._fit_header(make_header(doc))
        texts = self.chunk_texts(doc.text, self.budget_for(header_tokens))
        chunks: list[Chunk] = []
        seen: set[str] = set()
        for index, text in enumerate(texts):
            chunk_id = f"{_digest(doc.doc_id)}-{_digest(text)}"
            if chunk_id in seen:  # the same passage twice in one document
                chunk_id = f"{chunk_id}-{index}"
            seen.add(chunk_id)
            meta = chunk_metadata(doc, header, index, doc_hash)
            meta.update(extra_meta or {})
            chunks.append(Chunk(chunk_id=chunk_id, doc_id=doc.doc_id, text=text, header=header, index=index,
                                metadata=meta))
        return chunks


def chunk_metadata(doc: Document, header: str, index: int, doc_hash: str) -> dict:
    """The metadata stored with every chunk (Chroma takes only str/int/float/bool)."""
    return {
        "doc_id": doc.doc_id,
        "title": doc.title,
        "url": doc.url,
        "published": doc.published,
        "published_day": iso_day_number(doc.published),
        "author": doc.author,
        "comment_author": doc.comment_author,
        "source": doc.source,
        "kind": doc.kind,
        "parent_id": doc.parent_id,
        "position": doc.position,
        "chunk_index": index,
        "file": doc.path,
        "header": header,
        "doc_hash": doc_hash,
    }


def document_hash(doc: Document, settings_key: str) -> str:
    """A hash of everything that decides a document's chunks (content, metadata, settings)."""
    return _digest(settings_key, doc.doc_id, doc.title, doc.text, doc.url, doc.published, doc.author,
                   doc.source, doc.kind, doc.parent_id, str(doc.position), doc.path, size=32)
