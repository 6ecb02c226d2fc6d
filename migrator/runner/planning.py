"""Which DAG runs a command works on: their logical dates, data intervals, ids, and what to do with each.

`run` makes a manual run like `airflow dags test DAG DATE` does (the data interval is the one the
timetable infers for a manual run at that date); `backfill` makes the runs the scheduler would have
made for every logical date of the timetable in the range, inclusive, keeping only intervals that have
ended (as Airflow's backfill does). A run is identified by its DAG and logical date, so running the same
date again finds the same run: an unfinished one is resumed, a finished one re-run or skipped.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pendulum
from pendulum import DateTime
from pendulum.parsing import parse_iso8601

from migrator.compat import StrEnum
from migrator.errors import UsageError
from migrator.runner.mapping import initial_instances
from migrator.runner.sdk.exceptions import ParamValidationError
from migrator.runner.sdk.params import ParamsDict, process_params
from migrator.runner.states import FINISHED_RUN_STATES, DagRunState
from migrator.runner.store import RunRow, Store, now_iso
from migrator.runner.timezone import UTC, convert_to_utc, utcnow

if TYPE_CHECKING:
    from migrator.runner.sdk.dag import DAG


class Reprocess(StrEnum):
    NONE = "none"
    FAILED = "failed"
    COMPLETED = "completed"


class Action(StrEnum):
    CREATE = "create"
    RESUME = "resume"
    RERUN = "rerun"
    SKIP = "skip"


@dataclass(frozen=True)
class PlannedRun:
    logical_date: DateTime
    data_interval: tuple[DateTime, DateTime]
    run_after: DateTime
    run_id: str
    action: Action
    existing: RunRow | None
    reason: str = ""


def parse_date(value: str, option: str) -> DateTime:
    """A logical date on the command line: strict ISO 8601 (`2024-01-31`, `2024-01-31T06:00`, with an
    optional offset; naive means UTC, as in Airflow). `08-01-2025` or `01/08/2025` would be guesses
    (August 1st? January 8th?), so they are errors, as is an empty value."""
    try:
        parsed = parse_iso8601(value.strip()) if value.strip() else None
    except (ValueError, OverflowError):
        parsed = None
    if isinstance(parsed, datetime.datetime):
        moment = parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
    elif isinstance(parsed, datetime.date):
        moment = datetime.datetime(parsed.year, parsed.month, parsed.day, tzinfo=UTC)
    else:
        raise UsageError(f"{option}: {value!r} is not an ISO 8601 date or date-time (expected e.g. 2024-01-31 or "
                         "2024-01-31T06:00:00+00:00)")
    try:
        return convert_to_utc(pendulum.instance(moment))  # type: ignore[return-value]
    except OverflowError:
        raise UsageError(f"{option}: {value!r} is out of range once converted to UTC") from None


def parse_conf(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        conf = json.loads(text)
    except ValueError as error:
        raise UsageError(f"--conf: not valid JSON: {error}") from None
    except RecursionError:
        raise UsageError("--conf: the JSON is nested too deeply") from None
    if not isinstance(conf, dict):
        raise UsageError("--conf: expected a JSON object")
    return conf


def check_params(dag: DAG, conf: dict[str, Any]) -> None:
    try:
        process_params(dag.params, ParamsDict(), conf)
    except ParamValidationError as error:
        raise UsageError(f"DAG {dag.dag_id}: {error}") from None


def override_retries(dag: DAG, retries: int | None, retry_delay: datetime.timedelta | None) -> None:
    """`--retries` / `--retry-delay`: a local trial's own retry policy for every task of the DAG (a
    migrated DAG's 2 retries 5 minutes apart make a first run with missing scripts take 10 minutes).
    With `--retry-delay` every retry waits exactly that long (no exponential backoff)."""
    for task in dag.tasks:
        if retries is not None:
            task.retries = retries
        if retry_delay is not None:
            task.retry_delay = retry_delay
            task.retry_exponential_backoff = 0.0
            task.max_retry_delay = None


def _iso(value: datetime.datetime | None) -> str | None:
    return None if value is None else convert_to_utc(value).isoformat()  # type: ignore[union-attr]


def _decide(existing: RunRow | None, reprocess: Reprocess) -> tuple[Action, str]:
    if existing is None:
        return Action.CREATE, ""
    if existing.state not in FINISHED_RUN_STATES:
        return Action.RESUME, f"unfinished run ({existing.state}) is resumed"
    if reprocess is Reprocess.COMPLETED:
        return Action.RERUN, f"{existing.state} run is reprocessed"
    if reprocess is Reprocess.FAILED and existing.state == DagRunState.FAILED:
        return Action.RERUN, "failed run is reprocessed"
    return Action.SKIP, f"already {existing.state}"


def plan_manual(store: Store, dag: DAG, logical_date: DateTime, *, rerun: bool = False) -> PlannedRun:
    """The run for this date: created, joined or resumed if unfinished (another runner may be working
    on it), run again only when asked (`rerun`), as a finished run is left alone otherwise."""
    interval = dag.timetable.infer_manual_data_interval(run_after=logical_date)
    existing = store.find_run(dag.dag_id, logical_date.isoformat())
    if existing is None:
        action, reason = Action.CREATE, ""
    elif existing.state not in FINISHED_RUN_STATES:
        action, reason = Action.RESUME, f"unfinished run ({existing.state}) is resumed"
    elif rerun:
        action, reason = Action.RERUN, f"{existing.state} run for this date is run again (--rerun)"
    else:
        action, reason = Action.SKIP, f"already finished ({existing.state})"
    return PlannedRun(logical_date, (interval.start, interval.end), logical_date,
                      existing.run_id if existing else f"manual__{logical_date.isoformat()}", action, existing, reason)


def plan_backfill(store: Store, dag: DAG, start: DateTime, end: DateTime, reprocess: Reprocess) -> list[PlannedRun]:
    if start > end:
        raise UsageError(f"--start ({start.isoformat()}) must not be after --end ({end.isoformat()})")
    if not dag.timetable.periodic or not dag.timetable.can_be_scheduled:
        raise UsageError(f"DAG {dag.dag_id} has no periodic schedule ({dag.timetable.summary}): nothing to backfill; "
                         "use `cron2dag run` for a single run")
    if any(task.depends_on_past for task in dag.tasks) and reprocess is Reprocess.NONE:
        raise UsageError(f"DAG {dag.dag_id} has tasks for which depends_on_past=True: set --reprocess to "
                         "'failed' or 'completed' (as Airflow requires for such backfills)")
    now = utcnow()
    planned = []
    try:
        infos = list(dag.timetable.iter_dagrun_infos_between(start, end))
    except OverflowError:
        raise UsageError(f"--to-date {end.date().isoformat()}: the schedule's data intervals would end after "
                         "9999-12-31, the last date that can be represented") from None
    if not any(info.data_interval is not None and info.data_interval.end < now for info in infos):
        raise UsageError(_why_nothing_to_backfill(dag, start, end, infos, now))
    for info in infos:
        if info.data_interval is None or not info.data_interval.end < now:
            continue
        logical_date = info.logical_date
        assert logical_date is not None
        existing = store.find_run(dag.dag_id, logical_date.isoformat())
        action, reason = _decide(existing, reprocess)
        run_id = existing.run_id if existing else f"backfill__{info.run_after.isoformat()}"
        planned.append(PlannedRun(logical_date, (info.data_interval.start, info.data_interval.end),
                                  info.run_after, run_id, action, existing, reason))
    return planned


def _why_nothing_to_backfill(dag: DAG, start: DateTime, end: DateTime, infos: list[Any], now: DateTime) -> str:
    """A backfill range without one complete run: say why, as Airflow's "No runs to create" does not."""
    span = f"from {start.isoformat()} to {end.isoformat()}"
    schedule = f"{dag.dag_id}'s schedule ({dag.timetable.summary})"
    if infos:
        first = infos[0].data_interval
        return (f"no run to backfill {span}: {len(infos)} logical date{'s' if len(infos) != 1 else ''} of "
                f"{schedule} fall in it, but no data interval has ended yet (the first ends at "
                f"{first.end.isoformat()}; now is {now.replace(microsecond=0).isoformat()}); a backfill runs "
                "complete intervals only, as Airflow's does. For a run now: `cron2dag run --date`")
    try:
        after = next(iter(dag.timetable.iter_dagrun_infos_between(end, end.add(years=10))), None)
    except OverflowError:
        after = None
    hint = f"; the next one is {after.logical_date.isoformat()}" if after is not None and after.logical_date else ""
    return f"no run to backfill {span}: {schedule} has no logical date in this range{hint}"


def materialize(store: Store, dag: DAG, planned: PlannedRun, *, run_type: str, conf: dict[str, Any],
                dag_file: str) -> RunRow | None:
    """Create, clear or reuse the run in the store; None for runs that are skipped."""
    tasks = initial_instances(dag, planned.logical_date, run_type)
    if planned.action is Action.SKIP:
        return None
    if planned.action is Action.CREATE:
        row = RunRow(
            dag_id=dag.dag_id, run_id=planned.run_id, logical_date=planned.logical_date.isoformat(),
            data_interval_start=_iso(planned.data_interval[0]), data_interval_end=_iso(planned.data_interval[1]),
            run_after=planned.run_after.isoformat(), run_type=run_type, state=DagRunState.QUEUED, conf=conf,
            dag_file=dag_file, created_at=now_iso(),
        )
        if not store.create_run(row, tasks):  # created meanwhile by another runner: work on it together
            existing = store.get_run(dag.dag_id, planned.run_id)
            return existing
        return row
    assert planned.existing is not None
    if planned.action is Action.RERUN:
        store.ensure_task_instances(dag.dag_id, planned.existing.run_id, tasks)
        try:
            store.clear(dag.dag_id, planned.existing.run_id)
        except RuntimeError:
            pass  # another runner started running it again a moment ago: join it rather than clear its work
    return store.get_run(dag.dag_id, planned.existing.run_id)
