"""Outlets: the names a question may use for the store's outlets, and outlets a question
names ("a Reuters report", "an article from The Washington Post") that the coverage has
nothing from or about.

"What did Reuters report about X?" is not answered by other outlets' articles on X: when
the store holds no outlet by that name and no retrieved passage even mentions it, the
honest answer is that the coverage doesn't include it.
"""

from __future__ import annotations

import re
from typing import Iterable, Mapping, Sequence

from vectorstore.passage import Passage

from .dates import MONTH_NAMES, WEEKDAY_NAMES

_WORD = r"[A-Z][\w&.-]*(?:['’]\w+)*"  # apostrophes only inside a word: not a closing quote
_NAME = rf"((?:{_WORD}|of|and|&)(?:\s+(?:{_WORD}|of|and|&))*)"
_KINDS = r"(?:article|piece|report|story|coverage|op-ed|editorial)"
_NAMED = [
    # "an article from The Washington Post", "a report by Reuters"
    re.compile(rf"\b{_KINDS}\s+(?:by|from|in|published by|published in)\s+(?:the\s+)?{_NAME}"),
    # "a Wall Street Journal report", "the BBC article"
    re.compile(rf"\b(?i:a|an|the)\s+{_NAME}\s+{_KINDS}\b"),
]
_NOT_OUTLETS = frozenset(n.capitalize() for n in MONTH_NAMES + WEEKDAY_NAMES)


def named_outlets(question: str) -> list[str]:
    """Publication names the question attributes an article or report to, as written."""
    names: list[str] = []
    for pattern in _NAMED:
        for match in pattern.finditer(question):
            name = re.sub(r"['’]s$", "", re.sub(r"\s+(?:and|of|&)$", "", match.group(1).strip()))  # "The Guardian's"
            if name and name.split()[0] not in _NOT_OUTLETS and name not in names:
                names.append(name)
    return names


def _bare(name: str) -> str:
    name = name.lower()
    return name[4:] if name.startswith("the ") else name


def is_known_outlet(name: str, aliases: Iterable[str]) -> bool:
    """True when `name` is (part of) an outlet the store holds: "BBC" for "BBC News - Technology"."""
    n = _bare(name)
    return any(a == n or a.startswith(n + " ") or n.startswith(a + " ") or a.endswith(" " + n)
               for a in (_bare(x) for x in aliases))


def unknown_outlets(question: str, aliases: Mapping[str, object] | Iterable[str],
                    passages: Sequence[Passage]) -> list[str]:
    """Outlets the question names that the store does not hold and no passage mentions."""
    names = [n for n in named_outlets(question) if not is_known_outlet(n, aliases)]
    if not names:
        return []
    text = " ".join(f"{p.title} {p.source} {p.text}" for p in passages).lower()
    return [n for n in names if _bare(n) not in text]


def outlet_aliases(sources: Iterable[str]) -> dict[str, set[str]]:
    """Lower-cased names a question may use for each outlet -> the outlets they mean.

    The full name; the part before " | ", " - " or ": " ("Cnbc | World Business News
    Leader" -> "Cnbc"); and either without a leading "The" when what remains is at least
    five letters ("The Verge" -> "Verge", but "The Age" stays whole).
    """
    aliases: dict[str, set[str]] = {}
    for source in sources:
        name = source.strip()
        if not name:
            continue
        names = {name}
        short = re.split(r"\s+[|\-–—]\s+|:\s+", name)[0].strip()
        if short:
            names.add(short)
        for n in list(names):
            if n.lower().startswith("the ") and len(n) - 4 >= 5:
                names.add(n[4:])
        for n in names:
            if len(n) >= 3:
                aliases.setdefault(n.lower(), set()).add(source)
    return aliases


MENTION_CACHE = 256  # texts whose outlet mentions an OutletNames remembers (then it starts again)


class OutletNames:
    """The store's outlets and the names questions and users may call them by."""

    def __init__(self, sources: Iterable[str]) -> None:
        self.sources = sorted({s for s in sources if s})
        self.aliases = outlet_aliases(self.sources)
        alts = sorted(self.aliases, key=len, reverse=True)
        self._rx = re.compile(r"(?<!\w)(" + "|".join(map(re.escape, alts)) + r")(?!\w)", re.I) if alts else None
        self._mentions: dict[str, tuple[tuple[str, int], ...]] = {}

    def mentioned_in(self, text: str) -> list[str]:
        """Outlets of the store named in a text, in order of first mention ("the age of",
        all lower case, is not The Age)."""
        return [source for source, _ in self.mention_spans(text)]

    def mention_spans(self, text: str) -> list[tuple[str, int]]:
        """(outlet, offset of its first mention) for the store's outlets a text names, in order
        (remembered for the last `MENTION_CACHE` texts: a question's rankings, gate and answerer
        ask about the same question)."""
        if self._rx is None:
            return []
        hit = self._mentions.get(text)
        if hit is None:
            found: dict[str, int] = {}
            for m in self._rx.finditer(text):
                if m.group(0) == m.group(0).lower():
                    continue
                for source in sorted(self.aliases[m.group(0).lower()]):
                    found.setdefault(source, m.start())
            hit = tuple(found.items())
            if len(self._mentions) >= MENTION_CACHE:
                self._mentions.clear()
            self._mentions[text] = hit
        return list(hit)

    def all_mention_spans(self, text: str) -> list[tuple[str, int]]:
        """(outlet, offset) for every mention of the store's outlets in a text, in order
        (an outlet named twice appears twice)."""
        return [(source, start) for source, start, _ in self.mention_ranges(text)]

    def mention_ranges(self, text: str) -> list[tuple[str, int, int]]:
        """(outlet, start, end) for every mention of the store's outlets in a text, in order."""
        found: list[tuple[str, int, int]] = []
        if self._rx is None:
            return found
        for m in self._rx.finditer(text):
            if m.group(0) != m.group(0).lower():
                found.extend((source, m.start(), m.end()) for source in sorted(self.aliases[m.group(0).lower()]))
        return found

    def blank(self, text: str) -> str:
        """The text with every mention of the store's outlets replaced by a space (a lower-case
        "the age of" is not The Age, and stays)."""
        if self._rx is None:
            return text
        return self._rx.sub(lambda m: m.group(0) if m.group(0) == m.group(0).lower() else " ", text)

    def resolve(self, wanted: Iterable[str]) -> list[str]:
        """Outlet names as stored, for names typed by users (case-insensitive, aliases allowed)."""
        out: list[str] = []
        for name in wanted:
            key = str(name).strip().lower()
            hits = sorted(self.aliases.get(key, set())) or [s for s in self.sources if s.lower() == key] or [name]
            out.extend(h for h in hits if h not in out)
        return out
