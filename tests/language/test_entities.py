"""Who or what a question asks for, and the name the passages support."""

from __future__ import annotations

from bot.language.entities import asked_deed, asked_kind, likely_answer, names_in


def test_the_kind_of_thing_asked():
    assert asked_kind("Who is the individual facing a criminal trial?") == "person"
    assert asked_kind("Which NFL player, reported by The New York Times, ...?") == "person"
    assert asked_kind("Which football club, discussed on TalkSport, set an unwanted record?") == "thing"
    assert asked_kind("What is the name of the organization discussed in TechCrunch?") == "thing"
    assert asked_kind("How much was added to the ARRS pot?") is None


def test_names_are_runs_of_capitalised_words():
    assert names_in("Sam Bankman-Fried’s trial began. The Federal Reserve held rates.") == [
        "Sam Bankman-Fried", "Federal Reserve"]


def test_the_fullest_form_of_the_most_supported_name_not_in_the_question():
    texts = [("Bankman-Fried, the founder of FTX, faces seven counts. Sam Bankman-Fried denied it.", 1.0),
             ("Prosecutors said Bankman-Fried lied. Judge Lewis Kaplan presided.", 0.9),
             ("Caroline Ellison testified against her former boss.", 0.8)]
    q = "Who is the individual associated with FTX facing a criminal trial, as reported by TechCrunch?"
    assert likely_answer(q, texts, exclude=["TechCrunch"]) == "Sam Bankman-Fried"
    # a name the question already uses is never its answer
    assert likely_answer("Who did Sam Bankman-Fried hire from Jane Street?", texts) != "Sam Bankman-Fried"
    # a person needs a first and a last name; ordinary capitalised words are not names
    assert likely_answer("Who is to blame?", [("Younger GPs said so. younger doctors agreed.", 1.0)]) is None


def test_the_kind_or_role_the_question_asks_for():
    from bot.language.entities import asked_noun

    assert asked_noun("Which university is the academic who commented on the survey from?") == "university"
    assert asked_noun("Who was the NHS England director quoted when the fund opened?") == "director"
    assert asked_noun("Who's the Wexmoor LMC medical secretary who commented on the closure?") == "secretary"
    assert asked_noun("Who is the individual facing a criminal trial?") is None  # says nothing of the person
    assert asked_noun("How much was added to the ARRS pot?") is None


def test_a_name_of_the_kind_asked_wins_over_a_more_frequent_one():
    texts = [("Younger GPs were the most likely to cut sessions. Younger GPs said workload was the reason.", 1.0),
             ("Professor Colm Dervan, who leads research at the University of Northgate, said so.", 0.5)]
    q = "Which university is the academic who commented on the sessions survey from?"
    assert likely_answer(q, texts) == "University of Northgate"


def test_a_person_named_beside_the_role_asked_for_wins():
    texts = [("The primary care minister, Gareth Penhaligon, spoke in York.", 1.0),
             ("Penhaligon said more money was coming.", 0.9),
             ("Dr Felicity Marwood, NHS England's national director for primary care, welcomed it.", 0.7)]
    q = "Who was the NHS England director quoted when the fund was opened?"
    assert likely_answer(q, texts) == "Felicity Marwood"
    assert likely_answer("Who spoke about the money?", texts) == "Gareth Penhaligon"  # the most written


def test_role_words_are_found_where_the_tokenizer_finds_them():
    """A who/which answer's describing words ("secretary", "using", "capability") are found
    by a regular expression and checked by stemming: the same places as tokenizing the text."""
    from bot.language.entities import RoleWords
    from bot.language.terms import question_terms, term_offsets

    text = ("The health secretaries, using new capabilities, said the secretary's plan faced "
            "3.5% cuts; Secretary Jones was facing critics. Usefully, nobody used it.")
    for words in ("secretary", "use capability face", "face 3.5%", "nothing here", "is"):
        wanted = set(question_terms(words))
        want = [(a, b, t) for t, a, b in zip(*term_offsets(text)) if t in wanted]
        assert RoleWords(wanted).find(text) == want, words
    assert len(RoleWords(set(question_terms("secretary"))).find(text)) == 3


def test_who_questions_that_do_not_ask_for_another_name():
    # "Who is <a name>?" asks what the coverage says of that person
    assert asked_kind("Who is Dr Quennell?") is None
    assert asked_kind("who is Jonathan Ashworth") is None
    # who-questions that ask for a group
    assert asked_kind("Who gets the winter access fund money?") is None
    assert asked_kind("Who is eligible for the fund?") is None
    assert asked_kind("Who will pay the exit fee?") is None
    # still a person
    assert asked_kind("Who is the health secretary?") == "person"
    assert asked_kind("Who is the individual that founded FTX?") == "person"
    assert asked_kind("Who said the fund was too small?") == "person"
    texts = [("The partners, Dr Alun Feaver and Dr Rosa Quennell, gave notice. LMC secretary Dr Graham Ostler "
              "said it was a loss. Dr Graham Ostler added more.", 1.0)]
    assert likely_answer("Who is Dr Quennell?", texts) is None


def test_who_did_it_is_the_one_named_beside_the_deed():
    text = ("Proposing the motion, Dr Jessamy Rourke, a GP partner in Fennick, told the conference that the uplift "
            "was a rounding error. Dr Rourke referred to the closure of Harrow Lane Surgery. Opposing the motion, "
            "Dr Peter Vasquez of Calderford LMC said that rejecting the deal was a risk.")
    assert asked_deed("Who opposed the motion?") == "oppos"
    assert asked_deed("Who is the chair of the conference?") is None
    assert likely_answer("Who opposed the motion?", [(text, 1.0)]) == "Peter Vasquez"
    assert likely_answer("Who proposed the motion?", [(text, 1.0)]) == "Jessamy Rourke"


def test_a_place_is_not_who_a_question_asks_for():
    text = ("Locum GPs boycott North Calderford ICB rate card. More than 200 sessional GPs in North Calderford have "
            "pledged not to work under it, said Dr Kwame Asante-Rowe, who leads the boycott.")
    assert likely_answer("Who leads the locum boycott?", [(text, 1.0)]) == "Kwame Asante-Rowe"
    assert likely_answer("Who leads the locum boycott?", [("Locum GPs boycott North Calderford ICB rate card in "
                                                            "North Calderford.", 1.0)]) is None


def test_no_one_is_named_when_the_deed_is_written_beside_no_person():
    text = ("The error affected 6% of members, according to the NHS Business Services Authority, which runs NHS "
            "Pensions. Dr Samir Venkataraman, pensions lead for the BMA, said the news had caused distress.")
    assert likely_answer("Who runs NHS Pensions?", [(text, 1.0)]) is None
