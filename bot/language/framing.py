"""What a question says to place a report, rather than what the report is about.

"Did the TechCrunch report of October 7, 2023 say …" names an outlet and a date to find the
article; neither is what a quote should be chosen for. A sentence that merely repeats them
("TechCrunch+ subscribers get access…", "Sign up to The Independent's travel email…") is
boilerplate, not an answer. `content_question` blanks the outlets, dates and framing words
of a question so that sentences are scored on what it asks about.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Sequence

from .dates import MONTH_PATTERN
from .outlets import OutletNames
from .terms import question_terms

# Words that place a report in time or in a series ("the subsequent report", "published on").
# Measured, MultiHop dev: also blanking the words that ask how reports compare ("consistent",
# "portrayal", "a change in") moved answer_quotes_fact 0.731 -> 0.728; so not.
FRAMING_WORDS = frozenset("""
published publish publishes publication subsequent subsequently later earlier previous previously prior
preceding latter former
""".split())
# Words that ask for someone's statements rather than name what they are about ("What is the BMA's
# position on the deal?" is answered by what the BMA said of the deal, not by "position in the queue").
STANCE_WORDS = frozenset("position positions stance stances view views opinion opinions verdict".split())

_DATE_SPAN = re.compile(
    rf"\b(?:on\s+|at\s+)?(?:{MONTH_PATTERN}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{MONTH_PATTERN}\.?(?:,?\s+\d{{4}})?"
    rf"|{MONTH_PATTERN}\s+\d{{4}}|\d{{4}}-\d{{2}}-\d{{2}}|\d{{1,2}}:\d{{2}}(?::\d{{2}})?)\b", re.I)
# an outlet named as the one that reports ("What did Pulse report about …", "as GP Frontline said")
_REPORTS = re.compile(r"(?:['’]s?)?\s*(?:has\s+|have\s+|had\s+)?(?:report|reports|reported|reporting|say|says|said|write|writes|"
                      r"wrote|written|tell|tells|told|cover|covers|covered|publish|publishes|published)\b", re.I)
# a request that opens the question ("Explain the winter access fund", "Tell me about the rate card"):
# a sentence that says "explained" is no answer to it
_REQUEST = re.compile(r"^\s*(?:please\s+)?(?:explain|summari[sz]e|describe|outline|tell me (?:more )?about|"
                      r"give me (?:an overview of|a summary of|the gist of))\b", re.I)
_FRAMING = re.compile(r"\b(?:" + "|".join(sorted(FRAMING_WORDS | STANCE_WORDS, key=len, reverse=True)) + r")\b", re.I)


def without_dates(text: str) -> str:
    """The text with the dates and times it writes blanked ("on October 7, 2023", "16 May")."""
    return _DATE_SPAN.sub(" ", text)


@lru_cache(maxsize=4)
def outlet_names_of(sources: tuple[str, ...]) -> OutletNames:
    """The `OutletNames` of a store's outlets (remembered: built once per set of outlets)."""
    return OutletNames(sources)


def content_question(question: str, outlets: Sequence[str] = ()) -> str:
    """The question with the dates and times it names and framing words blanked, and, when
    it names several outlets or dates, the store's outlets (`outlets`: the stored names); the
    question itself when nothing would be left to score sentences by.

    Measured, MultiHop dev answer_quotes_fact: outlets always blanked 0.789, only when several
    0.784, never 0.776; always blanking lost the QA file's "…according to the GP Frontline
    survey?" (the survey's own sentence names the outlet)."""
    text = question
    if outlets:
        names = outlet_names_of(tuple(outlets))
        # one outlet named may be what the question is about ("according to the GP Frontline
        # survey"); several outlets, or several dates, place the reports to compare
        spans = names.mention_ranges(text)
        if len(spans) >= 2 or len(_DATE_SPAN.findall(text)) >= 2:
            text = names.blank(text)
        elif spans and _REPORTS.match(text, spans[0][2]):
            # "What did Pulse report about GP unemployment?": the outlet reports; it is not the subject
            text = names.blank(text)
    text = _FRAMING.sub(" ", _DATE_SPAN.sub(" ", _REQUEST.sub(" ", text)))
    return text if question_terms(text) else question
