"""The gate refuses a question about a topic the coverage never writes, naming it (hand-made
passages and a hand-made corpus vocabulary: no store, no model)."""

from __future__ import annotations

from bot.answering import Gate
from bot.answering.topics import absent_topics, topic_phrases
from bot.language.lexicon import Lexicon, load_lexicon
from bot.language.terms import terms
from vectorstore.passage import Passage

EXTENSION = Passage(chunk_id="c0", doc_id="tel", title="Practices get until March to move to cloud telephony",
                    text="NHS England said integrated care boards could apply for an extension on behalf of practices "
                         "with genuine contractual or supplier barriers.")
COMMENT = Passage(chunk_id="c1", doc_id="tel", title=EXTENSION.title, kind="comment",
                  text="Our supplier says the barriers are all on the ICB's side.")
PASSAGES = [EXTENSION, COMMENT]


def corpus_df(*texts: str):  # noqa: ANN201
    """A corpus's document frequency: the passages' words and the given texts' (1 each), else 0."""
    vocab = {t for p in PASSAGES for t in terms(f"{p.title} {p.text}")} | {t for x in texts for t in terms(x)}
    return lambda term: int(term in vocab)


def test_the_phrase_a_question_is_about():
    assert topic_phrases("What did readers say about the flood barrier?") == ["the flood barrier"]
    assert topic_phrases("What did readers say about the closure of the flood barrier in 2019?") == [
        "the closure", "the flood barrier"]
    assert topic_phrases("What bill did one of the commenters say they'd been landed with?") == ["the commenters"]
    assert topic_phrases("Which firm of accountants told GP Frontline it had clients caught out?") == ["accountants"]
    assert topic_phrases("How much was added to the pot?") == []


def test_a_topic_word_the_corpus_never_writes_is_refused_by_name():
    gate = Gate(corpus_df=corpus_df())
    verdict = gate.check("What did readers say about the flood barrier?", PASSAGES)
    assert not verdict.answerable and verdict.reason == "missing-name"
    assert verdict.text.endswith(": it has nothing about the flood barrier.")
    assert not gate.check("What does the coverage say about the flood barrier?", PASSAGES).answerable


def test_a_topic_the_coverage_writes_is_not_refused_for_it():
    gate = Gate(corpus_df=corpus_df())
    assert gate.check("What did readers say about the supplier barriers?", PASSAGES).answerable
    # a question word outside the topic phrase may be one the corpus never writes
    assert absent_topics("Did readers complain loudly about the supplier barriers?", PASSAGES, corpus_df(),
                         load_lexicon()) == []


def test_a_word_elsewhere_in_the_corpus_or_in_a_related_passage_is_not_absent():
    question = "What did readers say about the flood barrier?"
    # written somewhere in the corpus, though not in these passages: left to the coverage checks
    assert absent_topics(question, PASSAGES, corpus_df("flood defences"), load_lexicon()) == []
    flood = Passage(chunk_id="r0", doc_id="tel", text="The flood closed the surgery for a week.", title="T")
    assert absent_topics(question, PASSAGES + [flood], corpus_df(), load_lexicon()) == []


def test_a_lexicon_synonym_the_corpus_writes_stands_for_the_word():
    lexicon = Lexicon(synonyms=(("barricade", "barrier"), ("levee", "flood")))
    question = "What did readers say about the levee?"
    assert absent_topics(question, PASSAGES, corpus_df(), load_lexicon()) == ["the levee"]
    assert absent_topics(question, PASSAGES, corpus_df("flood"), lexicon) == []


def test_without_the_corpus_vocabulary_the_rule_does_not_apply():
    # hand-made gates (no lexical index) keep to the other rules
    assert Gate().check("What did readers say about the supplier barriers and the flood barrier?", PASSAGES).answerable


def test_a_shorter_form_the_corpus_writes_counts_as_the_word():
    # the stemmer leaves "fraudulent" as "fraudul"; a corpus that writes "fraud" covers it
    question = "What did the coverage say about fraudulent withdrawals?"
    assert absent_topics(question, PASSAGES, corpus_df("withdrawals"), load_lexicon(), stem=0.7) == [
        "fraudulent withdrawals"]
    assert absent_topics(question, PASSAGES, corpus_df("fraud withdrawals"), load_lexicon(), stem=0.7) == []
    # "broad" is too short a part of "broadband" to stand for it
    assert absent_topics("What about broadband upgrades?", PASSAGES, corpus_df("broad upgrades"), load_lexicon(),
                         stem=0.7) == ["broadband upgrades"]


def test_one_absent_word_of_a_long_question_is_not_what_it_turns_on():
    def idf(term: str) -> float:
        return 1.0
    long = ("Which player, featured in several reports on the season, scored two touchdowns for the club and "
            "has a large number of receiving yards partway through the season?")
    assert absent_topics(long, PASSAGES, corpus_df(long.replace("partway", "")), load_lexicon(), idf,
                         min_share=0.25) == []
    short = "What did readers say about the flood barrier?"
    assert absent_topics(short, PASSAGES, corpus_df(), load_lexicon(), idf, min_share=0.25) == ["the flood barrier"]


def test_the_same_root_with_other_suffixes_counts_as_the_word():
    # "relations" (stem "relat") is written as "relationship"; "taxation" (stem "taxat") as "tax";
    # "floodgates" (stem "floodgat") is another word, not a form of "flood"
    def longer(vocab_text: str):  # noqa: ANN202
        vocab = set(terms(vocab_text))
        return lambda prefix: sorted(t for t in vocab if t.startswith(prefix) and t != prefix)

    relations = "What did readers say about the reset of relations with the Government?"
    assert absent_topics(relations, PASSAGES, corpus_df("reset Government"), load_lexicon()) == ["relations"]
    assert absent_topics(relations, PASSAGES, corpus_df("reset Government relationship"), load_lexicon(),
                         longer=longer("reset Government relationship")) == []
    taxation = "What did readers say about the taxation of pensions?"
    assert absent_topics(taxation, PASSAGES, corpus_df("pensions tax"), load_lexicon()) == []
    flood = "What did readers say about the flood barrier?"
    assert absent_topics(flood, PASSAGES, corpus_df("floodgates"), load_lexicon(),
                         longer=longer("floodgates")) == ["the flood barrier"]


def test_the_coverage_check_counts_another_form_of_a_root_as_the_word():
    from bot.language.forms import forms_written

    written = frozenset(terms("A high tax rate and the relationship between GPs; floodgates opened."))
    assert forms_written(terms("taxation relations flood barrier"), written) == set(terms("taxation relations"))
    pensions = Passage(chunk_id="p0", doc_id="pen", title="Pension bills", kind="comment",
                       text="Labour will have such a high tax rate the pensions problems will be dwarfed.")
    gate = Gate()
    coverage, _ = gate.relevance("What did commenters say about taxation of pensions?", [pensions],
                                 lambda term: 1.0)
    assert coverage == 1.0
