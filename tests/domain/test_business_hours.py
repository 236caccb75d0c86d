from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from domain.business_hours import BusinessCalendar, OpeningHours

calendar = BusinessCalendar()


def at(day: int, hour: int, minute: int = 0) -> datetime:
    # December 2026: the 4th is a Friday, the 5th a Saturday, the 7th a Monday.
    return datetime(2026, 12, day, hour, minute, tzinfo=UTC)


def test_friday_afternoon_plus_four_hours_lands_on_monday_noon() -> None:
    assert calendar.add_business_hours(at(4, 16), 4) == at(7, 12)


def test_a_ticket_opened_on_saturday_starts_counting_on_monday_morning() -> None:
    assert calendar.add_business_hours(at(5, 11), 4) == at(7, 13)


def test_one_business_day_from_tuesday_noon_is_wednesday_noon() -> None:
    assert calendar.add_business_hours(at(1, 12), 8) == at(2, 12)


def test_before_opening_the_clock_starts_at_nine() -> None:
    assert calendar.add_business_hours(at(1, 6), 4) == at(1, 13)


def test_after_closing_the_clock_starts_next_morning() -> None:
    assert calendar.add_business_hours(at(1, 18), 1) == at(2, 10)


def test_ending_exactly_at_closing_time_stays_that_day() -> None:
    assert calendar.add_business_hours(at(1, 13), 4) == at(1, 17)


def test_holidays_are_skipped() -> None:
    christmas = BusinessCalendar(holidays=frozenset({date(2026, 12, 25)}))
    # Thursday 24th 15:00 + 4h: 2h on Thursday, Friday is a holiday, 2h on Monday.
    assert christmas.add_business_hours(at(24, 15), 4) == at(28, 11)


def test_hours_are_counted_in_the_calendar_time_zone() -> None:
    berlin = BusinessCalendar(timezone=ZoneInfo("Europe/Berlin"))
    # 09:00 in Berlin in winter is 08:00 UTC.
    assert berlin.add_business_hours(at(1, 8), 1) == at(1, 9)


def test_a_custom_week_is_respected() -> None:
    saturdays = BusinessCalendar(weekly={5: OpeningHours(time(10), time(14))})
    assert saturdays.add_business_hours(at(4, 12), 5) == at(12, 11)
