"""Sensors: the base class and the built-in sensors of the subset.

Built-in sensors (`runner_kind = "sensor"`) are poked by the runner itself, which owns the clock, the
file system view and the state database, so a waiting sensor costs no process: in `poke` mode it
holds one of the run's task slots (state `running`), in `reschedule` mode it frees it between pokes
(`up_for_reschedule`), deferrable ones wait as `deferred`. Sensor subclasses with their own `poke`
run in a task process like any other operator, with BaseSensorOperator.execute's loop.
"""

from __future__ import annotations

import datetime
import hashlib
import inspect
import os
import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from glob import glob
from typing import Any, ClassVar

from migrator.runner.sdk.baseoperator import BaseOperator
from migrator.runner.sdk.exceptions import (
    AirflowException,
    AirflowFailException,
    AirflowRescheduleException,
    AirflowSensorTimeout,
    AirflowSkipException,
    AirflowTaskTimeout,
)


@dataclass
class PokeReturnValue:
    is_done: bool
    xcom_value: Any = None

    def __bool__(self) -> bool:
        return self.is_done


def _seconds(value: Any, name: str) -> float:
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
        return float(value)
    raise ValueError(f"Operator arg `{name}` must be timedelta object or a non-negative number")


class BaseSensorOperator(BaseOperator):
    ui_color = "#e6f1f2"
    valid_modes: ClassVar[Iterable[str]] = ("poke", "reschedule")
    _is_sensor: ClassVar[bool] = True

    def __init__(
        self,
        *,
        poke_interval: datetime.timedelta | float = 60,
        timeout: datetime.timedelta | float | None = None,
        soft_fail: bool = False,
        mode: str = "poke",
        exponential_backoff: bool = False,
        max_wait: datetime.timedelta | float | None = None,
        silent_fail: bool = False,
        never_fail: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.poke_interval = _seconds(poke_interval, "poke_interval")
        from migrator.runner import config

        self.timeout = _seconds(config.sensor_default_timeout() if timeout is None else timeout, "timeout")
        self.soft_fail = soft_fail
        if mode not in self.valid_modes:
            raise AirflowException(f"The mode must be one of {list(self.valid_modes)},'{self.task_id}'; received '{mode}'.")
        self.mode = mode
        self.exponential_backoff = exponential_backoff
        self.max_wait = None if max_wait is None else datetime.timedelta(seconds=_seconds(max_wait, "max_wait"))
        if soft_fail and never_fail:
            raise ValueError("soft_fail and never_fail are mutually exclusive, you can not provide both.")
        self.silent_fail = silent_fail
        self.never_fail = never_fail

    @property
    def reschedule(self) -> bool:
        return self.mode == "reschedule"

    def poke(self, context: Mapping[str, Any]) -> bool | PokeReturnValue:
        raise AirflowException("Override me.")

    def next_poke_interval(self, started_at: Any, run_duration: float, poke_count: int) -> float:
        """BaseSensorOperator._get_next_poke_interval (poke mode arithmetic)."""
        if not self.exponential_backoff:
            return self.poke_interval
        min_backoff = max(int(self.poke_interval * (2 ** (poke_count - 2))), 1)
        run_hash = int(hashlib.sha1(f"{self.dag_id}#{self.task_id}#{started_at}#{poke_count}".encode()).hexdigest(), 16)
        delay = min(min_backoff + run_hash % min_backoff, datetime.timedelta.max.total_seconds() - 1)
        interval = min(self.timeout - int(run_duration), delay)
        if self.max_wait:
            interval = min(self.max_wait.total_seconds(), interval)
        return interval

    def poke_once(self, context: Mapping[str, Any]) -> bool | PokeReturnValue:
        """One poke with the base class's exception rules (soft_fail, never_fail, silent_fail)."""
        try:
            return self.poke(context)
        except (AirflowSensorTimeout, AirflowTaskTimeout, AirflowFailException) as error:
            if self.soft_fail:
                raise AirflowSkipException("Skipping due to soft_fail is set to True.") from error
            if self.never_fail:
                raise AirflowSkipException("Skipping due to never_fail is set to True.") from error
            raise
        except AirflowSkipException:
            raise
        except Exception as error:
            if self.silent_fail:
                self.log.exception("Sensor poke failed")
                return False
            if self.never_fail:
                raise AirflowSkipException("Skipping due to never_fail is set to True.") from error
            raise

    def timed_out(self, run_duration: float) -> None:
        if run_duration > self.timeout:
            message = (f"Sensor has timed out; run duration of {run_duration} seconds exceeds "
                       f"the specified timeout of {self.timeout}.")
            if self.soft_fail:
                raise AirflowSkipException(message)
            raise AirflowSensorTimeout(message)

    def execute(self, context: Mapping[str, Any]) -> Any:
        """The poke loop, for sensors that run in a task process. In poke mode it waits here; in
        reschedule mode each poke is one process and the timeout counts from the first poke."""
        if self.reschedule:
            first = getattr(context["ti"], "first_reschedule_date", None)
            start_wall = first.timestamp() if first is not None else time.time()

            def run_duration() -> float:
                return time.time() - start_wall
            started: float = start_wall
        else:
            started = time.monotonic()

            def run_duration() -> float:
                return time.monotonic() - started
        poke_count = 1
        while True:
            result = self.poke_once(context)
            if result:
                self.log.info("Success criteria met. Exiting.")
                return result.xcom_value if isinstance(result, PokeReturnValue) else None
            duration = run_duration()
            self.timed_out(duration)
            interval = self.next_poke_interval(started, duration, poke_count)
            if self.reschedule:
                raise AirflowRescheduleException(datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=interval))
            time.sleep(interval)
            poke_count += 1

    # Built-in sensors answer these for the runner (see module docstring).
    deferrable: bool = False
    # Whether the sensor's timeout also bounds its deferral (Airflow passes it to defer() for some
    # sensors only: a deferred TimeSensor or DateTimeSensor waits for its moment, however late).
    deferral_timeout: ClassVar[bool] = True

    def deferred_result(self, context: Mapping[str, Any]) -> tuple[bool, Any]:
        """In deferrable mode, whether `execute` finishes without deferring, and with what XCom."""
        return False, None


class FileSensor(BaseSensorOperator):
    template_fields: ClassVar[Sequence[str]] = ("filepath", "fs_conn_id")
    ui_color = "#91818a"
    runner_kind: ClassVar[str] = "sensor"

    def __init__(self, *, filepath: str, fs_conn_id: str = "fs_default", recursive: bool = False,
                 deferrable: bool = False, start_from_trigger: bool = False,
                 trigger_kwargs: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.filepath = filepath
        self.fs_conn_id = fs_conn_id
        self.recursive = recursive
        self.deferrable = deferrable

    @property
    def path(self) -> str:
        from migrator.runner.sdk.variables import fs_connection_path

        return os.path.join(fs_connection_path(self.fs_conn_id), self.filepath)

    def poke(self, context: Mapping[str, Any]) -> bool:
        self.log.info("Poking for file %s", self.path)
        for path in glob(self.path, recursive=self.recursive):
            if os.path.isfile(path):
                return True
            for _, _, files in os.walk(path):
                if files:
                    return True
        return False

    def deferred_result(self, context: Mapping[str, Any]) -> tuple[bool, Any]:
        return (True, None) if self.poke(context) else (False, None)


class TimeDeltaSensor(BaseSensorOperator):
    """Waits until `delta` after the run's data interval end (or run_after)."""

    template_fields: ClassVar[Sequence[str]] = ("delta",)
    runner_kind: ClassVar[str] = "sensor"

    def __init__(self, *, delta: datetime.timedelta | int, deferrable: bool = False,
                 end_from_trigger: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.delta = delta
        self.deferrable = deferrable
        self.end_from_trigger = end_from_trigger

    def _resolve_delta(self) -> datetime.timedelta:
        value = self.delta
        return value if isinstance(value, datetime.timedelta) else datetime.timedelta(minutes=int(value))

    def target(self, context: Mapping[str, Any]) -> datetime.datetime:
        base = context.get("data_interval_end")
        if not base:
            base = context["dag_run"].run_after
        return base + self._resolve_delta()

    def poke(self, context: Mapping[str, Any]) -> bool:
        from migrator.runner.timezone import utcnow

        return utcnow() > self.target(context)

    def deferred_result(self, context: Mapping[str, Any]) -> tuple[bool, Any]:
        return (True, True) if self.poke(context) else (False, None)


class TimeDeltaSensorAsync(TimeDeltaSensor):
    def __init__(self, *, end_from_trigger: bool = False, delta: Any, **kwargs: Any) -> None:
        super().__init__(delta=delta, deferrable=True, end_from_trigger=end_from_trigger, **kwargs)


class WaitSensor(BaseSensorOperator):
    """Waits `time_to_wait` after the task starts."""

    template_fields: ClassVar[Sequence[str]] = ("time_to_wait",)
    runner_kind: ClassVar[str] = "fork"

    def __init__(self, time_to_wait: datetime.timedelta | int, deferrable: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.time_to_wait = time_to_wait
        self.deferrable = deferrable

    def execute(self, context: Mapping[str, Any]) -> None:
        value = self.time_to_wait
        seconds = value.total_seconds() if isinstance(value, datetime.timedelta) else int(value) * 60
        time.sleep(seconds)


class TimeSensor(BaseSensorOperator):
    """Waits until a time of day, in the DAG's time zone, on the day the task starts (Airflow 3)."""

    runner_kind: ClassVar[str] = "sensor"
    deferral_timeout: ClassVar[bool] = False

    def __init__(self, *, target_time: datetime.time, deferrable: bool = False, start_from_trigger: bool = False,
                 end_from_trigger: bool = False, trigger_kwargs: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.target_time = target_time
        self.deferrable = deferrable
        self.end_from_trigger = end_from_trigger

    def target(self, context: Mapping[str, Any]) -> datetime.datetime:
        # Airflow fixes the day when the task process parses the DAG; here: at the first poke of an attempt.
        from migrator.runner.timezone import coerce_datetime, convert_to_utc

        if getattr(self, "_target", None) is None:
            tz = self.dag.timezone
            aware = coerce_datetime(datetime.datetime.combine(datetime.datetime.now(tz), self.target_time, tz))
            self._target = convert_to_utc(aware)
        return self._target  # type: ignore[return-value]

    def poke(self, context: Mapping[str, Any]) -> bool:
        from migrator.runner.timezone import utcnow

        return utcnow() > self.target(context)


class TimeSensorAsync(TimeSensor):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(deferrable=True, **kwargs)


class DateTimeSensor(BaseSensorOperator):
    """Waits until `target_time` (templated), idempotent across backfills."""

    template_fields: ClassVar[Sequence[str]] = ("target_time",)
    runner_kind: ClassVar[str] = "sensor"
    deferral_timeout: ClassVar[bool] = False

    def __init__(self, *, target_time: str | datetime.datetime, **kwargs: Any) -> None:
        deferrable = kwargs.pop("deferrable", False)
        super().__init__(**kwargs)
        self.target_time = target_time
        self.deferrable = deferrable

    @property
    def _moment(self) -> datetime.datetime:
        from migrator.runner.timezone import parse

        value: Any = self.target_time
        if isinstance(value, datetime.datetime):
            value = value.isoformat()
        if isinstance(value, str):
            return parse(value)
        raise TypeError(f"Expected str or datetime.datetime type for target_time. Got {type(value)}")

    def target(self, context: Mapping[str, Any]) -> datetime.datetime:
        return self._moment

    def poke(self, context: Mapping[str, Any]) -> bool:
        from migrator.runner.timezone import utcnow

        self.log.info("Checking if the time (%s) has come", self.target_time)
        return utcnow() > self._moment


class DateTimeSensorAsync(DateTimeSensor):
    def __init__(self, *, start_from_trigger: bool = False, end_from_trigger: bool = False,
                 trigger_kwargs: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(deferrable=True, **kwargs)


class ExternalTaskSensor(BaseSensorOperator):
    """Waits for a task, task group or whole DAG run of another DAG, looked up in the runner's state."""

    template_fields: ClassVar[Sequence[str]] = ("external_dag_id", "external_task_id", "external_task_ids", "external_task_group_id")
    ui_color = "#4db7db"
    runner_kind: ClassVar[str] = "sensor"

    def __init__(
        self,
        *,
        external_dag_id: str,
        external_task_id: str | None = None,
        external_task_ids: Collection[str] | None = None,
        external_task_group_id: str | None = None,
        allowed_states: Iterable[str] | None = None,
        skipped_states: Iterable[str] | None = None,
        failed_states: Iterable[str] | None = None,
        execution_delta: datetime.timedelta | None = None,
        execution_date_fn: Callable[..., Any] | None = None,
        check_existence: bool = False,
        poll_interval: float | None = None,
        deferrable: bool = False,
        **kwargs: Any,
    ) -> None:
        from migrator.runner.states import DagRunState, TaskInstanceState

        if poll_interval is not None:
            kwargs.setdefault("poke_interval", poll_interval)
        super().__init__(**kwargs)
        self.allowed_states = list(allowed_states) if allowed_states else [TaskInstanceState.SUCCESS.value]
        self.skipped_states = list(skipped_states) if skipped_states else []
        self.failed_states = list(failed_states) if failed_states else []
        total = set(self.allowed_states) | set(self.skipped_states) | set(self.failed_states)
        if len(total) != len(self.allowed_states) + len(self.skipped_states) + len(self.failed_states):
            raise AirflowException("Duplicate values provided across allowed_states, skipped_states and failed_states.")
        if not external_task_ids:
            external_task_ids = None
        if external_task_id is not None and external_task_ids is not None:
            raise ValueError("Only one of `external_task_id` or `external_task_ids` may be provided to ExternalTaskSensor")
        if external_task_id is not None:
            external_task_ids = [external_task_id]
        if external_task_group_id is not None and external_task_ids is not None:
            raise ValueError("Only one of `external_task_group_id` or `external_task_ids` may be provided to ExternalTaskSensor")
        if external_task_ids or external_task_group_id:
            valid = {s.value for s in TaskInstanceState} | {None}
        else:
            valid = {s.value for s in DagRunState}
        if not total <= valid:
            raise ValueError(f"Valid values for `allowed_states`, `skipped_states` and `failed_states` are: {sorted(v for v in valid if v)}")
        if execution_delta is not None and execution_date_fn is not None:
            raise ValueError("Only one of `execution_delta` or `execution_date_fn` may be provided to ExternalTaskSensor; not both.")
        self.external_dag_id = external_dag_id
        self.external_task_id = external_task_id
        self.external_task_ids = external_task_ids
        self.external_task_group_id = external_task_group_id
        self.execution_delta = execution_delta
        self.execution_date_fn = execution_date_fn
        self.check_existence = check_existence
        self.deferrable = deferrable

    def _dttm_filter(self, context: Mapping[str, Any]) -> list[datetime.datetime]:
        logical_date = context.get("logical_date") or context["dag_run"].run_after
        if self.execution_delta:
            return [logical_date - self.execution_delta]
        if self.execution_date_fn:
            fn = self.execution_date_fn
            parameters = inspect.signature(fn).parameters
            kwargs = {k: v for k, v in context.items() if k in parameters} if not any(
                p.kind == p.VAR_KEYWORD for p in parameters.values()) else dict(context)
            kwargs.pop("logical_date", None)
            result = fn(logical_date, **kwargs)
            return result if isinstance(result, list) else [result]
        return [logical_date]

    def poke(self, context: Mapping[str, Any]) -> bool:
        reader = context["ti"].state_reader
        dates = self._dttm_filter(context)
        if self.external_task_ids and len(self.external_task_ids) > len(set(self.external_task_ids)):
            raise ValueError("Duplicate task_ids passed in external_task_ids parameter")
        self.log.info("Poking for %s in dag %s on %s ... ",
                      self.external_task_ids or self.external_task_group_id or "the DAG run",
                      self.external_dag_id, ",".join(d.isoformat() for d in dates))

        if self.external_task_group_id:
            self._check_group_exists(reader, context)

        def count(states: list[str]) -> float:
            if self.external_task_ids:
                found = reader.count_task_instances(self.external_dag_id, list(self.external_task_ids), dates, states)
                return found / len(self.external_task_ids)
            if self.external_task_group_id:
                found = reader.count_group(self.external_dag_id, self.external_task_group_id, dates, states)
                return found
            return reader.count_dag_runs(self.external_dag_id, dates, states)

        what = (f"Some of the external tasks {self.external_task_ids}" if self.external_task_ids else
                f"The external task_group '{self.external_task_group_id}'" if self.external_task_group_id else
                f"The external DAG {self.external_dag_id}")
        if self.failed_states and count(self.failed_states) > 0:
            if self.soft_fail:
                raise AirflowSkipException(f"{what} in DAG {self.external_dag_id} failed. Skipping due to soft_fail.")
            raise AirflowException(f"{what} in DAG {self.external_dag_id} failed.")
        if self.skipped_states and count(self.skipped_states) > 0:
            raise AirflowSkipException(f"{what} in DAG {self.external_dag_id} reached a state in our states-to-skip-on list. Skipping.")
        return count(self.allowed_states) == len(dates)


    def _check_group_exists(self, reader: Any, context: Mapping[str, Any]) -> None:
        """Airflow answers a poke for a task group its latest DAG version lacks (or a DAG it does not know)
        with "not found", which fails the task at once; waiting could never succeed."""
        from migrator.runner.loader import loaded_dag

        dag = loaded_dag(self.external_dag_id)
        known = (self.external_task_group_id in dag.task_group_dict) if dag is not None else \
            reader.group_known(self.external_dag_id, self.external_task_group_id)
        if known:
            return
        why = "the runner has neither loaded nor run that DAG" if known is None else "its latest run has no such group"
        raise AirflowException(f"Task group {self.external_task_group_id!r} not found in DAG "
                               f"{self.external_dag_id!r} ({why})")


class ExternalTaskMarker(BaseOperator):
    """Marks a dependency for clearing across DAGs; a no-op when run."""

    template_fields: ClassVar[Sequence[str]] = ("external_dag_id", "external_task_id", "logical_date")
    runner_kind: ClassVar[str] = "empty"

    def __init__(self, *, external_dag_id: str, external_task_id: str, logical_date: Any = "{{ logical_date.isoformat() }}",
                 recursion_depth: int = 10, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.external_dag_id = external_dag_id
        self.external_task_id = external_task_id
        self.logical_date = logical_date
        self.recursion_depth = recursion_depth

    def execute(self, context: Mapping[str, Any]) -> None:
        return None


class BashSensor(BaseSensorOperator):
    """Pokes by running a bash script: exit 0 means done; another code pokes again (or, with
    `retry_exit_code`, only that code pokes again and any other fails the task)."""

    template_fields: ClassVar[Sequence[str]] = ("bash_command", "env")

    def __init__(self, *, bash_command: str, env: dict[str, str] | None = None, output_encoding: str = "utf-8",
                 retry_exit_code: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.bash_command = bash_command
        self.env = env
        self.output_encoding = output_encoding
        self.retry_exit_code = retry_exit_code

    def poke(self, context: Mapping[str, Any]) -> bool:
        import subprocess
        import tempfile

        with tempfile.TemporaryDirectory(prefix="airflowtmp") as folder:
            script = os.path.join(folder, self.task_id)
            with open(script, "w", encoding="utf-8") as handle:
                handle.write(self.bash_command)
            self.log.info("Running command: %s", self.bash_command)
            process = subprocess.run(["bash", script], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=folder,
                                     env=self.env, start_new_session=True, check=False)
            for line in process.stdout.decode(self.output_encoding, errors="backslashreplace").splitlines():
                self.log.info(line.strip())
            self.log.info("Command exited with return code %s", process.returncode)
        if process.returncode == 0:
            return True
        if self.retry_exit_code is not None and process.returncode != self.retry_exit_code:
            raise AirflowFailException(f"Command exited with return code {process.returncode}")
        return False


class PythonSensor(BaseSensorOperator):
    """Pokes by calling a Python function: a truthy result (or PokeReturnValue) means done."""

    template_fields: ClassVar[Sequence[str]] = ("templates_dict", "op_args", "op_kwargs")

    def __init__(self, *, python_callable: Callable[..., Any], op_args: list[Any] | None = None,
                 op_kwargs: Mapping[str, Any] | None = None, templates_dict: dict[str, Any] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.python_callable = python_callable
        self.op_args = op_args or []
        self.op_kwargs = op_kwargs or {}
        self.templates_dict = templates_dict

    def poke(self, context: Mapping[str, Any]) -> PokeReturnValue | bool:
        from migrator.runner.sdk.operators import determine_kwargs

        merged = dict(context)
        merged.update(self.op_kwargs, templates_dict=self.templates_dict)
        kwargs = determine_kwargs(self.python_callable, self.op_args, merged)
        self.log.info("Poking callable: %s", self.python_callable)
        result = self.python_callable(*self.op_args, **kwargs)
        return result if isinstance(result, PokeReturnValue) else PokeReturnValue(bool(result))


class DayOfWeekSensor(BaseSensorOperator):
    """Waits until the day of the week (of the wall clock, or of the logical date) is one of `week_day`."""

    runner_kind: ClassVar[str] = "sensor"

    def __init__(self, *, week_day: Any, use_task_logical_date: bool = False, **kwargs: Any) -> None:
        from migrator.runner.sdk.weekday import WeekDay

        super().__init__(**kwargs)
        self.week_day = week_day
        self.use_task_logical_date = use_task_logical_date
        self._week_day_num = WeekDay.validate_week_day(week_day)

    def poke(self, context: Mapping[str, Any]) -> bool:
        from migrator.runner.timezone import utcnow

        if self.use_task_logical_date:
            moment = context.get("logical_date") or context["dag_run"].run_after
        else:
            moment = utcnow()
        self.log.info("Poking until weekday is in %s, Today is %s", self.week_day, moment.isoweekday())
        return moment.isoweekday() in self._week_day_num
