"""What `cron2dag explain` says about a schedule: plain English, next fire times, zone, warnings."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from migrator.crontab.fields import FIELD_LABELS, read_number
from migrator.crontab.model import FIELD_BOUNDS, CronEntry, CronField, FieldKind, Schedule
from migrator.crontab.schedule import (
    canonical,
    croniter_disagreement,
    never_fires,
    next_fire_times,
)

_WEEKDAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


# ---- plain English ---------------------------------------------------------------------------------------


def describe(schedule: Schedule) -> str:
    """Plain English for a schedule as cron reads it, e.g. "At 01:00 every day"."""
    if schedule.fields is None:
        return "At system startup (@reboot)"
    minute, hour, dom, month, dow = schedule.fields
    text = f"{_describe_time(minute, hour)} {_describe_days(dom, dow)}{_describe_months(month)}"
    if never_fires(schedule):
        text += " (a date that never occurs: it never fires)"
    return text


def _full(field: CronField) -> bool:
    low, high = FIELD_BOUNDS[field.kind]
    if field.kind is FieldKind.DAY_OF_WEEK:
        high = 6
    return field.values == frozenset(range(low, high + 1))


def _step(values: list[int], low: int, high: int) -> int | None:
    """n when the values are exactly low, low+n, ... up to high (what `*/n` gives)."""
    if len(values) < 2 or values[0] != low:
        return None
    step = values[1] - values[0]
    if all(b - a == step for a, b in itertools.pairwise(values)) and values[-1] + step > high:
        return step
    return None


def _join(items: list[str], word: str = "and") -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {word} " + items[-1]


def _runs(values: list[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for value in values:
        if runs and value == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], value)
        else:
            runs.append((value, value))
    return runs


def _describe_time(minute: CronField, hour: CronField) -> str:
    minutes, hours = sorted(minute.values), sorted(hour.values)
    if _full(minute) and _full(hour):
        return "Every minute"
    if len(minutes) * len(hours) <= 6 and not _full(minute):
        return "At " + _join([f"{h:02d}:{m:02d}" for h in hours for m in minutes])
    every = _step(minutes, 0, 59)
    if _full(minute):
        minute_text = "Every minute"
    elif every:
        minute_text = f"Every {every} minutes"
    else:
        minute_text = "At minute " + _join([str(m) for m in minutes]) + " past the hour"
    if _full(hour):
        return (
            minute_text if every or _full(minute) else minute_text.replace("the hour", "every hour")
        )
    hour_step = _step(hours, 0, 23)
    if hour_step:
        return f"{minute_text}, every {hour_step} hours"
    spans = [
        f"{a:02d}:00 and {b:02d}:59" if a != b else f"{a:02d}:00 and {a:02d}:59"
        for a, b in _runs(hours)
    ]
    return f"{minute_text}, between " + _join(spans, "and between")


def _day_list(field: CronField) -> str:
    values = sorted(field.values)
    if field.kind is FieldKind.DAY_OF_WEEK:
        # Sunday last reads better in ranges such as Friday through Sunday.
        if 0 in values and 6 in values and 1 not in values:
            values = [v for v in values if v != 0] + [7]
        parts = []
        for a, b in _runs(values):
            names = (_WEEKDAYS[a % 7], _WEEKDAYS[b % 7])
            if b - a >= 2:
                parts.append(f"{names[0]} through {names[1]}")
            else:
                parts.extend(_WEEKDAYS[v % 7] for v in range(a, b + 1))
        return _join(parts, "or")
    step = _step(values, 1, 31)
    if step:
        return f"every {_ordinal(step)} day of the month from the 1st"
    parts = []
    for a, b in _runs(values):
        if b - a >= 2:
            parts.append(f"{_ordinal(a)} to {_ordinal(b)}")
        else:
            parts.extend(_ordinal(v) for v in range(a, b + 1))
    return "the " + _join(parts, "or") + " of the month"


def _ordinal(day: int) -> str:
    suffix = "th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def _describe_days(dom: CronField, dow: CronField) -> str:
    dom_all, dow_all = _full(dom), _full(dow)
    anded = dom.starts_with_star or dow.starts_with_star
    if (anded and dom_all and dow_all) or (not anded and (dom_all or dow_all)):
        return "every day"
    if anded and dom_all:
        return f"on {_day_list(dow)}"
    if anded and dow_all:
        return f"on {_day_list(dom)}"
    if anded:
        return f"on {_day_list(dom)}, but only if it is a {_day_list(dow)}"
    return f"on {_day_list(dom)}, and on every {_day_list(dow)}"


def _describe_months(month: CronField) -> str:
    if _full(month):
        return ""
    parts = []
    for a, b in _runs(sorted(month.values)):
        if b - a >= 2:
            parts.append(f"{_MONTHS[a - 1]} through {_MONTHS[b - 1]}")
        else:
            parts.extend(_MONTHS[v - 1] for v in range(a, b + 1))
    return " in " + _join(parts)


# ---- explain records -----------------------------------------------------------------------------------


def explain_schedule(
    schedule: Schedule,
    *,
    start: datetime,
    count: int,
    default_tz: str,
    entry: CronEntry | None = None,
) -> dict[str, Any]:
    """One `explain --format json` record (docs/contracts.md, "explain")."""
    zone = schedule.timezone or default_tz
    fires = next_fire_times(schedule, start, count, default_tz)
    warnings: list[str] = []
    disagreement = croniter_disagreement(schedule)
    if disagreement:
        warnings.append(disagreement)
    warnings.extend(_random_warnings(schedule))
    if entry is not None:
        delay = entry.env.get("RANDOM_DELAY", "")
        if read_number(delay, 24 * 60):
            warnings.append(
                f"cronie starts this job up to {delay} minutes late (RANDOM_DELAY={delay}); "
                "the times above are without that delay"
            )
    cut_short = 0 < len(fires) < count or (count and not fires and not never_fires(schedule))
    if cut_short and schedule.fields is not None:
        warnings.append(
            f"only {len(fires)} of the {count} fire times asked for fall before the end of "
            "year 9999, where the calendar ends"
        )
    warnings.extend(_dst_warnings(schedule, start, default_tz))
    return {
        "expression": schedule.text,
        "canonical": canonical(schedule),
        "description": describe(schedule),
        "timezone": zone,
        "next": [fire.isoformat() for fire in fires],
        "warnings": warnings,
    }


def _random_warnings(schedule: Schedule) -> list[str]:
    out = []
    for field in schedule.fields or ():
        if field.random_ranges:
            ranges = ", ".join(f"{a}-{b}" for a, b in field.random_ranges)
            picked = ", ".join(str(v) for v in sorted(field.values))
            out.append(
                f"cronie picks the {FIELD_LABELS[field.kind]} at random from {ranges} each time it "
                f"loads the crontab; cron2dag uses {picked}"
            )
    return out


def _dst_warnings(schedule: Schedule, start: datetime, default_tz: str) -> list[str]:
    """Say what cron does on the clock changes of the coming year that touch this schedule."""
    if schedule.fields is None or never_fires(schedule):
        return []
    zone_name = schedule.timezone or default_tz
    zone = ZoneInfo(zone_name)
    own = schedule.timezone is not None
    minute, hour, dom, month, dow = schedule.fields
    out: list[str] = []
    seen: set[str] = set()
    try:
        day = start.astimezone(zone).date()
    except OverflowError:
        return []  # the coming year lies past the calendar's last day in this zone
    for _ in range(366):
        if day == date.max:
            break  # the calendar Python computes with ends with year 9999
        noon = datetime(day.year, day.month, day.day, 12, tzinfo=zone)
        tomorrow = day + timedelta(days=1)
        later = datetime(tomorrow.year, tomorrow.month, tomorrow.day, tzinfo=zone)
        midnight = datetime(day.year, day.month, day.day, tzinfo=zone)
        if midnight.utcoffset() != later.utcoffset() or noon.utcoffset() != midnight.utcoffset():
            for message in _dst_day(schedule, day, zone, zone_name, own):
                kind = message.split(":", 1)[0]
                if kind not in seen:
                    seen.add(kind)
                    out.append(message.split(":", 1)[1].strip())
        day = tomorrow
    del minute, hour, dom, month, dow
    return out


def _dst_day(schedule: Schedule, day: date, zone: ZoneInfo, zone_name: str, own: bool) -> list[str]:
    from migrator.crontab.schedule import _plan  # the matching plan is private to schedule.py

    plan = _plan(schedule)
    if not plan.day_matches(day):
        return []
    messages = []
    for h in plan.hours:
        for m in plan.minutes:
            wall = datetime(day.year, day.month, day.day, h, m, tzinfo=zone)
            before, after = wall.replace(fold=0).utcoffset(), wall.replace(fold=1).utcoffset()
            if before == after or before is None or after is None:
                continue
            when = f"{day.isoformat()} {h:02d}:{m:02d}"
            if before < after:
                if own:
                    what = "cronie skips that run (the job has its own CRON_TZ zone)"
                elif plan.wildcard:
                    what = "cron skips that run (a wildcard job)"
                else:
                    what = "cron runs the job right after the clock jumps forward instead"
                messages.append(f"gap: {when} does not exist in {zone_name}; {what}")
            else:
                if own or plan.wildcard:
                    what = "cron runs the job both times"
                else:
                    what = "cron runs the job only the first time (a fixed-time job)"
                messages.append(f"fold: {when} happens twice in {zone_name}; {what}")
    return messages


def explain_entries(
    entries: tuple[CronEntry, ...], *, start: datetime, count: int, default_tz: str
) -> list[dict[str, Any]]:
    return [
        {"line": entry.line}
        | explain_schedule(
            entry.schedule, start=start, count=count, default_tz=default_tz, entry=entry
        )
        for entry in entries
    ]
