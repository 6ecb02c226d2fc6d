"""The timetable a DAG gets: cron's calendar, expressed so that Airflow's croniter reads it as cron does.

Generated DAGs use an explicit `CronTriggerTimetable(expr, timezone=zone)`: a run's logical date is
the instant cron would have started the DAG's first job (Airflow 3 builds this timetable for a bare
cron string too, Airflow 2 built a CronDataIntervalTimetable whose logical date is one interval
earlier: being explicit makes both versions agree).

The day fields are where croniter and cron part ways. cron (vixie, cronie, Debian) matches a day
when day-of-month OR day-of-week matches, unless one of the two fields *starts with* `*`, in which
case both must match. croniter ORs whenever neither field expands to every value. So:

- `1-31` or `0-6` with the other field restricted: cron runs every day, croniter only on the
  restricted days. Written as `* *`, which both read as every day.
- `*/2` (day of month) with `1` (Monday): cron runs on odd days that are Mondays; croniter on odd
  days or Mondays, and no croniter expression means "and". The DAG runs on the smaller of the two
  calendars (here: Mondays) and a guard task skips the run when the other field does not match.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

from croniter import croniter

from migrator.crontab.model import FieldKind, Schedule

_ALL_DAYS = frozenset(range(1, 32))
_ALL_WEEKDAYS = frozenset(range(7))


@dataclass(frozen=True)
class CalendarGuard:
    """Run only when `field` of the logical date (in `timezone`) is one of `values`."""

    field: str  # "day" (day of month) or "weekday" (cron numbering, 0 = Sunday)
    values: tuple[int, ...]
    timezone: str

    def jinja_condition(self) -> str:
        """A Jinja test that is true on the days cron would NOT have run."""
        date = f"logical_date.in_timezone('{self.timezone}')"
        value = f"{date}.day" if self.field == "day" else f"({date}.isoweekday() % 7)"
        return f"{value} not in {list(self.values)}"

    def admits(self, moment: dt.datetime) -> bool:
        local = moment.astimezone(ZoneInfo(self.timezone))
        value = local.day if self.field == "day" else local.isoweekday() % 7
        return value in self.values


@dataclass(frozen=True)
class TimetablePlan:
    expression: str  # five fields, read by croniter exactly as cron reads the crontab entry
    timezone: str
    guard: CalendarGuard | None
    notes: tuple[str, ...]


def plan_timetable(expression: str, timezone: str, schedule: Schedule | None) -> TimetablePlan:
    """The timetable for a DAG whose calendar is `expression` (canonical) of entry `schedule`."""
    fields = expression.split()
    if schedule is None or schedule.fields is None or len(fields) != 5:
        return TimetablePlan(expression, timezone, None, ())
    dom = schedule.field(FieldKind.DAY_OF_MONTH)
    dow = schedule.field(FieldKind.DAY_OF_WEEK)
    dom_values = frozenset(dom.values)
    dow_values = frozenset(v % 7 for v in dow.values)
    dom_all = dom_values >= _ALL_DAYS
    dow_all = dow_values >= _ALL_WEEKDAYS
    if dom.starts_with_star or dow.starts_with_star:  # cron: both must match
        if dom_all or dow_all:
            days = ("*", fields[4]) if dom_all else (fields[2], "*")
            if dom_all and dow_all:
                days = ("*", "*")
            return _plan(fields, days, timezone, None, ())
        guard_on_weekday = _yearly_count(fields, (fields[2], "*")) <= _yearly_count(
            fields, ("*", fields[4])
        )
        if guard_on_weekday:
            days = (fields[2], "*")
            guard = CalendarGuard("weekday", tuple(sorted(dow_values)), timezone)
        else:
            days = ("*", fields[4])
            guard = CalendarGuard("day", tuple(sorted(dom_values)), timezone)
        note = (
            f"cron runs `{schedule.text}` only on days matching both day fields (one starts with `*`); "
            f"croniter would run on either, so the DAG runs on `{' '.join([*fields[:2], days[0], fields[3], days[1]])}` "
            "and the task `cron_calendar_guard` skips the other days"
        )
        return _plan(fields, days, timezone, guard, (note,))
    if dom_all or dow_all:  # cron: either may match, and one matches every day
        note = f"cron runs `{schedule.text}` every day (a day field covers every value)"
        return _plan(
            fields,
            ("*", "*"),
            timezone,
            None,
            (note,) if fields[2] != "*" or fields[4] != "*" else (),
        )
    return _plan(fields, (fields[2], fields[4]), timezone, None, ())


def _plan(
    fields: list[str],
    days: tuple[str, str],
    timezone: str,
    guard: CalendarGuard | None,
    notes: tuple[str, ...],
) -> TimetablePlan:
    expression = " ".join([fields[0], fields[1], days[0], fields[3], days[1]])
    return TimetablePlan(expression, timezone, guard, notes)


def _yearly_count(fields: list[str], days: tuple[str, str]) -> int:
    """How many days of a non-leap year the day fields (in croniter's reading) select."""
    expression = " ".join(["0", "0", days[0], fields[3], days[1]])
    start = dt.datetime(2023, 1, 1) - dt.timedelta(seconds=1)
    it = croniter(expression, start)
    count = 0
    while it.get_next(dt.datetime).year == 2023:
        count += 1
    return count


def airflow_fire_times(expression: str, timezone: str, after: dt.datetime) -> Iterator[dt.datetime]:
    """Fire times after `after` (aware) as Airflow's CronTriggerTimetable computes them, in UTC.

    Mirrors `airflow.timetables._cron.CronMixin._get_next`: croniter on naive local time, made
    aware in the zone; schedules that run every hour step by the naive delta instead. The naive
    step is `NaiveCalendar.next_after`, which reads the fields as croniter does (tested against it)
    at a fraction of its cost: a cross-DAG link looks at hundreds of fire times.
    """
    zone = ZoneInfo(timezone)
    calendar = naive_calendar(expression)
    current = after.astimezone(dt.timezone.utc)
    while True:
        naive = current.astimezone(zone).replace(tzinfo=None)
        scheduled = calendar.next_after(naive)
        if scheduled is None:
            return
        if calendar.every_hour:
            following = current + (scheduled - naive)
        else:
            following = make_aware(scheduled, zone)
        current = following.astimezone(dt.timezone.utc)
        yield current


@dataclass(frozen=True)
class NaiveCalendar:
    """A five-field cron expression as croniter expands it, for wall-clock (naive) arithmetic."""

    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    days: frozenset[int] | None  # None: every day of the month ('*')
    months: frozenset[int]
    weekdays: frozenset[int] | None  # cron numbering, 0 = Sunday; None: every day of the week
    every_hour: bool  # croniter's hour field is '*' (Airflow steps such schedules differently)
    croniter_fallback: str | None = None  # an expression this class does not read: use croniter

    def next_after(self, naive: dt.datetime) -> dt.datetime | None:
        """The first matching minute strictly after `naive`, as croniter's `get_next`."""
        if self.croniter_fallback is not None:
            return croniter(self.croniter_fallback, naive).get_next(dt.datetime)
        start = naive.replace(second=0, microsecond=0) + _MINUTE
        day = start.date()
        first_minute = (start.hour, start.minute)
        for _ in range(_SEARCH_DAYS):
            if day.month not in self.months:
                day = _first_of_next_month(day)
                if day is None:
                    return None
                first_minute = (0, 0)
                continue
            if self._day_matches(day):
                for hour in self.hours:
                    if hour < first_minute[0]:
                        continue
                    for minute in self.minutes:
                        if (hour, minute) >= first_minute:
                            return dt.datetime(day.year, day.month, day.day, hour, minute)
            if day == dt.date.max:
                return None
            day += _DAY
            first_minute = (0, 0)
        return None

    def _day_matches(self, day: dt.date) -> bool:
        in_month = self.days is None or day.day in self.days
        in_week = self.weekdays is None or day.isoweekday() % 7 in self.weekdays
        if self.days is not None and self.weekdays is not None:
            return in_month or in_week  # croniter: either day field
        return in_month and in_week


_MINUTE = dt.timedelta(minutes=1)
_DAY = dt.timedelta(days=1)
# a day-of-month and weekday combination recurs within 28 years (the Gregorian weekday cycle)
_SEARCH_DAYS = 28 * 366


def _first_of_next_month(day: dt.date) -> dt.date | None:
    if day.month == 12:
        return None if day.year == dt.MAXYEAR else dt.date(day.year + 1, 1, 1)
    return dt.date(day.year, day.month + 1, 1)


@lru_cache(maxsize=1024)
def naive_calendar(expression: str) -> NaiveCalendar:
    expanded = croniter(expression).expanded
    every_hour = expanded[1] == ["*"]
    if len(expanded) != 5 or not all(
        field == ["*"] or all(isinstance(v, int) for v in field) for field in expanded
    ):
        return NaiveCalendar((), (), None, frozenset(), None, every_hour, expression)

    def values(field: list, low: int, high: int) -> tuple[int, ...]:
        return tuple(range(low, high + 1)) if field == ["*"] else tuple(sorted(set(field)))

    minute, hour, day, month, weekday = expanded
    return NaiveCalendar(
        minutes=values(minute, 0, 59),
        hours=values(hour, 0, 23),
        days=None if day == ["*"] else frozenset(day),
        months=frozenset(values(month, 1, 12)),
        weekdays=None if weekday == ["*"] else frozenset(v % 7 for v in weekday),
        every_hour=every_hour,
    )


def make_aware(naive: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """Airflow's `make_aware`: the second of two equal wall times; a time in a gap moves forward."""
    first = naive.replace(tzinfo=zone, fold=0)
    second = naive.replace(tzinfo=zone, fold=1)
    if first.utcoffset() == second.utcoffset():
        return second  # the wall time exists once (most of the year in every zone)
    round_trip = second.astimezone(dt.timezone.utc).astimezone(zone).replace(tzinfo=None)
    if round_trip != naive:  # nonexistent local time (spring forward)
        gap = abs(second.utcoffset() - first.utcoffset())  # type: ignore[operator]
        return (naive + gap).replace(tzinfo=zone)
    return second
