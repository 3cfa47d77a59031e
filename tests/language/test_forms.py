"""Other forms of a word's root: the stemmer's terms joined by derivational suffixes."""

from __future__ import annotations

from bot.language.forms import form_aliases, forms_written
from bot.language.terms import terms


def test_another_form_of_a_root_is_found_in_either_direction():
    written = terms("A high tax rate and the relationship between GPs; floodgates opened; fraud.")
    wanted = terms("taxation relations flood fraudulent barrier")
    assert form_aliases(wanted, written) == {"tax": terms("taxation")[0], "relationship": terms("relations")[0],
                                             "fraud": terms("fraudulent")[0]}
    assert forms_written(wanted, written) == set(terms("taxation relations fraudulent"))


def test_a_word_written_as_it_is_or_too_short_has_no_other_form():
    assert form_aliases(terms("tax rate"), terms("tax rates taxes")) == {}
    assert form_aliases(["art"], terms("artist")) == {}  # three letters: not looked up
