"""`cron2dag run`, `backfill`, `runs`, `logs`, `clear`: thin click commands over the runner.

One vocabulary across them, Airflow's where it has one: a DAG is selected with `--dag-id` everywhere
(needed only when there is more than one to choose from), dates are strict ISO 8601, a backfill's
range is `--from-date`/`--to-date` (`--start`/`--end` kept as aliases).

Exit codes: 0 when every run succeeded, 1 when one failed or could not finish (RunFailed), 2 for bad
input (InputError/UsageError, a damaged state database), 130 when interrupted with Ctrl-C (running
tasks were terminated and recorded; running the same command again resumes).
"""

from __future__ import annotations

import functools
import json
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click

from migrator.errors import RunFailed, UsageError
from migrator.options import AliasedOption, format_option

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


def _where(home: Path, dag_id: str, run_id: str | None = None) -> str:
    """Where the runs and their logs are recorded: a path under the working directory is shown relative."""
    from migrator.runner.logs import check_id, run_log_dir

    def shown(path: Path) -> str:
        try:
            return str(path.resolve().relative_to(Path.cwd().resolve()))
        except ValueError:
            return str(path.resolve())

    logs = run_log_dir(home, dag_id, run_id) if run_id else home / "logs" / f"dag_id={check_id(dag_id, 'dag_id')}"
    return f"state: {shown(home / 'state.db')}\nlogs:  {shown(logs)}/"


F = TypeVar("F", bound=Callable[..., Any])


def _state_errors(command: F) -> F:
    """An SQLite error anywhere in the command is a StateStoreError naming state.db (exit 2), not a crash."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from migrator.runner.store import state_errors

        with state_errors(_home()):
            return command(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


# -- options shared by the commands (one name, one meaning) ----------------------------------------------
DAG_ID_HELP = "The DAG's dag_id; needed only when there is more than one DAG to choose from."


def dag_id_option(command: F) -> F:
    return click.option("--dag-id", "-d", "dag_id", help=DAG_ID_HELP)(command)


def conf_option(command: F) -> F:
    return click.option("--conf", "--dag-run-conf", "conf", cls=AliasedOption, hidden_aliases=["--dag-run-conf"],
                        help="JSON object: the run's conf (dag_run.conf; overrides params).")(command)


def retry_options(command: F) -> F:
    from migrator.options import Duration  # noqa: PLC0415

    command = click.option("--retry-delay", type=Duration(),
                           help="For this local trial: every task waits this long between tries (300, 90s, 5m, "
                                "1h), instead of its retry_delay and backoff.")(command)
    return click.option("--retries", type=click.IntRange(min=0),
                        help="For this local trial: every task gets this many retries, instead of its own "
                             "(0 fails at the first error).")(command)


def _crontab_instead(path: str) -> str | None:
    """A crontab given where a DAG file belongs: say so (the Python error would be a SyntaxError)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
        compile(text, path, "exec", dont_inherit=True)
        return None
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    except SyntaxError:
        pass
    from migrator.crontab.parser import parse_crontab
    from migrator.errors import InputError

    try:
        crontab = parse_crontab(text, path)
    except InputError:
        return None
    if not crontab.entries:
        return None
    jobs = len(crontab.entries)
    return (f"this is a crontab ({jobs} job{'s' if jobs != 1 else ''}), not a DAG file: migrate it first, "
            f"e.g. `cron2dag migrate {path} -o dags/`, then run the DAG file it writes")


def _load(dagfile: str, dag_id: str | None) -> Any:
    """Load the DAG file (in a child process first, see isolation.py) and select one DAG; the ids it
    will use for the state and the log paths are checked again now, as user code may change them."""
    from migrator.errors import InputError
    from migrator.runner.isolation import load_isolated
    from migrator.runner.logs import check_id

    crontab = _crontab_instead(dagfile)
    if crontab is not None:
        raise InputError.at(dagfile, crontab)
    loaded = load_isolated(dagfile)
    dag = loaded.select(dag_id)
    try:
        check_id(dag.dag_id, "dag_id")
        for task_id in dag.task_dict:
            check_id(task_id, "task_id")
    except ValueError as error:
        raise InputError.at(loaded.path, f"DAG {dag.dag_id!r}: {error}") from None
    return loaded, dag


def _logical_date(date: str | None) -> Any:
    from migrator.runner import planning
    from migrator.runner.timezone import utcnow

    if date is None:
        return utcnow().replace(microsecond=0)
    return planning.parse_date(date, "--date")


@click.command("run")
@click.argument("dagfile", type=click.Path(dir_okay=False))
@dag_id_option
@click.option("--date", "--logical-date", "date", cls=AliasedOption, hidden_aliases=["--logical-date"],
              help="Logical date of the run, ISO 8601 (default: now). An unfinished run for this date is resumed "
                   "(or joined, if another runner is on it); a finished one is left alone unless --rerun.")
@click.option("--rerun", is_flag=True, help="Run a finished run for this date again (clears its tasks first, "
              "as `cron2dag clear` does).")
@conf_option
@click.option("--task", "task_id", help="Run only this task of the run, ignoring its upstream tasks.")
@retry_options
@_state_errors
def run_command(dagfile: str, dag_id: str | None, date: str | None, rerun: bool, conf: str | None,
                task_id: str | None, retries: int | None, retry_delay: Any) -> None:
    """Run one DAG run locally, with Airflow's semantics (like `airflow dags test`)."""
    from migrator.runner import planning
    from migrator.runner.display import task_table
    from migrator.runner.shim import airflow_shim
    from migrator.runner.store import Store

    with airflow_shim():
        loaded, dag = _load(dagfile, dag_id)
        run_conf = planning.parse_conf(conf)
        planning.check_params(dag, run_conf)
        if task_id is not None and task_id not in dag.task_dict:
            raise UsageError(f"DAG {dag.dag_id} has no task {task_id!r}")
        logical_date = _logical_date(date)
        planning.override_retries(dag, retries, retry_delay)
        store = Store(_home())
        try:
            planned = planning.plan_manual(store, dag, logical_date, rerun=rerun)
            if planned.action is planning.Action.SKIP and task_id is None:
                finished = planned.existing
                assert finished is not None
                _report_finished_run(store, dag, finished)
                return
            if task_id is not None and planned.action is not planning.Action.CREATE:
                planned = planning.PlannedRun(planned.logical_date, planned.data_interval, planned.run_after,
                                              planned.run_id, planning.Action.RESUME, planned.existing)
            row = planning.materialize(store, dag, planned, run_type="manual", conf=run_conf,
                                       dag_file=str(Path(loaded.path).resolve()))
            if retries is not None:
                store.set_retries(dag.dag_id, row.run_id, retries)
            if task_id is not None:
                try:
                    store.clear(dag.dag_id, row.run_id, task_ids=[task_id])
                except RuntimeError as error:
                    raise UsageError(f"run {row.run_id}: {error}") from None
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
    order = _task_order(dag, tis, task_id)
    console.print(task_table(final, tis, order))
    state = final.state if final else None
    console.print(f"DAG run {row.run_id}: {state}" + (f" ({final.note})" if final and final.note else ""))
    console.print(_where(_home(), dag.dag_id, row.run_id), markup=False)
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


def _task_order(dag: Any, tis: dict[Any, Any], task_id: str | None = None) -> list[Any]:
    """The run's task instances in the DAG's order (mapped instances by index), or one task's."""
    position = {name: place for place, name in enumerate(dag.task_dict)}
    return sorted((key for key in tis if key.task_id in position and (task_id is None or key.task_id == task_id)),
                  key=lambda key: (position[key.task_id], key.map_index))


def _report_finished_run(store: Any, dag: Any, finished: Any) -> None:
    """`run` on a date whose run has finished: show it, change nothing, exit as its state says."""
    from migrator.runner.display import task_table

    tis = store.load_tis(dag.dag_id, finished.run_id)
    console = _console()
    console.print(task_table(finished, tis, _task_order(dag, tis)))
    console.print(f"DAG run {finished.run_id}: already finished ({finished.state}); nothing was run. "
                  f"To run it again: --rerun, or `cron2dag clear --dag-id {dag.dag_id} {finished.run_id}` first.")
    if finished.state != "success":
        raise RunFailed(f"DAG run {finished.run_id} {finished.state}" + (f": {finished.note}" if finished.note else ""))


@click.command("backfill")
@click.argument("dagfile", type=click.Path(dir_okay=False))
@dag_id_option
@click.option("--from-date", "--start", "from_date", cls=AliasedOption, hidden_aliases=["--start"], required=True,
              help="First logical date, inclusive (ISO 8601).")
@click.option("--to-date", "--end", "to_date", cls=AliasedOption, hidden_aliases=["--end"], required=True,
              help="Last logical date, inclusive (ISO 8601).")
@click.option("--reprocess-behavior", "--reprocess", "reprocess", cls=AliasedOption, hidden_aliases=["--reprocess"],
              type=click.Choice(["none", "failed", "completed"]), default="none", show_default=True,
              help="Which finished runs to run again.")
@click.option("--max-active-runs", type=click.IntRange(min=1), help="Runs at a time (default: the DAG's max_active_runs).")
@conf_option
@click.option("--dry-run", is_flag=True, help="Only list the logical dates and what would be done.")
@retry_options
@_state_errors
def backfill_command(dagfile: str, dag_id: str | None, from_date: str, to_date: str, reprocess: str,
                     max_active_runs: int | None, conf: str | None, dry_run: bool, retries: int | None,
                     retry_delay: Any) -> None:
    """Run every logical date of the DAG's timetable from --from-date to --to-date, like `airflow backfill create`."""
    from migrator.runner import planning
    from migrator.runner.display import runs_table
    from migrator.runner.shim import airflow_shim
    from migrator.runner.store import Store

    with airflow_shim():
        loaded, dag = _load(dagfile, dag_id)
        run_conf = planning.parse_conf(conf)
        planning.check_params(dag, run_conf)
        first = planning.parse_date(from_date, "--from-date")
        last = planning.parse_date(to_date, "--to-date")
        planning.override_retries(dag, retries, retry_delay)
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
                    if retries is not None:
                        store.set_retries(dag.dag_id, row.run_id, retries)
                    rows.append(row)
        finally:
            store.close()
        skipped = [item for item in plan if item.action is planning.Action.SKIP]
        console = _console()
        console.print(f"backfill of {dag.dag_id}: {len(plan)} logical dates, {len(rows)} to run, "
                      f"{len(skipped)} already done"
                      + (" (use --reprocess-behavior to run them again)" if skipped else ""))
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
    console.print(_where(_home(), dag.dag_id), markup=False)
    if stopped:
        click.echo("interrupted: running tasks were terminated; run the same command again to resume", err=True)
        sys.exit(INTERRUPTED_EXIT)
    if any(final is None or final.state != "success" for final in finals):
        raise RunFailed(f"backfill of {dag.dag_id}: not every run succeeded ({summary})")


def _existing_store(home: Path) -> Any:
    """The state database, for commands that only inspect or reset it (None if there is none yet)."""
    from migrator.runner.store import Store

    path = home / "state.db"
    if not path.exists() and not (home.exists() and not home.is_dir()):
        return None
    return Store(home)


@click.command("runs")
@dag_id_option
@format_option("text", "json")
@_state_errors
def runs_command(dag_id: str | None, fmt: str) -> None:
    """List local DAG runs, newest first, with their task instances."""
    home = _home()
    store = _existing_store(home)
    try:
        runs = store.list_runs(dag_id) if store is not None else []
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


def _select(store: Any, dag_id: str | None, positional: tuple[str, ...], names: tuple[str, ...]) -> tuple[str, list[str]]:
    """`--dag-id ID RUN ...` or the older `ID RUN ...`: the DAG id and the remaining arguments.

    Without either, the DAG is the only one the state holds, as `run` picks the only DAG of a file.
    """
    usage = " ".join(names)
    if dag_id is None and len(positional) == len(names) + 1:
        dag_id, *rest = positional
    elif len(positional) == len(names):
        rest = list(positional)
    else:
        raise UsageError(f"expected [--dag-id ID] {usage}, got {len(positional)} argument(s)")
    if dag_id is None:
        known = sorted({run.dag_id for run in store.list_runs()}) if store is not None else []
        if len(known) != 1:
            listed = f" (DAGs recorded: {', '.join(known)})" if known else ""
            raise UsageError(f"choose the DAG with --dag-id{listed}")
        dag_id = known[0]
    return dag_id, rest


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
@click.argument("arguments", nargs=-1, metavar="RUN TASK_ID")
@dag_id_option
@click.option("--attempt", type=click.IntRange(min=1), help="Which attempt (default: the latest).")
@click.option("--map-index", type=click.IntRange(min=-1), default=-1, show_default=True,
              help="Which instance of a mapped task.")
@_state_errors
def logs_command(arguments: tuple[str, ...], dag_id: str | None, attempt: int | None, map_index: int) -> None:
    """Print a task's log. RUN is a run id or a logical date. (`logs DAG_ID RUN TASK_ID` also works.)"""
    from migrator.runner.logs import attempts_on_disk, log_path, read_log

    home = _home()
    store = _existing_store(home)
    if store is None:
        raise UsageError(f"no runner state in {home} (set CRON2DAG_HOME?)")
    try:
        dag_id, (run, task_id) = _select(store, dag_id, arguments, ("RUN", "TASK_ID"))
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
@click.argument("arguments", nargs=-1, metavar="RUN")
@dag_id_option
@click.option("--only-failed", "--failed", "only_failed", cls=AliasedOption, hidden_aliases=["--failed"], is_flag=True,
              help="Only failed and upstream_failed tasks.")
@_state_errors
def clear_command(arguments: tuple[str, ...], dag_id: str | None, only_failed: bool) -> None:
    """Reset a run's tasks so that `run`/`backfill` executes them again (logs are kept). RUN is a run id or
    a logical date. (`clear DAG_ID RUN` also works.)"""
    home = _home()
    store = _existing_store(home)
    if store is None:
        raise UsageError(f"no runner state in {home} (set CRON2DAG_HOME?)")
    try:
        dag_id, (run,) = _select(store, dag_id, arguments, ("RUN",))
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
