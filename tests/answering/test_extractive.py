"""The extractive answerer's choices, on hand-made passages (no store, no model)."""

from __future__ import annotations

from bot.answering import Evidence, ExtractiveAnswerer, ExtractiveConfig, Gate
from bot.answering.gate import gated_answer
from bot.language.questions import answer_type, has_answer_type, question_names
from bot.language.terms import acronym_terms, question_terms, relation_terms, terms
from vectorstore.passage import Passage


def _answer(answerer, question, passages, extra=()):  # noqa: ANN001, ANN202
    """The gate, then the answerer, as the chain runs them."""
    return gated_answer(Gate(), answerer, question, Evidence(list(passages), list(extra)))


def missing_names(question, passages):  # noqa: ANN001, ANN202
    return Gate().missing_names(question, passages)

KETTLE = "Only GP surgery in Kettlebridge to close in June"


def _p(cid: str, doc: str, text: str, title: str = KETTLE, index: int = 0) -> Passage:
    return Passage(chunk_id=cid, doc_id=doc, text=text, title=title, chunk_index=index, url=f"https://x.example/{doc}")


LEAD = _p("k0", "kettle", "Harrow Lane Surgery, the only GP practice in Kettlebridge, will hand back its contract on "
                          "30 June after its two partners were unable to recruit.")
LOSS = _p("k2", "kettle", "The Harrow Lane partners had tried to sell the building. Dr Quennell said the practice had made a loss "
                          "of £62,000 in 2024/25, which the two partners had covered from their own drawings.", index=2)
OTHER = _p("p0", "pharmacy", "Pharmacy First handled 2.34 million consultations last year, well short of the 3.2 million "
                             "target.", title="Pharmacy First misses its target")


def test_the_rest_of_the_lead_article_can_be_quoted():
    answerer = ExtractiveAnswerer()
    question = "How much money did the Harrow Lane partners lose last year?"
    without = _answer(answerer, question, [LEAD, OTHER])
    assert "£62,000" not in without.answer
    with_rest = _answer(answerer, question, [LEAD, OTHER], extra=[LOSS])
    assert with_rest.found and "£62,000" in with_rest.answer
    cited = {c.n: c for c in with_rest.citations}
    marker = with_rest.answer.split("£62,000", 1)[1].split("[", 1)[1].split("]", 1)[0]
    assert cited[int(marker)].doc_id == "kettle"  # cited to its own article
    assert with_rest.passages == [LEAD, OTHER]  # what was retrieved stays what was retrieved


def test_the_extra_chunks_do_not_decide_whether_the_coverage_answers():
    answerer = ExtractiveAnswerer()
    unrelated = _p("z", "zoo", "The zoo's penguins were moved to a new enclosure.", title="Penguins move")
    assert not _answer(answerer, "How much money did the Harrow Lane partners lose?", [unrelated], extra=[LOSS]).found


def test_articles_that_mention_the_named_subject_are_quoted_first():
    question = "How much money did the Harrow Lane partners lose last year?"
    retrieved = [LEAD, OTHER]  # OTHER's money sentence matches "last year", not Harrow Lane
    focused = _answer(ExtractiveAnswerer(), question, retrieved, extra=[LOSS])
    assert focused.answer.startswith("Dr Quennell said the practice had made a loss of £62,000")
    assert "Pharmacy" not in focused.answer and {c.doc_id for c in focused.citations} == {"kettle"}
    unfocused = _answer(ExtractiveAnswerer(ExtractiveConfig(focus_on_names=False)), question, retrieved, extra=[LOSS])
    assert "Pharmacy First" in unfocused.answer  # what the focus keeps out


def test_a_loss_answers_what_was_lost():
    # "lose" and "loss" are different terms; the packaged lexicon's synonym groups join them
    from dataclasses import replace

    from bot.language.lexicon import load_lexicon

    question, retrieved = "How much did the Harrow Lane partners lose last year?", [LEAD, OTHER, LOSS]
    config = ExtractiveConfig(focus_on_names=False)  # (the focus on Harrow Lane would hide the difference)
    assert _answer(ExtractiveAnswerer(config), question, retrieved).answer.startswith(
        "Dr Quennell said the practice had made a loss of £62,000")
    without = replace(load_lexicon(), synonyms=tuple(g for g in load_lexicon().synonyms if "loss" not in g))
    assert "£62,000" not in _answer(ExtractiveAnswerer(config, lexicon=without), question, retrieved).answer


def test_how_many_is_answered_by_the_sentence_that_counts_them():
    text = ("The practice made a loss of £62,000 in 2024/25. "
            "The 9,400 patients registered at Harrow Lane Surgery will be asked to re-register elsewhere.")
    answer = _answer(ExtractiveAnswerer(), "How many patients are losing their GP at Harrow Lane?",
                     [_p("k5", "kettle", text)])
    assert answer.answer.startswith("The 9,400 patients")


def test_a_sentence_that_carries_the_chosen_one_on_is_quoted_with_it():
    text = ("Conference also debated a motion calling for primary care networks to be abolished. "
            "That motion was narrowly defeated, with 44% in favour.")
    answer = _answer(ExtractiveAnswerer(), "Did the LMC conference vote to abolish primary care networks?",
                                         [_p("l0", "lmc", text, title="LMC conference votes")])
    assert "narrowly defeated" in answer.answer
    assert answer.answer.count("[1]") == 1  # one quote, one marker


def test_a_following_sentence_that_starts_something_new_is_not_added():
    text = ("Conference also debated a motion calling for primary care networks to be abolished. "
            "Delegates then broke for lunch in the main hall.")
    answer = _answer(ExtractiveAnswerer(), "Did the LMC conference vote to abolish primary care networks?",
                                         [_p("l0", "lmc", text, title="LMC conference votes")])
    assert answer.found and "lunch" not in answer.answer


def test_money_questions():
    assert answer_type("How much was added to the ARRS pot?") == "money"
    assert answer_type("How much money did the partners lose?") == "money"
    assert answer_type("How much longer will the consultation run?") == "quantity"
    assert answer_type("How many GPs were hired?") == "quantity"
    # a change is answered in money or a percentage
    assert answer_type("How much was the interim pay rise in April?") == "amount"
    assert has_answer_type("on top of the interim 2% provided in April", "amount")
    assert has_answer_type("£82m was added", "amount") and not has_answer_type("2% was added", "money")


def test_names_in_the_question():
    question = "How much money did the Harrow Lane partners lose last year?"
    assert question_names(question) == ["Harrow Lane"]
    assert missing_names(question, [OTHER]) == ["Harrow Lane"]
    assert missing_names(question, [LEAD]) == []


def test_two_quotes_from_one_article_cite_one_source():
    first = _p("a0", "lmc", "Conference voted to reject the contract deal, with 71% against it.", title="LMC votes")
    second = _p("a3", "lmc", "Conference also voted to hold an indicative ballot on the contract deal.",
                title="LMC votes", index=3)
    answer = _answer(ExtractiveAnswerer(), "What did the conference vote on the contract deal?", [first, second])
    assert answer.answer.count("[1]") == 2 and "[2]" not in answer.answer
    assert len(answer.citations) == 1 and first.text in answer.citations[0].text
    assert second.text in answer.citations[0].text


def test_acronyms_spelled_out_in_full():
    assert acronym_terms("the Quality and Outcomes Framework will be cut") == set(terms("QOF"))
    assert set(terms("ARRS")) <= acronym_terms("the Additional Roles Reimbursement Scheme pays")
    assert acronym_terms("nothing capitalised here") == set()


def test_a_question_in_acronyms_finds_the_sentence_that_spells_them_out():
    full = _p("c0", "contract", "As part of the package, the Quality and Outcomes Framework will be cut from 74 "
                                "indicators to 59.", title="GP contract 2025/26")
    quote = _p("c1", "contract", "A spokesperson said the 4.7% uplift and cutting QOF indicators would help.",
               title="GP contract 2025/26", index=1)
    answer = _answer(ExtractiveAnswerer(), "How many QOF indicators are left?", [full, quote])
    assert answer.found and answer.answer.startswith("As part of the package")


def test_a_named_acronym_no_passage_mentions_is_refused_by_name():
    answer = _answer(ExtractiveAnswerer(), "How much was added to the ARRS pot?", [LEAD, OTHER])
    assert not answer.found and answer.answer.endswith("it has nothing about ARRS.")
    spelled = _p("a1", "arrs", "This year £82m was added to the additional roles reimbursement scheme pot.",
                 title="Scheme grows")
    assert _answer(ExtractiveAnswerer(), "How much was added to the ARRS pot?", [spelled]).found


def _ftx_two_part_answer(techcrunch: Passage, *, verge_first: bool):
    """The answer to a two-part question (TechCrunch on the trial's opening, The Verge on the
    jury) over `techcrunch` and a Verge passage."""
    from bot.language.parts import QuestionPart

    verge = Passage(chunk_id="b", doc_id="b", title="Jury out", source="The Verge", published="2023-11-02",
                    text="The jury deliberated for four hours before returning its verdict on the FTX founder.")
    parts = [QuestionPart("the TechCrunch article say the FTX trial opened with jury selection", outlet="TechCrunch"),
             QuestionPart("The Verge reports the jury deliberated for hours", outlet="The Verge")]
    question = ("Does the TechCrunch article say the FTX trial opened with jury selection, while The Verge "
                "reports the jury deliberated for hours?")
    passages = [verge, techcrunch] if verge_first else [techcrunch, verge]
    return gated_answer(Gate(), ExtractiveAnswerer(), question, Evidence(passages, parts=parts))


def test_a_multi_part_question_gets_a_dated_quote_per_part():
    a = Passage(chunk_id="a", doc_id="a", title="FTX trial opens", source="TechCrunch", published="2023-10-02",
                text="The trial of the FTX founder opened in Manhattan with jury selection on Tuesday.")
    answer = _ftx_two_part_answer(a, verge_first=True)
    assert answer.found
    assert answer.answer.index("TechCrunch, 2 Oct 2023: “The trial") < answer.answer.index("The Verge, 2 Nov 2023: “The jury")
    assert {c.title for c in answer.citations} == {"FTX trial opens", "Jury out"}


def test_a_capital_at_a_sentences_start_does_not_write_a_name():
    from bot.answering.gate import name_written

    programme = "Modern General Practice Access"
    assert not name_written("Call queues grew. Modern telephony does not create appointments.", programme)
    assert name_written("Practices joined the Modern General Practice Access programme.", programme)
    assert name_written("The board met on Monday, and Chelsea said the deal was off.", "Chelsea Football Club")
    assert not name_written("The board met. Chelsea Harbour said the deal was off.", "Chelsea Football Club")


def test_a_bare_role_question_needs_the_role_written_whole():
    from bot.answering.gate import missing_role

    lmc = Passage(chunk_id="a", text="LMC medical secretary Dr Graham Ostler said the list was too big.", title="T")
    minister = Passage(chunk_id="b", text="Health Secretary Wes Streeting said the deal was fair.", title="T")
    assert missing_role("Who is the health secretary?", [lmc]) == ["the health secretary"]
    assert missing_role("Who is the health secretary?", [lmc, minister]) == []
    assert missing_role("Who is the GP who chairs the network, according to Pulse?", [lmc]) == []
    verdict = Gate().check("Who is the health secretary?", [lmc])
    assert not verdict.answerable and "nothing about the health secretary" in verdict.text


def test_an_acronym_in_a_retrieved_passages_outlet_name_is_not_missing():
    from bot.answering.gate import mentions_acronym

    fox = Passage(chunk_id="a", text="Young fans went viral after a video of them opening a CD.", title="T",
                  source="FOX News - Lifestyle")
    other = Passage(chunk_id="b", text="Young fans went viral after a video of them opening a CD.", title="T",
                    source="The Age")
    assert mentions_acronym([fox], "FOX") and not mentions_acronym([other], "FOX")
    assert Gate().missing_acronyms("Does 'FOX News - Lifestyle' mention her TikTok video?", [other]) == ["FOX"]
    assert Gate().missing_acronyms("Does 'FOX News - Lifestyle' mention her TikTok video?", [fox, other]) == []


def test_a_following_sentence_that_takes_up_the_chosen_ones_subject_is_quoted_with_it():
    text = ("A class action lawsuit filed this week accuses Acme of anticompetitive behaviour. "
            "The case, filed by a small publisher, argues that Acme siphons off readers. "
            "Acme shares fell 2% on Friday.")
    answer = _answer(ExtractiveAnswerer(), "Was Acme accused of anticompetitive behaviour in the lawsuit?",
                     [_p("a0", "acme", text, title="Publisher sues Acme")])
    assert "siphons off readers" in answer.answer and "shares fell" not in answer.answer


def test_a_multi_part_questions_quotes_are_not_headlines():
    a = Passage(chunk_id="a", doc_id="a", title="FTX founder's trial opens with jury selection", source="TechCrunch",
                published="2023-10-02", text="Jury selection took most of the day, lawyers questioning potential jurors about crypto.")
    answer = _ftx_two_part_answer(a, verge_first=False)
    assert "TechCrunch, 2 Oct 2023: “Jury selection took" in answer.answer
    assert "“FTX founder's trial opens" not in answer.answer


def test_a_sentence_in_the_questions_synonyms_is_quoted():
    hired = _p("h0", "fund", "NHS England added £146m to the staffing fund this spring. Practices welcomed the top-up. "
                             "By August, 1,640 GPs had been recruited through the fund.", title="Staffing fund grows")
    answer = _answer(ExtractiveAnswerer(), "How many GPs have been hired through the staffing fund?", [hired])
    assert answer.answer.startswith("By August, 1,640 GPs had been recruited")


def test_a_question_about_the_time_before_an_event_quotes_the_sentence_that_says_before():
    card = _p("r0", "rates", "The rate card, which came into force on 1 July, applies to 64 practices in North Calderford "
                             "and caps locum pay at £79 an hour. The network's chair said the median rate for locums in "
                             "North Calderford had been £104 before the rate card was introduced.",
              title="Locums boycott rate card")
    answer = _answer(ExtractiveAnswerer(), "What were locums in North Calderford getting before the rate card came in?",
                     [card])
    assert answer.found and "£104" in answer.answer
    assert relation_terms("What were they paid before the card came in, and since?") == {"befor", "sinc"}
    assert relation_terms("What did the card change?") == set()


LOCUM_CARD = _p("r1", "rates", "More than 200 sessional GPs have pledged not to work under a new rate card that limits "
                               "what practices can pay locums to £79 an hour.", title="Locums boycott rate card")
APPRAISAL_COMMENT = Passage(chunk_id="c1", doc_id="c1", parent_id="rates", kind="comment", title="Locums boycott rate card",
                            text="Now I have to pay for annual appraisals out of my own pocket as well as everything else.")


def test_a_question_whose_most_specific_word_only_a_reader_uses_is_refused_saying_so():
    corpus_idf = {"apprais": 4.3, "fee": 2.8, "session": 1.8, "new": 1.7, "gp": 0.2, "pay": 1.5, "say": 0.5}.get
    gate = Gate(corpus_idf=lambda t: corpus_idf(t, 3.0))

    def answer(question, passages):  # noqa: ANN001, ANN202
        return gated_answer(gate, ExtractiveAnswerer(), question, Evidence(list(passages)))

    question = "What's the new sessional fee for GP appraisers?"
    refused = answer(question, [LOCUM_CARD, APPRAISAL_COMMENT])
    assert not refused.found and refused.answer.endswith("only readers' comments mention appraisers.")
    assert gate.check(question, [LOCUM_CARD, APPRAISAL_COMMENT]).reason == "comment-only"
    reported = _p("r2", "apr", "NHS England set a new sessional fee of £500 for GP appraisers from April.",
                  title="Appraisers' fee rises")
    assert answer(question, [LOCUM_CARD, APPRAISAL_COMMENT, reported]).found
    # a question about readers may turn on what only they wrote
    assert gate.check("What did readers say about paying for appraisals?", [LOCUM_CARD, APPRAISAL_COMMENT]).answerable


def test_a_named_outlet_whose_readers_alone_mention_the_subject_did_not_report_it():
    cqc = Passage(chunk_id="f1", doc_id="f1", source="GP Frontline", title="CQC to replace routine visits",
                  text="Practices rated good will no longer receive routine CQC inspections from 1 July.")
    ashworth = Passage(chunk_id="p1", doc_id="p1", source="Pulse", title="Ashworth interview",
                       text="Labour must convince graduates that general practice is exciting, Ashworth said.")
    aside = Passage(chunk_id="p2", doc_id="p2", parent_id="p1", kind="comment", source="Pulse",
                    title="Ashworth interview", text="Workload dumping; chronic understaffing; CQC inspections.")
    gate = Gate(outlet_names=lambda: {"pulse": {"Pulse"}, "gp frontline": {"GP Frontline"}})
    verdict = gate.check("What did Pulse report about the CQC?", [aside, ashworth, cqc])
    assert verdict.reason == "comment-only" and verdict.text.endswith("in Pulse's coverage, only readers' comments "
                                                                      "mention CQC.")
    assert gate.check("What did GP Frontline report about the CQC?", [cqc, aside, ashworth]).reason != "comment-only"
    assert gate.check("What did Pulse readers say about the CQC?", [aside, ashworth, cqc]).reason != "comment-only"


def test_a_day_the_passages_were_published_on_is_not_a_word_they_must_write():
    pension = Passage(chunk_id="x1", doc_id="x1", source="GP Frontline", published="2025-02-11",
                      title="Pension statement error", text="Around 3,260 GPs were sent incorrect pension statements.")
    gate = Gate()
    dated, idf = "What did the coverage say about pensions on 11 Feb 2025?", gate.idf_for([pension])
    assert gate.relevance(dated, [pension], idf)[0] == gate.relevance("What did the coverage say about pensions?",
                                                                      [pension], idf)[0]
    other_day = Passage(**{**pension.__dict__, "published": "2025-03-19"})
    assert gate.relevance(dated, [other_day], idf)[0] < gate.relevance(dated, [pension], idf)[0]


def test_a_follow_up_is_answered_by_its_own_words_from_its_subject_articles():
    intro = _p("a1", "ash", "Shadow health secretary Jonathan Ashworth has said Labour must convince graduates.",
               title="Ashworth interview")
    pensions = _p("a2", "ash", "Regarding the pensions tax issue, Mr Ashworth said he will urgently try to resolve it.",
                  title="Ashworth interview", index=1)
    error = _p("g1", "gpf", "Around 3,260 GPs were sent incorrect pension statements and face tax bills.",
               title="Pension statement error")
    question = "What did he say about pensions? shadow health secretary"  # as the chain resolves the follow-up
    evidence = Evidence([intro, error, pensions], subject="shadow health secretary")
    answer = ExtractiveAnswerer().answer(question, evidence)
    assert answer.answer.startswith("Regarding the pensions tax issue") and "3,260" not in answer.answer


def test_two_things_no_article_names_together_are_not_answered_as_if_one_did():
    closure = _p("k1", "kettle", "Harrow Lane Surgery will hand back its contract on 30 June.")
    cqc = _p("c1", "cqc", "The CQC will replace routine inspections of good practices with remote reviews.",
             title="CQC to replace routine visits")
    gate = Gate(outlet_names=lambda: {"gp frontline": {"GP Frontline"}})
    verdict = gate.check("Did the CQC inspect Harrow Lane?", [closure, cqc])
    assert verdict.reason == "names-apart" and verdict.text.endswith("mentions Harrow Lane and CQC together.")
    both = _p("k2", "kettle", "The CQC last inspected Harrow Lane Surgery in 2019.", index=1)
    assert gate.check("Did the CQC inspect Harrow Lane?", [closure, cqc, both]).reason != "names-apart"
    # each question of a compound one is judged alone, and reports of several outlets are apart by nature
    assert gate.names_apart("How much is Harrow Lane Surgery losing, and what did the CQC announce about inspections?",
                            [closure, cqc]) == []
    assert gate.names_apart("Did GP Frontline report on Harrow Lane and the CQC?", [closure, cqc]) == []


def test_till_is_a_function_word_like_until():
    assert question_terms("open 8 till 6.30") == question_terms("open 8 until 6.30")


def test_a_headline_does_not_follow_a_quote_that_says_it_already():
    title = "Wes Streeting wants to reset relationship between GPs and the Government"
    page = _p("w0", "reset", "The health secretary has said he wants to reset the relationship between GPs and the "
                             "Government, in a letter sent to the profession today. Mr Streeting welcomed the 6% pay "
                             "uplift for GPs.", title=title)
    answer = _answer(ExtractiveAnswerer(), "What did Streeting say about the relationship with GPs?", [page])
    assert answer.found and "letter sent to the profession" in answer.answer
    assert title not in answer.answer  # the citation shows it


def test_the_latest_coverage_is_quoted_newest_first_and_dated():
    old = Passage(chunk_id="c0", doc_id="old", title="Contract uplift agreed", source="GP Frontline",
                  published="2025-02-27", text="The GP contract will rise by 4.7% in 2025/26, the Government said.")
    new = Passage(chunk_id="c1", doc_id="new", title="LMCs reject contract", source="GP Frontline",
                  published="2025-05-16", text="LMC representatives voted to reject the GP contract settlement.")
    answer = _answer(ExtractiveAnswerer(), "What's the latest on the GP contract?", [old, new])
    assert answer.found
    assert answer.answer.index("16 May 2025") < answer.answer.index("27 Feb 2025")
    assert answer.answer.index("reject") < answer.answer.index("4.7%")


def test_a_question_naming_a_commenter_quotes_their_comment():
    comment = Passage(chunk_id="c0", doc_id="a#c1", parent_id="a", title=KETTLE, kind="comment",
                      author="Dr Hedgerow", text="Credit where it is due, the unemployment problem exists.")
    article = _p("k9", "kettle", "Dr Quennell said the practice had made a loss of £62,000.")
    answer = _answer(ExtractiveAnswerer(), "What did Dr Hedgerow say?", [comment, article])
    assert answer.found and answer.answer.startswith("A reader (Dr Hedgerow) commented: “Credit where")


def test_a_when_question_prefers_the_sentence_that_names_a_day():
    title = "£58m winter access fund opens"
    page = _p("w1", "winter", "'But last winter we lost a quarter of our clinical sessions to staff sickness in January. "
                              "Practices have until 7 November 2025 to opt in.", title=title)
    answer = _answer(ExtractiveAnswerer(), "When does the winter access fund close?", [page])
    assert answer.found and answer.answer.startswith("Practices have until 7 November 2025 to opt in.")


def test_a_word_for_whoever_did_it_is_not_what_the_comment_only_rule_turns_on():
    reported = _p("h1", "hs", "The health secretary said he wants to reset the relationship with GPs.",
                  title="Health secretary writes to GPs")
    aside = Passage(chunk_id="h2", doc_id="h2", parent_id="hs", kind="comment", title="Health secretary writes to GPs",
                    text="Would anyone here want to be health secretary? DT for health secretary!!!")
    assert Gate().check("Did anyone suggest a new health secretary?", [reported, aside]).reason != "comment-only"
