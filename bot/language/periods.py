"""Questions that ask what was published when, not about a topic: "What happened on 1 August
2024?", "What was reported in May 2025?", "Any news this week?", "What's new?".

Such a question has no words to search for once its dates and its words of asking are set
aside, so it is answered by listing the coverage of that period (`bot.answering.digest`),
not by retrieval and the gate, which would quote whatever shares the word "happened".
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from .dates import MONTH_PATTERN, MONTHS, find_date_spans
from .framing import without_dates
from .terms import question_terms

# What such a question asks with, besides function words: "What happened …", "What was
# published …", "Any news …", "What's new …", "Give me the headlines …"
_ASKING = frozenset(question_terms(
    "happen happened happening happens go going went new newest latest recent recently lately publish published "
    "cover covered written wrote out headline headlines top summary summarise summarize digest overview "
    "anything everything there day week month today yesterday"))

_MONTH_YEAR = re.compile(rf"\b{MONTH_PATTERN}\.?,?\s+(\d{{4}})\b", re.I)
_RELATIVE = re.compile(r"\b(today|yesterday|this week|last week|past week|this month|last month)\b", re.I)
_NEWEST = re.compile(r"\b(new|newest|latest|recent|recently|lately|news|headlines)\b", re.I)


@dataclass(frozen=True)
class Period:
    """The days a question asks about (inclusive; both None: the newest coverage, any day), and
    how to say them ("on 1 August 2024", "in May 2025", "this week", "" for the newest)."""

    first: date | None
    last: date | None
    label: str

    @property
    def newest(self) -> bool:
        """True for "What's new?": the newest coverage, whatever its day."""
        return self.first is None and self.last is None


def mentions_period(question: str) -> bool:
    """True when a question names a day, a month of a year, a relative period or the newest
    coverage (what `asked_period` needs before it can return a period; a cheap first check)."""
    return bool(find_date_spans(question) or _MONTH_YEAR.search(question) or _RELATIVE.search(question)
                or _NEWEST.search(question))


def asked_period(question: str, today: date | None = None) -> Period | None:
    """The period a question asks the coverage of, when that is all it asks; else None.

    A day ("on 16 May 2025"; "on 16 May" is the last such day up to `today`), a month with
    its year ("in May 2025"), or today, yesterday, this or last week or month; "What's new?"
    and "Any news?" ask for the newest coverage."""
    today = today or date.today()
    spans = find_date_spans(question)
    rest = question
    period: Period | None = None
    if spans:
        (year, month, day), _ = spans[0]
        if len(spans) > 1:
            return None
        when = date(year, month, day) if year else _last_before(today, month, day)
        if when is None:
            return None
        period = Period(when, when, f"on {_long(when)}")
        rest = without_dates(question)
    elif m := _MONTH_YEAR.search(question):
        month, year = MONTHS[m.group(1).lower().rstrip(".")], int(m.group(2))
        first = date(year, month, 1)
        period = Period(first, date(year, month, calendar.monthrange(year, month)[1]),
                        f"in {first.strftime('%B')} {year}")
        rest = question[:m.start()] + " " + question[m.end():]
    elif m := _RELATIVE.search(question):
        period = _relative(m.group(1).lower(), today)
        rest = question[:m.start()] + " " + question[m.end():]
    elif _NEWEST.search(question):
        period = Period(None, None, "")
    if period is None or set(question_terms(rest)) - _ASKING:
        return None  # something else is asked: "What did the BMA say on 16 May?" is a search
    return period


def _last_before(today: date, month: int, day: int) -> date | None:
    """The last `month`/`day` on or before today (None for a day no year has)."""
    for year in (today.year, today.year - 1, today.year - 2, today.year - 3, today.year - 4):
        try:
            when = date(year, month, day)
        except ValueError:
            continue
        if when <= today:
            return when
    return None


def _relative(word: str, today: date) -> Period:
    if word == "today":
        return Period(today, today, "today")
    if word == "yesterday":
        day = today - timedelta(days=1)
        return Period(day, day, "yesterday")
    monday = today - timedelta(days=today.weekday())
    if word == "this week":
        return Period(monday, today, "this week")
    if word == "past week":
        return Period(today - timedelta(days=7), today, "in the past week")
    if word == "last week":
        return Period(monday - timedelta(days=7), monday - timedelta(days=1), "last week")
    first = today.replace(day=1)
    if word == "this month":
        return Period(first, today, "this month")
    previous = first - timedelta(days=1)
    return Period(previous.replace(day=1), previous, "last month")


def _long(day: date) -> str:
    """"1 August 2024"."""
    return f"{day.day} {day.strftime('%B')} {day.year}"
