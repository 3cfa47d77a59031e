"""`Passage`: a stored chunk as retrieval returns it, with its metadata and scores."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping


@dataclass
class Passage:
    """One retrieved chunk: its text, where it comes from, and how it ranked."""

    chunk_id: str
    text: str
    doc_id: str = ""
    title: str = ""
    url: str = ""
    published: str = ""
    source: str = ""
    kind: str = "article"
    author: str = ""  # reporter for articles, commenter for comments
    parent_id: str = ""
    header: str = ""
    file: str = ""
    chunk_index: int = 0
    score: float = 0.0
    ranks: dict[str, int] = field(default_factory=dict)  # e.g. {"dense": 3, "lexical": 1}
    scores: dict[str, float] = field(default_factory=dict)

    @classmethod
    def from_record(cls, chunk_id: str, text: str, meta: Mapping[str, Any] | None) -> "Passage":
        """Build a passage from a Chroma record (id, document, metadata)."""
        m = dict(meta or {})
        return cls(
            chunk_id=chunk_id,
            text=text or "",
            doc_id=str(m.get("doc_id", "")),
            title=str(m.get("title", "")),
            url=str(m.get("url", "")),
            published=str(m.get("published", "")),
            source=str(m.get("source", "")),
            kind=str(m.get("kind", "article")),
            author=str(m.get("author", "")),
            parent_id=str(m.get("parent_id", "")),
            header=str(m.get("header", "")),
            file=str(m.get("file", "")),
            chunk_index=int(m.get("chunk_index", 0) or 0),
        )

    @property
    def is_comment(self) -> bool:
        """True for a reader's comment (a view, not reporting)."""
        return self.kind == "comment"

    @property
    def article_id(self) -> str:
        """The article this passage belongs to (its own doc for articles)."""
        return self.parent_id or self.doc_id
