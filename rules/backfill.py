"""Backfill safety: a task must produce the same result whenever it runs for a given logical date."""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from typing import Any

from migrator.analysis import backfill as hz
from migrator.analysis.index import walk
from migrator.analysis.model import UNKNOWN, DagModel, FileModel
from migrator.lint.finding import Violation
from migrator.lint.rule import Rule


class CurrentTimeInTask(Rule):
    """## What it does
    Flags reads of the current time in task code: `datetime.now()`, `utcnow()`, `today()`,
    `date.today()`, `time.time()`, `pendulum.now()`/`today()` and their kin, in TaskFlow bodies,
    `python_callable`s and the helpers they call in the same file, in operator arguments (f-strings,
    templated fields) and in templates (`{{ macros.datetime.now() }}`). Module-level variables that hold
    such a value, and calls made at parse time to a helper of the file that returns one, are followed
    to where task code or an operator argument uses them.

    A clock read that does not pick which data a run uses is not flagged: one that only measures or
    bounds a duration (`time.time() - start`, an age, a deadline or an expiry), one that is only
    logged, the time of an event kept as such (`record.updated_at = utcnow()`, `{"created_at": now()}`,
    `store.set("submitted_at", ...)`), a value that only has to be unique (a run id, a temporary
    table's name), a retention window of a week or more (`now() - timedelta(days=30)`), or a time of
    day. Nor is a variable that happens to be called `now`, or a DAG built with a dynamic `start_date`
    (that is `BF003`, reported once).

    ## Why is this bad?
    A backfill or a rerun of last Tuesday's run computes today's date instead of Tuesday's: it
    reprocesses the wrong partition and overwrites today's data. An operator argument is worse: it is
    evaluated when the scheduler parses the file, minutes or hours before the task runs.

    ## Example
    ```python
    @task
    def extract():
        day = datetime.now().strftime("%Y-%m-%d")
        download(f"s3://raw/events/{day}.json")
    ```

    Use instead:
    ```python
    @task
    def extract(ds=None):
        download(f"s3://raw/events/{ds}.json")
    ```
    """

    code = "BF001"
    name = "current-time-in-task"
    family = "backfill"

    def check(self, model: FileModel, settings: Mapping[str, Any]) -> Iterator[Violation]:
        for hazard in hz.unique(hz.clock_hazards(model)):
            yield self.violation(hazard.span, hazard.message[:1].upper() + hazard.message[1:])


class ShellDateInCommand(Rule):
    """## What it does
    Flags `$(date ...)` and `` `date ...` `` in a `bash_command` (or an SSH command, or the string a
    `@task.bash` function returns) when `date` formats the current time. `date -d "{{ ds }}" +%Y%m%d`
    formats a given date and is not flagged.

    ## Why is this bad?
    The command expands to the day the task happens to run. Rerunning or backfilling a past interval
    processes today's files instead of that interval's. This is the most common bug carried over from
    crontabs, where "now" was the only date there was.

    ## Example
    ```python
    BashOperator(task_id="export", bash_command="export.sh --day $(date +%F)")
    ```

    Use instead:
    ```python
    BashOperator(task_id="export", bash_command="export.sh --day {{ ds }}")
    ```
    """

    code = "BF002"
    name = "shell-date-in-command"
    family = "backfill"

    def check(self, model: FileModel, settings: Mapping[str, Any]) -> Iterator[Violation]:
        for hazard in hz.unique(hz.shell_date_hazards(model)):
            yield self.violation(hazard.span, hazard.message[:1].upper() + hazard.message[1:])


def _dynamic(expr: ast.AST, model: FileModel, depth: int = 0) -> ast.Call | None:
    clock = hz.parse_time_clock(expr, model)
    if clock is not None or depth > 5:
        return clock
    for node in walk(expr):
        if isinstance(node, ast.Name) and node.id in model.assignments:
            found = _dynamic(model.assignments[node.id], model, depth + 1)
            if found is not None:
                return found
    return None


class DynamicStartDate(Rule):
    """## What it does
    Flags a `start_date` (of a DAG, in `default_args`, or of a task) computed from the current time:
    `datetime.now()`, `days_ago(1)`, `pendulum.today()`, also through a module-level variable or a helper function of the file.

    ## Why is this bad?
    The scheduler parses the file every few minutes, so the start date moves with it. The first
    interval keeps sliding forward and may never be scheduled, and a backfill's range changes with
    the time it is computed.

    ## Example
    ```python
    with DAG("etl", start_date=datetime.now() - timedelta(days=1), schedule="@daily"):
        ...
    ```

    Use instead:
    ```python
    with DAG("etl", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), schedule="@daily"):
        ...
    ```
    """

    code = "BF003"
    name = "dynamic-start-date"
    family = "backfill"

    def check(self, model: FileModel, settings: Mapping[str, Any]) -> Iterator[Violation]:
        seen: set[tuple[int, int]] = set()
        candidates: list[tuple[ast.AST, str]] = []
        for dag in model.dags:
            for key in ("start_date", "end_date"):
                if key in dag.arguments:
                    candidates.append((dag.arguments[key], f"`{key}` of DAG `{dag.dag_id}`"))
                if dag.default_args and key in dag.default_args:
                    candidates.append((dag.default_args[key], f"`{key}` in default_args of DAG `{dag.dag_id}`"))
        for task in model.all_tasks:
            arguments = task.arguments
            if "start_date" in arguments or "end_date" in arguments:
                for key in ("start_date", "end_date"):
                    if key in arguments:
                        candidates.append((arguments[key], f"`{key}` of task `{task.task_id}`"))
        for expr, where in candidates:
            key = (getattr(expr, "lineno", 0), getattr(expr, "col_offset", 0))
            if key in seen or not hasattr(expr, "lineno"):
                continue
            seen.add(key)
            clock = _dynamic(expr, model)
            if clock is not None:
                shown = (ast.unparse(clock.func) if hasattr(ast, "unparse") else "now") + "()"
                yield self.violation(model.span(expr), f"Dynamic {where}: computed from `{shown}` at parse time")


class AppendToUnpartitionedTarget(Rule):
    """## What it does
    Flags appends to a path or table that does not depend on the logical date: `>> /data/out.csv` in
    a bash command, `open(path, "a")` or `df.to_csv(path, mode="a")` in task code, and
    `INSERT INTO table` in SQL that neither clears the interval first (`DELETE FROM`/`TRUNCATE`), nor
    upserts (`MERGE`, `ON CONFLICT`), nor writes a logical-date partition. Targets under `{{ ds }}` (or
    another logical-date template), log files and unknown paths are not flagged.

    ## Why is this bad?
    An append is not idempotent: retrying a task, clearing a run or backfilling a range adds the same
    rows again, and the duplicates are silent.

    ## Example
    ```python
    BashOperator(task_id="collect", bash_command="fetch.sh >> /data/events.csv")
    ```

    Use instead:
    ```python
    BashOperator(task_id="collect", bash_command="fetch.sh > /data/events/{{ ds }}.csv")
    ```
    """

    code = "BF004"
    name = "append-to-unpartitioned-target"
    family = "backfill"

    def check(self, model: FileModel, settings: Mapping[str, Any]) -> Iterator[Violation]:
        for hazard in hz.unique([*hz.write_hazards(model), *hz.sql_call_hazards(model)]):
            if hazard.kind == "append":
                yield self.violation(hazard.span, hazard.message)


class OutputPathWithoutLogicalDate(Rule):
    """## What it does
    Flags writes to a fixed path: `> /data/report.csv` in a bash command, `open(path, "w")`,
    `df.to_parquet(path)` or `Path(path).write_text(...)` in task code, and output arguments such as
    `dest_key`/`output_path`, when the path contains no logical-date template or value.

    ## Why is this bad?
    Every run writes the same file, so a backfill of thirty days leaves only the last day's output and
    downstream tasks of an earlier interval read a later interval's data.

    ## Example
    ```python
    @task
    def report():
        build().to_csv("/data/report.csv")
    ```

    Use instead:
    ```python
    @task
    def report(ds=None):
        build().to_csv(f"/data/report/{ds}.csv")
    ```
    """

    code = "BF005"
    name = "output-path-without-logical-date"
    family = "backfill"

    def check(self, model: FileModel, settings: Mapping[str, Any]) -> Iterator[Violation]:
        for hazard in hz.unique(hz.write_hazards(model)):
            if hazard.kind == "fixed-output":
                yield self.violation(hazard.span, hazard.message)


def _is_true(expr: Any) -> bool | None:
    if expr is UNKNOWN:
        return None
    if isinstance(expr, ast.Constant):
        return bool(expr.value)
    return None


class CatchupWithUnsafeTask(Rule):
    """## What it does
    Flags a DAG that catches up (`catchup=True`, or no `catchup` when targeting Airflow 2, where it
    defaults to true) while one of its tasks reads the current time, formats `$(date)`, appends to an
    unpartitioned target or writes a fixed path (the hazards of BF001, BF002, BF004 and BF005).

    ## Why is this bad?
    Catchup runs every missed interval, often in parallel. Tasks that are not idempotent turn that
    into dozens of runs that all process today's data, or append the same rows again and again.

    ## Example
    ```python
    with DAG("etl", start_date=datetime(2024, 1, 1), schedule="@daily", catchup=True):
        BashOperator(task_id="dump", bash_command="dump.sh > /data/dump.csv")
    ```

    Use instead:
    ```python
    with DAG("etl", start_date=datetime(2024, 1, 1), schedule="@daily", catchup=True):
        BashOperator(task_id="dump", bash_command="dump.sh > /data/dump/{{ ds }}.csv")
    ```
    """

    code = "BF006"
    name = "catchup-with-unsafe-task"
    family = "backfill"

    def check(self, model: FileModel, settings: Mapping[str, Any]) -> Iterator[Violation]:
        hazards: list[hz.Hazard] | None = None
        for dag in model.dags:
            expr = dag.argument("catchup")
            if expr is None:
                if model.airflow_version != 2:
                    continue
                where, reason = dag.span, "catches up by default in Airflow 2"
            else:
                if _is_true(expr) is not True:
                    continue
                where, reason = model.span(expr), "has `catchup=True`"
            if hazards is None:
                hazards = hz.all_hazards(model)
            unsafe = sorted({task_id for h in hazards for dag_id, task_id in h.owners if dag_id == dag.dag_id})
            if unsafe:
                shown = ", ".join(f"`{t}`" for t in unsafe[:3]) + (f" and {len(unsafe) - 3} more" if len(unsafe) > 3 else "")
                yield self.violation(
                    where,
                    f"DAG `{dag.dag_id}` {reason} but "
                    + (f"task {shown} is" if len(unsafe) == 1 else f"tasks {shown} are")
                    + " not safe to rerun for past intervals",
                )


def _alerting(dag: DagModel, model: FileModel) -> bool:
    if dag.has_star_kwargs or dag.default_args is None:
        return True  # cannot tell: stay quiet
    for key in ("on_failure_callback", "dagrun_timeout", "sla_miss_callback"):
        if key in dag.arguments:
            return True
    defaults = dag.default_args
    if "on_failure_callback" in defaults:
        return True
    email_on_failure = defaults.get("email_on_failure")
    if "email" in defaults and not (isinstance(email_on_failure, ast.Constant) and not email_on_failure.value):
        return True
    return False


class DependsOnPastWithoutAlert(Rule):
    """## What it does
    Flags `depends_on_past=True` (on a task or in `default_args`) in a DAG that has no failure alert:
    no `on_failure_callback` (DAG, `default_args` or task), no `email` in `default_args`, and no
    `dagrun_timeout`.

    ## Why is this bad?
    With `depends_on_past`, one failed interval blocks the same task in every later run: they wait
    without state, nothing fails and nothing pages. A catchup or backfill stalls at the first failure
    and the pipeline is silently days behind when someone notices.

    ## Example
    ```python
    with DAG("ledger", schedule="@daily", default_args={"depends_on_past": True}):
        ...
    ```

    Use instead:
    ```python
    with DAG(
        "ledger",
        schedule="@daily",
        default_args={"depends_on_past": True, "on_failure_callback": notify_oncall},
        dagrun_timeout=timedelta(hours=6),
    ):
        ...
    ```
    """

    code = "BF007"
    name = "depends-on-past-without-alert"
    family = "backfill"

    def check(self, model: FileModel, settings: Mapping[str, Any]) -> Iterator[Violation]:
        for dag in model.dags:
            if _alerting(dag, model):
                continue
            for task in dag.tasks:
                # task.argument("depends_on_past"), inlined: only a written value can be true
                if "depends_on_past" in task.arguments:
                    expr = task.arguments["depends_on_past"]
                elif task.default_args is not None and "depends_on_past" in task.default_args:
                    expr = task.default_args["depends_on_past"]
                else:
                    continue  # None or UNKNOWN: not true
                if _is_true(expr) is not True or "on_failure_callback" in task.arguments:
                    continue
                where = task.span if "depends_on_past" not in task.arguments else model.span(expr)
                if dag.default_args and "depends_on_past" in dag.default_args and "depends_on_past" not in task.arguments:
                    where = model.span(dag.default_args["depends_on_past"])
                    yield self.violation(
                        where,
                        f"DAG `{dag.dag_id}` sets `depends_on_past=True` but has no failure alert: one failed "
                        "run blocks every later run silently",
                    )
                    break
                yield self.violation(
                    where,
                    f"Task `{task.task_id}` has `depends_on_past=True` but DAG `{dag.dag_id}` has no failure "
                    "alert: one failed run blocks every later run silently",
                )
