"""`cron2dag run`, `backfill`, `runs`, `logs`, `clear`: thin click commands over the runner.

Exit codes: 0 when every run succeeded, 1 when one failed or could not finish (RunFailed), 2 for bad
input (InputError/UsageError), 130 when interrupted with Ctrl-C (running tasks were terminated and
recorded; running the same command again resumes).
"""

from __future__ import annotations

import json
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from migrator.errors import RunFailed, UsageError

INTERRUPTED_EXIT = 130


def _console(err: bool = False) -> Any:
    from rich.console import Console

    return Console(stderr=err, highlight=False, soft_wrap=True)


def _home() -> Path:
    from migrator.runner.store import default_home

    return default_home()


@contextmanager
def _stop_on_signals(scheduler: Any) -> Iterator[None]:
    def handler(signum: int, frame: Any) -> None:
        scheduler.request_stop()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _execute(dag: Any, rows: list[Any], *, backfill: bool, max_active_runs: int, only_task: str | None = None,
             first_in_backfill: str | None = None) -> tuple[list[Any], bool]:
    from migrator.runner.display import RunDisplay
    from migrator.runner.scheduler import Scheduler
    from migrator.runner.store import Store

    home = _home()
    store = Store(home)
    console = _console()
    display = RunDisplay(console, total_runs=len(rows), backfill=backfill)
    scheduler = Scheduler(store, home=home.resolve(), observer=display, only_task=only_task)
    try:
        with display, _stop_on_signals(scheduler):
            done = scheduler.execute([(row, dag) for row in rows], max_active_runs=max_active_runs,
                                     first_in_backfill=first_in_backfill)
    finally:
        store.close()
    return done, scheduler.stopped


def _load(dagfile: str, dag_id: str | None) -> Any:
    from migrator.runner.loader import load_dag_file

    loaded = load_dag_file(dagfile)
    return loaded, loaded.select(dag_id)


@click.command("run")
@click.argument("dagfile", type=click.Path(dir_okay=False))
@click.option("--dag-id", help="Which DAG of the file (needed when it defines several).")
@click.option("--date", "date", help="Logical date of the run (default: now). A run for this date is resumed "
              "if unfinished, run again if finished.")
@click.option("--conf", help="JSON object: the run's conf (dag_run.conf; overrides params).")
@click.option("--task", "task_id", help="Run only this task of the run, ignoring its upstream tasks.")
def run_command(dagfile: str, dag_id: str | None, date: str | None, conf: str | None, task_id: str | None) -> None:
    """Run one DAG run locally, with Airflow's semantics (like `airflow dags test`)."""
    from migrator.runner import planning
    from migrator.runner.display import task_table
    from migrator.runner.shim import airflow_shim
    from migrator.runner.store import Store
    from migrator.runner.timezone import utcnow

    with airflow_shim():
        loaded, dag = _load(dagfile, dag_id)
        run_conf = planning.parse_conf(conf)
        planning.check_params(dag, run_conf)
        if task_id is not None and task_id not in dag.task_dict:
            raise UsageError(f"DAG {dag.dag_id} has no task {task_id!r}")
        logical_date = planning.parse_date(date, "--date") if date else utcnow().replace(microsecond=0)
        store = Store(_home())
        try:
            planned = planning.plan_manual(store, dag, logical_date)
            if task_id is not None and planned.action is not planning.Action.CREATE:
                planned = planning.PlannedRun(planned.logical_date, planned.data_interval, planned.run_after,
                                              planned.run_id, planning.Action.RESUME, planned.existing)
            row = planning.materialize(store, dag, planned, run_type="manual", conf=run_conf,
                                       dag_file=str(Path(loaded.path).resolve()))
            if task_id is not None:
                store.clear(dag.dag_id, row.run_id, task_ids=[task_id])
                row = store.get_run(dag.dag_id, row.run_id)
        finally:
            store.close()
        if planned.reason:
            _console(err=True).print(f"{planned.run_id}: {planned.reason}")
        _, stopped = _execute(dag, [row], backfill=False, max_active_runs=1, only_task=task_id)
        store = Store(_home())
        try:
            final = store.get_run(dag.dag_id, row.run_id)
            tis = store.load_tis(dag.dag_id, row.run_id)
        finally:
            store.close()
    console = _console()
    position = {name: place for place, name in enumerate(dag.task_dict)}
    order = sorted((key for key in tis if key.task_id in position and (task_id is None or key.task_id == task_id)),
                   key=lambda key: (position[key.task_id], key.map_index))
    console.print(task_table(final, tis, order))
    state = final.state if final else None
    console.print(f"DAG run {row.run_id}: {state}" + (f" ({final.note})" if final and final.note else ""))
    if stopped:
        click.echo("interrupted: running tasks were terminated; run the same command again to resume", err=True)
        sys.exit(INTERRUPTED_EXIT)
    if task_id is not None:
        bad = [key for key in order if tis[key].state not in ("success", "skipped")]
        if bad:
            raise RunFailed(", ".join(f"task {key} {tis[key].state}" for key in bad))
        return
    if state != "success":
        raise RunFailed(f"DAG run {row.run_id} {state}" + (f": {final.note}" if final and final.note else ""))


@click.command("backfill")
@click.argument("dagfile", type=click.Path(dir_okay=False))
@click.option("--dag-id", help="Which DAG of the file (needed when it defines several).")
@click.option("--start", required=True, help="First logical date (inclusive).")
@click.option("--end", required=True, help="Last logical date (inclusive).")
@click.option("--reprocess", type=click.Choice(["none", "failed", "completed"]), default="none", show_default=True,
              help="Which finished runs to run again.")
@click.option("--max-active-runs", type=click.IntRange(min=1), help="Runs at a time (default: the DAG's max_active_runs).")
@click.option("--conf", help="JSON object: conf for the runs it creates.")
@click.option("--dry-run", is_flag=True, help="Only list the logical dates and what would be done.")
def backfill_command(dagfile: str, dag_id: str | None, start: str, end: str, reprocess: str,
                     max_active_runs: int | None, conf: str | None, dry_run: bool) -> None:
    """Run every logical date of the DAG's timetable between --start and --end, like `airflow backfill create`."""
    from migrator.runner import planning
    from migrator.runner.display import runs_table, styled
    from migrator.runner.shim import airflow_shim
    from migrator.runner.store import Store

    with airflow_shim():
        loaded, dag = _load(dagfile, dag_id)
        run_conf = planning.parse_conf(conf)
        planning.check_params(dag, run_conf)
        first = planning.parse_date(start, "--start")
        last = planning.parse_date(end, "--end")
        store = Store(_home())
        try:
            plan = planning.plan_backfill(store, dag, first, last, planning.Reprocess(reprocess))
            if dry_run:
                click.echo(f"backfill of {dag.dag_id} ({dag.timetable.summary}): {len(plan)} runs")
                for item in plan:
                    click.echo(f"{item.logical_date.isoformat()}  data interval {item.data_interval[0].isoformat()} "
                               f"to {item.data_interval[1].isoformat()}  {item.run_id}  {item.action}"
                               + (f" ({item.reason})" if item.reason else ""))
                return
            rows = []
            for item in plan:
                row = planning.materialize(store, dag, item, run_type="backfill", conf=run_conf,
                                           dag_file=str(Path(loaded.path).resolve()))
                if row is not None:
                    rows.append(row)
        finally:
            store.close()
        skipped = [item for item in plan if item.action is planning.Action.SKIP]
        console = _console()
        console.print(f"backfill of {dag.dag_id}: {len(plan)} logical dates, {len(rows)} to run, "
                      f"{len(skipped)} already done" + (" (use --reprocess to run them again)" if skipped else ""))
        if not rows:
            return
        _, stopped = _execute(dag, rows, backfill=True,
                                 max_active_runs=max_active_runs or dag.max_active_runs,
                                 first_in_backfill=rows[0].run_id)
        store = Store(_home())
        try:
            finals = [store.get_run(dag.dag_id, row.run_id) for row in rows]
        finally:
            store.close()
    console.print(runs_table([f for f in finals if f is not None], title=f"backfill of {dag.dag_id}"))
    counts: dict[str, int] = {}
    for final in finals:
        if final is not None:
            counts[str(final.state)] = counts.get(str(final.state), 0) + 1
    summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    console.print(f"{len(rows)} runs: {summary}")
    if stopped:
        click.echo("interrupted: running tasks were terminated; run the same command again to resume", err=True)
        sys.exit(INTERRUPTED_EXIT)
    if any(final is None or final.state != "success" for final in finals):
        raise RunFailed(f"backfill of {dag.dag_id}: not every run succeeded ({summary})")
    _ = styled


@click.command("runs")
@click.option("--dag-id", help="Only the runs of this DAG.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def runs_command(dag_id: str | None, fmt: str) -> None:
    """List local DAG runs, newest first, with their task instances."""
    from migrator.runner.store import Store

    home = _home()
    if not (home / "state.db").exists():
        runs: list[Any] = []
        store = None
    else:
        store = Store(home)
        runs = store.list_runs(dag_id)
    try:
        if fmt == "json":
            payload = []
            for run in runs:
                assert store is not None
                tis = store.load_tis(run.dag_id, run.run_id)
                payload.append({
                    "dag_id": run.dag_id, "run_id": run.run_id, "logical_date": run.logical_date,
                    "state": str(run.state),
                    "tasks": [{"task_id": ti.task_id, "map_index": ti.map_index,
                               "state": str(ti.state) if ti.state else None,
                               "try_number": ti.try_number, "start": ti.start_date, "end": ti.end_date}
                              for ti in sorted(tis.values(), key=lambda t: (t.task_id, t.map_index))],
                })
            click.echo(json.dumps(payload, indent=2))
            return
        from migrator.runner.display import runs_table

        if not runs:
            click.echo(f"no runs{f' of DAG {dag_id}' if dag_id else ''} recorded in {home}")
            return
        by_dag: dict[str, list[Any]] = {}
        for run in runs:
            by_dag.setdefault(run.dag_id, []).append(run)
        console = _console()
        for name, items in by_dag.items():
            console.print(runs_table(items, title=name))
    finally:
        if store is not None:
            store.close()


def _find_run(store: Any, dag_id: str, run: str) -> Any:
    found = store.get_run(dag_id, run)
    if found is not None:
        return found
    from migrator.runner.planning import parse_date

    try:
        when = parse_date(run, "RUN")
    except UsageError:
        when = None
    if when is not None:
        found = store.find_run(dag_id, when.isoformat())
        if found is not None:
            return found
    known = [r.run_id for r in store.list_runs(dag_id)][:5]
    hint = f" (recent: {', '.join(known)})" if known else " (no runs recorded for this DAG)"
    raise UsageError(f"no run {run!r} of DAG {dag_id}{hint}")


@click.command("logs")
@click.argument("dag_id")
@click.argument("run")
@click.argument("task_id")
@click.option("--attempt", type=click.IntRange(min=1), help="Which attempt (default: the latest).")
@click.option("--map-index", type=click.IntRange(min=-1), default=-1, show_default=True,
              help="Which instance of a mapped task.")
def logs_command(dag_id: str, run: str, task_id: str, attempt: int | None, map_index: int) -> None:
    """Print a task's log. RUN is a run id or a logical date."""
    from migrator.runner.logs import attempts_on_disk, log_path, read_log
    from migrator.runner.store import Store

    home = _home()
    if not (home / "state.db").exists():
        raise UsageError(f"no runner state in {home} (set CRON2DAG_HOME?)")
    store = Store(home)
    try:
        found = _find_run(store, dag_id, run)
        ti = store.get_ti(dag_id, found.run_id, task_id, map_index)
        instances = [row.map_index for row in store.task_instances_of(dag_id, found.run_id, task_id)]
    finally:
        store.close()
    if ti is None:
        if instances:
            raise UsageError(f"task {task_id} of run {found.run_id} is mapped: choose an instance with --map-index "
                             f"({', '.join(map(str, instances))})")
        raise UsageError(f"run {found.run_id} of {dag_id} has no task {task_id!r}")
    available = attempts_on_disk(home, dag_id, found.run_id, task_id, map_index)
    if not available:
        why = "it has not run" if ti.try_number == 0 else "it did not run a process (EmptyOperator)"
        raise UsageError(f"no log for {task_id} in {found.run_id}: {why} (state: {ti.state})")
    chosen = attempt or available[-1]
    if chosen not in available:
        raise UsageError(f"no attempt {chosen} for {task_id} in {found.run_id} (attempts: {', '.join(map(str, available))})")
    click.echo(read_log(log_path(home, dag_id, found.run_id, task_id, chosen, map_index)), nl=False)


@click.command("clear")
@click.argument("dag_id")
@click.argument("run")
@click.option("--failed", "only_failed", is_flag=True, help="Only failed and upstream_failed tasks.")
def clear_command(dag_id: str, run: str, only_failed: bool) -> None:
    """Reset a run's tasks so that `run`/`backfill` executes them again (logs are kept)."""
    from migrator.runner.store import Store

    home = _home()
    if not (home / "state.db").exists():
        raise UsageError(f"no runner state in {home} (set CRON2DAG_HOME?)")
    store = Store(home)
    try:
        found = _find_run(store, dag_id, run)
        # a runner killed (SIGKILL) left claims behind: release them, as the next runner would, to clear
        from migrator.runner.scheduler import recover_from_dead_runners

        recover_from_dead_runners(store, home)
        try:
            count = store.clear(dag_id, found.run_id, only_failed=only_failed)
        except RuntimeError as error:
            raise UsageError(f"run {found.run_id}: {error}") from None
    finally:
        store.close()
    click.echo(f"cleared {count} task instance{'s' if count != 1 else ''} of {dag_id} {found.run_id}"
               + (" (run is queued: `cron2dag run --date` or `backfill` resumes it)" if count else ""))
