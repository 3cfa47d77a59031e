"""Dates in questions and in user input: month names, dates a question mentions, day numbers.

Chunks carry their publication day as days since 1970-01-01 (`published_day`), so that
filters and date boosts compare integers; `day_number` and `day_date` convert.
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache

from ingest.dates import EPOCH, day_date, day_number, parse_date

__all__ = ["EPOCH", "MONTHS", "MONTH_NAMES", "MONTH_PATTERN", "WEEKDAY_NAMES", "MentionedDate", "day_date", "day_number",
           "filter_day_number", "find_date_spans", "find_dates", "near_date", "parse_user_date"]

MONTH_NAMES = ("january february march april may june july august september october november "
               "december").split()
# month name or abbreviation -> month number ("sept" too)
MONTHS = {m: i for i, m in enumerate(MONTH_NAMES, start=1)} | {m[:3]: i for i, m in enumerate(MONTH_NAMES, 1)}
MONTHS["sept"] = 9
MONTH_PATTERN = r"(" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")"
WEEKDAY_NAMES = "monday tuesday wednesday thursday friday saturday sunday".split()

_DAY = r"(\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?:,?\s+(\d{4}))?"
_DATE_PATTERNS = (
    (re.compile(rf"\b{MONTH_PATTERN}\.?\s+{_DAY}\b{_YEAR}", re.I), ("m", "d", "y")),  # October 7, 2023
    (re.compile(rf"\b{_DAY}\s+(?:of\s+)?{MONTH_PATTERN}\.?{_YEAR}\b", re.I), ("d", "m", "y")),  # 7 October 2023
    (re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b"), ("y", "mi", "d")),  # 2023-10-07
)

MentionedDate = tuple[int | None, int, int]  # (year or None, month, day)


def filter_day_number(iso: str | None) -> int | None:
    """"2024-07-01" -> days since 1970; None/"" -> None; ValueError when not an ISO date."""
    if not iso:
        return None
    try:
        return day_number(date.fromisoformat(str(iso)[:10]))
    except ValueError:
        raise ValueError(f"not an ISO date: {iso!r} (use YYYY-MM-DD)") from None


def find_date_spans(text: str) -> list[tuple[MentionedDate, int]]:
    """Dates mentioned in a text as ((year or None, month, day), start offset), in order."""
    return list(_date_spans(text))


@lru_cache(maxsize=1024)
def _date_spans(text: str) -> tuple[tuple[MentionedDate, int], ...]:
    """`find_date_spans`, remembered for the last 1,024 texts (a question's rankings, gate and
    answerer read the same question and passages)."""
    found: list[tuple[MentionedDate, int]] = []
    taken: list[tuple[int, int]] = []
    for pattern, order in _DATE_PATTERNS:
        for m in pattern.finditer(text):
            if any(a < m.end() and m.start() < b for a, b in taken):
                continue
            parts = dict(zip(order, m.groups()))
            month = int(parts["mi"]) if "mi" in parts else MONTHS.get(parts["m"].lower().rstrip("."))
            day = int(parts["d"])
            year = int(parts["y"]) if parts.get("y") else None
            try:
                date(year or 2000, month or 0, day)
            except ValueError:
                continue
            taken.append((m.start(), m.end()))
            found.append(((year, month, day), m.start()))
    return tuple(sorted(found, key=lambda x: x[1]))


def find_dates(text: str) -> list[MentionedDate]:
    """Dates mentioned in a text as (year or None, month, day), in order of appearance."""
    return [d for d, _ in find_date_spans(text)]


def near_date(day: date, dates: list[MentionedDate], window: int) -> bool:
    """True when `day` is within `window` days of one of the dates (month and day only when
    a date has no year)."""
    for year, month, dom in dates:
        if year and abs((day - date(year, month, dom)).days) <= window:
            return True
        if not year and day.month == month and abs(day.day - dom) <= window:
            return True
    return False


def published_near(published: str, dates: list[MentionedDate], window: int) -> bool:
    """True when an ISO publication date ("2025-02-11…") is within `window` days of one of the
    dates (`near_date`); False when it is missing or not a date."""
    try:
        return near_date(date.fromisoformat(published[:10]), dates, window)
    except ValueError:
        return False


def parse_user_date(text: str | None) -> str | None:
    """"2024-07-01" or "1 July 2024" -> "2024-07-01"; None/"" -> None; else ValueError."""
    if text is None or not str(text).strip():
        return None
    iso = parse_date(str(text).strip())
    if not iso:
        raise ValueError(f"not a date: {text!r} (use YYYY-MM-DD)")
    return iso[:10]


# "What's the latest on the contract?", "any recent news about PCNs", "What's new on ARRS?", "How big
# is the top-up now?": the newest coverage is asked for ("the latest funding round" names a thing, and asks nothing of dates)
_LATEST = re.compile(r"\s*(?:(?:what['’]?s|what is|what are|any|give me|show me|tell me|get me)\s+)?(?:the\s+)?"
                     r"(?:(?:latest|newest|most recent|recent)\s+(?:on|about|regarding|with|news|updates?|coverage|"
                     r"developments?|reports?|reporting|articles?|stories|story|word)\b|(?:latest|new)\s+(?:on|about|"
                     r"with|in)\b)|\s*(?:what['’]?s|what is|what are|how (?:big|much|many) is)\s+the current\b", re.I)
_LATEST_END = ("recently", "lately", "now", "currently", "at the moment", "these days")
_LATEST_END_WORD = re.compile(r"\b(?:recently|lately|now|currently|at the moment|these days)$")


def asks_for_latest(question: str) -> bool:
    """True when the question asks for the newest coverage of something ("What's the latest on X?",
    "How big is the top-up now?")."""
    # every sentence's terms pass through here: a pattern anchored at the start (`match`) and a
    # look at the last words, never a scan of the whole text (a scan cost 15 µs a sentence)
    tail = question[-24:].rstrip(" ?!.").lower()
    if tail.endswith(_LATEST_END) and _LATEST_END_WORD.search(tail):
        return True
    return bool(_LATEST.match(question))
