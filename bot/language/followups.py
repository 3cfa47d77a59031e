"""Follow-up questions: "When does it close?" after "How much is the winter access fund?".

A follow-up that refers back (a pronoun, or hardly a word of its own to search for) is asked
of the earlier question's subject: its content words are added to the question the gate and
the answerer read ("When does it close? winter access fund"), so that the coverage of that
subject can answer it. A reply that asks about something new ("What about the CQC changes?")
is left as it is.
"""

from __future__ import annotations

import re

from .terms import question_terms

_REFERS_BACK = re.compile(r"\b(it|its|it's|they|them|their|theirs|this|that|these|those|he|him|his|she|her|hers|"
                          r"the same|the scheme|the fund|the deal|the plan|the story|the article)\b", re.I)
_WORD = re.compile(r"[\w’'£$€%.,-]+")


# a capitalised word after the first: a question that names something of its own ("Who chairs the BMA?")
_NAMES_SOMETHING = re.compile(r"(?<!^)(?<![.?!]\s)\b[A-Z][\w’'-]*")


def refers_back(question: str) -> bool:
    """True when a question leans on an earlier one: a pronoun ("When does it close?"), at
    most one word of its own to search for ("And the BMA?"), or two that name nothing
    ("How many patients are affected?" after "What is happening to Harrow Lane Surgery?")."""
    own = question_terms(question)
    return bool(_REFERS_BACK.search(question)) or len(own) <= 1 or (
        len(own) == 2 and not _NAMES_SOMETHING.search(question.strip()))


def earlier_question(context: str) -> str:
    """The earlier question of a follow-up's context ("Q: …\\nA: …", as front ends write it;
    a bare question is taken whole)."""
    first = context.strip().splitlines()[0] if context.strip() else ""
    return first[2:].strip() if first.startswith("Q:") else first


def subject_words(question: str) -> str:
    """The words of a question that are terms to search for, in its order ("How much is the
    winter access fund?" -> "winter access fund")."""
    return " ".join(w.strip(".,?") for w in _WORD.findall(question) if question_terms(w.strip(".,?")))


def follow_up_subject(question: str, context: str) -> str:
    """The earlier question's subject words a follow-up that refers back is asked of (those the
    follow-up does not write itself); "" for any other question."""
    if not context or not refers_back(question):
        return ""
    subject = subject_words(earlier_question(context))
    own = set(question_terms(question))
    return " ".join(w for w in subject.split() if not set(question_terms(w)) <= own)


def resolved_question(question: str, context: str) -> str:
    """The question the gate and the answerer read: a follow-up that refers back, with the
    earlier question's subject added; any other question unchanged."""
    extra = follow_up_subject(question, context)
    return f"{question} {extra}" if extra else question


def topic_of(question: str, context: str) -> str:
    """The question a later follow-up should be asked of: the earlier one when this question
    refers back to it ("When does it close?" keeps "How much is the winter access fund?"),
    else this one."""
    if context and refers_back(question):
        return earlier_question(context) or question
    return question
