"""Branches decided by time: LatestOnlyOperator, BranchDateTimeOperator, BranchDayOfWeekOperator.

Semantics of Airflow's standard provider: LatestOnly lets a manual run (what `cron2dag run` and
`airflow dags test` make) through and, for scheduled and backfill runs, only the run whose schedule
period contains now; the date/time and weekday branches compare the wall clock (or, with
`use_task_logical_date`, the run's logical date).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from migrator.runner.sdk.exceptions import AirflowException
from migrator.runner.sdk.operators import BaseBranchOperator


class LatestOnlyOperator(BaseBranchOperator):
    ui_color: ClassVar[str] = "#e9ffdb"

    def choose_branch(self, context: Mapping[str, Any]) -> Any:
        import pendulum

        dag_run = context["dag_run"]
        everything = list(self.get_direct_relative_ids(upstream=False))
        if dag_run.run_type == "manual":
            self.log.info("Manually triggered DAG_Run: allowing execution to proceed.")
            return everything
        window = self._window(dag_run)
        if window is None:
            self.log.info("Last scheduled execution: allowing execution to proceed.")
            return everything
        now = pendulum.now("UTC")
        left, right = window
        self.log.info("Checking latest only with left_window: %s right_window: %s now: %s", left, right, now)
        if not left < now <= right:
            self.log.info("Not latest execution, skipping downstream.")
            return []
        self.log.info("Latest, allowing execution to proceed.")
        return everything

    def _window(self, dag_run: Any) -> tuple[Any, Any] | None:
        """From the end of the previous period to the end of the next one (None: no next run)."""
        from migrator.runner.timetables import DataInterval, TimeRestriction

        date = dag_run.logical_date or dag_run.run_after
        start = dag_run.data_interval_start or date
        end = dag_run.data_interval_end or date
        timetable = self.dag.timetable
        current = DataInterval(start, end)
        previous = timetable.next_dagrun_info(
            last_automated_data_interval=current,
            restriction=TimeRestriction(earliest=None, latest=end - datetime.timedelta(microseconds=1), catchup=True))
        left = previous.data_interval.end if previous is not None else start
        following = timetable.next_dagrun_info(last_automated_data_interval=current,
                                               restriction=TimeRestriction(earliest=end, latest=None, catchup=True))
        if following is None:
            return None
        return left, following.data_interval.end


def target_times_as_dates(base_date: datetime.datetime, lower: Any, upper: Any) -> tuple[Any, Any]:
    """Times of day become datetimes on the base date; an upper bound before the lower one is the next day."""
    if isinstance(lower, datetime.datetime) and isinstance(upper, datetime.datetime):
        return lower, upper
    if isinstance(lower, datetime.time):
        lower = datetime.datetime.combine(base_date, lower)
    if isinstance(upper, datetime.time):
        upper = datetime.datetime.combine(base_date, upper)
    if lower is None or upper is None:
        return lower, upper
    if upper < lower:
        upper += datetime.timedelta(days=1)
    return lower, upper


def _moment(context: Mapping[str, Any], use_logical_date: bool) -> datetime.datetime:
    if use_logical_date:
        return context.get("logical_date") or context["dag_run"].run_after
    from migrator.runner.timezone import coerce_datetime, utcnow

    return coerce_datetime(utcnow())


class BranchDateTimeOperator(BaseBranchOperator):
    """Follows `follow_task_ids_if_true` when now (or the logical date) is within [target_lower, target_upper]."""

    def __init__(self, *, follow_task_ids_if_true: str | Iterable[str], follow_task_ids_if_false: str | Iterable[str],
                 target_lower: datetime.datetime | datetime.time | None,
                 target_upper: datetime.datetime | datetime.time | None, use_task_logical_date: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if target_lower is None and target_upper is None:
            raise AirflowException("Both target_upper and target_lower are None. At least one must be defined to be "
                                   "compared to the current datetime")
        self.target_lower = target_lower
        self.target_upper = target_upper
        self.follow_task_ids_if_true = follow_task_ids_if_true
        self.follow_task_ids_if_false = follow_task_ids_if_false
        self.use_task_logical_date = use_task_logical_date

    def choose_branch(self, context: Mapping[str, Any]) -> Any:
        from migrator.runner.timezone import coerce_datetime

        now = _moment(context, self.use_task_logical_date)
        lower, upper = target_times_as_dates(now, self.target_lower, self.target_upper)
        lower = coerce_datetime(lower, self.dag.timezone)
        upper = coerce_datetime(upper, self.dag.timezone)
        if upper is not None and upper < now:
            return self.follow_task_ids_if_false
        if lower is not None and lower > now:
            return self.follow_task_ids_if_false
        return self.follow_task_ids_if_true


class BranchDayOfWeekOperator(BaseBranchOperator):
    """Follows `follow_task_ids_if_true` when today (in the DAG's time zone) or the logical date is `week_day`."""

    def __init__(self, *, follow_task_ids_if_true: str | Iterable[str], follow_task_ids_if_false: str | Iterable[str],
                 week_day: Any, use_task_logical_date: bool = False, **kwargs: Any) -> None:
        from migrator.runner.sdk.weekday import WeekDay

        super().__init__(**kwargs)
        self.follow_task_ids_if_true = follow_task_ids_if_true
        self.follow_task_ids_if_false = follow_task_ids_if_false
        self.week_day = week_day
        self.use_task_logical_date = use_task_logical_date
        self._week_day_num = WeekDay.validate_week_day(week_day)

    def choose_branch(self, context: Mapping[str, Any]) -> Any:
        if self.use_task_logical_date:
            now = _moment(context, True)
        else:
            from migrator.runner.timezone import make_naive, utcnow

            now = make_naive(utcnow(), self.dag.timezone)
        return self.follow_task_ids_if_true if now.isoweekday() in self._week_day_num else self.follow_task_ids_if_false
