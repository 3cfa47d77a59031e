"""Quotes as answers show them: trimmed, defused, labelled, cited [n]."""

from __future__ import annotations

import re

from vectorstore.passage import Passage

_BRACKETED_NUMBERS = re.compile(r"\[(\s*\d+(?:\s*[,;–-]\s*\d+)*\s*)\]")


def defuse_markers(text: str) -> str:
    """Bracketed numbers in quoted text ("[7]", "[1, 2]") shown as "(7)", "(1, 2)": only the
    answerer's own [n] markers may look like citations."""
    return _BRACKETED_NUMBERS.sub(r"(\1)", text)


def trim(text: str, max_chars: int) -> str:
    """The text cut at a word boundary to at most `max_chars`, with an ellipsis when cut."""
    return text if len(text) <= max_chars else text[: max_chars - 1].rsplit(" ", 1)[0] + "…"


def render_quote(sentence: str, passage: Passage, n: int, max_chars: int = 600, *, dated: bool = False) -> str:
    """A quoted sentence with its [n]; a reader's comment is labelled as a reader's view; with
    `dated`, the outlet and date lead ("TechCrunch, 7 Oct 2023: “…” [1]"). A bracketed number
    inside the quote (a fake "[7]") is shown as "(7)"."""
    text = defuse_markers(trim(sentence, max_chars))
    if passage.is_comment:
        who = f"A reader ({defuse_markers(passage.author)})" if passage.author else "A reader"
        return f"{who} commented: “{text}” [{n}]"
    if dated:
        where = ", ".join(x for x in (defuse_markers(passage.source), _short_date(passage.published)) if x)
        return f"{where}: “{text}” [{n}]" if where else f"{text} [{n}]"
    return f"{text} [{n}]"


def _short_date(iso: str) -> str:
    """"2023-10-07" -> "7 Oct 2023" ("" when not a date)."""
    from datetime import date

    try:
        d = date.fromisoformat(iso[:10])
    except ValueError:
        return ""
    return f"{d.day} {d.strftime('%b')} {d.year}"
