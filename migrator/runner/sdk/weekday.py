"""`WeekDay`: days of the week for the day-of-week sensor and branch (ISO numbers, Monday is 1)."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import Any


@enum.unique
class WeekDay(enum.IntEnum):
    MONDAY = 1
    TUESDAY = 2
    WEDNESDAY = 3
    THURSDAY = 4
    FRIDAY = 5
    SATURDAY = 6
    SUNDAY = 7

    @classmethod
    def get_weekday_number(cls, week_day_str: str) -> WeekDay:
        name = week_day_str.upper()
        if name not in cls.__members__:
            raise AttributeError(f'Invalid Week Day passed: "{week_day_str}"')
        return cls[name]

    @classmethod
    def convert(cls, day: str | WeekDay) -> int:
        return day if isinstance(day, WeekDay) else cls.get_weekday_number(day)

    @classmethod
    def validate_week_day(cls, week_day: Any) -> set[int]:
        """A day name, a WeekDay, or an iterable of them, as a set of ISO day numbers."""
        if isinstance(week_day, WeekDay) or isinstance(week_day, str):
            week_day = {week_day}
        elif not isinstance(week_day, Iterable):
            raise TypeError(f"Unsupported Type for week_day parameter: {type(week_day)}.Input should be iterable "
                            "type:str, set, list, dict or Weekday enum type")
        return {cls.convert(day) for day in week_day}
