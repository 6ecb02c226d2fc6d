"""What a generated task adds for readiness and failures: its sensors and its retries.

The decisions come from the target-neutral readers (`guards`, `failures`, `timing`); this module
fixes them for one task of an Airflow DAG: task ids, Jinja templates for the sensors' paths and keys,
timeouts and poke intervals, and the retry arguments of each failure class.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from migrator.codegen.command import to_template
from migrator.codegen.dates import Expression, Literal, Segment
from migrator.codegen.environment import TaskEnvironment
from migrator.codegen.failures import FailureClass, RetryIdiom, classify
from migrator.codegen.guards import Guard, read_guards
from migrator.codegen.timing import poke_interval, sensor_timeout
from migrator.crontab.model import CronEntry
from migrator.infer.model import PipelineTask

if TYPE_CHECKING:
    from migrator.codegen.plan import CodegenOptions

# retries of a task whose command says nothing about how it fails (the habit before failure types)
DEFAULT_RETRIES = 2
# network transfers: more tries, with exponential backoff up to an hour between them
TRANSFER_RETRIES = 3
TRANSFER_MAX_DELAY = dt.timedelta(hours=1)


@dataclass(frozen=True)
class SensorPlan:
    """A sensor in front of the task whose readiness guard it replaces."""

    task_id: str
    variable: str
    guard: Guard
    downstream: str  # variable of the task it gates
    timeout: dt.timedelta
    poke_interval: dt.timedelta
    # the path (file, hdfs), full key URL (s3) or object name (gcs), as a template of the run's dates
    location: str


@dataclass(frozen=True)
class SensorsFound:
    sensors: tuple[SensorPlan, ...]
    command: str | None  # what the task runs now; None: the cron command unchanged
    notes: tuple[str, ...]


@dataclass(frozen=True)
class RetryPlan:
    failure: FailureClass
    why: str
    retries: int
    retry_delay: dt.timedelta
    exponential_backoff: bool
    max_retry_delay: dt.timedelta | None
    # exit codes that fail without the remaining retries (where the target can say so)
    permanent_exit_codes: tuple[int, ...]
    overridden: bool  # `--retries` set the count
    idiom: RetryIdiom | None = None

    def describe(self) -> str:
        """One line for the comment above the task."""
        if self.overridden:
            count = (
                f"{self.retries} retries (--retries)"
                if self.retries != 1
                else "1 retry (--retries)"
            )
            return f"{count}; failure type {self.failure}: {self.why}"
        if self.failure is FailureClass.APPEND:
            return f"no retries: {self.why}, and a retry would do it again"
        if self.failure is FailureClass.SQL and self.idiom is None:
            return f"no retries: {self.why}"
        if self.failure is FailureClass.SQL:
            return (
                f"{_count(self.retries)}, as the crontab retried it (`{_short(self.idiom.text)}`)"  # type: ignore[union-attr]
            )
        if self.failure is FailureClass.TRANSFER:
            return f"{_count(self.retries)} with exponential backoff: {self.why}"
        return f"{_count(self.retries)} (the default): {self.why}"


def plan_retries(entry: CronEntry, options: CodegenOptions) -> RetryPlan:
    """The retries of one job, by its failure class."""
    found = classify(entry.command, entry.stdin, dict(entry.environment))
    delay: dt.timedelta = options.retry_delay
    default: int = options.default_retries
    backoff = found.failure is FailureClass.TRANSFER
    if found.failure is FailureClass.APPEND:
        retries = 0
    elif found.failure is FailureClass.SQL:
        retries = found.idiom.retries if found.idiom else 0
        if found.idiom and found.idiom.delay:
            delay = found.idiom.delay
    elif found.failure is FailureClass.TRANSFER:
        retries = max(TRANSFER_RETRIES, default)
    else:
        retries = default
    overridden = options.retries is not None
    if overridden:
        retries = options.retries
    return RetryPlan(
        failure=found.failure,
        why=found.why,
        retries=retries,
        retry_delay=delay,
        exponential_backoff=backoff and retries > 0,
        max_retry_delay=TRANSFER_MAX_DELAY if backoff and retries > 0 else None,
        permanent_exit_codes=found.permanent_exit_codes if retries > 0 else (),
        overridden=overridden,
        idiom=found.idiom,
    )


def plan_sensors(
    task: PipelineTask,
    variable: str,
    timezone: str,
    environment: TaskEnvironment,
    options: CodegenOptions,
    gap: Callable[[], dt.timedelta | None],
    *,
    new_task_id: Callable[[str], str],
    new_variable: Callable[[str], str],
) -> SensorsFound:
    """The sensors that replace the readiness guards of `task`'s command."""
    if not options.sensors or options.target != "airflow":
        # the Dagster target has no sensor mapping yet: its jobs keep their guards, as cron ran them
        return SensorsFound((), None, ())
    entry = task.entry
    zone = environment.tz.lstrip(":") if environment.tz else timezone
    reading = read_guards(
        entry.command,
        env=dict(entry.environment),
        cwd=environment.home or options.cwd,
        timezone=zone,
        offset=task.offset,
    )
    notes = [
        f"`{u.check}` stays in the command, no sensor: {u.reason}" for u in reading.unconverted
    ]
    if not reading.guards:
        return SensorsFound((), None, tuple(notes))
    dated = [g for g in reading.guards if _has_dates(g)]
    if dated and not options.rewrite_dates:
        notes.append(
            f"`{dated[0].check}` stays in the command, no sensor: its path holds a date and --keep-dates is set"
        )
        return SensorsFound((), None, tuple(notes))
    sensors = []
    for guard in reading.guards:
        timeout = sensor_timeout(gap(), guard.deadline, options.sensor_timeout)
        task_id = new_task_id(f"wait_for_{task.task_id}_input")
        sensors.append(
            SensorPlan(
                task_id=task_id,
                variable=new_variable(task_id),
                guard=guard,
                downstream=variable,
                timeout=timeout,
                poke_interval=min(poke_interval(timeout, guard.poke_interval), timeout),
                location=to_template(list(_location(guard))),
            )
        )
        if not guard.exact:
            notes.append(f"`{guard.check}` stays in the command after its sensor: {guard.why_kept}")
    command = None if reading.command == entry.command else reading.command
    return SensorsFound(tuple(sensors), command, tuple(notes))


def _location(guard: Guard) -> tuple[Segment, ...]:
    signal = guard.signal
    segments = signal.location.segments
    if signal.kind == "s3":
        return (
            Literal(f"s3://{signal.bucket}/"),
            *segments,
            *((Literal("*"),) if signal.prefix else ()),
        )
    return segments


def _has_dates(guard: Guard) -> bool:
    return any(isinstance(s, Expression) for s in guard.signal.location.segments)


def _count(retries: int) -> str:
    return "1 retry" if retries == 1 else f"{retries} retries"


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
