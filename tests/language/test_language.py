"""The language toolkit: one tokenizer for retrieval and answering, dates, outlet names, the lexicon."""

from __future__ import annotations

import threading

import pytest

from vectorstore.lexical import tokenizer as terms_module  # the tokenizer (bot.language.terms re-exports it)
from bot.language.dates import find_dates
from bot.language.lexicon import Lexicon, load_lexicon
from bot.language.outlets import outlet_aliases
from bot.language.questions import answer_type, question_names
from bot.language.terms import question_terms, stem, terms


def test_find_dates_forms():
    assert find_dates("published on October 7, 2023 and 8 Nov") == [(2023, 10, 7), (None, 11, 8)]
    assert find_dates("the 2024-03-05 report") == [(2024, 3, 5)]
    assert find_dates("on 31 February") == []


def test_find_dates_in_the_order_written():
    assert find_dates("the 2024-03-05 report and the one of October 7, 2023") == [(2024, 3, 5), (2023, 10, 7)]


def test_outlet_aliases():
    aliases = outlet_aliases(["The Verge", "The Age", "Cnbc | World Business News Leader", "FOX News - Health"])
    assert aliases["verge"] == {"The Verge"}
    assert "age" not in aliases  # too short once "The" is gone
    assert aliases["cnbc"] == {"Cnbc | World Business News Leader"}
    assert aliases["fox news"] == {"FOX News - Health"}


def test_terms_keep_figures_whole_and_stem_words():
    assert terms("The £1.4bn ARRS pot grew by 4.7% to £86,400") == ["1.4bn", "arr", "pot", "grew", "4.7%", "86400"]
    assert terms("Labour's pledges") == ["labour", "pledg"]


def test_question_terms_drop_the_framing_of_a_news_question():
    assert question_terms("What did the article say readers reported about the ARRS pot?") == ["arr", "pot"]
    assert "report" in terms("The report said")  # in a passage, "report" is a word like any other


def test_the_bm25_index_and_the_answerer_agree_on_terms(sample_store):
    """Every term of a passage, as the answerer sees it, is in the lexical index's vocabulary
    (so the corpus IDF applies to it)."""
    from bot.retrieval import HybridRetriever

    index = HybridRetriever(sample_store).index()
    for text in [index.passage(i).text for i in range(min(40, index.size))]:
        assert set(terms(text)) <= set(index.vocab), text[:80]
    common, rare = index.idf("gp"), index.idf("quennel")
    assert 0 < common < rare


def test_each_thread_has_its_own_stemmer():
    """PyStemmer objects are not thread-safe: no two threads may share one."""
    seen: list[object] = []
    barrier = threading.Barrier(4)

    def grab() -> None:
        barrier.wait()
        seen.append(terms_module._stemmer())  # kept alive, so ids are not reused

    threads = [threading.Thread(target=grab) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(s) for s in seen}) == 4


def test_terms_from_many_threads_match_one_thread():
    words = [f"reorganisations{i} consultations practices nationalising{i % 7}" for i in range(400)]
    expected = [terms(w) for w in words]
    stem.cache_clear()
    results: dict[int, list[list[str]]] = {}

    def work(n: int) -> None:
        results[n] = [terms(w) for w in words]

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r == expected for r in results.values())


def test_the_lexicon_is_data_the_user_can_change(tmp_path):
    assert "pot" in load_lexicon().money_nouns
    assert answer_type("How much is in the ARRS pot?") == "money"
    assert question_names("Did the NHS fund Harrow Lane?") == ["Harrow Lane"]
    custom = tmp_path / "lexicon.toml"
    custom.write_text('[money]\nnouns = ["kitty"]\n[names]\ncommon = ["Harrow Lane"]\n')
    lexicon = load_lexicon(str(custom))
    assert lexicon == Lexicon(money_nouns=("kitty",), common_capitalised=frozenset({"Harrow Lane"}))
    assert answer_type("How much is in the kitty?", lexicon) == "money"
    assert answer_type("How much is in the ARRS pot?", lexicon) == "quantity"
    assert question_names("Why did Kettlebridge fund Harrow Lane?", lexicon) == ["Kettlebridge"]


def test_an_unreadable_lexicon_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[money\n")
    with pytest.raises(ValueError, match="cannot read the lexicon"):
        load_lexicon(str(bad))


def test_someone_who_commented_is_not_a_question_about_readers():
    from bot.language.questions import asks_about_readers

    assert not asks_about_readers("Who's the LMC medical secretary who commented on the closure?")
    assert not asks_about_readers("Which university is the academic who commented on the survey from?")
    assert asks_about_readers("What did readers say about the winter access fund?")
    assert asks_about_readers("Did any GPs complain that the expansion left older doctors out?")
    assert asks_about_readers("Who commented on the fund in the comments?")


def test_a_leading_when_clause_only_sets_the_time():
    from bot.language.questions import answer_type

    assert answer_type("When the 4.7% deal was announced, what uplift did GPC say practices needed?") is None
    assert answer_type("When the fund first opened, how big was the total pot?") == "quantity"
    assert answer_type("When does Harrow Lane Surgery close?") == "date"


def test_a_passages_analysis_matches_tokenizing_it_whole_and_by_sentence():
    """`analysed` works a passage out once: its terms are the whole text's, each sentence's
    keys its terms plus the acronyms it spells out."""
    from bot.language.analysis import analysed
    from ingest.chunking import split_sentences
    from bot.language.terms import acronym_terms, terms

    text = ("Payments under Quality and Outcomes Framework reached £1.4bn.\n\nDr Ames said it was late. "
            "Practices,\nhowever, were paid 86,400 in total! Mr. Smith disagreed")
    got = analysed(text)
    assert got.terms == frozenset(terms(text))
    assert list(got.sentences) == split_sentences(text)
    assert list(got.sentence_keys) == [frozenset(terms(s)) | acronym_terms(s) for s in got.sentences]
    assert "qof" in got.sentence_keys[0] and analysed(text) is got  # remembered


def test_sentences_that_carry_the_one_before_on():
    from bot.language.questions import carries_on

    for sentence in ("That motion was narrowly defeated.", "But sportsbooks are gathering this information too.",
                     "He revealed that he had made a bracelet.", "The case, filed by a publisher, argues otherwise.",
                     "Even if he does, he is not a recommended play.", "He told delegates that 1,640 GPs had been recruited."):
        assert carries_on(sentence), sentence
    for sentence in ("The jury deliberated for four hours.", "Delegates then broke for lunch.",
                     "Hereford United won on Saturday.", "Itself a first, the vote passed."):
        assert not carries_on(sentence), sentence


def test_synonyms_of_a_questions_terms_stand_for_them(tmp_path):
    from bot.language.lexicon import load_lexicon
    from bot.language.terms import question_terms

    file = tmp_path / "lexicon.toml"
    file.write_text('[synonyms]\ngroups = [["hire", "hired", "recruit", "recruited"]]\n', encoding="utf-8")
    lexicon = load_lexicon(str(file))
    aliases = lexicon.synonym_terms(question_terms("How many GPs have been hired?"))
    assert aliases == {t: question_terms("hired")[0] for t in question_terms("recruited")}
    assert lexicon.synonym_terms(question_terms("How many GPs left?")) == {}


def test_when_asks_a_date_only_where_it_asks():
    assert answer_type("When did GPs start collective action?") == "date"
    assert answer_type("What is the new fee, and when does it start?") == "date"
    assert answer_type("By when must practices switch?") == "date"
    # a "when" clause only sets the time of what is asked
    assert answer_type("Which constituency was Jonathan Ashworth MP for when he talked to Pulse?") is None
    assert answer_type("What did readers say when the rate card was announced?") is None


def test_a_question_for_the_latest_coverage():
    from bot.language.dates import asks_for_latest
    from bot.language.terms import question_terms

    for q in ("What's the latest on the GP contract?", "any recent news about PCNs", "What's new on ARRS?",
              "Give me the latest on locum rates", "What has the BMA said recently?",
              "How big is the flex fund top-up now?", "What is the current locum rate cap?"):
        assert asks_for_latest(q), q
    # "latest" that describes a thing, not the coverage asked for
    for q in ("What was Dunzo's latest funding round?", "Considering a New York Times article discussing the latest "
              "developments in the financial district, which company…?", "What did the report say?",
              "Is the fund open now that winter has started?"):
        assert not asks_for_latest(q), q
    assert question_terms("What's the latest on the GP contract?") == ["gp", "contract"]
    assert "latest" in question_terms("What was Dunzo's latest funding round?")


def test_abbreviated_months_and_days_are_not_names():
    from bot.language.questions import question_names

    assert "Feb" not in question_names("What did GP Frontline say about pensions on 11 Feb 2025?")
    assert "Sept" not in question_names("What happened on Tue 2 Sept?")


def test_where_questions_want_a_sentence_that_places_something():
    from bot.language.questions import answer_type, has_answer_type

    assert answer_type("Where will they go?") == "place" and answer_type("Which town is closing?") == "place"
    assert has_answer_type("They will re-register at practices in the neighbouring towns of Stonecastle.", "place")
    assert not has_answer_type("Campaigners say the plans do not go far enough.", "place")
