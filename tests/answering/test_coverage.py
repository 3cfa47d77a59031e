"""Answers to questions that span several articles quote each relevant article once."""

from __future__ import annotations

from bot.answering import Evidence, ExtractiveAnswerer, Gate
from bot.answering.coverage import CoverageConfig, article_quotes, in_question_order, spans_several
from bot.answering.gate import gated_answer
from bot.answering.sentences import ScoredSentence
from bot.language.parts import QuestionPart
from vectorstore.passage import Passage


def _p(doc: str, source: str, text: str, *, title: str = "", published: str = "2023-10-02",
       kind: str = "article") -> Passage:
    return Passage(chunk_id=f"{doc}-0", doc_id=doc, title=title or f"{doc} headline", source=source,
                   published=published, text=text, kind=kind)


def _s(text: str, index: int, score: float) -> ScoredSentence:
    return ScoredSentence(text, index, score, frozenset(text.lower().split()))


def test_which_questions_span_several_articles():
    assert spans_several("Does the TechCrunch article say A while The Verge says B?", ["TechCrunch", "The Verge"], [])
    assert spans_several("Do both articles from Sporting News agree that lines never move?", ["Sporting News"], [])
    assert spans_several("Who founded FTX, has pleaded not guilty to fraud, and is accused of lying to "
                         "investors, as reported by TechCrunch?", ["TechCrunch"], [])
    parts = [QuestionPart("a", outlet="X"), QuestionPart("b", outlet="Y")]
    assert spans_several("How did X and Y cover it?", [], parts)
    assert not spans_several("How much is the winter access fund?", [], [])
    assert not spans_several("What did TechCrunch say about the FTX trial?", ["TechCrunch"], [])


def test_change_and_between_span_several_only_when_asked_of_reports():
    # words of comparison that ask about the news itself, not about several reports of it
    assert not spans_several("Is the GP contract being changed?", [], [])
    assert not spans_several("What did Streeting say about the relationship between GPs and the Government?", [], [])
    assert not spans_several("Did the LMC conference agree to the deal?", [], [])
    # the same words asked of the coverage
    assert spans_several("Did the two reports agree on the size of the fund?", [], [])
    assert spans_several("Was the portrayal of the deal consistent between the articles?", [], [])
    assert spans_several("Has the reporting on the contract changed?", [], [])
    assert spans_several("Did Sporting News's account of the game change?", ["Sporting News"], [])


def test_one_quote_per_further_article_named_outlets_first():
    quotable = [_p("a", "TechCrunch", "x"), _p("a", "TechCrunch", "y"), _p("b", "Fortune", "z"),
                _p("c", "Wired", "w"), _p("d", "TechCrunch", "v")]
    scored = [_s("alpha one", 0, 1.0), _s("alpha two", 1, 0.9), _s("wired three", 3, 0.8),
              _s("fortune four", 2, 0.5), _s("techcrunch five", 4, 0.05)]
    chosen = [scored[0]]
    extra = article_quotes(scored, quotable, chosen, ["Fortune", "TechCrunch"], CoverageConfig(article_ratio=0.1))
    # article "a" is quoted already; "d" scores under a tenth of the best; Wired is not named, so last
    assert [s.text for s in extra] == ["fortune four", "wired three"]
    assert len(article_quotes(scored, quotable, chosen, [], CoverageConfig(max_articles=2, article_ratio=0.0))) == 1


def test_headlines_and_readers_comments_are_not_an_articles_quote():
    quotable = [_p("a", "TechCrunch", "x", title="Big news"), _p("b", "TechCrunch", "y", kind="comment"),
                _p("c", "TechCrunch", "z")]
    scored = [_s("Big news", 0, 1.0), _s("a reader's view", 1, 0.9), _s("reporting here", 2, 0.8),
              _s("body text", 0, 0.7)]
    extra = article_quotes(scored, quotable, [], ["TechCrunch"])
    assert [s.text for s in extra] == ["reporting here", "body text"]  # best first
    with_comments = article_quotes(scored, quotable, [], ["TechCrunch"], comments=True)
    assert "a reader's view" in [s.text for s in with_comments]


def test_a_further_article_sharing_one_word_with_the_question_is_not_quoted():
    # "… about the additional roles reimbursement scheme?": a pension "scheme" is not coverage of it
    quotable = [_p("a", "Pulse", "x"), _p("b", "GP Frontline", "y"), _p("c", "GP Frontline", "z")]
    scored = [ScoredSentence("ARRS reimbursement for GPs", 0, 1.0, frozenset({"reimburs", "role", "addit"})),
              ScoredSentence("The flex fund reimbursement", 1, 0.6, frozenset({"reimburs", "role"})),
              ScoredSentence("Members of the pension scheme", 2, 0.5, frozenset({"scheme"}))]
    assert [s.text for s in article_quotes(scored, quotable, scored[:1], [])] == ["The flex fund reimbursement"]
    loose = article_quotes(scored, quotable, scored[:1], [], CoverageConfig(min_terms=1))
    assert [s.text for s in loose] == ["The flex fund reimbursement", "Members of the pension scheme"]


def test_quotes_follow_the_order_the_question_names_outlets():
    quotable = [_p("a", "The Verge", "x"), _p("b", "TechCrunch", "y"), _p("c", "Wired", "z")]
    chosen = [_s("wired", 2, 0.9), _s("verge", 0, 1.0), _s("techcrunch", 1, 0.5)]
    ordered = in_question_order(chosen, quotable, ["TechCrunch", "The Verge"])
    assert [s.text for s in ordered] == ["techcrunch", "verge", "wired"]


def test_an_answer_cites_every_relevant_article_with_outlet_and_date():
    question = ("Which exchange founder, covered by TechCrunch and Fortune, pleaded not guilty to fraud "
                "and is accused of misusing customer deposits?")
    passages = [
        _p("t1", "TechCrunch", "The FTX founder pleaded not guilty to fraud charges in January.", published="2023-10-01"),
        _p("f1", "Fortune", "Prosecutors say the FTX founder misused customer deposits to buy property.",
           published="2023-10-04"),
        _p("t2", "TechCrunch", "The FTX founder is accused of misusing billions of customer deposits.",
           published="2023-10-07"),
    ]
    answer = gated_answer(Gate(), ExtractiveAnswerer(), question,
                          Evidence(passages, named_outlets=["TechCrunch", "Fortune"]))
    assert answer.found
    assert {c.doc_id for c in answer.citations} == {"t1", "f1", "t2"}
    assert "Fortune, 4 Oct 2023: “Prosecutors" in answer.answer
    # TechCrunch, named first, is quoted before Fortune
    assert answer.answer.index("TechCrunch, ") < answer.answer.index("Fortune, ")


def test_a_single_fact_question_stays_short():
    passages = [_p("a", "Pulse", "The winter access fund is worth £58m this year."),
                _p("b", "Pulse", "The winter access fund opened to practices in October.")]
    answer = gated_answer(Gate(), ExtractiveAnswerer(), "How much is the winter access fund?", Evidence(passages))
    assert answer.found and "£58m" in answer.answer and "Pulse, " not in answer.answer


def test_the_first_articles_may_add_a_sentence_that_says_more():
    from bot.answering.coverage import more_of_each

    quotable = [_p("a", "X", "x"), _p("b", "Y", "y"), _p("c", "Z", "z")]
    scored = [_s("a one", 0, 1.0), _s("b one", 1, 0.9), _s("c one", 2, 0.8), _s("a two", 0, 0.5),
              _s("b two", 1, 0.2), _s("c two", 2, 0.7), _s("a one", 0, 0.4)]
    chosen = [scored[0], scored[1], scored[2]]
    out = more_of_each(scored, quotable, chosen, CoverageConfig(per_article=2, second_ratio=0.3, more_articles=2))
    # "b two" scores under 0.3 of "b one"; "c" is the third article
    assert [s.text for s in out] == ["a one", "a two", "b one", "c one"]
    assert more_of_each(scored, quotable, chosen, CoverageConfig(per_article=1)) == chosen


def test_a_compound_question_gets_a_quote_for_each_question():
    question = ("How many patients lose their practice when the surgery closes, and how did the GP proposing "
                "the motion describe that closure?")
    passages = [
        _p("k", "Pulse", "Harrow Lane Surgery will close in June, leaving 9,400 patients to re-register. "
                         "The building will be sold.", published="2025-04-08"),
        _p("m", "Pulse", "Proposing the motion, Dr Rourke described the closure as a warning of what is coming "
                         "to every market town.", published="2025-05-16"),
    ]
    answer = gated_answer(Gate(), ExtractiveAnswerer(), question, Evidence(passages))
    assert answer.found and "9,400" in answer.answer and "every market town" in answer.answer
    assert answer.answer.index("9,400") < answer.answer.index("every market town")  # the question's order


def test_a_second_sentence_of_an_article_may_say_the_same_things_again():
    from bot.answering.coverage import more_of_each

    quotable = [_p("a", "X", "x")]
    first = ScoredSentence("Google accused of anticompetitive deals", 0, 1.0, frozenset({"googl", "anticompetit"}))
    again = ScoredSentence("The case argues Google siphons off content by anticompetitive means", 0, 0.6,
                           frozenset({"googl", "anticompetit"}))
    out = more_of_each([first, again], quotable, [first], CoverageConfig(per_article=2, more_articles=1))
    assert [s.text for s in out] == [first.text, again.text]
