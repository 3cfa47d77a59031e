"""Turn the many ways pages write dates into ISO 8601, or "" when there is no date."""

from __future__ import annotations

import re
from datetime import date, datetime

_FORMATS = (
    "%d %B %Y", "%d %b %Y", "%B %d %Y", "%b %d %Y", "%A %d %B %Y", "%a %d %b %Y",
    "%d/%m/%Y", "%Y/%m/%d",
)


def parse_date(value: object) -> str:
    """Return an ISO 8601 date or datetime for `value`, or "" if it holds no date.

    Accepts ISO strings (with or without time and zone), datetime/date objects, Unix
    timestamps, and English dates such as "1 August, 2024" or "Tuesday 3 June 2025".
    Never guesses: an unparseable value gives "".
    """
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 0 < value < 1e11:
            return datetime.utcfromtimestamp(value).isoformat() + "Z"
        return ""
    text = str(value).strip()
    if not text or len(text) > 64:
        return ""
    iso = text.replace("Z", "+00:00") if text.endswith("Z") else text
    try:
        parsed = datetime.fromisoformat(iso)
    except ValueError:
        parsed = None
    if parsed is not None:
        if len(text) == 10:
            return parsed.date().isoformat()
        return text if text.endswith("Z") else parsed.isoformat()
    clean = re.sub(r"(\d)(st|nd|rd|th)\b", r"\1", text.replace(",", " "))
    clean = re.sub(r"\s+", " ", clean).strip()
    for fmt in _FORMATS:
        try:
            return datetime.strptime(clean, fmt).date().isoformat()
        except ValueError:
            continue
    return ""


def date_part(iso: str) -> str:
    """The YYYY-MM-DD part of an ISO string ("" stays "")."""
    return iso[:10] if iso else ""


EPOCH = date(1970, 1, 1)


def day_number(day: date) -> int:
    """Days since 1970-01-01 (how chunks store their publication day, for range filters)."""
    return (day - EPOCH).days


def day_date(number: int) -> date:
    """The date `number` days after 1970-01-01."""
    return date.fromordinal(EPOCH.toordinal() + int(number))


def iso_day_number(iso: str) -> int:
    """Days since 1970-01-01 of an ISO date, or 0 when there is none."""
    if not iso or len(iso) < 10:
        return 0
    try:
        return day_number(date.fromisoformat(iso[:10]))
    except ValueError:
        return 0
