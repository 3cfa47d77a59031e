"""Outlets a question names ("a Reuters report", "an article from The Washington Post"),
and which of them the coverage has nothing from or about.

"What did Reuters report about X?" is not answered by other outlets' articles on X: when
the store holds no outlet by that name and no retrieved passage even mentions it, the
honest answer is that the coverage doesn't include it.
"""

from __future__ import annotations

import re
from typing import Iterable, Mapping, Sequence

from vectorstore.passage import Passage

_WORD = r"[A-Z][\w&.-]*(?:['’]\w+)*"  # apostrophes only inside a word: not a closing quote
_NAME = rf"((?:{_WORD}|of|and|&)(?:\s+(?:{_WORD}|of|and|&))*)"
_KINDS = r"(?:article|piece|report|story|coverage|op-ed|editorial)"
_NAMED = [
    # "an article from The Washington Post", "a report by Reuters"
    re.compile(rf"\b{_KINDS}\s+(?:by|from|in|published by|published in)\s+(?:the\s+)?{_NAME}"),
    # "a Wall Street Journal report", "the BBC article"
    re.compile(rf"\b(?i:a|an|the)\s+{_NAME}\s+{_KINDS}\b"),
]
_NOT_OUTLETS = frozenset("January February March April May June July August September October November December "
                         "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split())


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
