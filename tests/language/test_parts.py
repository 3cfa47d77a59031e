"""Question parts: one per outlet or date a question names."""

from __future__ import annotations

from bot.language.outlets import OutletNames
from bot.language.parts import descriptive_clauses, question_parts
from bot.retrieval.multipart import merge_parts, part_filters
from bot.retrieval.filters import SearchFilters
from vectorstore.passage import Passage

OUTLETS = OutletNames(["TechCrunch", "The Verge", "Fortune", "Cnbc | World Business News Leader"])


def test_a_comparison_has_one_part_per_outlet_with_its_own_clause():
    q = ("Does the TechCrunch article say that FTX hid losses from investors, while The Verge reports "
         "that the jury deliberated for four hours?")
    parts = question_parts(q, OUTLETS)
    assert [p.outlet for p in parts] == ["TechCrunch", "The Verge"]
    assert "FTX hid losses" in parts[0].text and "jury" not in parts[0].text
    assert "jury deliberated" in parts[1].text


def test_outlets_listed_together_share_the_whole_question():
    q = "Which company, covered by Fortune and The Verge, is releasing a handheld console on November 16?"
    parts = question_parts(q, OUTLETS)
    assert [p.outlet for p in parts] == ["Fortune", "The Verge"]
    assert all(p.text == q for p in parts)


def test_two_dates_of_one_outlet_are_two_parts():
    q = ("Has TechCrunch's portrayal of the trial remained consistent between the report published on "
         "October 2, 2023, and the one published on October 7, 2023?")
    parts = question_parts(q, OUTLETS)
    assert [(p.outlet, p.date) for p in parts] == [("TechCrunch", (2023, 10, 2)), ("TechCrunch", (2023, 10, 7))]
    assert part_filters(parts[1], None, 1) == SearchFilters(since="2023-10-06", until="2023-10-08",
                                                           sources=("TechCrunch",))


def test_a_single_outlet_question_is_not_split():
    assert question_parts("What did TechCrunch report about FTX's collapse?", OUTLETS) == []


def test_a_users_own_filters_are_kept():
    q = "Does Fortune say A about the markets, while The Verge says B about the phones?"
    fortune = question_parts(q, OUTLETS)[0]
    assert part_filters(fortune, SearchFilters(sources=("The Verge",)), 1) is None


def _p(cid: str) -> Passage:
    return Passage(chunk_id=cid, text=cid, doc_id=cid)


def test_merge_gives_each_part_a_slot_after_the_lead():
    main = [_p(x) for x in "abcdef"]
    merged = merge_parts(main, [[_p("x"), _p("y")], [_p("b"), _p("z")]], k=6, lead=1, slots=2)
    assert [p.chunk_id for p in merged] == ["a", "x", "b", "y", "z", "c"]
    assert [p.ranks["fused"] for p in merged] == [1, 2, 3, 4, 5, 6]


def test_clause_picks_missing_from_the_top_k_take_its_last_places():
    main = [_p(x) for x in "abcdefgh"]
    # clause 1's best (b) is already in the top 6; its second (y) and clause 2's best (x) are not
    merged = merge_parts(main, [[_p("p")]], k=6, lead=2, slots=1, extra=[[_p("b"), _p("y")], [_p("x"), _p("c")]])
    assert [p.chunk_id for p in merged] == ["a", "b", "p", "c", "x", "y"]
    # no parts: the whole question's ranking, less its last places
    merged = merge_parts(main, [], k=5, lead=2, slots=0, extra=[[_p("x")], [_p("a")]])
    assert [p.chunk_id for p in merged] == ["a", "b", "c", "d", "x"]


def test_descriptive_clauses_leave_out_where_to_look():
    q = ("What company spends billions to maintain its default search engine status on various platforms, "
         "influences local search rankings with specific criteria, and is accused by news publishers of "
         "anticompetitive practices that harm their revenue, according to articles from The Verge and TechCrunch?")
    clauses = descriptive_clauses(q, OUTLETS)
    assert len(clauses) == 3
    assert "default search engine" in clauses[0] and "local search rankings" in clauses[1]
    assert "anticompetitive" in clauses[2] and not any("Verge" in c or "TechCrunch" in c for c in clauses)
    # an outlet named inside a descriptive clause is blanked, the clause kept
    q = ("Which company, according to a Fortune article, manipulates search results for profit, and is accused "
         "by news publishers in a TechCrunch article of harming their business?")
    clauses = descriptive_clauses(q, OUTLETS)
    assert any("manipulates search results" in c for c in clauses) and not any("Fortune" in c for c in clauses)
    assert descriptive_clauses("What did TechCrunch report about FTX's collapse?", OUTLETS) == []


def test_an_outlet_named_again_with_another_clause_is_a_part_again():
    q = ("Who is the individual facing a criminal trial as reported by TechCrunch, persuaded a former colleague "
         "to join him as noted by Fortune, and is accused of fraud for personal gain as covered by TechCrunch?")
    parts = question_parts(q, OUTLETS)
    assert [p.outlet for p in parts] == ["TechCrunch", "Fortune", "TechCrunch"]
    assert "criminal trial" in parts[0].text and "fraud" not in parts[0].text
    assert "former colleague" in parts[1].text
    assert "accused of fraud" in parts[2].text and "criminal trial" not in parts[2].text


def test_a_segment_that_only_places_the_report_takes_the_whole_question():
    q = ("Was the narrative about the exchange's management consistent between the TechCrunch report published "
         "on October 7, 2023, and The Verge report published on October 28, 2023?")
    parts = question_parts(q, OUTLETS)
    assert [(p.outlet, p.date) for p in parts] == [("TechCrunch", (2023, 10, 7)), ("The Verge", (2023, 10, 28))]
    assert "management" in parts[0].text and "Verge" not in parts[0].text
    assert parts[1].text == q  # "The Verge report published on October 28, 2023" says nothing to search for


def test_a_compound_question_asks_each_of_its_questions():
    from bot.language.parts import clause_questions

    q = ("How many patients lose their practice when Kettlebridge's surgery closes, and how did the GP "
         "proposing the contract rejection describe that closure?")
    assert clause_questions(q) == ["How many patients lose their practice when Kettlebridge's surgery closes",
                                   "how did the GP proposing the contract rejection describe that closure"]
    assert clause_questions("How much is the winter access fund?") == []
    assert clause_questions("Who founded FTX, and is accused of fraud?") == []  # not a second question
    assert clause_questions("How much is the fund, and what for?") == []  # too short to stand alone


def test_a_question_about_readers_after_and_asks_about_the_first_subject():
    from bot.language.parts import clause_questions

    assert clause_questions("What did Streeting say and what did readers think?") == [
        "What did Streeting say", "what did readers think about What did Streeting say"]
    assert clause_questions("What did Streeting say about pay and the contract?") == []
