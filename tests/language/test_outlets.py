"""Questions about outlets the coverage has nothing from (pure functions, then the chain)."""

from __future__ import annotations

from bot.chain import build_chain
from bot.language.outlets import is_known_outlet, named_outlets, unknown_outlets
from bot.retrieval import HybridRetriever
from vectorstore.passage import Passage

ALIASES = ["bbc news - technology", "bbc news", "the guardian", "guardian", "pulse", "gp frontline"]


def test_named_outlets_in_the_usual_phrasings():
    assert named_outlets("What did a Reuters report say about the GP contract?") == ["Reuters"]
    assert named_outlets("Considering an article from The Washington Post and a Wall Street Journal piece, "
                         "who won?") == ["The Washington Post", "Wall Street Journal"]
    assert named_outlets("According to a story by The Times of India, when?") == ["The Times of India"]


def test_dates_quoted_headlines_and_plain_questions_name_no_outlet():
    assert named_outlets("Did the TechCrunch article from November 18, 2023 say so?") == ["TechCrunch"]
    assert named_outlets("Does the 'NBA Rookie of the Year Odds' article agree?") == []
    assert named_outlets("How much was added to the ARRS pot?") == []
    assert named_outlets("Did The Guardian's report on 12 December agree?") == ["Guardian"]


def test_known_outlets_match_their_short_forms():
    assert is_known_outlet("BBC", ALIASES) and is_known_outlet("The Guardian", ALIASES)
    assert is_known_outlet("Pulse", ALIASES)
    assert not is_known_outlet("Reuters", ALIASES) and not is_known_outlet("The Washington Post", ALIASES)


def test_an_unknown_outlet_that_the_passages_mention_is_not_missing():
    passages = [Passage(chunk_id="a", text="The BMA report, published on Monday, found that ...", title="T")]
    assert unknown_outlets("What did the BMA report find?", ALIASES, passages) == []
    assert unknown_outlets("What did a Reuters report find?", ALIASES, passages) == ["Reuters"]


def test_the_chain_says_which_outlet_it_has_nothing_from(sample_store):
    chain = build_chain(retriever=HybridRetriever(sample_store))
    refused = chain.ask("What did a Reuters report say about the winter access fund?")
    assert not refused.found and not refused.citations
    assert refused.answer == "The coverage I have doesn't answer that: it has nothing from Reuters."
    answered = chain.ask("What did the GP Frontline article say about the winter access fund?")
    assert answered.found and "£58m" in answered.answer
