"""Follow-up questions asked of an earlier question's subject (bot/language/followups.py)."""

from __future__ import annotations

from bot.language.followups import earlier_question, refers_back, resolved_question, subject_words, topic_of

EARLIER = "Q: How much is the winter access fund?\nA: NHS England has opened a £58m winter access fund [1]."


def test_which_questions_refer_back():
    assert refers_back("When does it close?") and refers_back("What did readers say?") and refers_back("And the BMA?")
    assert not refers_back("What about the CQC changes?")
    assert not refers_back("How much is the winter access fund?")


def test_a_follow_up_is_asked_of_the_earlier_subject():
    assert earlier_question(EARLIER) == "How much is the winter access fund?"
    assert earlier_question("Why is the practice closing?") == "Why is the practice closing?"
    assert subject_words("How much is the winter access fund?") == "winter access fund"
    assert resolved_question("When does it close?", EARLIER) == "When does it close? winter access fund"
    # the subject's words the question already has are not repeated
    assert resolved_question("When does the fund close?", EARLIER) == "When does the fund close? winter access"
    # a question about something new, or no earlier question: unchanged
    assert resolved_question("What about the CQC changes?", EARLIER) == "What about the CQC changes?"
    assert resolved_question("When does it close?", "") == "When does it close?"


def test_a_chain_of_follow_ups_keeps_its_topic():
    assert topic_of("When does it close?", EARLIER) == "How much is the winter access fund?"
    assert topic_of("What about the CQC changes?", EARLIER) == "What about the CQC changes?"
    assert topic_of("How much is the winter access fund?", "") == "How much is the winter access fund?"


def test_two_words_that_name_nothing_lean_on_the_earlier_question():
    from bot.language.followups import follow_up_subject

    harrow = "Q: What is happening to Harrow Lane Surgery?"
    assert refers_back("How many patients are affected?")
    assert not refers_back("Who chairs the BMA?")  # names something of its own
    assert follow_up_subject("How many patients are affected?", harrow) == "Harrow Lane Surgery"
    assert follow_up_subject("Who chairs the BMA?", harrow) == ""
