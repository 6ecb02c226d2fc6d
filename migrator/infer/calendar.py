"""Which jobs share a calendar, and how far apart they fire within one cycle.

Two jobs share a calendar when one's fire times are the other's shifted by a constant: `0 0 * * *`
and `0 1 * * *`; `30 23 * * 1-5` and `15 0 * * 2-6` (the midnight crossing shifts the weekdays);
`5 * * * *` and `20 * * * *`. Fire times are compared as instants: each entry's clock is read in its
own zone (CRON_TZ/TZ) and converted to UTC, in winter and in summer, so `0 2 * * *` in Berlin fires
before `30 1 * * *` in UTC all year round.

A cron fire set is a product of days and times of day. When the days repeat daily or weekly the set
is periodic; it is reduced to its smallest period `p` and a residue set `R` (UTC minutes mod `p`),
and the calendar key is the shape of `R` (its gaps, from a canonical start). Equal keys mean
shift-equivalent calendars; the shift is the difference of the canonical starts (`anchor`).
Other day patterns (monthly, seasonal) are compared on their fire instants over two years.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

from migrator.crontab.model import Schedule
from migrator.crontab.schedule import never_fires
from migrator.crontab.zones import find_zone

DAY = 1440
WEEK = 7 * DAY
# Fixed reference instants keep results identical whatever day inference runs on.
_WINTER = datetime(2025, 1, 15, 12, tzinfo=timezone.utc)
_SUMMER = datetime(2025, 7, 15, 12, tzinfo=timezone.utc)
_WINDOW_START = date(2025, 1, 1)
# Four years, one leap day: month-based patterns repeat with this period, so they are compared
# like daily and weekly ones, as residues modulo the window.
_WINDOW_DAYS = 1461
# 1970-01-04 was a Sunday: week minutes count from a Sunday midnight, matching cron's 0 = Sunday.
_EPOCH_SUNDAY = date(1970, 1, 4)


@dataclass(frozen=True)
class Timing:
    """When a job fires, in the terms that matter for ordering jobs of one calendar."""

    key: tuple[object, ...]  # equal keys: the same calendar up to a shift
    period: int  # minutes after which the fire times repeat (four years for monthly patterns)
    anchor: int  # canonical start in UTC minutes (mod period), with the zone's winter offset
    anchor_summer: int
    min_gap: int  # the shortest time between two consecutive fires
    local_midnights: tuple[int, ...]  # local midnights in the same frame (winter), for cycle cuts
    cadence: str  # short words for explanations: "daily", "hourly", "weekly", "every 15 min", ...
    fires_per_week: float

    @property
    def uniform(self) -> bool:
        """Every fire is followed by the next after the same time: the cycle start is a choice."""
        return self.period > 0 and self.min_gap == self.period


class NeverFires(ValueError):
    """The schedule matches no day (e.g. February 30th)."""


def zone_offsets(zone: str) -> tuple[int, int]:
    """Minutes east of UTC in winter and summer for an IANA zone name."""
    return _zone_offsets(zone)


@lru_cache(maxsize=512)
def _zone_offsets(zone: str) -> tuple[int, int]:
    tz = find_zone(zone) or ZoneInfo("UTC")
    out = []
    for instant in (_WINTER, _SUMMER):
        delta = instant.astimezone(tz).utcoffset() or timedelta(0)
        out.append(int(delta.total_seconds() // 60))
    return (out[0], out[1])


def timing(schedule: Schedule, zone: str) -> Timing:
    """The calendar of `schedule` read in `zone`; raises NeverFires for a schedule that cannot fire."""
    if schedule.fields is None:
        raise ValueError("@reboot has no calendar")
    minute, hour, dom, month, dow = schedule.fields
    key = (
        minute.values,
        hour.values,
        dom.values,
        dom.starts_with_star,
        month.values,
        frozenset(v % 7 for v in dow.values),
        dow.starts_with_star,
        zone,
    )
    found = _TIMINGS.get(key)
    if found is None:
        # crontabs repeat a handful of schedules: decide each one once
        found = NeverFires("no day matches") if never_fires(schedule) else _timing_of(*key)
        if len(_TIMINGS) < 65536:
            _TIMINGS[key] = found
    if isinstance(found, NeverFires):
        raise NeverFires(str(found))
    return found


_TIMINGS: dict[tuple[object, ...], Timing | NeverFires] = {}


@lru_cache(maxsize=4096)
def _timing_of(
    minutes: frozenset[int],
    hours: frozenset[int],
    dom: frozenset[int],
    dom_star: bool,
    months: frozenset[int],
    dow: frozenset[int],
    dow_star: bool,
    zone: str,
) -> Timing:
    times = tuple(h * 60 + m for h in sorted(hours) for m in sorted(minutes))
    days = _day_kind(dom, dom_star, months, dow, dow_star)
    winter, summer = zone_offsets(zone)
    return _timing(times, days, winter, summer)


@lru_cache(maxsize=4096)
def _timing(times: tuple[int, ...], days: tuple[object, ...], winter: int, summer: int) -> Timing:
    if not times:
        raise NeverFires("no time of day")
    if days[0] == "daily":
        local = list(times)
        period = DAY
    elif days[0] == "weekly":
        weekdays: frozenset[int] = days[1]  # type: ignore[assignment]
        local = [d * DAY + t for d in sorted(weekdays) for t in times]
        period = WEEK
    else:
        return _irregular_timing(times, days[1], winter, summer)  # type: ignore[arg-type]
    residues_w = sorted({(m - winter) % period for m in local})
    period = _minimal_period(residues_w, period)
    residues_w = sorted({r % period for r in residues_w})
    residues_s = sorted({(m - summer) % period for m in local})
    residues_s = sorted({r % period for r in residues_s})
    gaps, start = _canonical(residues_w, period)
    _, start_s = _canonical(residues_s, period)
    midnights = tuple(
        sorted({(k * DAY - winter) % period for k in range(7 if period > DAY else 1)})
    )
    per_week = len(residues_w) * WEEK / period
    return Timing(
        key=("P", period, gaps),
        period=period,
        anchor=start,
        anchor_summer=start_s,
        min_gap=min(gaps),
        local_midnights=midnights,
        cadence=_cadence(period, len(residues_w), days),
        fires_per_week=per_week,
    )


def _minimal_period(residues: list[int], period: int) -> int:
    present = set(residues)
    for candidate in _divisors(period):
        if candidate == period:
            break
        if len(residues) % (period // candidate):
            continue
        if all((r + candidate) % period in present for r in residues):
            return candidate
    return period


@lru_cache(maxsize=8)
def _divisors(n: int) -> tuple[int, ...]:
    return tuple(d for d in range(1, n + 1) if n % d == 0)


def _canonical(residues: list[int], period: int) -> tuple[tuple[int, ...], int]:
    """The gap sequence read from a canonical start (the point after the largest gap), and that start.

    A set with minimal period `period` has no rotational symmetry, so the start is unique.
    """
    n = len(residues)
    if n == 1:
        return ((period,), residues[0])
    gaps = [(residues[(k + 1) % n] - residues[k]) % period or period for k in range(n)]
    largest = max(gaps)
    best: tuple[int, ...] | None = None
    best_start = residues[0]
    for k in range(n):
        if gaps[k - 1] != largest:
            continue
        rotated = tuple(gaps[k:] + gaps[:k])
        if best is None or rotated > best:
            best, best_start = rotated, residues[k]
    assert best is not None
    return (best, best_start)


def _cadence(period: int, count: int, days: tuple[object, ...]) -> str:
    if period < 60:
        return f"every {period} min"
    if period == 60:
        return "hourly"
    if period < DAY:
        return f"every {period // 60}h" if period % 60 == 0 else f"every {period} min"
    if period == DAY:
        return "daily"
    if period == WEEK:
        weekdays = days[1] if days[0] == "weekly" else frozenset()
        names = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        listed = ",".join(names[d] for d in sorted(weekdays))  # type: ignore[union-attr]
        return f"weekly ({listed})" if listed else "weekly"
    return f"every {period // DAY} days" if period % DAY == 0 else f"every {period} min"


# -- days ----------------------------------------------------------------------------------------


@lru_cache(maxsize=1024)
def _day_kind(
    dom: frozenset[int], dom_star: bool, months: frozenset[int], dow: frozenset[int], dow_star: bool
) -> tuple[object, ...]:
    """("daily",), ("weekly", weekdays) or ("days", day ordinals over the window)."""
    all_dom = dom >= frozenset(range(1, 32))
    all_months = months >= frozenset(range(1, 13))
    all_dow = dow >= frozenset(range(7))
    if all_months:
        either_star = dom_star or dow_star
        if all_dom and (all_dow or not either_star):
            return ("daily",)
        if all_dom:
            return ("weekly", dow)
        if all_dow and not either_star:
            return ("daily",)  # cron ORs two restricted day fields; every weekday matches
    matching = tuple(
        d
        for d in range(_WINDOW_DAYS)
        if _day_matches(_WINDOW_START + timedelta(d), dom, dom_star, months, dow, dow_star)
    )
    if not matching:
        raise NeverFires("no day matches")
    return ("days", matching)


def _day_matches(
    day: date,
    dom: frozenset[int],
    dom_star: bool,
    months: frozenset[int],
    dow: frozenset[int],
    dow_star: bool,
) -> bool:
    """cron's day rule: both day fields restricted means either may match, else both must."""
    if day.month not in months:
        return False
    dom_ok = day.day in dom
    dow_ok = (day.isoweekday() % 7) in dow
    if dom_star or dow_star:
        return dom_ok and dow_ok
    return dom_ok or dow_ok


def _irregular_timing(
    times: tuple[int, ...], days: tuple[int, ...], winter: int, summer: int
) -> Timing:
    """Month-based and seasonal patterns, as residues modulo the four-year window.

    Patterns that also restrict weekdays do not repeat exactly every four years; the fire at the
    window's edge may then differ from its shifted twin and the two are not matched (rare).
    """
    period = _WINDOW_DAYS * DAY
    base = (_WINDOW_START - _EPOCH_SUNDAY).days * DAY
    residues_w = sorted({(base + d * DAY + t - winter) % period for d in days for t in times})
    residues_s = sorted({(base + d * DAY + t - summer) % period for d in days for t in times})
    gaps, start = _canonical(residues_w, period)
    _, start_s = _canonical(residues_s, period)
    per_week = len(residues_w) * WEEK / period
    if 0.2 < per_week < 0.26:
        cadence = "monthly"
    elif per_week < 0.03:
        cadence = "yearly"
    else:
        cadence = "on some days"
    return Timing(
        key=("I", gaps),
        period=period,
        anchor=start,
        anchor_summer=start_s,
        min_gap=min(gaps),
        local_midnights=(),
        cadence=cadence,
        fires_per_week=per_week,
    )


# -- order within a cycle -----------------------------------------------------------------------


def forward(a: Timing, b: Timing) -> tuple[int, int] | None:
    """Minutes from a fire of `a` to the next fire of `b` that cron pairs with it (winter, summer).

    None when `b` does not follow `a` within one cycle: different calendars, the same instant,
    an order that flips with daylight saving time, or a gap that reaches the next fire of `a`.
    """
    if a.key != b.key:
        return None
    winter = (b.anchor - a.anchor) % a.period
    summer = (b.anchor_summer - a.anchor_summer) % a.period
    if not (0 < winter < a.min_gap and 0 < summer < a.min_gap):
        return None
    if abs(winter - summer) > 120:  # daylight saving time moved one across the other
        return None
    return (winter, summer)


def positions(members: list[Timing], directional: list[tuple[int, int]]) -> list[int]:
    """Each member's minutes after the start of the cycle the members share (winter clock).

    For a uniform calendar (daily, hourly) any fire could start the cycle; the start chosen agrees
    best with the known producer -> consumer pairs in `directional` (index pairs) that are less than
    half a cycle apart, then prefers a
    cut at a local midnight when the quiet time around it is at least half the longest quiet time,
    else the longest quiet time: 23:30, 00:15, 01:00 is one night, not 00:15 ... 23:30.
    """
    if not members:
        return []
    first = members[0]
    period = first.period
    points = sorted({m.anchor % period for m in members})
    if not first.uniform:
        # the calendar itself marks cycle starts; start after the longest quiet time
        cut = _best_cut(points, period, first.local_midnights, [], members)
        return [(m.anchor - cut) % period for m in members]
    cut = _best_cut(points, period, first.local_midnights, directional, members)
    return [(m.anchor - cut) % period for m in members]


def _best_cut(
    points: list[int],
    period: int,
    midnights: tuple[int, ...],
    directional: list[tuple[int, int]],
    members: list[Timing],
) -> int:
    n = len(points)
    if n == 1:
        return points[0]
    gaps = [((points[k] - points[k - 1]) % period or period, points[k]) for k in range(n)]
    longest = max(g for g, _ in gaps)

    # A consumer firing more than half a cycle after its producer reads the previous cycle's output
    # ("01:00 reads what 05:30 wrote yesterday"): such pairs do not vote for a cycle start.
    directional = [
        (up, down)
        for up, down in directional
        if 0 < (members[down].anchor - members[up].anchor) % period <= period // 2
    ]

    def agreement(cut: int) -> int:
        score = 0
        for up, down in directional:
            a = (members[up].anchor - cut) % period
            b = (members[down].anchor - cut) % period
            score += (a < b) - (a > b)
        return score

    def contains_midnight(gap: int, end: int) -> bool:
        return any(0 <= (end - m) % period < gap for m in midnights)

    def preference(item: tuple[int, int]) -> tuple[int, int, int]:
        gap, end = item
        natural = contains_midnight(gap, end) and 2 * gap >= longest
        return (agreement(end), int(natural), gap)

    return max(gaps, key=lambda item: (preference(item), -item[1]))[1]
