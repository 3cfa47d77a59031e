"""Text that goes out to users made harmless, for every answerer and every front end.

Mentions (@everyone, @here, <@id>, <@&id>, <#id>) get a zero-width space so they ping
nobody; markdown links `[text](url)` show as their text and bare URLs are made
unclickable, so the only links a reply holds are its cited sources' URLs. Model output
goes through `safe_text` as it streams (`SafeStream`) and once more when it is final;
quoted coverage goes through it when rendered.
"""

from __future__ import annotations

import re

ZWSP = "\u200b"

_BROADCAST = re.compile(r"@(everyone|here)\b")
_TAG_MENTION = re.compile(r"<(?=(?:@[!&]?|#)\d+>)")
_MARKDOWN_LINK = re.compile(r"\[([^\[\]\n]*)\]\(\s*<?([^()\s>]*)>?(?:\s+(?:\"[^\"\n]*\"|'[^'\n]*'))?\s*\)")
_BARE_URL = re.compile(r"\b(https?)://", re.I)


def neutralise_mentions(text: str) -> str:
    """@everyone, @here, <@id>, <@!id>, <@&id> and <#id> made harmless with a zero-width space."""
    return _TAG_MENTION.sub("<" + ZWSP, _BROADCAST.sub("@" + ZWSP + r"\1", text))


def flatten_links(text: str) -> str:
    """Markdown links `[text](url)` shown as their text, and bare URLs made unclickable."""
    return _BARE_URL.sub(lambda m: m.group(1) + ZWSP + "://", _MARKDOWN_LINK.sub(r"\1", text))


def safe_text(text: str) -> str:
    """Text made safe to post: no mentions, no links. Applying it twice changes nothing."""
    return neutralise_mentions(flatten_links(text))


def _last_boundary(text: str) -> int:
    """The end of the longest prefix of `text` that no later text can turn into a mention,
    a link or a URL: just after the last whitespace outside any "[...]" and "](...)"."""
    depth = 0
    in_target = False
    boundary = 0
    for i, ch in enumerate(text):
        if in_target:
            in_target = ch != ")"
        elif ch == "[":
            depth += 1
        elif ch == "]":
            depth = max(depth - 1, 0)
            in_target = i + 1 < len(text) and text[i + 1] == "("
        elif ch.isspace() and depth == 0:
            boundary = i + 1
    return boundary


class SafeStream:
    """Makes streamed model text safe piece by piece.

    `feed(piece)` returns the new safe text that can be shown now: the last word, and an
    open "[..." or "](...", might still become a mention, a link or a URL, so they are
    held back until later text decides them; `close()` returns what is left. The pieces
    joined equal `safe_text` of the whole text.
    """

    def __init__(self) -> None:
        self.raw = ""
        self.sent = 0  # characters of safe_text(raw[:cut]) already returned

    def feed(self, piece: str) -> str:
        """The safe text that became final with this piece (may be empty)."""
        self.raw += piece
        return self._emit(self.raw[:_last_boundary(self.raw)])

    def close(self) -> str:
        """The rest of the safe text, at the end of the stream."""
        return self._emit(self.raw)

    def _emit(self, text: str) -> str:
        safe = safe_text(text)
        new = safe[self.sent:]
        self.sent = len(safe)
        return new
