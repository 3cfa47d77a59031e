"""Who or what a question asks for, and the names in a text that could be the answer.

"Who is the individual that ...?" asks for a person; "Which company, covered by ...?" for
an organisation. Names are runs of capitalised words ("Sam Bankman-Fried", "Manchester
United", "The Federal Reserve"); a name that the question itself uses is never the answer.
No language model is involved: these are patterns, measured on MultiHop-RAG's dev questions.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Iterable

from .dates import MONTH_NAMES, WEEKDAY_NAMES
from .terms import QUESTION_WORDS

_PERSON_Q = re.compile(r"^\s*(who\b|(?:which|what)\b(?:\s+[\w-]+){0,2}?\s+(individual|person|player|artist|singer|"
                       r"actor|actress|author|executive|ceo|founder|coach|manager|politician|athlete|quarterback|"
                       r"musician|entrepreneur|rapper|celebrity|public figure)\b|what is the name of the "
                       r"(individual|person)\b)", re.I)
_THING_Q = re.compile(r"^\s*(?:(?:which|what)\b(?:\s+[\w-]+){0,3}?\s+(?:company|organi[sz]ation|institution|firm|team|"
                      r"club|platform|country|city|state|agency|brand|band|group|entity|network|league|"
                      r"university|bank|nation|exchange|startup|studio|franchise|product|app|service|device|"
                      r"console|event|tool|truck|car|model|figure|character|show|series|film|game|sport|"
                      r"establishments?|term)\b|what is the name of\b)", re.I)
_NAME = re.compile(r"\b[A-Z][\w’'&-]*(?:\s+(?:(?:of|de|van|von|der|the|and|&)\s+)?[A-Z][\w’'&-]*)*")
_POSSESSIVE = re.compile(r"[’']s?$")
_PERSON_WORD = re.compile(r"^[A-Z][a-z]+(?:[-’'][A-Z]?[a-z]+)*\.?$|^[A-Z]\.$")
_NOT_NAMES = frozenset(w.capitalize() for w in MONTH_NAMES + WEEKDAY_NAMES) | frozenset(
    "The A An In On At For And But Or If When While After Before He She They It We I His Her Their Its This "
    "That These Those There Here What Who Which Why How Mr Mrs Ms Dr Photographer Getty Images Reuters AP "
    "Related Read More Also Image Credit Credits Sign Subscribe".split())


def asked_kind(question: str) -> str | None:
    """"person" for who-questions, "thing" for which-company/team/... questions, else None."""
    if _PERSON_Q.search(question) and not re.match(r"\s*who (?:else|else's)\b", question, re.I):
        return "person"
    if _THING_Q.search(question):
        return "thing"
    return None


def names_in(text: str) -> list[str]:
    """Capitalised names in a text, as written ("Sam Bankman-Fried", "the Fed" is "Fed")."""
    out = []
    for m in _NAME.finditer(text):
        words = [_POSSESSIVE.sub("", w) for w in m.group(0).split()]
        while words and (words[0] in _NOT_NAMES or words[0].lower() in QUESTION_WORDS):
            words = words[1:]
        while words and words[-1].lower() in ("of", "de", "van", "von", "der", "the", "and", "&"):
            words = words[:-1]
        if words and not (len(words) == 1 and words[0] in _NOT_NAMES):
            out.append(" ".join(words))
    return [n for n in out if len(n) > 1]


def likely_answer(question: str, texts: Iterable[tuple[str, float]], exclude: Iterable[str] = ()) -> str | None:
    """The name the passages most support as the answer to a who/which question, or None.

    `texts` are (text, weight) pairs, best passages weighing most. A name counts each time
    it, or its last word ("Bankman-Fried" for "Sam Bankman-Fried"), is written; the fullest
    form wins. Names the question uses, and `exclude` (the store's outlets), are skipped; a
    person needs a first and a last name written together somewhere.
    """
    kind = asked_kind(question)
    if kind is None:
        return None
    texts = list(texts)
    asked = {w.lower() for w in re.findall(r"[\w’'-]+", question)}
    excluded = {e.lower() for e in exclude}
    # a word the passages also write in lower case is an ordinary word, not part of a name
    ordinary = {w for text, _ in texts for w in re.findall(r"\b[a-z][\w’'-]*", text)}
    counts: Counter[str] = Counter()
    full_forms: dict[str, Counter[str]] = {}
    for text, weight in texts:
        for name in names_in(text):
            words = name.split()
            if name.lower() in excluded or any(w.lower() in asked for w in words):
                continue
            plain = [w.lower() in ordinary for w in words]
            if all(plain) or (kind == "person" and (any(plain) or not all(_PERSON_WORD.match(w) for w in words))):
                continue
            key = words[-1].lower()
            counts[key] += weight
            full_forms.setdefault(key, Counter())[name] += weight
    for key, _ in counts.most_common():
        forms = full_forms[key]
        best = max(forms, key=lambda f: (len(f.split()) >= 2, forms[f]))
        if kind == "person" and len(best.split()) < 2:
            continue
        return best
    return None
