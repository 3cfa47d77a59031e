"""Other forms of a word's root: "tax" for "taxation", "relationship" for "relations".

The tokenizer's stemmer takes suffixes off ("taxation" -> "taxat", "relations" -> "relat"),
but it cannot say which other terms share a word's root: "taxat" and "tax" are different
terms, and so are "relat" and "relationship". A question that writes one form and coverage
that writes the other then looks unrelated to the gate and the answerer. Here a term counts
as another form of a word when the two share a root and what either adds to it is a run of
derivational suffixes as stems show them (`DERIVED`). The suffix pattern is hand-written:
no stemmer or lemmatiser on PyPI that runs without a data download gives word families.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterable

# What a longer or shorter form of a word adds to a shared root: suffixes as stems show them
# ("relat" + "ionship", "tax" + "at" from "taxation"), not another word ("flood" + "gat", from
# "floodgates").
DERIVED = re.compile(r"(?:e|ed|es|er|or|al|at|ation|ion|ive|iv|ment|ship|ity|iti|ness|ing|ist|ism|li|ic|ul|s)+")
MIN_ROOT = 3  # letters of the shortest shared root
MIN_TERM = 4  # letters of the shortest term looked up


def other_form_written(term: str, written: Callable[[str], object],
                       longer: Callable[[str], Iterable[str]] | None = None) -> bool:
    """True when the term's root is written with other derivational suffixes: a root of at
    least `MIN_ROOT` letters that the term extends with them ("tax" for "taxat", the stem of
    "taxation"; `written(root)` is true when it is written), or a longer term that adds them
    ("relationship" for "relat"; `longer(term)` gives the written terms that start with it)."""
    if len(term) < MIN_TERM:
        return False
    if any(written(term[:n]) and DERIVED.fullmatch(term[n:]) for n in range(len(term) - 1, MIN_ROOT - 1, -1)):
        return True
    return longer is not None and any(DERIVED.fullmatch(t[len(term):]) for t in longer(term))


def form_aliases(wanted: Iterable[str], written: Iterable[str]) -> dict[str, str]:
    """written term -> the term of `wanted` it is another form of, for the terms of `written`
    that are not in `wanted` themselves: {"tax": "taxat"} for a question's "taxation" and a
    passage's "tax"."""
    have = set(written)
    wanted = [t for t in wanted if len(t) >= MIN_TERM and t not in have]
    if not wanted:
        return {}
    ordered = sorted(have)
    out: dict[str, str] = {}
    for t in wanted:
        for n in range(len(t) - 1, MIN_ROOT - 1, -1):
            if t[:n] in have and DERIVED.fullmatch(t[n:]):
                out.setdefault(t[:n], t)
        for x in ordered[bisect_right(ordered, t):]:
            if not x.startswith(t):
                break
            if DERIVED.fullmatch(x[len(t):]):
                out.setdefault(x, t)
    return out


def forms_written(wanted: Iterable[str], written: Iterable[str]) -> set[str]:
    """The terms of `wanted` that `written` holds in another form (`form_aliases`), not as they are."""
    return set(form_aliases(wanted, written).values())
