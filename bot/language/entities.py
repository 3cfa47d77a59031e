"""Who or what a question asks for, and the names in a text that could be the answer.

"Who is the individual that ...?" asks for a person; "Which company, covered by ...?" for
an organisation. Names are runs of capitalised words ("Sam Bankman-Fried", "Manchester
United", "The Federal Reserve"); a name that the question itself uses is never the answer.
No language model is involved: these are patterns, measured on MultiHop-RAG's dev questions.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from functools import lru_cache
from collections import Counter
from typing import Iterable

from .dates import MONTH_NAMES, WEEKDAY_NAMES
from .terms import QUESTION_WORDS, question_terms, term_offsets, terms

_PERSON_Q = re.compile(r"^\s*(who\b|(?:which|what)\b(?:\s+[\w-]+){0,2}?\s+(individual|person|player|artist|singer|"
                       r"actor|actress|author|executive|ceo|founder|coach|manager|politician|athlete|quarterback|"
                       r"musician|entrepreneur|rapper|celebrity|public figure)\b|what is the name of the "
                       r"(individual|person)\b)", re.I)
_THING_Q = re.compile(r"^\s*(?:(?:which|what)\b(?:\s+[\w-]+){0,3}?\s+(?:company|organi[sz]ation|institution|firm|team|"
                      r"club|platform|country|city|state|agency|brand|band|group|entity|network|league|"
                      r"university|bank|nation|exchange|startup|studio|franchise|product|app|service|device|"
                      r"console|event|tool|truck|car|model|figure|character|show|series|film|game|sport|"
                      r"establishments?|term)\b|what is the name of\b)", re.I)
# (a capital letter first, then the word boundary before it, looked back at: the engine then skips
# to the next capital letter instead of trying every position; the same matches, a third faster)
_NAME = re.compile(r"[A-Z](?<=\b[A-Z])[\w’'&-]*(?:\s+(?:(?:of|de|van|von|der|the|and|&)\s+)?[A-Z][\w’'&-]*)*")
_PERSON_WORD = re.compile(r"^[A-Z][a-z]+(?:[-’'][A-Z]?[a-z]+)*\.?$|^[A-Z]\.$")
_NOT_NAMES = frozenset(w.capitalize() for w in MONTH_NAMES + WEEKDAY_NAMES) | frozenset(
    "The A An In On At For And But Or If When While After Before He She They It We I His Her Their Its This "
    "That These Those There Here What Who Which Why How Mr Mrs Ms Dr Photographer Getty Images Reuters AP "
    "Related Read More Also Image Credit Credits Sign Subscribe".split())


# "Who is Dr Quennell?" asks what the coverage says of a person it names, not for another name;
# "Who gets the money?", "Who is eligible?" ask for a group (practices, patients), not a person
_WHO_IS_NAMED = re.compile(r"^\s*(?i:who(?:['’]s|\s+is|\s+was|\s+are|\s+were))\s+(?:(?i:dr|mr|mrs|ms|miss|prof|"
                           r"professor|sir|dame|lord|lady)\.?\s+)?[A-Z][\w’'-]*(?:\s+[A-Z][\w’'-]*)*\s*\??\s*$")
_WHO_BENEFITS = re.compile(r"^\s*who\s+(?:will\s+|would\s+|can\s+|could\s+|does\s+|do\s+)?(?:gets?|pays?|benefits?|"
                           r"qualif(?:y|ies)|receives?|loses?|(?:is|are)\s+(?:eligible|entitled|affected|covered)|apply|"
                           r"applies|has to|have to|must|needs? to)\b", re.I)


def asked_kind(question: str) -> str | None:
    """"person" for who-questions, "thing" for which-company/team/... questions, else None
    (None for "Who is <a name>?" and for who-questions that ask for a group: "Who gets …?")."""
    if _PERSON_Q.search(question) and not re.match(r"\s*who (?:else|else's)\b", question, re.I):
        if _WHO_BENEFITS.search(question) or _WHO_IS_NAMED.search(question):
            return None
        return "person"
    if _THING_Q.search(question):
        return "thing"
    return None


def names_in(text: str) -> list[str]:
    """Capitalised names in a text, as written ("Sam Bankman-Fried", "the Fed" is "Fed")."""
    return [name for name, _, _ in name_spans(text)]


def name_spans(text: str) -> list[tuple[str, int, int]]:
    """(name, start, end) of the capitalised names in a text, as `names_in` reads them
    (remembered for the last 2,048 texts: feedback, gate and answerer read the same passages)."""
    return list(_name_spans(text))


@lru_cache(maxsize=2048)
def _name_spans(text: str) -> tuple[tuple[str, int, int], ...]:
    out = []
    for m in _NAME.finditer(text):
        words = [_without_possessive(w) for w in m.group(0).split()]
        while words and (words[0] in _NOT_NAMES or words[0].lower() in QUESTION_WORDS):
            words = words[1:]
        while words and words[-1].lower() in ("of", "de", "van", "von", "der", "the", "and", "&"):
            words = words[:-1]
        if words and not (len(words) == 1 and words[0] in _NOT_NAMES) and len(" ".join(words)) > 1:
            out.append((" ".join(words), m.start(), m.end()))
    return tuple(out)


def _without_possessive(word: str) -> str:
    """A word without a possessive ending ("Swift's" -> "Swift", "Jones'" -> "Jones")."""
    if word.endswith(("'s", "’s")):
        return word[:-2]
    return word[:-1] if word.endswith(("'", "’")) else word


_LOWER_WORD = re.compile(r"[a-z](?<=\b[a-z])[\w’'-]*")  # (as _NAME: the letter first)


@lru_cache(maxsize=1024)
def _lower_case_words(text: str) -> frozenset[str]:
    """The words a text writes in lower case (remembered for the last 1,024 passages)."""
    return frozenset(_LOWER_WORD.findall(text))


_ROLE_Q = re.compile(r"^\s*who(?:['’]s|\s+is|\s+was|\s+are|\s+were)\s+(?:the\s+|an?\s+)?(.+?)\s+"
                     r"(?:who|that|quoted|behind|when|on|at|in|of|for|from|leading|running)\b", re.I)


_GENERIC_PERSON = frozenset("individual person one people name figure".split())


def asked_noun(question: str) -> str | None:
    """The kind of thing or person a question asks for: "university" in "Which university is
    …", "director" in "Who was the NHS England director quoted …"."""
    m = _THING_Q.search(question)
    if m:
        words = re.findall(r"[\w-]+", m.group(0).lower())
        return words[-1] if words and words[-1] not in ("who", "of") else None
    m = _ROLE_Q.search(question)
    if m:
        lower = [w for w in re.findall(r"\b[a-z][a-z-]+\b", m.group(1)) if w not in _GENERIC_PERSON]
        return lower[-1] if lower else None
    return None


class RoleWords:
    """Finds where a text writes any of a few terms (stems), as the tokenizer reads it, without
    tokenizing the whole text: a regular expression finds the words that begin like one of
    them (a Snowball stem is the word's beginning, give or take its last two letters:
    "secretari" for "secretary", "capabl" for "capability"), and only those are stemmed.
    Terms that are figures fall back to tokenizing."""

    def __init__(self, wanted: set[str] | frozenset[str]) -> None:
        self.wanted = frozenset(wanted)
        words = {t[:max(2, len(t) - 2)] for t in self.wanted if t.isalpha()}
        self.tokenize = any(not t.isalpha() for t in self.wanted)
        # matched against the lower-cased text: a third faster than ignoring case (re.I)
        self.pattern = re.compile(r"(?<![^\W\d_])(?:" + "|".join(sorted(map(re.escape, words), key=len, reverse=True))
                                  + r")[^\W\d_]*") if words else None

    def find(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, term) of each wanted term the text writes, in order."""
        lower = text.lower()
        if self.tokenize or len(lower) != len(text):  # (a few letters lower-case to two characters)
            return [(a, b, t) for t, a, b in zip(*term_offsets(text)) if t in self.wanted]
        if self.pattern is None:
            return []
        out = []
        for m in self.pattern.finditer(lower):
            start, end = m.span()
            term = _word_term(text[start:end])
            if term in self.wanted:
                out.append((start, end, term))
        return out


def _read(text: str | tuple[str, str]) -> tuple[str, tuple[tuple[str, int, int], ...], frozenset[str],
                                                tuple[tuple[str, int], ...]]:
    """(the text, its names with where they are, its lower-case words, its parts with where
    each begins); a (headline, body) pair is read as "headline. body" from each part's
    remembered names and words (no name runs on across ". ", and no word does)."""
    if isinstance(text, str):
        return text, _name_spans(text), _lower_case_words(text), ((text, 0),)
    headline, body = text
    at = len(headline) + 2
    spans = _name_spans(headline) + tuple((name, a + at, b + at) for name, a, b in _name_spans(body))
    return (f"{headline}. {body}", spans, _lower_case_words(headline) | _lower_case_words(body),
            ((headline, 0), (body, at)))


@lru_cache(maxsize=64)
def _role_words(wanted: frozenset[str]) -> RoleWords:
    return RoleWords(wanted)


@lru_cache(maxsize=1024)
def _role_places(wanted: frozenset[str], text: str) -> tuple[tuple[int, int, str], ...]:
    """`RoleWords(wanted).find(text)`, remembered: the answer feedback and the answerer look
    for the same question's words in the same passages."""
    return tuple(_role_words(wanted).find(text))


@lru_cache(maxsize=8192)
def _word_term(word: str) -> str | None:
    """The one term a word is (None for a stopword, or a word the tokenizer cuts in two)."""
    found = terms(word)
    return found[0] if len(found) == 1 else None


# "Who opposed the motion?": the verb after "who" says what the one asked for did
_WHO_DID = re.compile(r"^\s*who\s+(?!(?:is|was|are|were|has|have|had|did|does|do|will|would|can|could|should|else)\b)"
                      r"([a-z][a-z-]+)\b", re.I)


def asked_deed(question: str) -> str | None:
    """The term of the verb a "who did it" question asks about ("oppos" in "Who opposed the
    motion?"), or None."""
    m = _WHO_DID.match(question)
    found = question_terms(m.group(1)) if m else []
    return found[0] if len(found) == 1 else None


def _with_heads(spans: tuple[tuple[str, int, int], ...], text: str) -> list[tuple[str, int, int]]:
    """Name spans, each followed by its head when it runs on with "of" ("Peter Vasquez" of "Peter
    Vasquez of Calderford LMC": a person, where the whole is no one's name)."""
    out = []
    for name, start, end in spans:
        out.append((name, start, end))
        head = name.split(" of ")[0]
        at = text.find(head, start, end) if head != name else -1
        if at >= 0:
            out.append((head, start, at + len(head)))
    return out


# first words of place names ("North Calderford", "New York"): such a name is a place, not a
# person, and only the whole of it names the place (the gate's `name_written`)
PLACE_QUALIFIERS = frozenset(["north", "south", "east", "west", "northern", "southern", "eastern", "western", "central",
                              "mid", "new", "upper", "lower", "greater"])

_SENTENCE_END = re.compile(r"[.!?]['’\"”]?\s")

ROLE_WINDOW = 80  # characters either side of a name where the question's own words describe it
ROLE_BOOST = 1.0  # a name counts (1 + ROLE_BOOST * such words, at most 3) times
DESCRIBED_BOOST = 3.0  # a person named beside the role asked for counts this many times
DEED_BOOST = 3.0  # a name written beside the deed asked about ("Opposing the motion, Dr Peter Vasquez")


def likely_answer(question: str, texts: Iterable[tuple[str | tuple[str, str], float]],
                  exclude: Iterable[str] = ()) -> str | None:
    """The name the passages most support as the answer to a who/which question, or None.

    `texts` are (text, weight) pairs, best passages weighing most; a text may be given as
    (headline, body), read as "headline. body" (the body's names are then found once for
    every question that reads it). A name counts each time it, or its last word
    ("Bankman-Fried" for "Sam Bankman-Fried"), is written; the fullest form wins. Names the
    question uses, and `exclude` (the store's outlets), are skipped; a person needs a first
    and a last name written together somewhere.
    """
    kind = asked_kind(question)
    if kind is None:
        return None
    texts = [_read(text) + (weight,) for text, weight in texts]
    asked = {w.lower() for w in re.findall(r"[\w’'-]+", question)}
    excluded = {e.lower() for e in exclude}
    # a word the passages also write in lower case is an ordinary word, not part of a name
    ordinary = frozenset().union(*(lower for _, _, lower, _, _ in texts))
    noun = asked_noun(question)
    # the question's own lower-case words ("director", "secretary"), which describe the one asked for
    role = frozenset(question_terms(" ".join(w for w in re.findall(r"\b[a-z][\w’'-]*", question)))) - {noun}
    deed = asked_deed(question)
    role = role | {deed} if deed else role
    deed_written = deed_done = False  # the deed is written somewhere; beside a name that can answer
    noun_near = re.compile(rf"\b{re.escape(noun)}", re.I) if noun else None
    counts: Counter[str] = Counter()
    described: Counter[str] = Counter()
    full_forms: dict[str, Counter[str]] = {}
    candidates: dict[str, bool] = {}  # name -> can it answer (what does not depend on where it is)

    def can_answer(name: str) -> bool:
        words = name.split()
        lower = [w.lower() for w in words]
        if name.lower() in excluded or any(w in asked and w != noun for w in lower):
            return False
        plain = [w in ordinary for w in lower]
        if all(plain) or (kind == "person" and (any(plain) or not all(_PERSON_WORD.match(w) for w in words)
                                                 or lower[0] in PLACE_QUALIFIERS)):  # "North Calderford" is a place
            return False
        # "University" alone names nothing
        return not (noun and noun in lower and (all(w == noun for w in lower) or kind == "person"))

    for text, spans, _, parts, weight in texts:
        # where the question's describing words are written ("secretary"), for the windows below
        role_at = [(a + at, b + at, term) for part, at in parts for a, b, term in _role_places(role, part)] \
            if role and spans else []
        role_starts = [a for a, _, _ in role_at]
        deed_written = deed_written or any(term == deed for _, _, term in role_at)
        for name, start, end in _with_heads(spans, text) if kind == "person" else spans:
            ok = candidates.get(name)
            if ok is None:
                ok = candidates[name] = can_answer(name)
            if not ok:
                continue
            low, high = max(0, start - ROLE_WINDOW), end + ROLE_WINDOW
            around = [(a, b, term) for a, b, term in role_at[bisect_left(role_starts, low):bisect_left(role_starts, high)]
                      if b <= high]
            near = {term for _, _, term in around}
            weight_here = weight * (1 + ROLE_BOOST * min(3, len(near)))
            if deed in near and any(term == deed and not _SENTENCE_END.search(text, min(a, start), max(b, end))
                                    for a, b, term in around):
                weight_here *= DEED_BOOST  # who did what the question asks, in the same sentence
                deed_done = True
            words = name.split()
            key = words[-1].lower()
            # the kind asked for, in the name ("University of Northgate": only such names compete)
            # or, for a person, beside it ("Dr Felicity Marwood, NHS England's national director":
            # counts DESCRIBED_BOOST times; MultiHop dev inference_answer 0.796 -> 0.812, where
            # letting only such persons compete gave 0.780)
            if noun_near is not None and (noun in name.lower().split() if kind == "thing" else
                                          noun_near.search(text[low:high])):
                described[key] += weight_here
                weight_here *= DESCRIBED_BOOST
            counts[key] += weight_here
            full_forms.setdefault(key, Counter())[name] += weight_here
    if kind == "thing" and described:
        counts = described
    if deed_written and not deed_done:
        return None  # "Who runs NHS Pensions?": the passages say who (an authority), and it is no one named here
    for key, _ in counts.most_common():
        forms = full_forms[key]
        best = max(forms, key=lambda f: (len(f.split()) >= 2, forms[f]))
        if kind == "person" and len(best.split()) < 2:
            continue
        return best
    return None
