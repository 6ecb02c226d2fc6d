"""Schedule semantics against an independent brute-force matcher written from crontab(5), and croniter.

The oracle below does not use the parser's values: it expands each field text itself (crontab(5): '*',
lists, ranges, steps, names, 0/7 Sunday) and applies the day rule ("if both day fields are restricted,
i.e. do not start with '*', either may match; otherwise both"). Sweeps cover a whole year of minutes.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from functools import cache
from zoneinfo import ZoneInfo

import pytest
from croniter import croniter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from migrator.crontab.parser import parse_expression
from migrator.crontab.schedule import (
    canonical,
    croniter_disagreement,
    fire_times_between,
    fires_at,
    never_fires,
    next_fire_times,
    previous_fire_time,
)

UTC = timezone.utc
YEAR_START = datetime(2028, 1, 1, tzinfo=UTC)  # a leap year, so Feb 29 is in the sweep
YEAR_END = datetime(2029, 1, 1, tzinfo=UTC)

# ---- the oracle ---------------------------------------------------------------------------------------

_BOUNDS = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 7)]
_NAMES = [
    {},
    {},
    {},
    {
        n: i + 1
        for i, n in enumerate(
            ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
        )
    },
    {n: i for i, n in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])},
]


def _number(text: str, index: int) -> int:
    return _NAMES[index][text.lower()] if text.isalpha() else int(text)


def oracle_values(text: str, index: int) -> set[int]:
    low, high = _BOUNDS[index]
    out: set[int] = set()
    for part in text.split(","):
        base, _, step = part.partition("/")
        if base == "*":
            first, last = low, high
        elif "-" in base:
            a, b = base.split("-")
            first, last = _number(a, index), _number(b, index)
            if index == 4 and last == 0 and first > last:  # cronie: 5-0 is Friday to Sunday
                last = 7
        else:
            first = last = _number(base, index)
        out.update(range(first, last + 1, int(step) if step else 1))
    if index == 4 and 7 in out:
        out.discard(7)
        out.add(0)
    return out


class Oracle:
    def __init__(self, expr: str) -> None:
        words = expr.split()
        self.sets = [oracle_values(w, i) for i, w in enumerate(words)]
        self.either = not words[2].startswith("*") and not words[4].startswith("*")

    def day_ok(self, day: date) -> bool:
        _, _, doms, months, dows = self.sets
        dom = day.day in doms
        dow = day.isoweekday() % 7 in dows
        return day.month in months and ((dom or dow) if self.either else (dom and dow))

    def matches(self, t: datetime) -> bool:
        return t.minute in self.sets[0] and t.hour in self.sets[1] and self.day_ok(t.date())

    def year_of_fires(self, start: datetime, end: datetime) -> set[datetime]:
        """Minute by minute, factored as (matching days) x (matching minutes of a day)."""
        minutes, hours = self.sets[0], self.sets[1]
        times = [
            timedelta(hours=h, minutes=m)
            for h in range(24)
            for m in range(60)
            if h in hours and m in minutes
        ]
        out = set()
        day = start
        while day < end:
            if self.day_ok(day.date()):
                out.update(day + offset for offset in times)
            day += timedelta(days=1)
        return out


EXPRESSIONS = [
    "* * * * *",
    "0 0 * * *",
    "*/7 * * * *",
    "5-50/15 9-17 * * 1-5",
    "0 */3 1,15 * *",
    "30 4 1,15 * 5",
    "0 0 */2 * 1",
    "0 0 1 * */2",
    "0 12 1-7 * mon",
    "0 12 */1 * mon",
    "15 3 * jan-mar,oct sun",
    "0 0 29 2 *",
    "0 0 29 2 1",
    "0 0 31 * *",
    "59 23 28-31 * *",
    "0 9 * * 5-0",
    "0 9 * * 0,7",
    "1-5,10-20/3,50 0,12 * * *",
    "0 0 1-31/10 */4 *",
    "*/30 */6 * * sat,sun",
    "0 0 * * */3",
    "0 22 * 12 1-5",
    "45 23 31 12 *",
    "0 0 30-31 * *",
]


@cache
def minute_by_minute_year() -> dict[str, set[datetime]]:
    """Each of the 527,040 minutes of 2028 tested against every expression of EXPRESSIONS.

    The predicate is `Oracle.matches`, with the day part evaluated once a day (it cannot change within
    one) so that the whole sweep takes about a second.
    """
    oracles = [Oracle(expr) for expr in EXPRESSIONS]
    fires: dict[str, set[datetime]] = {expr: set() for expr in EXPRESSIONS}
    live: list[tuple[set[int], set[int], set[datetime]]] = []
    t = YEAR_START
    while t < YEAR_END:
        if t.hour == 0 and t.minute == 0:
            live = [
                (oracle.sets[0], oracle.sets[1], fires[expr])
                for expr, oracle in zip(EXPRESSIONS, oracles)
                if oracle.day_ok(t.date())
            ]
        for minutes, hours, found in live:
            if t.minute in minutes and t.hour in hours:
                found.add(t)
        t += timedelta(minutes=1)
    return fires


@pytest.mark.parametrize("expr", EXPRESSIONS)
def test_a_year_of_fire_times_matches_crontab5(expr):
    schedule = parse_expression(expr)
    ours = {t.astimezone(UTC) for t in fire_times_between(schedule, YEAR_START, YEAR_END)}
    assert ours == Oracle(expr).year_of_fires(YEAR_START, YEAR_END)
    assert ours == minute_by_minute_year()[expr]


@pytest.mark.slow
def test_a_year_minute_by_minute():
    """The literal 525,600-minute sweep, for a few expressions (fast enough to run by default)."""
    exprs = ["*/7 */3 */2 * 1-5", "0 0 13 * 5", "10-20 4 * feb,aug *"]
    schedules = [(parse_expression(e), Oracle(e)) for e in exprs]
    expected: list[set[datetime]] = [set() for _ in exprs]
    t = YEAR_START
    while t < YEAR_END:
        for index, (_, oracle) in enumerate(schedules):
            if oracle.matches(t):
                expected[index].add(t)
        t += timedelta(minutes=1)
    for (schedule, _), wanted in zip(schedules, expected):
        got = {f.astimezone(UTC) for f in fire_times_between(schedule, YEAR_START, YEAR_END)}
        assert got == wanted


def test_next_previous_and_fires_at_agree_with_the_sweep():
    schedule = parse_expression("5-50/15 9-17 * * 1-5")
    sweep = sorted(Oracle("5-50/15 9-17 * * 1-5").year_of_fires(YEAR_START, YEAR_END))
    assert [t.astimezone(UTC) for t in next_fire_times(schedule, YEAR_START, 50)] == sweep[:50]
    middle = sweep[500]
    assert next_fire_times(schedule, middle, 1)[0].astimezone(UTC) == sweep[501]  # strictly after
    assert previous_fire_time(schedule, middle).astimezone(UTC) == sweep[499]  # strictly before
    assert fires_at(schedule, middle)
    assert fires_at(schedule, middle + timedelta(seconds=59))
    assert not fires_at(schedule, middle + timedelta(minutes=1))


def test_never_firing_and_reboot_schedules():
    feb30 = parse_expression("0 0 30 2 *")
    assert never_fires(feb30)
    assert next_fire_times(feb30, YEAR_START, 3) == []
    assert previous_fire_time(feb30, YEAR_START) is None
    assert not never_fires(parse_expression("0 0 29 2 *"))
    assert not never_fires(parse_expression("0 0 30 2 1"))  # OR: every Monday in February
    reboot = parse_expression("@reboot")
    assert next_fire_times(reboot, YEAR_START, 3) == [] and not fires_at(reboot, YEAR_START)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="aware"):
        next_fire_times(parse_expression("* * * * *"), datetime(2026, 1, 1), 1)


# ---- time zones and DST ----------------------------------------------------------------------------------

NY = "America/New_York"
NYZ = ZoneInfo(NY)


def _local(times: list[datetime]) -> list[str]:
    return [t.isoformat() for t in times]


def test_schedule_zone_wins_over_default_zone():
    schedule = parse_expression("0 9 * * *", timezone="Asia/Tokyo")
    fire = next_fire_times(schedule, datetime(2025, 12, 31, 12, tzinfo=UTC), 1, default_tz=NY)[0]
    assert fire.isoformat() == "2026-01-01T09:00:00+09:00"
    plain = next_fire_times(parse_expression("0 9 * * *"), datetime(2026, 1, 1, tzinfo=UTC), 1, NY)[
        0
    ]
    assert plain.isoformat() == "2026-01-01T09:00:00-05:00"


def test_spring_forward_in_crons_own_zone():
    start = datetime(2026, 3, 8, tzinfo=NYZ)
    fixed = parse_expression("30 2 * * *")
    assert _local(next_fire_times(fixed, start, 2, NY)) == [
        "2026-03-08T03:00:00-04:00",  # the skipped 02:30 runs right after the jump
        "2026-03-09T02:30:00-04:00",
    ]
    assert fires_at(fixed, datetime(2026, 3, 8, 3, 0, tzinfo=NYZ), NY)
    several = parse_expression("0,30 2 * * *")  # two missed runs collapse into one fire time
    assert _local(next_fire_times(several, start, 2, NY))[0] == "2026-03-08T03:00:00-04:00"
    wildcard = parse_expression("*/30 2 * * *")
    assert _local(next_fire_times(wildcard, start, 1, NY)) == ["2026-03-09T02:00:00-04:00"]


def test_fall_back_in_crons_own_zone():
    start = datetime(2026, 11, 1, tzinfo=NYZ)
    fixed = parse_expression("30 1 * * *")
    assert _local(next_fire_times(fixed, start, 2, NY)) == [
        "2026-11-01T01:30:00-04:00",  # only the first 01:30
        "2026-11-02T01:30:00-05:00",
    ]
    second_pass = datetime(2026, 11, 1, 6, 30, tzinfo=UTC)  # 01:30 EST
    assert not fires_at(fixed, second_pass, NY)
    wildcard = parse_expression("30 * * * *")
    assert _local(next_fire_times(wildcard, start, 3, NY)) == [
        "2026-11-01T00:30:00-04:00",
        "2026-11-01T01:30:00-04:00",
        "2026-11-01T01:30:00-05:00",  # wildcard jobs run in both passes
    ]
    assert fires_at(wildcard, second_pass, NY)


def test_cron_tz_zone_skips_the_gap_and_repeats_the_fold():
    gap = parse_expression("30 2 * * *", timezone=NY)
    assert _local(next_fire_times(gap, datetime(2026, 3, 8, tzinfo=NYZ), 1)) == [
        "2026-03-09T02:30:00-04:00"
    ]
    fold = parse_expression("30 1 * * *", timezone=NY)
    assert _local(next_fire_times(fold, datetime(2026, 11, 1, tzinfo=NYZ), 2)) == [
        "2026-11-01T01:30:00-04:00",
        "2026-11-01T01:30:00-05:00",
    ]
    assert previous_fire_time(fold, datetime(2026, 11, 1, 12, tzinfo=NYZ)).isoformat() == (
        "2026-11-01T01:30:00-05:00"
    )


def test_half_hour_dst_change():
    zone = "Australia/Lord_Howe"  # clocks go from 02:00 to 02:30 on the first Sunday of October
    start = datetime(2026, 10, 3, tzinfo=UTC)
    assert (
        next_fire_times(parse_expression("15 2 * * *"), start, 1, zone)[0].strftime("%d %H:%M")
        == "04 02:30"
    )
    own = parse_expression("15 2 * * *", timezone=zone)
    assert next_fire_times(own, start, 1)[0].strftime("%d %H:%M") == "05 02:15"


@pytest.mark.parametrize(
    "expr", ["*/20 * * * *", "30 1 * * *", "30 2 * * *", "0 * * * *", "@daily"]
)
def test_a_dst_year_against_the_oracle_away_from_the_changes(expr):
    """Outside the two change days, fire times are the wall-clock matches of the zone."""
    schedule = parse_expression(expr)
    words = "0 0 * * *" if expr == "@daily" else expr
    oracle = Oracle(words)
    start, end = datetime(2026, 1, 1, tzinfo=NYZ), datetime(2027, 1, 1, tzinfo=NYZ)
    change_days = {date(2026, 3, 8), date(2026, 11, 1)}
    got = {t for t in fire_times_between(schedule, start, end, NY) if t.date() not in change_days}
    wanted = set()
    day = date(2026, 1, 1)
    while day < date(2027, 1, 1):
        if day not in change_days and oracle.day_ok(day):
            for h in sorted(oracle.sets[1]):
                for m in sorted(oracle.sets[0]):
                    wanted.add(datetime(day.year, day.month, day.day, h, m, tzinfo=NYZ))
        day += timedelta(days=1)
    assert {t.astimezone(UTC) for t in got} == {t.astimezone(UTC) for t in wanted}


# ---- canonical form and croniter -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("0 0 * * *", "0 0 * * *"),
        ("@weekly", "0 0 * * 0"),
        ("@yearly", "0 0 1 1 *"),
        ("@hourly", "0 * * * *"),
        ("0-59/15 * * * *", "*/15 * * * *"),
        ("5-59/15 * * * *", "5-50/15 * * * *"),
        ("0 9-17 * * mon-fri", "0 9-17 * * 1-5"),
        ("0 0 * JAN,feb,Mar * ", "0 0 * 1-3 *"),
        ("0 0 * * 7", "0 0 * * 0"),
        ("0 0 * * 5-0", "0 0 * * 0,5,6"),
        ("0 0 1-31 * 1", "0 0 * * *"),  # both restricted: OR with every day
        ("0 0 1 * 0-7", "0 0 * * *"),
        ("0 0 */1 * 1", "0 0 * * 1"),  # '*'-led: AND with every day
        ("0 0 */2 * *", "0 0 1-31/2 * *"),
        ("0 0 1,15 * 5", "0 0 1,15 * 5"),
        ("0 0 */2 * 1", "0 0 */2 * 1"),  # AND of two restricted fields: keep the '*' text
        ("1,2,3,5 0 * * *", "1-3,5 0 * * *"),
        ("@reboot", "@reboot"),
    ],
)
def test_canonical(expr, expected):
    assert canonical(parse_expression(expr)) == expected


def test_croniter_disagreement_cases():
    assert "AND" in croniter_disagreement(parse_expression("0 0 */2 * 1"))
    assert "AND" in croniter_disagreement(parse_expression("0 0 1 * */2"))
    assert "never fires" in croniter_disagreement(parse_expression("0 0 31 2 *"))
    assert "cannot schedule" in croniter_disagreement(parse_expression("@reboot"))
    for fine in ("0 0 1,15 * 5", "0 0 */2 * *", "*/5 * * * 1-5", "0 0 */1 * 1"):
        assert croniter_disagreement(parse_expression(fine)) is None


def _croniter_times(expr: str, start: datetime, count: int) -> list[datetime]:
    it = croniter(expr, start.replace(tzinfo=None))
    return [it.get_next(datetime).replace(tzinfo=UTC) for _ in range(count)]


@pytest.mark.parametrize("expr", [e for e in EXPRESSIONS if e])
def test_croniter_reads_the_canonical_form_like_cron_unless_flagged(expr):
    schedule = parse_expression(expr)
    ours = [t.astimezone(UTC) for t in next_fire_times(schedule, YEAR_START, 40)]
    flag = croniter_disagreement(schedule)
    if flag is None:
        assert _croniter_times(canonical(schedule), YEAR_START, 40) == ours
    elif "AND" in flag:
        assert _croniter_times(canonical(schedule), YEAR_START, 40) != ours


# ---- property-based -------------------------------------------------------------------------------------


def _field(index: int) -> st.SearchStrategy[str]:
    low, high = _BOUNDS[index]
    if index == 4:
        high = 7
    step = st.integers(1, high - low + 1)
    names = {value: name for name, value in _NAMES[index].items()}
    number = st.integers(low, high)

    def spellings(v: int) -> st.SearchStrategy[str]:
        """A value as a number or, in the month and day-of-week fields, as its name in any case."""
        name = names.get(v)
        return st.sampled_from(
            [str(v), name, name.upper(), name.capitalize()] if name else [str(v)]
        )

    value = number.flatmap(spellings)

    def rng(pair: tuple[int, int]) -> st.SearchStrategy[str]:
        a, b = sorted(pair)
        return st.tuples(
            st.sampled_from([str(a)] + ([names[a]] if a in names else [])),
            st.sampled_from([str(b)] + ([names[b].upper()] if b in names else [])),
        ).map("-".join)

    ranges = st.tuples(number, number).flatmap(rng)
    if index == 4:
        # cronie's reversed day-of-week range ending in Sunday: 5-0 is Friday to Sunday.
        ranges = st.one_of(ranges, st.integers(1, 6).map(lambda a: f"{a}-0"))
    item = st.one_of(
        st.just("*"),
        step.map(lambda s: f"*/{s}"),
        value,
        ranges,
        st.tuples(ranges, step).map(lambda p: f"{p[0]}/{p[1]}"),
    )
    return st.lists(item, min_size=1, max_size=3).map(",".join)


expressions = st.tuples(*[_field(i) for i in range(5)]).map(" ".join)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expr=expressions, offset=st.integers(0, 365 * 24 * 60))
def test_generated_expressions_match_the_oracle_and_croniter(expr, offset):
    schedule = parse_expression(expr)
    start = YEAR_START + timedelta(minutes=offset)
    end = start + timedelta(days=40)
    ours = {t.astimezone(UTC) for t in fire_times_between(schedule, start, end)}
    midnight = start.replace(hour=0, minute=0)
    wanted = {t for t in Oracle(expr).year_of_fires(midnight, end) if start <= t < end}
    assert ours == wanted
    if not never_fires(schedule) and croniter_disagreement(schedule) is None:
        nxt = [t.astimezone(UTC) for t in next_fire_times(schedule, start, 5)]
        assert _croniter_times(canonical(schedule), start, 5) == nxt
    again = parse_expression(canonical(schedule))
    assert next_fire_times(again, start, 10) == next_fire_times(schedule, start, 10)


def test_oracle_sanity():
    assert oracle_values("*/15", 0) == {0, 15, 30, 45}
    assert Oracle("0 0 1 * 1").either and not Oracle("0 0 */2 * 1").either
    assert re.fullmatch(r"\d+", "12")
