"""The functions every generated Dagster module may need, copied into it as source.

`emit` copies the functions a module uses (by name, with libcst) into the module, so that a
generated code location depends on nothing but Dagster and the standard library. They are written
here as real code so that they are linted, formatted and unit-tested like the rest of cron2dag;
nothing in this file is imported at run time of a generated module.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

# the generated modules import Dagster; cron2dag itself does not need it
if TYPE_CHECKING:
    import dagster as dg  # noqa: TC004 (the copies run where Dagster is imported)

TICK_TAG = "cron2dag/scheduled_time"


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
