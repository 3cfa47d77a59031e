"""The values an answer is made of: `Citation` and `Answer` (what `ask --json` prints)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from vectorstore.passage import Passage

NOT_FOUND_TEXT = "The coverage I have doesn't answer that."


@dataclass
class Citation:
    """A numbered source of an answer: the passage quoted and where it comes from."""

    n: int
    text: str
    title: str
    url: str
    published: str
    source: str
    kind: str  # "article" (reporting) or "comment" (a reader's view)
    author: str  # the commenter for comments, the reporter for articles
    doc_id: str
    score: float

    @classmethod
    def from_passage(cls, n: int, passage: Passage) -> "Citation":
        """Number a retrieved passage as source [n]."""
        return cls(n=n, text=passage.text, title=passage.title, url=passage.url, published=passage.published,
                   source=passage.source, kind=passage.kind, author=passage.author, doc_id=passage.doc_id,
                   score=round(float(passage.score), 6))

    @property
    def is_comment(self) -> bool:
        """True when this source is a reader's comment, not reporting."""
        return self.kind == "comment"


@dataclass
class Answer:
    """A question's answer with its numbered citations and timings (milliseconds)."""

    question: str
    answer: str
    found: bool
    citations: list[Citation] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    answerer: str = "extractive"
    passages: list[Passage] = field(default_factory=list, repr=False)  # what was retrieved
    # Why the configured answerer did not answer itself ("endpoint-error", "timeout",
    # "circuit-open", "no-valid-citation"), the one line users are shown about it, and the
    # error id of the log entry with the details.
    fallback_reason: str | None = None
    note: str = ""
    error_id: str | None = None

    def to_dict(self, *, with_passages: bool = False) -> dict[str, Any]:
        """The JSON shape documented in the README."""
        data = {
            "question": self.question,
            "answer": self.answer,
            "found": self.found,
            "citations": [asdict(c) for c in self.citations],
            "timings": {k: round(v, 2) for k, v in self.timings.items()},
            "answerer": self.answerer,
            "fallback_reason": self.fallback_reason,
            "note": self.note,
        }
        if self.error_id:
            data["error_id"] = self.error_id
        if with_passages:
            data["passages"] = [asdict(p) for p in self.passages]
        return data

    @classmethod
    def not_found(cls, question: str, *, passages: list[Passage] | None = None, answerer: str = "extractive",
                  text: str = NOT_FOUND_TEXT) -> "Answer":
        """The plain "the coverage doesn't answer that" answer."""
        return cls(question=question, answer=text, found=False, citations=[], passages=passages or [],
                   answerer=answerer)
