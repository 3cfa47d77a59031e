"""Plain-text rendering of answers and passages for the terminal (`ask`, the REPL)."""

from __future__ import annotations

from typing import Sequence

from vectorstore.passage import Passage

from ..answer import Answer, Citation


def kind_label(kind: str, author: str = "") -> str:
    """"article", or "reader's comment (name)"."""
    if kind == "comment":
        return f"reader's comment ({author})" if author else "reader's comment"
    return "article"


def source_line(c: Citation) -> str:
    """One numbered source: [n] headline — date · outlet · kind · url."""
    parts = [x for x in (c.published[:10], c.source, kind_label(c.kind, c.author), c.url) if x]
    return f"[{c.n}] {c.title} — " + " · ".join(parts)


def format_answer(answer: Answer, *, timings: bool = False) -> str:
    """The note, if the configured answerer could not answer (the LLM was down), the answer
    text, then its numbered sources."""
    ref = f" (error id {answer.error_id})" if answer.error_id else ""  # the log entry with the details
    lines = [f"Note: {answer.note}{ref}", ""] if answer.note else []
    lines.append(answer.answer)
    if answer.citations:
        lines.append("")
        lines.append("Sources:")
        lines.extend(source_line(c) for c in answer.citations)
    if timings and answer.timings:
        lines.append("")
        lines.append("(" + ", ".join(f"{k} {v:.1f}" for k, v in answer.timings.items()) + ")")
    return "\n".join(lines)


def format_passages(passages: Sequence[Passage], *, width: int = 160) -> str:
    """Retrieved passages with their dense, lexical and fused ranks and scores (for testing retrieval)."""
    lines = []
    for i, p in enumerate(passages, start=1):
        ranks = " ".join(
            f"{key}#{p.ranks[key]}" + (f"({p.scores[key]:.3f})" if key in p.scores else "")
            for key in ("dense", "lexical", "fused") if key in p.ranks
        )
        head = f"{i:>2}. {ranks or f'score {p.score:.3f}'} | {p.title[:70]} | {p.source} | {p.published[:10]} | " \
               f"{kind_label(p.kind, p.author)}"
        text = " ".join(p.text.split())
        lines.append(head)
        lines.append("    " + (text if len(text) <= width else text[: width - 1] + "…"))
    return "\n".join(lines) if lines else "(no passages)"
