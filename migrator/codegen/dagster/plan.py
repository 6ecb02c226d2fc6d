"""What a Dagster code location says about each planned DAG, decided in one place.

The Airflow plan (`migrator.codegen.plan`) already decided everything both targets share: ids,
edges, commands and their date calls, environment, working directory, owner, waits, cross-DAG links
and the calendar. This adds what only Dagster needs: Python-safe names that are unique in one code
location, assets or ops, daily partitions, owners in Dagster's form, and the calendar a link sensor
checks a computed time against. Pure: no libcst, no files.
"""

from __future__ import annotations

import datetime as dt
import keyword
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from migrator.codegen.dates import Expression
from migrator.codegen.plan import DagPlan, PipelinePlan, TaskPlan
from migrator.crontab.model import FieldKind, Schedule
from migrator.errors import Diagnostic, InputError
from migrator.infer.model import Pipeline, PipelineDag

# evidence that a job writes data another job reads: lineage worth showing as assets
DATA_EVIDENCE = frozenset({"path", "table", "url"})
DEFINITIONS_MODULE = "definitions"
# names a generated module defines or imports itself; a step function never takes one
RESERVED = frozenset(
    {"dg", "dt", "time", "ZoneInfo", "Mapping", "defs", "TICK_TAG", "RETRY_POLICY", "ENV"}
    | {"PARTITIONS", "MAILTO", "UPSTREAM", "CALENDAR", "ZONE", "THIS_JOB"}
    | {"scheduled_time", "run_cron_command", "cron_date", "wait_until", "secret"}
    | {"has_run", "on_calendar", "context", "pipes", "tick"}
)
# top-level modules that Dagster 1.13 and its web server import (.ci/dagster.lock): a generated
# module of the same name would be shadowed by them (or shadow them) in `definitions.py`
DAGSTER_IMPORTS = frozenset(
    [
        "alembic",
        "annotated_types",
        "antlr4",
        "anyio",
        "backoff",
        "certifi",
        "charset_normalizer",
        "click",
        "coloredlogs",
        "dateutil",
        "docstring_parser",
        "dotenv",
        "filelock",
        "fsspec",
        "google",
        "gql",
        "graphene",
        "graphql",
        "graphql_relay",
        "grpc",
        "grpc_health",
        "h11",
        "httptools",
        "humanfriendly",
        "idna",
        "jinja2",
        "mako",
        "markdown_it",
        "markupsafe",
        "mdurl",
        "multidict",
        "packaging",
        "pathlib_abc",
        "platformdirs",
        "propcache",
        "pydantic",
        "pydantic_core",
        "pygments",
        "pytz",
        "requests",
        "requests_toolbelt",
        "rich",
        "six",
        "sqlalchemy",
        "starlette",
        "structlog",
        "tabulate",
        "tomli",
        "tomlkit",
        "toposort",
        "tqdm",
        "typing_extensions",
        "typing_inspection",
        "tzdata",
        "upath",
        "urllib3",
        "uvicorn",
        "uvloop",
        "watchdog",
        "watchfiles",
        "websockets",
        "yaml",
        "yarl",
    ]
)
_DAILY = re.compile(r"^(\d+) (\d+) \* \* \*$")
_NOT_IDENTIFIER = re.compile(r"\W")


@dataclass(frozen=True)
class StepPlan:
    task: TaskPlan
    function: str  # the op/asset function's name in its module
    upstream: tuple[str, ...]  # functions of the steps it waits for
    wait: dt.timedelta | None  # cron started it this long after the run's first job


@dataclass(frozen=True)
class UpstreamLink:
    """A downstream run at tick T needs a successful run of `job` for tick T - `delta`."""

    job: str
    delta: dt.timedelta
    note: str | None


@dataclass(frozen=True)
class Calendar:
    """The downstream's calendar as cron reads it: what a link sensor checks a time against."""

    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday
    either: bool  # both day fields restricted: a day matches when either does


@dataclass(frozen=True)
class DagsterDag:
    dag: DagPlan
    name: str  # module, job and group name: a Python identifier unique in the code location
    assets: bool  # every edge carries data evidence: steps are assets with deps
    # (hour, minute) of a daily partition when the calendar is once a day and a command uses dates
    daily_partition: tuple[int, int] | None
    owners: tuple[str, ...]
    steps: tuple[StepPlan, ...]
    upstream: tuple[UpstreamLink, ...]
    calendar: Calendar | None  # for DAGs with upstream links or their own zone (CRON_TZ)
    mailto: tuple[str, ...]  # every MAILTO address of its jobs
    own_zone: bool = False  # the calendar is in its own zone (CRON_TZ), not cron's

    @property
    def uses_dates(self) -> bool:
        return any(_date_calls(step.task) for step in self.steps)

    @property
    def job_function(self) -> str:
        return f"{self.name}_job"


def plan_location(
    plans: Sequence[PipelinePlan], pipelines: Sequence[Pipeline]
) -> tuple[DagsterDag, ...]:
    """Every DAG of `plans` (in order), named uniquely for one Dagster code location."""
    names: dict[str, str] = {}
    owners_of: dict[str, tuple[DagPlan, str]] = {}
    problems = []
    for plan in plans:
        for dag in plan.dags:
            name = module_identifier(dag.dag_id)
            other = owners_of.setdefault(name, (dag, plan.source))
            if other[0] is not dag:
                problems.append(
                    Diagnostic(
                        plan.source,
                        f"DAG id {dag.dag_id!r} and {other[0].dag_id!r} (from {other[1]}) both "
                        f"become the Dagster name {name!r}; rename one with an overrides file",
                        dag.lines[0],
                        1,
                    )
                )
            names[dag.dag_id] = name
    if problems:
        raise InputError(problems)
    out = []
    for plan, pipeline in zip(plans, pipelines):
        inferred = {d.dag_id: d for d in pipeline.dags}
        for dag in plan.dags:
            out.append(_plan_dag(dag, inferred[dag.dag_id], names))
    return tuple(out)


def module_identifier(dag_id: str) -> str:
    """A Python identifier for `dag_id` that cannot shadow a module Dagster or Python imports."""
    name = _NOT_IDENTIFIER.sub("_", dag_id) or "pipeline"
    if name[0].isdigit():
        name = "pipeline_" + name
    if (
        keyword.iskeyword(name)
        or name in sys.stdlib_module_names
        or name in DAGSTER_IMPORTS
        or name == DEFINITIONS_MODULE
        or name.startswith(("dagster", "_"))
    ):
        name += "_pipeline"
    return name


def _plan_dag(dag: DagPlan, inferred: PipelineDag, names: dict[str, str]) -> DagsterDag:
    name = names[dag.dag_id]
    taken = set(RESERVED) | {f"{name}_job", f"{name}_schedule", f"{name}_mailto"}
    taken |= {f"{name}_after_upstream"}
    functions: dict[str, str] = {}
    for task in dag.tasks:
        function = task.variable
        while function in taken:
            function += "_step"
        taken.add(function)
        functions[task.variable] = function
    waits = {w.downstream: w.delay for w in dag.waits}
    steps = tuple(
        StepPlan(
            task=task,
            function=functions[task.variable],
            upstream=tuple(functions[up] for up, down in dag.edges if down == task.variable),
            wait=waits.get(task.variable),
        )
        for task in dag.tasks
    )
    assets = bool(inferred.edges) and all(
        any(e.kind in DATA_EVIDENCE for e in edge.evidence) for edge in inferred.edges
    )
    daily = _DAILY.match(dag.timetable.expression)
    uses_dates = any(_date_calls(step.task) for step in steps)
    partition = (
        (int(daily.group(2)), int(daily.group(1)))
        if daily and dag.timetable.guard is None and uses_dates
        else None
    )
    upstream = tuple(
        dict.fromkeys(
            UpstreamLink(names[link.external_dag_id], link.execution_delta, link.note)
            for link in dag.links
            if link.external_dag_id in names
        )
    )
    first = next(t for t in inferred.tasks if t.task_id == dag.first_task)
    # cronie skips a CRON_TZ job whose wall time the clock jumps over; Dagster would run it after
    # the jump: the schedule checks the wall clock against the calendar
    own_zone = first.entry.schedule.timezone is not None
    calendar = _calendar(first.entry.schedule) if upstream or own_zone else None
    mailto = tuple(dict.fromkeys(a for task in dag.tasks for a in task.mailto))
    return DagsterDag(
        dag=dag,
        name=name,
        assets=assets,
        daily_partition=partition,
        owners=dagster_owners(dag.owner),
        steps=steps,
        upstream=upstream,
        calendar=calendar,
        mailto=mailto,
        own_zone=own_zone,
    )


def dagster_owners(owner: str | None) -> tuple[str, ...]:
    """Dagster owners are e-mail addresses or `team:NAME`; an account name becomes a team."""
    if not owner:
        return ()
    out = []
    for part in owner.split(","):
        part = part.strip()
        if not part:
            continue
        out.append(part if _is_email(part) else f"team:{part}")
    return tuple(dict.fromkeys(out))


def _is_email(text: str) -> bool:
    return re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", text) is not None


def _date_calls(task: TaskPlan) -> list[Expression]:
    return [s for s in task.command.segments if isinstance(s, Expression) and s.call]


def _calendar(schedule: Schedule) -> Calendar | None:
    if schedule.fields is None:
        return None
    dom = schedule.field(FieldKind.DAY_OF_MONTH)
    dow = schedule.field(FieldKind.DAY_OF_WEEK)
    return Calendar(
        minutes=schedule.field(FieldKind.MINUTE).values,
        hours=schedule.field(FieldKind.HOUR).values,
        days=dom.values,
        months=schedule.field(FieldKind.MONTH).values,
        weekdays=frozenset(v % 7 for v in dow.values),
        either=not dom.starts_with_star and not dow.starts_with_star,
    )
