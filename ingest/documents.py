"""The values that leave `ingest`: a parsed `Document` and the `Chunk`s cut from it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

ARTICLE = "article"
COMMENT = "comment"


@dataclass
class Document:
    """One article, or one reader's comment on an article, ready to chunk.

    `doc_id` is stable across runs (from the canonical URL, else the path relative to
    the ingested root); a comment's id is its article's id plus `#c<n>`. Fields the
    source does not give stay empty: a missing date or URL is never invented.
    """

    doc_id: str
    title: str
    text: str
    url: str = ""
    published: str = ""  # ISO 8601 date or datetime, or ""
    author: str = ""  # the reporter (articles) or the commenter (comments)
    source: str = ""  # the outlet
    kind: str = ARTICLE
    parent_id: str = ""  # for comments: the article's doc_id
    position: int = 0  # order within the file: 0 = the article, 1.. = comments
    path: str = ""  # the file it came from, relative to the ingested root
    standfirst: str = ""

    @property
    def comment_author(self) -> str:
        """The commenter's name, for comments; empty for articles."""
        return self.author if self.kind == COMMENT else ""


@dataclass
class Chunk:
    """A piece of a document small enough for the embedding model's window.

    `text` is the passage as it appears in the source; `header` is the short context
    line ("title | outlet | date") embedded and indexed with it but not quoted.
    """

    chunk_id: str
    doc_id: str
    text: str
    header: str
    index: int  # position of the chunk within its document
    metadata: dict[str, str | int | float | bool] = field(default_factory=dict)

    def embed_text(self) -> str:
        """The text the embedding model sees: header, then the passage."""
        return f"{self.header}\n{self.text}" if self.header else self.text

    def as_dict(self) -> dict:
        """A plain-dict copy, for JSON output and tests."""
        return asdict(self)
