from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

_MAX_DAYS_SEARCHED = 3660  # a calendar with no open day at all must not loop forever


@dataclass(frozen=True)
class OpeningHours:
    opens: time
    closes: time


@dataclass(frozen=True)
class BusinessCalendar:
    """When the team counts the SLA clock: weekly hours in a time zone, minus holidays."""

    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    # Monday is 0, as in date.weekday(); a missing day is closed.
    weekly: dict[int, OpeningHours] = field(
        default_factory=lambda: {day: OpeningHours(time(9), time(17)) for day in range(5)}
    )
    holidays: frozenset[date] = frozenset()

    def add_business_hours(self, start: datetime, hours: float) -> datetime:
        remaining = timedelta(hours=hours)
        cursor = start.astimezone(UTC)
        day = start.astimezone(self.timezone).date()
        for _ in range(_MAX_DAYS_SEARCHED):
            window = self._window(day)
            if window is not None:
                opens, closes = window
                cursor = max(cursor, opens)
                if cursor < closes:
                    available = closes - cursor
                    if remaining <= available:
                        return cursor + remaining
                    remaining -= available
            day += timedelta(days=1)
        raise ValueError("the business calendar has no open hours")

    def _window(self, day: date) -> tuple[datetime, datetime] | None:
        hours = self.weekly.get(day.weekday())
        if hours is None or day in self.holidays:
            return None
        # Arithmetic happens in UTC: subtracting two aware datetimes of one zone in
        # Python ignores a DST change between them.
        opens = datetime.combine(day, hours.opens, self.timezone).astimezone(UTC)
        closes = datetime.combine(day, hours.closes, self.timezone).astimezone(UTC)
        return opens, closes
