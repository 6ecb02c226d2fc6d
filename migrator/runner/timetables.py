"""Timetables: which logical dates and data intervals a DAG's runs get.

These follow `airflow/timetables/{_cron,_delta,interval,trigger,simple}.py` of Airflow 3 step by step,
because the logical date is what templates, run ids and backfills are built on: the same croniter
calls, the same DST handling (wall-clock arithmetic for schedules that fire every hour), the same
alignment rules. A run's logical date is the start of its data interval (`DagRunInfo.logical_date`).

A cron string or preset as `schedule` becomes a `CronTriggerTimetable` (Airflow 3's default,
`[scheduler] create_cron_data_intervals = False`); `AIRFLOW__SCHEDULER__CREATE_CRON_DATA_INTERVALS=true`
selects `CronDataIntervalTimetable`, Airflow 2's behaviour, as it does in Airflow.
"""

from __future__ import annotations

import datetime
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from croniter import CroniterBadCronError, CroniterBadDateError, croniter
from dateutil.relativedelta import relativedelta
from pendulum import DateTime

from migrator.runner.timezone import (
    UTC,
    coerce_datetime,
    convert_to_utc,
    make_aware,
    make_naive,
    parse_timezone,
    utcnow,
)

CRON_PRESETS: dict[str, str] = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@quarterly": "0 0 1 */3 *",
    "@yearly": "0 0 1 1 *",
}

Delta = datetime.timedelta | relativedelta


class TimetableError(ValueError):
    """A schedule that cannot be used (bad cron expression, non-positive delta, ...)."""


@dataclass(frozen=True)
class DataInterval:
    start: DateTime
    end: DateTime

    @classmethod
    def exact(cls, at: DateTime) -> DataInterval:
        return cls(at, at)


@dataclass(frozen=True)
class DagRunInfo:
    run_after: DateTime
    data_interval: DataInterval | None

    @classmethod
    def exact(cls, at: DateTime) -> DagRunInfo:
        return cls(at, DataInterval.exact(at))

    @classmethod
    def interval(cls, start: DateTime, end: DateTime) -> DagRunInfo:
        return cls(end, DataInterval(start, end))

    @property
    def logical_date(self) -> DateTime | None:
        return self.data_interval.start if self.data_interval else None


@dataclass(frozen=True)
class TimeRestriction:
    earliest: DateTime | None
    latest: DateTime | None
    catchup: bool


class Timetable:
    """Base: what the runner asks of a schedule."""

    periodic: bool = True
    can_be_scheduled: bool = True
    description: str = ""

    @property
    def summary(self) -> str:
        return type(self).__name__

    def validate(self) -> None:
        """Raise TimetableError for an unusable schedule."""

    def infer_manual_data_interval(self, *, run_after: DateTime) -> DataInterval:
        return DataInterval.exact(run_after)

    def next_dagrun_info(
        self, *, last_automated_data_interval: DataInterval | None, restriction: TimeRestriction
    ) -> DagRunInfo | None:
        return None

    def iter_dagrun_infos_between(self, earliest: datetime.datetime, latest: datetime.datetime) -> Iterator[DagRunInfo]:
        """Every run whose logical date lies in [earliest, latest], oldest first (catchup semantics)."""
        restriction = TimeRestriction(coerce_datetime(earliest), coerce_datetime(latest), catchup=True)
        info: DagRunInfo | None = None
        while True:
            info = self.next_dagrun_info(
                last_automated_data_interval=info.data_interval if info else None, restriction=restriction
            )
            if info is None:
                return
            yield info


class NullTimetable(Timetable):
    """`schedule=None`: runs only when triggered."""

    periodic = False
    can_be_scheduled = False
    description = "Never, external triggers only"

    @property
    def summary(self) -> str:
        return "None"


class OnceTimetable(Timetable):
    periodic = False
    description = "Once, as soon as possible"

    @property
    def summary(self) -> str:
        return "@once"

    def next_dagrun_info(
        self, *, last_automated_data_interval: DataInterval | None, restriction: TimeRestriction
    ) -> DagRunInfo | None:
        if last_automated_data_interval is not None:
            return None
        run_after = restriction.earliest or utcnow()
        if restriction.latest is not None and run_after > restriction.latest:
            return None
        return DagRunInfo.exact(run_after)


class AssetTriggeredTimetable(Timetable):
    """`schedule=[Asset(...)]`: runs when upstream assets are updated (recorded, triggered manually here)."""

    periodic = False
    can_be_scheduled = False
    description = "Triggered by assets"

    def __init__(self, condition: Any) -> None:
        self.asset_condition = condition

    @property
    def summary(self) -> str:
        return "Asset"


class AssetOrTimeSchedule(Timetable):
    """`AssetOrTimeSchedule(timetable=..., assets=...)`: runs on the time schedule, and when the assets are
    updated. Runs here are made by `run` and `backfill`, so the time schedule is what counts."""

    def __init__(self, *, timetable: Timetable, assets: Any) -> None:
        from migrator.runner.sdk.assets import AssetAll, BaseAsset

        self.timetable = timetable
        self.asset_condition = assets if isinstance(assets, BaseAsset) else AssetAll(*assets)
        self.periodic = timetable.periodic
        self.can_be_scheduled = timetable.can_be_scheduled
        self.description = timetable.description

    @property
    def summary(self) -> str:
        return f"Asset or {self.timetable.summary}"

    def validate(self) -> None:
        self.timetable.validate()

    def infer_manual_data_interval(self, *, run_after: DateTime) -> DataInterval:
        return self.timetable.infer_manual_data_interval(run_after=run_after)

    def next_dagrun_info(
        self, *, last_automated_data_interval: DataInterval | None, restriction: TimeRestriction
    ) -> DagRunInfo | None:
        return self.timetable.next_dagrun_info(last_automated_data_interval=last_automated_data_interval,
                                               restriction=restriction)


class _CronMixin:
    def __init__(self, cron: str, timezone: str | datetime.tzinfo) -> None:
        self._expression = CRON_PRESETS.get(cron, cron)
        self._timezone = parse_timezone(timezone)
        self.validate()
        self.description = self._expression

    @property
    def summary(self) -> str:
        return self._expression

    def validate(self) -> None:
        try:
            croniter(self._expression)
        except (CroniterBadCronError, CroniterBadDateError, ValueError, KeyError) as error:
            raise TimetableError(f"invalid cron expression {self._expression!r}: {error}") from None

    def _covers_every_hour(self, cron: croniter) -> bool:
        # croniter normalises an unrestricted hour field to "*" (Airflow's "fold hour" workaround).
        return cron.expanded[1] == ["*"]

    def _get_next(self, current: DateTime) -> DateTime:
        naive = make_naive(current, self._timezone)
        cron = croniter(self._expression, start_time=naive)
        scheduled = cron.get_next(datetime.datetime)
        if not self._covers_every_hour(cron):
            return convert_to_utc(make_aware(scheduled, self._timezone))  # type: ignore[return-value]
        delta = scheduled - naive
        return convert_to_utc(current.in_timezone(self._timezone) + delta)  # type: ignore[return-value]

    def _get_prev(self, current: DateTime) -> DateTime:
        naive = make_naive(current, self._timezone)
        cron = croniter(self._expression, start_time=naive)
        scheduled = cron.get_prev(datetime.datetime)
        if not self._covers_every_hour(cron):
            return convert_to_utc(make_aware(scheduled, self._timezone))  # type: ignore[return-value]
        delta = naive - scheduled
        return convert_to_utc(current.in_timezone(self._timezone) - delta)  # type: ignore[return-value]

    def _align_to_next(self, current: DateTime) -> DateTime:
        next_time = self._get_next(current)
        if self._get_prev(next_time) != current:
            return next_time
        return current

    def _align_to_prev(self, current: DateTime) -> DateTime:
        prev_time = self._get_prev(current)
        if self._get_next(prev_time) != current:
            return prev_time
        return current


class _DeltaMixin:
    def __init__(self, delta: Delta) -> None:
        self._delta = delta
        self.validate()

    @property
    def summary(self) -> str:
        return str(self._delta)

    def validate(self) -> None:
        now = datetime.datetime.now()
        if (now + self._delta) <= now:
            raise TimetableError(f"schedule interval must be positive, not {self._delta!r}")

    def _get_next(self, current: DateTime) -> DateTime:
        return convert_to_utc(current + self._delta)  # type: ignore[return-value]

    def _get_prev(self, current: DateTime) -> DateTime:
        return convert_to_utc(current - self._delta)  # type: ignore[return-value]

    def _align_to_next(self, current: DateTime) -> DateTime:
        return current

    def _align_to_prev(self, current: DateTime) -> DateTime:
        return current


class _DataIntervalTimetable(Timetable):
    _get_next: Any
    _get_prev: Any
    _align_to_next: Any
    _align_to_prev: Any

    def _skip_to_latest(self, earliest: DateTime | None) -> DateTime:
        raise NotImplementedError

    def next_dagrun_info(
        self, *, last_automated_data_interval: DataInterval | None, restriction: TimeRestriction
    ) -> DagRunInfo | None:
        earliest = restriction.earliest
        if not restriction.catchup:
            earliest = self._skip_to_latest(earliest)
        elif earliest is not None:
            earliest = self._align_to_next(earliest)
        if last_automated_data_interval is None:
            if earliest is None:
                return None
            start = earliest
        else:
            aligned_end = self._align_to_prev(last_automated_data_interval.end)
            start = max(aligned_end, earliest) if earliest is not None else aligned_end
            if start <= last_automated_data_interval.start:
                start = self._get_next(start)
                if start <= last_automated_data_interval.start:
                    raise TimetableError(f"{type(self).__name__} did not advance past {last_automated_data_interval.start}")
        if restriction.latest is not None and start > restriction.latest:
            return None
        return DagRunInfo.interval(start=start, end=self._get_next(start))


class CronDataIntervalTimetable(_CronMixin, _DataIntervalTimetable):
    """A run per cron interval; the logical date is the interval's start, the run starts at its end."""

    def _skip_to_latest(self, earliest: DateTime | None) -> DateTime:
        current_time = utcnow()
        last_start = self._get_prev(current_time)
        next_start = self._get_next(last_start)
        if next_start == current_time:
            new_start = last_start
        else:
            new_start = self._get_prev(last_start)
        if earliest is None:
            return new_start
        return max(new_start, self._align_to_next(earliest))

    def infer_manual_data_interval(self, *, run_after: DateTime) -> DataInterval:
        end = self._align_to_prev(run_after)
        return DataInterval(start=self._get_prev(end), end=end)


class DeltaDataIntervalTimetable(_DeltaMixin, _DataIntervalTimetable):
    def _skip_to_latest(self, earliest: DateTime | None) -> DateTime:
        now = utcnow()
        new_start = self._get_prev(self._round(now, earliest or now))
        return new_start if earliest is None else max(new_start, earliest)

    def _round(self, value: DateTime, anchor: DateTime) -> DateTime:
        if isinstance(self._delta, relativedelta) and (self._delta.months or self._delta.years):
            boundary = anchor
            while self._get_next(boundary) <= value:
                boundary = self._get_next(boundary)
            return boundary
        if isinstance(self._delta, datetime.timedelta):
            seconds = self._delta.total_seconds()
        else:
            d = self._delta
            seconds = d.years * 31536000 + d.months * 2592000 + d.days * 86400 + d.hours * 3600 + d.minutes * 60 + d.seconds
        stamp = value.timestamp()
        return DateTime.fromtimestamp(stamp - (stamp % seconds), tz=value.tzinfo)

    def infer_manual_data_interval(self, *, run_after: DateTime) -> DataInterval:
        return DataInterval(start=self._get_prev(run_after), end=run_after)


class _TriggerTimetable(Timetable):
    _interval: Delta = datetime.timedelta()
    _get_next: Any
    _get_prev: Any
    _align_to_next: Any
    _align_to_prev: Any

    def _calc_first_run(self) -> DateTime:
        raise NotImplementedError

    def infer_manual_data_interval(self, *, run_after: DateTime) -> DataInterval:
        return DataInterval(coerce_datetime(run_after - self._interval), run_after)  # type: ignore[arg-type]

    def next_dagrun_info(
        self, *, last_automated_data_interval: DataInterval | None, restriction: TimeRestriction
    ) -> DagRunInfo | None:
        if restriction.catchup:
            if last_automated_data_interval is not None:
                next_start = self._get_next(last_automated_data_interval.end)
            elif restriction.earliest is None:
                next_start = self._calc_first_run()
            else:
                next_start = self._align_to_next(restriction.earliest)
        else:
            candidates = [self._align_to_prev(utcnow())]
            if last_automated_data_interval is not None:
                candidates.append(self._get_next(last_automated_data_interval.end))
            elif restriction.earliest is None:
                candidates.append(self._calc_first_run())
            if restriction.earliest is not None:
                candidates.append(self._align_to_next(restriction.earliest))
            next_start = max(candidates)
        if restriction.latest is not None and restriction.latest < next_start:
            return None
        return DagRunInfo.interval(coerce_datetime(next_start - self._interval), next_start)  # type: ignore[arg-type]


class CronTriggerTimetable(_CronMixin, _TriggerTimetable):
    """A run at each cron fire time, like cron itself; the data interval ends there (`interval` long)."""

    def __init__(
        self,
        cron: str,
        *,
        timezone: str | datetime.tzinfo,
        interval: Delta = datetime.timedelta(),
        run_immediately: bool | datetime.timedelta = False,
    ) -> None:
        super().__init__(cron, timezone)
        self._interval = interval
        self._run_immediately = run_immediately

    def _calc_first_run(self) -> DateTime:
        now = utcnow()
        past_run_time = self._align_to_prev(now)
        next_run_time = self._align_to_next(now)
        if self._run_immediately is True:
            return past_run_time
        gap_between_runs = next_run_time - past_run_time
        gap_to_past = now - past_run_time
        if isinstance(self._run_immediately, datetime.timedelta):
            buffer = self._run_immediately
        else:
            buffer = max(gap_between_runs / 10, datetime.timedelta(minutes=5))
        return past_run_time if gap_to_past <= buffer else next_run_time


class DeltaTriggerTimetable(_DeltaMixin, _TriggerTimetable):
    def __init__(self, delta: Delta, *, interval: Delta = datetime.timedelta()) -> None:
        super().__init__(delta)
        self._interval = interval

    def _calc_first_run(self) -> DateTime:
        return self._align_to_prev(utcnow())


class MultipleCronTriggerTimetable(Timetable):
    """Several cron expressions; at most one run per instant."""

    def __init__(
        self,
        *crons: str,
        timezone: str | datetime.tzinfo,
        interval: Delta = datetime.timedelta(),
        run_immediately: bool | datetime.timedelta = False,
    ) -> None:
        if not crons:
            raise TimetableError("cron expression required")
        self._timetables = [
            CronTriggerTimetable(cron, timezone=timezone, interval=interval, run_immediately=run_immediately)
            for cron in crons
        ]
        self.description = ", ".join(t.description for t in self._timetables)

    @property
    def summary(self) -> str:
        return ", ".join(t.summary for t in self._timetables)

    def infer_manual_data_interval(self, *, run_after: DateTime) -> DataInterval:
        intervals = [t.infer_manual_data_interval(run_after=run_after) for t in self._timetables]
        return min(intervals, key=lambda interval: interval.start)

    def next_dagrun_info(
        self, *, last_automated_data_interval: DataInterval | None, restriction: TimeRestriction
    ) -> DagRunInfo | None:
        infos = [
            t.next_dagrun_info(last_automated_data_interval=last_automated_data_interval, restriction=restriction)
            for t in self._timetables
        ]
        if restriction.catchup:
            return min(infos, key=_sort_key_catchup)
        now = time.time()
        return min(infos, key=lambda info: _sort_key_no_catchup(info, now))


def _sort_key_catchup(info: DagRunInfo | None) -> float:
    if info is None or info.logical_date is None:
        return math.inf
    return info.logical_date.timestamp()


def _sort_key_no_catchup(info: DagRunInfo | None, now: float) -> float:
    if info is None or info.logical_date is None:
        return math.inf
    stamp = info.logical_date.timestamp()
    return -stamp if stamp <= now else stamp


def create_cron_data_intervals() -> bool:
    import os

    value = os.environ.get("AIRFLOW__SCHEDULER__CREATE_CRON_DATA_INTERVALS", "False")
    return value.strip().lower() in ("true", "1", "t", "yes", "y")


def timetable_from_schedule(schedule: Any, timezone: datetime.tzinfo) -> Timetable:
    """What `DAG(schedule=...)` builds, as `airflow.sdk.definitions.dag._create_timetable` does."""
    if isinstance(schedule, Timetable):
        return schedule
    if schedule is None:
        return NullTimetable()
    if schedule == "@once":
        return OnceTimetable()
    if schedule == "@continuous":
        raise TimetableError("schedule='@continuous' is not supported by the local runner")
    if isinstance(schedule, (datetime.timedelta, relativedelta)):
        if create_cron_data_intervals():
            return DeltaDataIntervalTimetable(schedule)
        return DeltaTriggerTimetable(schedule)
    if isinstance(schedule, str):
        if create_cron_data_intervals():
            return CronDataIntervalTimetable(schedule, timezone)
        return CronTriggerTimetable(schedule, timezone=timezone)
    raise TimetableError(f"{schedule!r} is not a valid schedule")


__all__ = [
    "UTC",
    "AssetTriggeredTimetable",
    "CronDataIntervalTimetable",
    "CronTriggerTimetable",
    "DagRunInfo",
    "DataInterval",
    "DeltaDataIntervalTimetable",
    "DeltaTriggerTimetable",
    "MultipleCronTriggerTimetable",
    "NullTimetable",
    "OnceTimetable",
    "TimeRestriction",
    "Timetable",
    "TimetableError",
    "timetable_from_schedule",
]
