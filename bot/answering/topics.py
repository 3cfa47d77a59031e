"""Questions about a topic the coverage never writes: "What did readers say about the flood
barrier?" over a publication that never wrote "flood".

The gate refuses such a question naming the topic (`absent_topics`), as it refuses a name or
an acronym no retrieved passage mentions. The topic is the phrase after "about", "on", "of"
and the like (`topic_phrases`); a word of it counts as written when the whole corpus (the
lexical index's vocabulary) writes it, a shorter form of it, another form of its root
(`bot.language.forms`) or a lexicon synonym, or when a retrieved passage does.
"""

from __future__ import annotations

import math
import re
from typing import Callable, Sequence

from vectorstore.passage import Passage

from ..language.analysis import analysed
from ..language.forms import other_form_written
from ..language.framing import without_dates
from ..language.lexicon import Lexicon
from ..language.questions import question_acronyms, question_names
from ..language.terms import acronym_terms, question_terms, term_set
from .sentences import IdfFn


# The phrase a question is about: what follows "about", "on", "regarding", "over", "of" or
# "concerning", up to punctuation, a conjunction, a relative word, the next preposition, a
# pronoun or a common verb ("one of the commenters say they'd been landed with" gives "the
# commenters"), and at most `_TOPIC_WORDS` words
_TOPIC_START = r"about|on|regarding|over|of|concerning"
_TOPIC_END = (r"and|or|but|nor|so|when|while|who|whom|whose|which|that|what|where|why|how|since|before|after|if|"
              r"in|at|for|by|from|with|to|into|onto|during|under|between|as|than|via|per|through|across|against|"
              r"without|within|among|around|despite|amid|like|near|toward|towards|upon|"
              r"(?:i|you|he|she|it|we|they)(?:[’']\w+)?|"
              r"is|are|was|were|be|been|being|am|has|have|had|do|does|did|will|would|can|could|shall|should|may|"
              r"might|must|say|says|said|saying|tell|tells|told|think|thinks|thought|get|gets|got|make|makes|made")
_TOPIC_WORDS = 5
_TOPIC = re.compile(rf"\b(?:{_TOPIC_START})\s+(.+?)(?=\s*(?:[,;:?!\"“”()]|\.(?!\d)|$)|\s+(?:{_TOPIC_END}|"
                    rf"{_TOPIC_START})\b)", re.I)


def topic_phrases(question: str) -> list[str]:
    """The phrases a question is about, as it writes them: "What did readers say about the
    flood barrier?" -> ["the flood barrier"]; each preposition starts one ("the closure of the
    barrier" gives "the closure" and "the barrier")."""
    return [" ".join(m.group(1).split()[:_TOPIC_WORDS]) for m in _TOPIC.finditer(question)]


def absent_topics(question: str, passages: Sequence[Passage], corpus_df: Callable[[str], int], lexicon: Lexicon,
                  idf: IdfFn | None = None, min_share: float = 0.0, stem: float = 1.0,
                  longer: Callable[[str], list[str]] | None = None) -> list[str]:
    """The topic phrases of a question (`topic_phrases`) with a word that neither the passages
    nor the whole corpus write (document frequency 0), nor a shorter form of it (`stem`, see
    `GateConfig.absent_topic_stem`), nor another form of its root (`other_form_written`:
    "relationship" for "relat", the stem of "relations"), nor any of its lexicon synonyms, and
    that holds at least `min_share` of the question's term weight (by `idf`): a question about
    the flood barrier is not answered by coverage of "contractual barriers" when nothing the
    publication wrote says "flood", but one word of a long question is not what it turns on. Words with digits, names
    and acronyms are the other rules' business (a name written in part, "Chelsea" for Chelsea
    Football Club, is written)."""
    phrases = topic_phrases(without_dates(question))  # "11 Feb 2025" places the report: no topic ("feb" is unwritten)
    if not phrases:
        return []
    named = {t for n in question_names(question, lexicon) + question_acronyms(question, lexicon)
             for t in question_terms(n)}
    written: set[str] | None = None
    out: list[str] = []
    for phrase in phrases:
        words = [t for t in question_terms(phrase) if t.isalpha() and t not in named and not corpus_df(t)
                 and not _shorter_form_written(t, corpus_df, stem)
                 and not other_form_written(t, corpus_df, longer)]
        if not words:
            continue
        if written is None:
            written = set()
            for p in passages:
                written |= term_set(p.title) | analysed(p.text).terms | acronym_terms(p.text)
        aliases = lexicon.synonym_terms(words)
        absent = {t for t in words
                  if t not in written and not any(corpus_df(a) for a, of in aliases.items() if of == t)}
        if absent and (idf is None or _share(absent, question, idf) >= min_share):
            out.append(phrase)
    return out


def _shorter_form_written(term: str, corpus_df: Callable[[str], int], stem: float) -> bool:
    """True when the corpus writes a term that `term` starts with, of at least `stem` of its
    length and 4 letters: the stemmer leaves "fraudulent" as "fraudul", "misrepresentations"
    as "misrepresent" and "misrepresented" as "misrepres"."""
    return any(corpus_df(term[:n]) for n in range(len(term) - 1, max(math.ceil(len(term) * stem), 4) - 1, -1))


def _share(words: set[str], question: str, idf: IdfFn) -> float:
    """The share of a question's term weight (by `idf`) that `words` hold."""
    weights = {t: idf(t) for t in question_terms(question)}
    return sum(weights.get(t, 0.0) for t in words) / (sum(weights.values()) or 1.0)
