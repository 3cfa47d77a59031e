"""What every answerer shares: the evidence it is given, and the interface it offers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, Protocol, runtime_checkable

from vectorstore.passage import Passage

from ..answer import Answer
from ..language.parts import QuestionPart


@dataclass
class Evidence:
    """Everything an answerer may use for one question.

    `passages` were retrieved and decided that the coverage answers (the gate looked at
    them); `siblings` are more chunks of the retrieved articles, quotable but not deciding;
    `context` is the earlier question and answer of a follow-up; `parts` are the question's
    parts when it names several outlets or dates; `outlets` are the store's outlet names, and
    `named_outlets` those the question names, in the question's order; `boilerplate` the
    fingerprints of sentences the corpus writes in many documents (never quoted); `subject`
    the earlier question's words a follow-up was asked with (`followups.follow_up_subject`).
    """

    passages: list[Passage]
    siblings: list[Passage] = field(default_factory=list)
    context: str = ""
    parts: list[QuestionPart] = field(default_factory=list)
    outlets: list[str] = field(default_factory=list)
    named_outlets: list[str] = field(default_factory=list)  # the store's outlets the question names, in order
    boilerplate: frozenset[int] = frozenset()
    subject: str = ""  # a follow-up's words from the earlier question ("winter access fund"), added to it


@runtime_checkable
class Answerer(Protocol):
    """Turns a question and its evidence into an `Answer` (the gate has already said yes)."""

    name: str

    def answer(self, question: str, evidence: Evidence) -> Answer:
        """The answer, with [n] citations numbered from 1."""
        ...

    def stream(self, question: str, evidence: Evidence) -> Iterator[str | Answer]:
        """Text pieces as they are written, then the final `Answer` (one item for answerers
        that do not write incrementally)."""
        ...
