"""Questions that ask what was published when (bot/language/periods.py)."""

from __future__ import annotations

from datetime import date

from bot.language.periods import Period, asked_period

TODAY = date(2026, 11, 27)  # a Friday


def test_a_day_a_month_or_a_relative_period_with_nothing_else_asked():
    assert asked_period("What happened on 1 August 2024?", TODAY) == \
        Period(date(2024, 8, 1), date(2024, 8, 1), "on 1 August 2024")
    assert asked_period("What was reported in May 2025?", TODAY) == \
        Period(date(2025, 5, 1), date(2025, 5, 31), "in May 2025")
    assert asked_period("headlines for 16 May 2025", TODAY).first == date(2025, 5, 16)
    # a day without its year: the last one up to today
    assert asked_period("What happened on 16 May?", TODAY).first == date(2026, 5, 16)
    assert asked_period("What happened on 30 December?", TODAY).first == date(2025, 12, 30)
    assert asked_period("Any news this week?", TODAY) == Period(date(2026, 11, 23), TODAY, "this week")
    assert asked_period("What was published yesterday?", TODAY).first == date(2026, 11, 26)
    assert asked_period("news from last month", TODAY) == Period(date(2026, 10, 1), date(2026, 10, 31), "last month")


def test_the_newest_coverage():
    for q in ("What's new?", "Any news?", "What's the latest?"):
        period = asked_period(q, TODAY)
        assert period is not None and period.newest, q


def test_a_question_about_something_is_a_search():
    for q in ("What did the BMA say on 16 May 2025?", "What happened at the LMC conference?",
              "What is new in general practice?", "What's the latest on the GP contract?",
              "Between the report of 2 October and the one of 7 October, what changed?"):
        assert asked_period(q, TODAY) is None, q
