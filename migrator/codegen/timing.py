"""Clock times a migrated DAG keeps: how long a sensor may wait, and by when a run should be done.

A sensor that replaces a cron guard waits at most until shortly before the DAG's next run: past
that point the next run's sensor waits for the next signal, and two runs waiting for data at once
only pile up. The margin is a tenth of the gap between runs, at most five minutes.

cron's clock times were promises ("the report at 07:00 assumes the load is done"). In the DAG a task
starts when its upstream succeeds instead, so the promise becomes a deadline: the latest time the
DAG's jobs used to start, plus a margin (`--deadline-margin`, one hour by default), counted from the
run's logical date (the instant cron started the DAG's first job). A DAG of another calendar that
waits for this one keeps its own cron time: its deadline comes from its own jobs the same way.

Pure and target-neutral.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from itertools import pairwise
from zoneinfo import ZoneInfo

from croniter import croniter

from migrator.codegen.timetable import TimetablePlan, airflow_fire_times, make_aware

DEFAULT_DEADLINE_MARGIN = dt.timedelta(hours=1)
_SENSOR_MARGIN_MAX = dt.timedelta(minutes=5)
# how many runs to look at for the shortest gap between two runs
_RUNS_SAMPLED = 24
_POKE_MIN = dt.timedelta(seconds=30)
_POKE_MAX = dt.timedelta(minutes=5)


def shortest_gap(table: TimetablePlan, start: dt.datetime) -> dt.timedelta | None:
    """The shortest time between two consecutive runs of the DAG's timetable, from `start` on.

    Looks at the first `_RUNS_SAMPLED` runs (croniter costs a third of a millisecond a run, and a
    crontab may hold thousands of guarded jobs); where the zone changes its clock within two years,
    a gap of hours or more is taken as that much shorter, the shortest it becomes on that night.
    """
    return _shortest_gap(table.expression, table.timezone, start.astimezone(dt.timezone.utc))


@functools.lru_cache(maxsize=4096)
def _shortest_gap(expression: str, timezone: str, start: dt.datetime) -> dt.timedelta | None:
    zone = ZoneInfo(timezone)
    walk = croniter(expression, start.astimezone(zone).replace(tzinfo=None))
    times = [
        make_aware(walk.get_next(dt.datetime), zone).astimezone(dt.timezone.utc)
        for _ in range(_RUNS_SAMPLED)
    ]
    gaps = [b - a for a, b in pairwise(times) if b > a]
    if not gaps:
        return None
    shortest = min(gaps)
    shift = _clock_change(zone, start)
    if shift and shortest >= 2 * shift:
        shortest -= shift
    return shortest


def _clock_change(zone: ZoneInfo, start: dt.datetime) -> dt.timedelta:
    """The largest change of the zone's UTC offset over two years from `start` (0 without DST)."""
    offsets = {
        (start + dt.timedelta(days=day)).astimezone(zone).utcoffset() for day in range(0, 731, 15)
    }
    offsets.discard(None)
    return max(offsets) - min(offsets) if offsets else dt.timedelta(0)  # type: ignore[type-var, operator]


def sensor_timeout(
    gap: dt.timedelta | None,
    deadline: dt.timedelta | None = None,
    cap: dt.timedelta | None = None,
) -> dt.timedelta:
    """How long a sensor waits: until shortly before the next run, or less (a wait loop's own
    deadline, `--sensor-timeout`)."""
    limits = []
    if gap is not None:
        limits.append(gap - min(_SENSOR_MARGIN_MAX, gap / 10))
    if deadline is not None:
        limits.append(deadline)
    if cap is not None:
        limits.append(cap)
    timeout = min(limits) if limits else dt.timedelta(days=1)
    return dt.timedelta(seconds=max(1, int(timeout.total_seconds())))


def poke_interval(timeout: dt.timedelta, loop_sleep: dt.timedelta | None) -> dt.timedelta:
    """How often a sensor looks: as often as the crontab's wait loop did, else a twentieth of its
    timeout, between 30 s and 5 min."""
    if loop_sleep is not None:
        return loop_sleep
    seconds = int((timeout / 20).total_seconds())
    return max(_POKE_MIN, min(_POKE_MAX, dt.timedelta(seconds=seconds)))


@dataclass(frozen=True)
class DeadlinePlan:
    """A DAG run should be done by `interval` after its logical date."""

    interval: dt.timedelta
    latest_task: str  # the job cron started last
    latest_offset: dt.timedelta  # when, after the logical date
    margin: dt.timedelta
    recipients: tuple[str, ...]  # the crontab's MAILTO: who gets the alert (none: no alert)
    example_run: dt.datetime  # the first run's logical date, to show the deadline as a clock time
    timezone: str

    @property
    def example_deadline(self) -> dt.datetime:
        return (self.example_run + self.interval).astimezone(ZoneInfo(self.timezone))

    def describe(self) -> str:
        """The deadline in words, for the DAG's documentation."""
        run = self.example_run.astimezone(ZoneInfo(self.timezone))
        started = run + self.latest_offset
        due = self.example_deadline
        return (
            f"a run should be done {clock(self.interval)} after its logical date (the "
            f"{run:%Y-%m-%d %H:%M} run by {due:%Y-%m-%d %H:%M} {self.timezone}): cron started "
            f"`{self.latest_task}`, the last of its jobs, at {started:%H:%M}; the margin is "
            f"{clock(self.margin)}"
        )


def plan_deadline(
    table: TimetablePlan,
    offsets: dict[str, dt.timedelta],
    margin: dt.timedelta,
    recipients: tuple[str, ...],
    start: dt.datetime,
) -> DeadlinePlan | None:
    """The deadline of a DAG whose jobs cron started `offsets` after its first job."""
    if not offsets:
        return None
    latest_task = max(offsets, key=lambda task_id: (offsets[task_id], task_id))
    latest = offsets[latest_task]
    # the first run at or after `start`
    first_run = next(
        airflow_fire_times(table.expression, table.timezone, start - dt.timedelta(seconds=1)), None
    )
    if first_run is None:
        return None
    return DeadlinePlan(
        interval=latest + margin,
        latest_task=latest_task,
        latest_offset=latest,
        margin=margin,
        recipients=recipients,
        example_run=first_run,
        timezone=table.timezone,
    )


def clock(delta: dt.timedelta) -> str:
    """`H:MM`, with days in front when there are any."""
    seconds = int(delta.total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    text = f"{hours}:{minutes:02d}"
    return f"{days}d {text}" if days else text
