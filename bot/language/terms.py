"""What a term is, for retrieval and answering alike: one tokenizer, one stopword list.

The tokenizer itself (`terms`, `stem`, `STOPWORDS`) lives in `vectorstore.lexical.tokenizer`,
because the ingester writes the lexical index with it; this module re-exports it. A
question's terms, as the gate and the answerer weigh them, also drop function words and
the words that frame a question about news ("what did the article say about ...",
"readers").

BM25 indexes chunks with `terms`, so the extractive answerer's terms are the lexical
index's vocabulary and its corpus IDF applies to them directly.
"""

from __future__ import annotations

import re
from functools import lru_cache

from vectorstore.lexical.sentences import acronym_terms as _acronym_terms

from .dates import asks_for_latest
from .readers import READERS_NAMED
from vectorstore.lexical.tokenizer import STOPWORDS, TOKENIZER_ID, stem, terms, tokenize
from vectorstore.lexical.tokenizer import term_offsets as _term_offsets

__all__ = ["QUESTION_WORDS", "STOPWORDS", "TEMPORAL_RELATIONS", "TOKENIZER_ID", "acronym_terms", "question_terms",
           "relation_terms", "stem", "term_offsets", "term_set", "terms", "tokenize"]

# Sentences whose terms are remembered (`term_set`, `acronym_terms`): one question's gate and
# answerer look at a few hundred sentences, several times each. Each entry costs about 2 KB
# (the sentence and its terms); 100,000 of them grew a bot at 100k chunks by 40 MB in 1,200
# questions on the way to about 200 MB.
_SENTENCE_CACHE = 8192

# What a question's terms leave out besides: English function words and the words that
# frame a question about news ("what did the article say about ..."). The gate and the
# answerer judge passages by the rest. Left out of retrieval queries too, these cost
# temporal questions' Hits@10 0.971 -> 0.931, so retrieval keeps them.
QUESTION_WORDS = frozenset("""
a about above after again against all also am an and any are as at be because been before being below
between both but by can could did do does doing down during each few for from further had has have having
he her here hers herself him himself his how i if in into is it its itself just me more most my myself no
nor not of off on once only or other our ours ourselves out over own same she should so some such than
that the their theirs them themselves then there these they this those through to too under until up
till very was we were what when where which while who whom why will with would you your yours yourself
yourselves s t don now
article articles report reported reports reporting according say says said tell told mention mentioned
mentions news story stories piece coverage question answer please much many anything something whether
discuss discussed discusses suggest suggests suggested indicate indicates indicated
actually really far currently yet still ever
happen happens happened happening
reader readers comment comments commenter commenters commented
""".split())

_QUESTION_STOP = STOPWORDS | QUESTION_WORDS
# a question that asks for the newest coverage ("What's the latest on X?") is not about these words
# (`asks_for_latest`); elsewhere they may be ("Dunzo's latest funding round")
_RECENCY_STOP = _QUESTION_STOP | frozenset("latest newest recent recently lately new current moment days".split())
# A question that names readers ("What did readers think of Streeting's letter?", "Did any reader
# complain about age discrimination?") is framed by what they did; the comments that answer
# rarely write "think" or "complain" ("Totally age discrimination!"), so these words would only
# dilute the gate's coverage and the quotes' matching.
READER_FRAMING = frozenset("""think thinks thought feel feels felt make made react reacts reacted reaction reactions
respond responds responded response responses view views opinion opinions complain complains complained
complaint complaints""".split())


# Words that place what a question asks before or after an event ("What were locums getting
# before the rate card came in?"). Function words for the gate, which judges whether the
# coverage is about the question at all; but the sentence that answers holds the same relation
# ("… had been £104 before the rate card was introduced"), while the one about the event
# itself ("The rate card came into force on 1 July …") does not. Counted when choosing quotes
# (`relation_terms`). MultiHop dev: answer_quotes_fact 0.806 either way (comparison 0.841 ->
# 0.837, temporal 0.731 -> 0.737), refusals unchanged; QA file q25 passes.
TEMPORAL_RELATIONS = frozenset("before after until since".split())


def question_terms(text: str) -> list[str]:
    """Content terms of a question (or a sentence compared with one): `terms` less function
    words and the words that frame a question about news."""
    return list(_question_terms(text))


@lru_cache(maxsize=4096)
def _question_terms(text: str) -> tuple[str, ...]:
    """`question_terms`, remembered: one question's retrieval, gate and answerer ask for the
    terms of the same question, clauses, parts and names about sixty times."""
    stop = _RECENCY_STOP if asks_for_latest(text) else _QUESTION_STOP
    if READERS_NAMED.search(text):
        stop = stop | READER_FRAMING
    return tuple(tokenize(text, stop))


def relation_terms(text: str) -> set[str]:
    """Terms of the temporal relation words (`TEMPORAL_RELATIONS`) a question uses, as a
    sentence's `terms` spell them ("before" -> "befor")."""
    return {stem(w) for w in _WORD.findall(text.lower()) if w in TEMPORAL_RELATIONS}


_WORD = re.compile(r"[a-z]+")


@lru_cache(maxsize=_SENTENCE_CACHE)
def acronym_terms(text: str) -> frozenset[str]:
    """`vectorstore.lexical.sentences.acronym_terms` ("Quality and Outcomes Framework" gives
    the term of "QOF"), remembered for the last sentences."""
    return _acronym_terms(text)


@lru_cache(maxsize=1024)
def term_offsets(text: str) -> tuple[tuple[str, ...], tuple[int, ...], tuple[int, ...]]:
    """`vectorstore.lexical.tokenizer.term_offsets`, remembered for the last 1,024 passages
    (a who/which question's search and answer look for words near names in the same ones)."""
    return _term_offsets(text)


@lru_cache(maxsize=_SENTENCE_CACHE)
def term_set(text: str) -> frozenset[str]:
    """The set of a text's `terms`, cached: the gate and the answerer look at the same
    sentences of the same passages, question after question."""
    return frozenset(terms(text))
