"""Who/which name detection reads a (headline, body) pair exactly as the joined text, from
each part's remembered names (bot/language/entities.py)."""

from __future__ import annotations

import pytest

from bot.language.entities import RoleWords, _lower_case_words, _name_spans, _read, _role_places, likely_answer

BODY = ("Valve has announced the Steam Deck OLED. Gabe Newell, Valve's president, said the new screen "
        "was brighter.\n\nNew Model Army fans were not impressed, said the chief executive of the band.")


@pytest.mark.parametrize("headline", ["Valve unveils a new Steam Deck", "", "U.S.", "Apple Inc", "x"])
def test_a_headline_and_body_read_as_the_joined_text(headline: str) -> None:
    joined, spans, lower, parts = _read((headline, BODY))
    assert joined == f"{headline}. {BODY}"
    assert spans == _name_spans(joined)
    assert lower == _lower_case_words(joined)
    # the describing words found part by part, where they are in the joined text
    role = frozenset({"new", "presid", "chief", "band", "screen"})
    found = [(a + at, b + at, term) for part, at in parts for a, b, term in _role_places(role, part)]
    assert found == RoleWords(role).find(joined) and found


def test_the_answer_is_the_same_from_pairs_and_from_joined_texts() -> None:
    question = "Which company, according to The Verge, announced a brighter Steam Deck?"
    pairs = [(("Valve unveils a new Steam Deck", BODY), 1.0), (("Other news", "Nothing about it."), 0.5)]
    joined = [(f"{h}. {b}", w) for (h, b), w in pairs]
    assert likely_answer(question, pairs) == likely_answer(question, joined) == "Valve"
