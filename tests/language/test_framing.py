"""What places a report (outlets, dates, framing words) is not what sentences are scored on."""

from __future__ import annotations

from bot.language.framing import content_question
from bot.language.outlets import OutletNames
from bot.language.terms import question_terms

OUTLETS = ["TechCrunch", "The Verge", "GP Frontline"]


def test_several_outlets_and_dates_are_blanked():
    question = ("Between the TechCrunch report on Epic's antitrust trial published on November 6, 2023, and "
                "The Verge report of 7 Dec, was Google's conduct described alike?")
    terms = set(question_terms(content_question(question, OUTLETS)))
    assert {"epic", "antitrust", "trial", "googl", "conduct"} <= terms
    assert not terms & {"techcrunch", "verg", "publish", "novemb", "6", "2023", "7", "dec"}


def test_one_named_outlet_can_be_what_the_question_is_about():
    question = "What proportion of GPs plan to drop sessions, according to the GP Frontline survey?"
    assert "frontlin" in question_terms(content_question(question, OUTLETS))


def test_two_dates_of_one_outlet_blank_the_outlet_too():
    question = "Did TechCrunch's October 2 report and its October 7 one agree on the FTX trial?"
    assert "techcrunch" not in question_terms(content_question(question, OUTLETS))


def test_a_question_of_nothing_but_framing_is_kept_whole():
    question = "What did TechCrunch and The Verge publish on October 7?"
    assert content_question(question, OUTLETS) == question


def test_blank_leaves_a_lower_case_lookalike():
    names = OutletNames(["The Age"])
    assert names.blank("In The Age, the age of steam") == "In  , the age of steam"


def test_words_that_ask_for_a_stance_are_not_what_a_quote_is_chosen_for():
    terms = set(question_terms(content_question("What is the BMA's position on the contract?")))
    assert "posit" not in terms and {"bma", "contract"} <= terms
    # nothing else asked: the question stays whole
    assert content_question("What is your position?") == "What is your position?"


def test_what_readers_did_frames_a_question_about_readers():
    # the comment that answers writes "Totally age discrimination!", not "complain"
    assert question_terms("Did any reader complain about age discrimination?") == ["age", "discrimin"]
    assert question_terms("What did readers think of Streeting's letter?") == ["street", "letter"]
    # without readers named, the same words are what the question is about
    assert "complaint" in question_terms("How many complaints did the CQC receive?")
    assert "think" in question_terms("Does the think tank back the plan?")


def test_an_outlet_that_reports_is_not_what_the_question_is_about():
    # "Mr Ashworth told Pulse …" is no answer to what Pulse reported about GP unemployment
    assert "puls" not in question_terms(content_question("What did Pulse report about GP unemployment?",
                                                         ["Pulse"]))
    assert "frontlin" not in question_terms(content_question("What has GP Frontline said on pensions?", OUTLETS))



def test_a_request_that_opens_the_question_is_not_what_quotes_are_chosen_for():
    assert question_terms(content_question("Explain the winter access fund")) == ["winter", "access", "fund"]
    assert question_terms(content_question("Tell me about the rate card")) == ["rate", "card"]
    assert "explain" in question_terms(content_question("Who will explain the shortfall?"))
