"""The `migrate` command: parse options, read and infer each crontab, call `migrate`, print the summary."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from migrator.codegen.migrate import migrate
from migrator.codegen.plan import CodegenOptions
from migrator.codegen.summary import render_summary
from migrator.codegen.writer import BLOCKED
from migrator.errors import RunFailed
from migrator.infer.commands import script_reader
from migrator.infer.model import Pipeline
from migrator.options import Duration, airflow_option, overrides_option, scripts_root_option, tz_option

if TYPE_CHECKING:
    from rich.progress import Progress

# Show a progress bar from this many DAG files on (and only on a terminal).
PROGRESS_THRESHOLD = 20


@click.command("migrate")
@click.argument("files", metavar="FILE...", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory for the DAG modules (one per DAG; created if missing).",
)
@click.option(
    "--target",
    type=click.Choice(["airflow", "dagster"]),
    default="airflow",
    show_default=True,
    help="What to generate: Airflow DAG files, or a Dagster code location (one module per "
    "pipeline and a definitions.py).",
)
@airflow_option(default="3")
@overrides_option
@tz_option("--timezone")
@click.option(
    "--force", is_flag=True, help="Replace files that were edited since cron2dag wrote them."
)
@click.option(
    "--diff",
    "show_diff",
    is_flag=True,
    help="Print what would change as a unified diff; write nothing (exit 1 if anything would).",
)
@click.option(
    "--dry-run", is_flag=True, help="Print the summary of what would be written; write nothing."
)
@click.option(
    "--retries",
    type=click.IntRange(min=0),
    default=None,
    help="Retries of every task, whatever its failure type (default: by failure type: network "
    "transfers 3 with backoff, SQL and appending jobs none, others 2; 0 turns them off).",
)
@click.option(
    "--retry-delay",
    type=Duration(),
    default="5m",
    show_default=True,
    help="Delay between retries (the first one, for backoff): seconds, or with s/m/h.",
)
@click.option(
    "--sensors/--no-sensors",
    "sensors",
    default=True,
    show_default=True,
    help="Turn readiness checks in commands (`[ -f X ] &&`, wait loops, `aws s3 ls`, `gsutil "
    "stat`, `hdfs dfs -test`) into sensors that wait for the data.",
)
@click.option(
    "--deferrable/--no-deferrable",
    "deferrable",
    default=True,
    show_default=True,
    help="Sensors that can defer wait in Airflow's triggerer; --no-deferrable: every sensor waits in "
    "reschedule mode (for a deployment without a triggerer).",
)
@click.option(
    "--sensor-timeout",
    type=Duration(),
    default=None,
    help="The longest a sensor waits (default: until shortly before the DAG's next run).",
)
@click.option(
    "--deadlines/--no-deadlines",
    "deadlines",
    default=True,
    show_default=True,
    help="Airflow 3: give each DAG a Deadline Alert to MAILTO (--no-deadlines: say the deadline in "
    "the DAG doc only).",
)
@click.option(
    "--deadline-margin",
    type=Duration(),
    default="1h",
    show_default=True,
    help="A run should be done this long after the latest time cron started one of its jobs "
    "(a Deadline Alert to MAILTO on Airflow 3, a line in the DAG doc on Airflow 2).",
)
@click.option(
    "--wait/--no-wait",
    "wait",
    default=True,
    show_default=True,
    help="A task with no upstream that cron started after the DAG's first job waits for its "
    "original time (a sensor that frees its worker slot). --no-wait starts it at once.",
)
@click.option(
    "--rewrite-dates/--keep-dates",
    "rewrite_dates",
    default=True,
    show_default=True,
    help="Turn `$(date +FMT)` and similar into templates of the run's logical date.",
)
@click.option(
    "--start-date",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default="2025-01-01",
    show_default=True,
    help="The DAGs' fixed start_date (midnight in each DAG's zone).",
)
@click.option(
    "--catchup/--no-catchup",
    default=False,
    show_default=True,
    help="Let the scheduler create the runs missed since start_date.",
)
@click.option(
    "--max-active-runs",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Runs of one DAG at a time (1: a slow run delays the next instead of overlapping).",
)
@click.option(
    "--owner",
    metavar="NAME",
    help="Owner of the generated DAGs (default: the crontab's user column, the account of a "
    "spool file, else its MAILTO address).",
)
@click.option(
    "--cwd",
    metavar="DIR",
    help="Directory the jobs run in when the crontab sets no HOME= (cron ran them in their "
    "owner's home directory; without either, Airflow uses a temporary directory).",
)
@scripts_root_option
def migrate_command(
    files: tuple[Path, ...],
    output: Path,
    target: str,
    airflow: str,
    overrides: str | None,
    tz: str,
    force: bool,
    show_diff: bool,
    dry_run: bool,
    retries: int | None,
    retry_delay: dt.timedelta,
    sensors: bool,
    deferrable: bool,
    sensor_timeout: dt.timedelta | None,
    deadlines: bool,
    deadline_margin: dt.timedelta,
    wait: bool,
    rewrite_dates: bool,
    start_date: dt.datetime,
    catchup: bool,
    max_active_runs: int,
    owner: str | None,
    cwd: str | None,
    scripts_root: Path | None,
) -> None:
    """Write one Airflow DAG module per DAG that `infer` finds in the crontab FILEs.

    With --target dagster: one Dagster module per DAG and a definitions.py over them.
    """
    if output.suffix == ".py" and not output.is_dir():
        raise click.BadParameter(
            f"'{output}' is a file name: -o names the directory the DAG modules are written to, "
            "one per DAG (e.g. -o dags)",
            param_hint="'-o' / '--output'",
        )
    options = CodegenOptions(
        target=target,
        airflow=int(airflow),
        retries=retries,
        retry_delay=retry_delay,
        wait_for_original_time=wait,
        rewrite_dates=rewrite_dates,
        start_date=start_date.date(),
        catchup=catchup,
        max_active_runs=max_active_runs,
        owner=owner,
        cwd=cwd,
        sensors=sensors,
        sensor_timeout=sensor_timeout,
        deferrable=deferrable,
        deadline_margin=deadline_margin,
        deadlines=deadlines,
    )
    write = not (show_diff or dry_run)
    with _progress() as progress:
        reading = progress.phase("Reading crontabs", len(files))
        pipelines = []
        for path in files:
            pipelines.append(_infer(path, overrides, tz, scripts_root))
            if reading:
                reading(len(pipelines), len(files))
        generating = progress.phase("Generating DAGs", sum(len(p.dags) for p in pipelines))
        result = migrate(pipelines, output, options, force=force, write=write, progress=generating)
    if show_diff:
        for file in result.changed:
            click.echo(file.diff, nl=False)
    click.echo(render_summary(result, output), err=show_diff)
    if any(f.status in BLOCKED for f in result.files) and not show_diff:
        raise RunFailed("cron2dag: some files were not written (see above)")
    if show_diff and result.changed:
        raise RunFailed("cron2dag: the DAG files differ from what migrate would write")


def _infer(
    path: Path, overrides: str | None, timezone: str, scripts_root: Path | None
) -> Pipeline:
    from migrator.crontab.parser import load_crontab
    from migrator.infer import infer_pipeline, load_overrides

    crontab = load_crontab(path)
    for warning in crontab.warnings:
        click.echo(f"{warning} (warning)", err=True)
    loaded = load_overrides(overrides) if overrides else None
    return infer_pipeline(
        crontab,
        overrides=loaded,
        default_timezone=timezone,
        scripts=script_reader(scripts_root),
    )


class _progress:
    """A rich progress bar on stderr for each phase with many items; nothing otherwise."""

    def __init__(self) -> None:
        self.bar: Progress | None = None

    def __enter__(self) -> _progress:  # noqa: PYI034 (a private class nobody subclasses)
        return self

    def phase(self, description: str, items: int) -> Callable[[int, int], None] | None:
        """A callback `(done, total)` that moves a new bar, or None below the threshold."""
        if items < PROGRESS_THRESHOLD or not sys.stderr.isatty():
            return None
        if self.bar is None:
            from rich.console import Console
            from rich.progress import Progress

            self.bar = Progress(console=Console(stderr=True), transient=True)
            self.bar.start()
        bar = self.bar
        task = bar.add_task(description, total=items)
        return lambda done, total: bar.update(task, completed=done, total=total)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()
