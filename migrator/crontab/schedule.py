"""When a schedule fires, exactly as cron decides it; its canonical form; where croniter/Airflow differ.

Pure functions over the model's `Schedule`. Datetimes are aware; results are in the schedule's zone.

Matching (crontab(5), entry.c and cron.c of cronie and Debian's cron): minute, hour and month must match,
and the day matches by the day-of-month and day-of-week fields together: when either field's *text*
starts with '*' both must match (so `*/2` with a weekday means AND), otherwise either may (OR).

Time zones and daylight saving time. A schedule with its own zone (cronie's CRON_TZ) is matched against
the wall clock of that zone at each real minute: a time skipped by a DST change never fires, a repeated
time fires twice. A schedule without one runs in cron's own zone (`default_tz`), where cron keeps a
"virtual" wall clock and, on a clock change of more than 5 minutes and at most 3 hours, treats "fixed
time" jobs (neither minute nor hour text starts with '*') and "wildcard" jobs differently:

- clock jumps forward (DST starts): fixed-time jobs of the skipped minutes run right after the jump, at
  the first minute of the new time (several missed runs of one job collapse into that one fire time);
  wildcard jobs skip the gap;
- clock goes back (DST ends): fixed-time jobs run only in the first pass of the repeated hour; wildcard
  jobs run in both.

A change of 5 minutes or less runs every job of each skipped minute right after it; a change of more than
3 hours is taken as a clock correction (skipped minutes never run, repeated minutes run again).
"""

from __future__ import annotations

import itertools
from calendar import monthrange
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

from migrator.crontab.model import FIELD_BOUNDS, FIELD_ORDER, CronField, FieldKind, Schedule

__all__ = [
    "canonical",
    "croniter_disagreement",
    "describe",
    "fire_times_between",
    "fires_at",
    "never_fires",
    "next_fire_times",
    "previous_fire_time",
]

_MINUTE = timedelta(minutes=1)
_SMALL_JUMP = timedelta(minutes=5)
_LARGE_JUMP = timedelta(hours=3)
# The Gregorian calendar repeats every 400 years: a schedule that has not fired in that long never will.
_SEARCH_DAYS = 400 * 366


@dataclass(frozen=True)
class _Plan:
    """A schedule's fields as sorted tuples and sets, ready for matching."""

    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # cron numbering: 0 = Sunday
    days_and: bool  # True: day-of-month AND day-of-week must match; False: either
    wildcard: bool

    def day_matches(self, day: date) -> bool:
        if day.month not in self.months:
            return False
        dom = day.day in self.days
        dow = (day.weekday() + 1) % 7 in self.weekdays
        return (dom and dow) if self.days_and else (dom or dow)


@lru_cache(maxsize=1024)
def _plan(schedule: Schedule) -> _Plan:
    if schedule.fields is None:
        raise ValueError(f"{schedule.text} never fires on a clock")
    minute, hour, dom, month, dow = schedule.fields
    return _Plan(
        minutes=tuple(sorted(minute.values)),
        hours=tuple(sorted(hour.values)),
        days=dom.values,
        months=month.values,
        weekdays=dow.values,
        days_and=dom.starts_with_star or dow.starts_with_star,
        wildcard=schedule.is_wildcard,
    )


def _zone(schedule: Schedule, default_tz: str) -> tuple[ZoneInfo, bool]:
    """The zone to read the schedule in, and whether it is the schedule's own (CRON_TZ) zone."""
    if schedule.timezone:
        return ZoneInfo(schedule.timezone), True
    return ZoneInfo(default_tz), False


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime (with a time zone), got {value!r}")


# ---- one local day -----------------------------------------------------------------------------------


def _day_fires(plan: _Plan, day: date, zone: ZoneInfo, own_zone: bool) -> list[datetime]:
    """Every instant (aware, in `zone`) at which cron starts the job because of wall-clock day `day`."""
    if not plan.day_matches(day):
        return []
    y, m, d = day.year, day.month, day.day
    start = datetime(y, m, d, tzinfo=zone)
    end = datetime(y, m, d, 23, 59, tzinfo=zone)
    if (
        start.utcoffset() == start.replace(fold=1).utcoffset()
        and end.utcoffset() == end.replace(fold=1).utcoffset()
        and start.utcoffset() == end.utcoffset()
    ):
        # No clock change today (the common case): every wall time exists exactly once.
        return [datetime(y, m, d, h, mi, tzinfo=zone) for h in plan.hours for mi in plan.minutes]
    # Keyed by the UTC instant: aware datetimes of one zone compare by wall time and ignore `fold`.
    fires: dict[datetime, datetime] = {}
    for h in plan.hours:
        for mi in plan.minutes:
            for fire in _wall_fires(plan, datetime(y, m, d, h, mi, tzinfo=zone), zone, own_zone):
                fires.setdefault(fire.astimezone(timezone.utc), fire)
    return [fires[instant] for instant in sorted(fires)]


def _wall_fires(plan: _Plan, wall: datetime, zone: ZoneInfo, own_zone: bool) -> list[datetime]:
    first, second = wall.replace(fold=0), wall.replace(fold=1)
    before, after = first.utcoffset(), second.utcoffset()
    assert before is not None and after is not None
    if before == after:
        return [first]
    if before > after:
        # The wall time happens twice (clock set back by before - after).
        repeated = before - after
        if own_zone or repeated > _LARGE_JUMP or plan.wildcard:
            return [first, second]
        return [first]
    # The wall time does not exist (clock jumped forward by after - before).
    if own_zone or after - before > _LARGE_JUMP:
        return []
    if plan.wildcard and after - before > _SMALL_JUMP:
        return []
    return [_transition_after(first, zone)]


def _transition_after(wall_in_gap: datetime, zone: ZoneInfo) -> datetime:
    """The first instant of the new time after a forward jump that skipped `wall_in_gap`."""
    before = wall_in_gap.replace(fold=0).utcoffset()
    after = wall_in_gap.replace(fold=1).utcoffset()
    assert before is not None and after is not None
    naive = wall_in_gap.replace(tzinfo=None)
    low = (naive - after).replace(tzinfo=timezone.utc)  # an instant before the jump
    high = (naive - before).replace(tzinfo=timezone.utc)  # an instant after it
    while high - low > _MINUTE:
        middle = low + (high - low) // 2
        middle -= timedelta(seconds=middle.second, microseconds=middle.microsecond)
        if middle <= low:
            break
        if middle.astimezone(zone).utcoffset() == after:
            high = middle
        else:
            low = middle
    return high.astimezone(zone)


# ---- public API ----------------------------------------------------------------------------------------


def fires_at(schedule: Schedule, when: datetime, default_tz: str = "UTC") -> bool:
    """Whether cron starts the job in the minute that contains `when`."""
    _require_aware(when, "when")
    if schedule.fields is None:
        return False
    plan = _plan(schedule)
    zone, own = _zone(schedule, default_tz)
    minute = when.astimezone(timezone.utc).replace(second=0, microsecond=0)
    local_day = minute.astimezone(zone).date()
    for day in (local_day - timedelta(days=1), local_day, local_day + timedelta(days=1)):
        for fire in _day_fires(plan, day, zone, own):
            if fire.astimezone(timezone.utc) == minute:
                return True
    return False


def next_fire_times(
    schedule: Schedule, after: datetime, count: int, default_tz: str = "UTC"
) -> list[datetime]:
    """The next `count` times cron starts the job, strictly after `after` (fewer if it never fires)."""
    _require_aware(after, "after")
    if schedule.fields is None or count <= 0 or never_fires(schedule):
        return []
    plan = _plan(schedule)
    zone, own = _zone(schedule, default_tz)
    threshold = after.astimezone(timezone.utc)
    local_day = _local_date(threshold, zone)
    if local_day is None:
        return []  # later than the last day the calendar holds in this zone
    day = _day_before(local_day) or local_day
    found: list[datetime] = []
    for _ in range(_SEARCH_DAYS):
        try:
            for fire in _day_fires(plan, day, zone, own):
                if fire.astimezone(timezone.utc) > threshold:
                    found.append(fire)
                    if len(found) == count:
                        return found
        except OverflowError:
            break  # past the last instant Python's datetime can hold (end of year 9999)
        day = _next_candidate_day(plan, day)
        if day is None:
            break
    return found


def previous_fire_time(
    schedule: Schedule, before: datetime, default_tz: str = "UTC"
) -> datetime | None:
    """The last time cron started the job strictly before `before`, or None."""
    _require_aware(before, "before")
    if schedule.fields is None or never_fires(schedule):
        return None
    plan = _plan(schedule)
    zone, own = _zone(schedule, default_tz)
    threshold = before.astimezone(timezone.utc)
    day: date | None = _local_date(threshold, zone) or date.max
    day = _day_after(day) or day
    for _ in range(_SEARCH_DAYS):
        if day is None:
            return None
        earlier = [f for f in _day_fires(plan, day, zone, own) if _utc_before(f, threshold)]
        if earlier:
            return earlier[-1]
        day = _day_before(day)
    return None


def _local_date(instant: datetime, zone: ZoneInfo) -> date | None:
    """The day `instant` falls on in `zone`: the first day of the calendar when that is before it,
    None when it is after the last (`9999-12-31T23:58Z` is in year 10000 in Paris)."""
    try:
        return instant.astimezone(zone).date()
    except OverflowError:
        return None if instant.year > 5000 else date.min


def _utc_before(fire: datetime, threshold: datetime) -> bool:
    try:
        return fire.astimezone(timezone.utc) < threshold
    except OverflowError:  # past the last instant a datetime holds: after any threshold
        return False


def _day_before(day: date) -> date | None:
    return None if day == date.min else day - timedelta(days=1)


def _day_after(day: date) -> date | None:
    return None if day == date.max else day + timedelta(days=1)


def fire_times_between(
    schedule: Schedule, start: datetime, end: datetime, default_tz: str = "UTC"
) -> list[datetime]:
    """Every fire time t with start <= t < end (for sweeps and tests; mind the size of the range)."""
    _require_aware(start, "start")
    _require_aware(end, "end")
    if schedule.fields is None or never_fires(schedule):
        return []
    plan = _plan(schedule)
    zone, own = _zone(schedule, default_tz)
    low, high = start.astimezone(timezone.utc), end.astimezone(timezone.utc)
    day = low.astimezone(zone).date() - timedelta(days=1)
    last = high.astimezone(zone).date() + timedelta(days=1)
    found = []
    while day <= last:
        for fire in _day_fires(plan, day, zone, own):
            if low <= fire.astimezone(timezone.utc) < high:
                found.append(fire)
        day += timedelta(days=1)
    return found


def _next_candidate_day(plan: _Plan, day: date) -> date | None:
    """The next day whose month is allowed (skips whole months cheaply)."""
    following = _day_after(day)
    if following is None:
        return None
    day = following
    while day.month not in plan.months:
        year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
        if year > 9999:
            return None
        day = date(year, month, 1)
    return day


@lru_cache(maxsize=1024)
def never_fires(schedule: Schedule) -> bool:
    """True for a schedule cron accepts but that matches no date at all (e.g. `0 0 30 2 *`)."""
    if schedule.fields is None:
        return True
    plan = _plan(schedule)
    if not plan.minutes or not plan.hours or not plan.months:
        return True
    weekdays_possible = bool(plan.weekdays)
    for month in plan.months:
        longest = 29 if month == 2 else monthrange(2001, month)[1]
        has_day = any(1 <= d <= longest for d in plan.days)
        if plan.days_and:
            if has_day and weekdays_possible:
                return False
        elif has_day or weekdays_possible:
            return False
    return True


# ---- canonical form and croniter -------------------------------------------------------------------------


def canonical(schedule: Schedule) -> str:
    """The schedule as a plain five-field expression with cron's meaning (what codegen hands to Airflow).

    Values are numbers, lists and ranges are minimal, macros are expanded, cronie's random values are the
    picked ones, and the day fields are written so that the '*' rule gives the same days as the original
    text. `@reboot` has no fields and stays `@reboot`.
    """
    if schedule.fields is None:
        return schedule.text
    minute, hour, dom, month, dow = schedule.fields
    days = _canonical_days(dom, dow)
    return " ".join(
        (
            _render(minute, allow_star_step=True),
            _render(hour, allow_star_step=True),
            days[0],
            _render(month, allow_star_step=True),
            days[1],
        )
    )


def _canonical_days(dom: CronField, dow: CronField) -> tuple[str, str]:
    dom_all = dom.values == _full(FieldKind.DAY_OF_MONTH)
    dow_all = dow.values == _full(FieldKind.DAY_OF_WEEK)
    if dom.starts_with_star or dow.starts_with_star:
        if dom_all:
            return "*", _render(dow)
        if dow_all:
            return _render(dom), "*"
        # Both restricted and ANDed: only a '*'-prefixed text says that to cron; keep the original one.
        if dom.starts_with_star:
            return dom.text.lower(), _render(dow)
        return _render(dom), dow.text.lower()
    if dom_all or dow_all:
        return "*", "*"
    return _render(dom), _render(dow)


@lru_cache(maxsize=64)
def _full(kind: FieldKind) -> frozenset[int]:
    low, high = FIELD_BOUNDS[kind]
    if kind is FieldKind.DAY_OF_WEEK:
        high = 6
    return frozenset(range(low, high + 1))


def _render(field: CronField, allow_star_step: bool = False) -> str:
    values = sorted(field.values)
    low, high = FIELD_BOUNDS[field.kind]
    if field.kind is FieldKind.DAY_OF_WEEK:
        high = 6
    if frozenset(values) == _full(field.kind):
        return "*"
    if len(values) >= 3:
        step = values[1] - values[0]
        if step > 1 and all(b - a == step for a, b in itertools.pairwise(values)):
            if allow_star_step and values[0] == low and values[-1] + step > high:
                return f"*/{step}"
            return f"{values[0]}-{values[-1]}/{step}"
    parts: list[str] = []
    run_start = previous = values[0]
    for value in values[1:] + [None]:
        if value is not None and value == previous + 1:
            previous = value
            continue
        if previous - run_start >= 2:
            parts.append(f"{run_start}-{previous}")
        else:
            parts.extend(str(v) for v in range(run_start, previous + 1))
        if value is not None:
            run_start = previous = value
    return ",".join(parts)


def croniter_disagreement(schedule: Schedule) -> str | None:
    """A warning when croniter (and so Airflow) would not fire `canonical(schedule)` when cron does."""
    if schedule.fields is None:
        return f"{schedule.text} is not a time: croniter and Airflow cannot schedule it"
    if never_fires(schedule):
        return (
            f"'{schedule.text}' never fires: cron accepts it and never runs the job, "
            "croniter and Airflow reject it"
        )
    dom, dow = schedule.field(FieldKind.DAY_OF_MONTH), schedule.field(FieldKind.DAY_OF_WEEK)
    dom_all = dom.values == _full(FieldKind.DAY_OF_MONTH)
    dow_all = dow.values == _full(FieldKind.DAY_OF_WEEK)
    if (dom.starts_with_star or dow.starts_with_star) and not dom_all and not dow_all:
        star = dom if dom.starts_with_star else dow
        return (
            f"cron runs this only on days that match both day-of-month '{dom.text}' and day-of-week "
            f"'{dow.text}' (a day field that starts with '*', here '{star.text}', makes cron AND them); "
            "croniter and Airflow run it on days that match either"
        )
    return None


def describe(schedule: Schedule) -> str:
    """Plain English, e.g. "At 01:00 every day" (see `migrator.crontab.explain`)."""
    from migrator.crontab.explain import describe as _describe

    return _describe(schedule)


def _check_order() -> (
    None
):  # pragma: no cover - guards the field order the unpacking above relies on
    assert FIELD_ORDER == (
        FieldKind.MINUTE,
        FieldKind.HOUR,
        FieldKind.DAY_OF_MONTH,
        FieldKind.MONTH,
        FieldKind.DAY_OF_WEEK,
    )


_check_order()
