"""The functions every generated Dagster module may need, copied into it as source.

`emit` copies the functions a module uses (by name, with libcst) into the module, so that a
generated code location depends on nothing but Dagster and the standard library. They are written
here as real code so that they are linted, formatted and unit-tested like the rest of cron2dag;
nothing in this file is imported at run time of a generated module.
"""

from __future__ import annotations

import datetime as dt
import glob
import os
import time
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

# the generated modules import Dagster; cron2dag itself does not need it
if TYPE_CHECKING:
    import dagster as dg  # noqa: TC004 (the copies run where Dagster is imported)

    # what a module whose sensor follows cron's calendar defines itself (see `emit`)
    ZONE: ZoneInfo = ZoneInfo("UTC")
    CALENDAR: tuple[tuple[int, ...], ...] = ()

    def on_calendar(moment: dt.datetime) -> bool: ...


TICK_TAG = "cron2dag/scheduled_time"
NOT_READY_TAG = "cron2dag/not_ready"


def scheduled_time(
    context: dg.OpExecutionContext | dg.AssetExecutionContext,
) -> dt.datetime:
    """The instant cron would have started this run's first job.

    A partition's start for partitioned runs (so a backfill sees each date), the schedule's tick
    for scheduled runs; a run launched by hand without either sees the time it starts, as `date`
    did under cron.
    """
    if context.has_partition_key:
        return context.partition_time_window.start
    tick = context.run.tags.get(TICK_TAG)
    return dt.datetime.fromisoformat(tick) if tick else dt.datetime.now(dt.timezone.utc)


def run_cron_command(
    context: dg.OpExecutionContext | dg.AssetExecutionContext,
    pipes: dg.PipesSubprocessClient,
    command: str | list[str],
    *,
    shell: str = "/bin/sh",
    stdin: str | None = None,
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
) -> dg.PipesClientCompletedInvocation:
    """Run `command` as cron did: `SHELL -c command`, with the text after `%` on standard input.

    The command and its input travel as separate arguments of a fixed wrapper script, never pasted
    into shell code, so the shell receives exactly the bytes cron would have handed it. A list is
    the command in pieces (text, and dates computed for this run), joined without separators.
    """
    if isinstance(command, list):
        command = "".join(command)
    if stdin is None:
        wrapper = 'exec "$1" -c "$2" </dev/null'
        argv = ["/bin/sh", "-c", wrapper, "cron", shell, command]
    else:
        wrapper = 'printf %s "$3" | "$1" -c "$2"'
        argv = ["/bin/sh", "-c", wrapper, "cron", shell, command, stdin]
    context.log.info(f"{shell} -c {command!r}")
    return pipes.run(context=context, command=argv, env=dict(env or {}), cwd=cwd)


def cron_date(
    tick: dt.datetime,
    fmt: str,
    zone: str,
    *,
    after: int = 0,
    days: int = 0,
    seconds: int = 0,
) -> str:
    """What `date +fmt` printed in a job cron started `after` seconds past `tick`.

    `days` moves by calendar days in `zone` (GNU date's `-d '1 day ago'`), `seconds` by absolute
    time (`-d '2 hours ago'`).
    """
    utc, local = dt.timezone.utc, ZoneInfo(zone)
    moment = (tick.astimezone(utc) + dt.timedelta(seconds=after)).astimezone(local)
    if days:
        # same wall-clock time on another day; a time that day lacks (DST) moves forward
        moment = (moment + dt.timedelta(days=days)).astimezone(utc).astimezone(local)
    if seconds:
        moved = moment.astimezone(utc) + dt.timedelta(seconds=seconds)
        moment = moved.astimezone(local)
    return moment.strftime(fmt)


def wait_until(
    context: dg.OpExecutionContext | dg.AssetExecutionContext,
    moment: dt.datetime,
) -> None:
    """Hold the step until `moment`, when cron started it (at once when that time has passed)."""
    while (left := (moment - dt.datetime.now(dt.timezone.utc)).total_seconds()) > 0:
        context.log.info(f"cron started this job at {moment:%Y-%m-%d %H:%M %Z}: wait")
        time.sleep(min(left, 60.0))


def secret(name: str) -> str:
    """A value the crontab set for `name`, read from the environment at run time.

    cron2dag never writes secrets into generated code: set the variable where Dagster runs (a
    `.env` file beside `definitions.py` for `dagster dev`, your deployment's secrets otherwise).
    """
    value = dg.EnvVar(name).get_value()
    if value is None:
        # retrying cannot help until someone sets it
        message = f"environment variable {name} is not set (the crontab set it)"
        raise dg.Failure(message, allow_retries=False)
    return value


def has_run(
    instance: dg.DagsterInstance,
    job_name: str,
    tick: dt.datetime,
    *,
    succeeded: bool = False,
) -> bool:
    """Whether a run of `job_name` for the scheduled time `tick` exists (has succeeded)."""
    runs = instance.get_runs(
        filters=dg.RunsFilter(
            job_name=job_name,
            statuses=[dg.DagsterRunStatus.SUCCESS] if succeeded else None,
            tags={TICK_TAG: tick.astimezone(dt.timezone.utc).isoformat()},
        ),
        limit=1,
    )
    return bool(runs)


def cron_ticks(since: dt.datetime, until: dt.datetime) -> Iterator[dt.datetime]:
    """The times after `since`, up to `until`, at which cron would have started this pipeline."""
    minute, hours = dt.timedelta(minutes=1), CALENDAR[1]
    moment = since.astimezone(dt.timezone.utc).replace(second=0, microsecond=0) + minute
    while moment <= until:
        local = moment.astimezone(ZONE)
        if local.hour not in hours:
            # a yearly job's sensor looks back a year: skip whole hours, not minute by minute
            moment += (60 - local.minute) * minute
            continue
        if on_calendar(moment):
            yield local
        moment += minute


def file_ready(path: str) -> bool:
    """Whether the file a guard tested is there (a glob: any match, as Airflow's FileSensor)."""
    if os.path.exists(path):
        return True
    return any(c in path for c in "*?[") and bool(glob.glob(path))


def when_ready(
    context: dg.SensorEvaluationContext,
    inputs: Callable[[dt.datetime], list[str]],
    *,
    wait: dt.timedelta,
    soft: bool,
    partitioned: bool = False,
) -> dg.SensorResult:
    """Start a run for each of cron's ticks once the files it needs are there.

    A tick waits up to `wait` for its files (its own dates in their paths). Then, with a file still
    missing, a soft guard skips the tick, as cron's job quietly did nothing, and a hard one starts
    a run tagged `NOT_READY_TAG` whose first step fails, as cron's job failed. The cursor is the
    last tick handled; a sensor turned on looks back one `wait`, one paused for long two.
    """
    now = dt.datetime.now(dt.timezone.utc)
    handled = now - wait
    if context.cursor:
        # a tick whose wait ended while the sensor was not evaluated still gets its answer
        handled = max(dt.datetime.fromisoformat(context.cursor), now - 2 * wait)
    requests: list[dg.RunRequest] = []
    waiting = None
    for tick in cron_ticks(handled, now):
        missing = [path for path in inputs(tick) if not file_ready(path)]
        if missing and now < tick + wait:
            waiting = f"the run of {tick:%Y-%m-%d %H:%M %Z} waits for {missing[0]}"
            break
        handled = tick
        key = tick.astimezone(dt.timezone.utc).isoformat()
        tags = {TICK_TAG: key}
        if missing and soft:
            context.log.info(f"no run for {tick:%F %H:%M %Z}: {missing[0]} never came")
            continue
        if missing:
            tags[NOT_READY_TAG] = missing[0]
        partition = tick.strftime("%Y-%m-%d") if partitioned else None
        requests.append(dg.RunRequest(run_key=key, partition_key=partition, tags=tags))
    skip = None if requests else (waiting or "no tick of cron's calendar is waiting")
    cursor = handled.isoformat()
    return dg.SensorResult(run_requests=requests, skip_reason=skip, cursor=cursor)


def fail_if_not_ready(
    context: dg.OpExecutionContext | dg.AssetExecutionContext,
) -> None:
    """Fail a run that its sensor started because the input never came (cron's job failed)."""
    missing = context.run.tags.get(NOT_READY_TAG)
    if missing:
        message = f"{missing} was not there by the end of the wait; cron's check failed the job"
        raise dg.Failure(message, allow_retries=False)
