"""From an inferred `Pipeline` to everything a generated DAG module says, decided in one place.

Pure: no libcst, no files. `emit` turns a `DagPlan` into source text; `commands` writes it.
"""

from __future__ import annotations

import datetime as dt
import keyword
import re
from collections import Counter
from dataclasses import dataclass, field
from itertools import islice
from pathlib import PurePath

from migrator.codegen.command import EmbeddedCommand, embed_command
from migrator.codegen.dates import KeptDate
from migrator.codegen.environment import Secret, TaskEnvironment, split_environment
from migrator.codegen.jinja import literal_template
from migrator.codegen.timetable import TimetablePlan, airflow_fire_times, plan_timetable
from migrator.errors import UsageError
from migrator.infer.model import CrossDagEdge, Pipeline, PipelineDag, PipelineTask, Unscheduled

GUARD_TASK_ID = "cron_calendar_guard"
# names the generated module itself uses; a task variable never shadows them
_RESERVED = frozenset(
    {"dag", "pendulum", "timedelta", "ENV", "DAG", "BashOperator", "CronTriggerTimetable"}
    | {"TimeDeltaSensor", "TimeDeltaSensorAsync", "ExternalTaskSensor", "SmtpNotifier"}
)


@dataclass(frozen=True)
class CodegenOptions:
    # "airflow" (DAG files for Airflow `airflow`) or "dagster" (a Dagster code location)
    target: str = "airflow"
    airflow: int = 3
    retries: int = 2
    retry_delay: dt.timedelta = dt.timedelta(minutes=5)
    # a root task that cron started after the DAG's first job waits until that time
    wait_for_original_time: bool = True
    rewrite_dates: bool = True
    start_date: dt.date = dt.date(2025, 1, 1)
    catchup: bool = False
    max_active_runs: int = 1
    # who answers for the DAGs; None: derive it from the crontab (see `_dag_owner`)
    owner: str | None = None
    # where cron started the jobs (their owner's home) when the crontab sets no HOME=
    cwd: str | None = None


@dataclass(frozen=True)
class TaskPlan:
    task_id: str
    variable: str
    line: int
    crontab_line: str  # the entry as written, for the comment above the task
    command: EmbeddedCommand
    env_key: tuple[tuple[str, str], ...]  # env pairs; shared ones become a module constant
    cwd: str | None
    mailto: tuple[str, ...]
    user: str | None
    secrets: tuple[Secret, ...]
    # what cron handed the job, for targets that run it without templating (Dagster)
    environment: TaskEnvironment | None = None
    stdin: str | None = None  # the text after the first `%`
    directory: str | None = None  # the working directory (HOME= or --cwd), as written
    offset: dt.timedelta = dt.timedelta(0)  # how long after the DAG's first job cron started it


@dataclass(frozen=True)
class WaitPlan:
    """A time sensor in front of a root task that cron started `delay` after the DAG's first job."""

    task_id: str
    variable: str
    delay: dt.timedelta
    downstream: str  # variable of the task it holds back


@dataclass(frozen=True)
class LinkPlan:
    """An ExternalTaskSensor for a cross-DAG edge."""

    task_id: str
    variable: str
    external_dag_id: str
    external_task_id: str
    execution_delta: dt.timedelta
    downstream: str
    note: str | None


@dataclass(frozen=True)
class DagPlan:
    dag_id: str
    source: str
    lines: tuple[int, ...]
    timetable: TimetablePlan
    schedule_text: str  # the first task's schedule as written in the crontab
    first_task: str
    options: CodegenOptions
    tasks: tuple[TaskPlan, ...]
    waits: tuple[WaitPlan, ...]
    links: tuple[LinkPlan, ...]
    edges: tuple[tuple[str, str], ...]  # (upstream variable, downstream variable)
    shared_env: tuple[tuple[str, str], ...] | None  # the ENV constant, when every task has the same
    shared_mailto: tuple[str, ...]
    # `default_args["owner"]`; a task whose user differs carries its own. None: nobody is known
    owner: str | None = None
    guard_task_id: str = GUARD_TASK_ID
    guard_variable: str = GUARD_TASK_ID

    @property
    def task_count(self) -> int:
        return len(self.tasks)

    @property
    def source_name(self) -> str:
        return PurePath(self.source).name


@dataclass(frozen=True)
class Note:
    """Something the summary reports: where, and what."""

    source: str
    line: int | None
    message: str


@dataclass(frozen=True)
class PipelinePlan:
    source: str
    dags: tuple[DagPlan, ...]
    unscheduled: tuple[Unscheduled, ...]
    notes: tuple[Note, ...] = field(default=())
    secrets: tuple[tuple[Secret, tuple[str, ...]], ...] = field(default=())  # secret, dag ids
    target: str = "airflow"  # CodegenOptions.target


def plan_pipeline(pipeline: Pipeline, options: CodegenOptions) -> PipelinePlan:
    notes: list[Note] = []
    dags = [_plan_dag(dag, pipeline, options, notes) for dag in pipeline.dags]
    by_id = {d.dag_id: d for d in dags}
    links = _plan_links(pipeline, by_id, notes)
    dags = [_with_links(d, links.get(d.dag_id, ())) for d in dags]
    secrets: dict[Secret, list[str]] = {}
    for dag in dags:
        for task in dag.tasks:
            for secret in task.secrets:
                if dag.dag_id not in secrets.setdefault(secret, []):
                    secrets[secret].append(dag.dag_id)
    return PipelinePlan(
        source=pipeline.source,
        dags=tuple(dags),
        unscheduled=pipeline.unscheduled,
        notes=tuple(notes),
        secrets=tuple((s, tuple(ids)) for s, ids in secrets.items()),
        target=options.target,
    )


def _with_links(dag: DagPlan, links: tuple[LinkPlan, ...]) -> DagPlan:
    if not links:
        return dag
    return DagPlan(**{**dag.__dict__, "links": links})


def _plan_dag(
    dag: PipelineDag, pipeline: Pipeline, options: CodegenOptions, notes: list[Note]
) -> DagPlan:
    if not dag.tasks:
        raise UsageError(f"{pipeline.source}: DAG {dag.dag_id!r} has no tasks")
    first = min(dag.tasks, key=lambda t: (t.offset, t.entry.line))
    timetable = plan_timetable(dag.schedule, dag.timezone, first.entry.schedule)
    for message in timetable.notes:
        notes.append(Note(pipeline.source, first.entry.line, f"{dag.dag_id}: {message}"))
    names = _Names()
    variables = {t.task_id: names.variable(t.task_id) for t in dag.tasks}
    tasks = []
    for task in dag.tasks:
        environment = split_environment(task.entry.environment)
        plan = _plan_task(task, variables[task.task_id], dag, environment, options)
        for kept in plan.command.kept:
            notes.append(_kept_note(pipeline.source, task, kept))
        tasks.append(plan)
    has_upstream = {e.downstream for e in dag.edges}
    waits = []
    if options.wait_for_original_time:
        for task in dag.tasks:
            delay = task.offset - first.offset
            if task.task_id not in has_upstream and delay > dt.timedelta(0):
                task_id = names.task_id(f"wait_for_{task.task_id}", {t.task_id for t in dag.tasks})
                waits.append(
                    WaitPlan(task_id, names.variable(task_id), delay, variables[task.task_id])
                )
    task_ids = {t.task_id for t in dag.tasks} | {w.task_id for w in waits}
    guard_task_id = names.task_id(GUARD_TASK_ID, task_ids)
    guard_variable = names.variable(guard_task_id) if timetable.guard else guard_task_id
    edges = tuple((variables[e.upstream], variables[e.downstream]) for e in dag.edges)
    envs = {t.env_key for t in tasks}
    shared_env = next(iter(envs)) if len(envs) == 1 and tasks[0].env_key else None
    if any(t.cwd is None for t in tasks):
        relative = sorted({t.task_id for t in dag.tasks if _names_relative_path(t.entry.command)})
        if relative:
            notes.append(
                Note(
                    pipeline.source,
                    None,
                    f"{dag.dag_id}: {', '.join(relative)} name files by relative path; cron ran them "
                    f"in the owner's home directory, {_WHERE_JOBS_RUN[options.target]}: set HOME= "
                    "in the crontab or pass --cwd DIR",
                )
            )
    mailtos = {t.mailto for t in tasks}
    shared_mailto = next(iter(mailtos)) if len(mailtos) == 1 else ()
    owner = _dag_owner(options.owner, tasks, pipeline.source, shared_mailto)
    if owner is None:
        notes.append(
            Note(
                pipeline.source,
                None,
                f"{dag.dag_id}: no owner: the crontab names no account and no MAILTO; pass "
                + (
                    "--owner TEAM (until then `cron2dag lint` reports OPS003)"
                    if options.target == "airflow"
                    # cron2dag lints Airflow code only: no lint advice for other targets
                    else "--owner TEAM"
                ),
            )
        )
    return DagPlan(
        dag_id=dag.dag_id,
        source=pipeline.source,
        lines=tuple(sorted(t.entry.line for t in dag.tasks)),
        timetable=timetable,
        schedule_text=first.entry.schedule.text,
        first_task=first.task_id,
        options=options,
        tasks=tuple(tasks),
        waits=tuple(waits),
        links=(),
        edges=edges,
        shared_env=shared_env,
        shared_mailto=shared_mailto,
        owner=owner,
        guard_task_id=guard_task_id,
        guard_variable=guard_variable,
    )


_WHERE_JOBS_RUN = {
    "airflow": "Airflow runs them in a temporary one",
    "dagster": "Dagster runs them in the directory its code server started in",
}


def _working_directory(directory: str | None) -> str | None:
    return literal_template(directory) if directory else None


# a word that names a file relative to the working directory: `run.py`, `bin/load.sh`, `./x`
_RELATIVE_FILE = re.compile(
    r"^(?![/$~\-])(?!\w+://)(?:[^\s=]*/[^\s]*|[^\s/=]+\.(?:py|sh|bash|pl|rb|r|R|jar|sql|js|php))$"
)
_ABSOLUTE_START = ("/", "$", "~", "-")


def _names_relative_path(command: str) -> bool:
    words = command.split()
    return any(
        _RELATIVE_FILE.match(word)
        or (previous == "cd" and not word.startswith(_ABSOLUTE_START))
        for previous, word in zip(["", *words], words)
    )


def _dag_owner(
    option: str | None, tasks: list[TaskPlan], source: str, shared_mailto: tuple[str, ...]
) -> str | None:
    """Who answers for a DAG, from the most to the least explicit: `--owner`; the account(s) cron ran
    the jobs as (the user column; Airflow shows several owners joined by commas); the account whose
    spool file the crontab is; the one address cron mailed the jobs' output to.

    Never the person running `migrate`: the same crontab must give the same file on every machine.
    """
    if option:
        return option
    users = sorted({t.user for t in tasks if t.user})
    if users:
        return ",".join(users)
    spool_user = _spool_user(PurePath(source))
    if spool_user:
        return spool_user
    if len(shared_mailto) == 1:
        return shared_mailto[0]
    return None


def _spool_user(path: PurePath) -> str | None:
    """`/var/spool/cron/crontabs/alice` (Debian) and `/var/spool/cron/alice` (cronie) belong to alice."""
    parts = path.parts
    for index in range(len(parts) - 2):
        if parts[index] == "spool" and parts[index + 1] == "cron":
            rest = parts[index + 2 :]
            if rest and rest[0] == "crontabs":
                rest = rest[1:]
            if len(rest) == 1:
                return rest[0]
    return None


def _plan_task(
    task: PipelineTask,
    variable: str,
    dag: PipelineDag,
    environment: TaskEnvironment,
    options: CodegenOptions,
) -> TaskPlan:
    entry = task.entry
    date_zone = environment.tz.lstrip(":") if environment.tz else dag.timezone
    command = embed_command(
        entry.command,
        entry.stdin,
        timezone=date_zone,
        offset=task.offset,
        rewrite=options.rewrite_dates,
        shell=environment.shell,
    )
    user = f"{entry.user} " if entry.user else ""
    return TaskPlan(
        task_id=task.task_id,
        variable=variable,
        line=entry.line,
        crontab_line=f"{entry.schedule.text} {user}{entry.raw_command}",
        command=command,
        env_key=environment.env,
        cwd=_working_directory(environment.home or options.cwd),
        mailto=environment.mailto or (),
        user=entry.user,
        secrets=environment.secrets,
        environment=environment,
        stdin=entry.stdin,
        directory=environment.home or options.cwd,
        offset=task.offset,
    )


def _kept_note(source: str, task: PipelineTask, kept: KeptDate) -> Note:
    return Note(
        source,
        task.entry.line,
        f"{task.task_id}: kept wall-clock `{kept.text}` ({kept.reason}); a backfill will not see "
        "the run's date there",
    )


def _plan_links(
    pipeline: Pipeline, dags: dict[str, DagPlan], notes: list[Note]
) -> dict[str, tuple[LinkPlan, ...]]:
    links: dict[str, list[LinkPlan]] = {}
    for edge in pipeline.cross_dag_edges:
        upstream = next((d for d in pipeline.dags if d.dag_id == edge.upstream_dag), None)
        downstream = next((d for d in pipeline.dags if d.dag_id == edge.downstream_dag), None)
        if upstream is None or downstream is None or edge.downstream_dag not in dags:
            notes.append(
                Note(
                    pipeline.source,
                    None,
                    f"cross-DAG edge {_edge_text(edge)}: unknown DAG, not linked",
                )
            )
            continue
        delta, note = _execution_delta(edge, upstream, downstream, dags)
        if note:
            notes.append(Note(pipeline.source, downstream.task(edge.downstream).entry.line, note))
        plan = dags[edge.downstream_dag]
        taken = (
            {t.task_id for t in plan.tasks}
            | {w.task_id for w in plan.waits}
            | {link.task_id for link in links.get(plan.dag_id, [])}
            | {plan.guard_task_id}
        )
        names = _Names(
            used={t.variable for t in plan.tasks}
            | {w.variable for w in plan.waits}
            | {plan.guard_variable}
        )
        for link in links.get(plan.dag_id, []):
            names.used.add(link.variable)
        task_id = names.task_id(f"wait_for_{edge.upstream_dag}_{edge.upstream}", taken)
        downstream_variable = next(t.variable for t in plan.tasks if t.task_id == edge.downstream)
        links.setdefault(plan.dag_id, []).append(
            LinkPlan(
                task_id=task_id,
                variable=names.variable(task_id),
                external_dag_id=edge.upstream_dag,
                external_task_id=edge.upstream,
                execution_delta=delta,
                downstream=downstream_variable,
                note=note,
            )
        )
    return {k: tuple(v) for k, v in links.items()}


def _edge_text(edge: CrossDagEdge) -> str:
    return f"{edge.upstream_dag}.{edge.upstream} -> {edge.downstream_dag}.{edge.downstream}"


def _execution_delta(
    edge: CrossDagEdge, upstream: PipelineDag, downstream: PipelineDag, dags: dict[str, DagPlan]
) -> tuple[dt.timedelta, str | None]:
    """How far before a downstream run's logical date lies the upstream run it must wait for.

    The upstream run is the latest one whose task cron would have started no later than the
    downstream task: logical date + the task's offset inside its DAG, on both sides.
    """
    up_offset = upstream.task(edge.upstream).offset
    down_offset = downstream.task(edge.downstream).offset
    up_table = dags[upstream.dag_id].timetable
    down_table = dags[downstream.dag_id].timetable
    start = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
    down_times = list(islice(_fire_times(down_table, start), 400))
    if not down_times:
        return dt.timedelta(0), None
    deltas: Counter[dt.timedelta] = Counter()
    lookback = _MIN_LOOKBACK
    for moment in down_times:
        cutoff = moment + down_offset - up_offset
        latest = _latest_fire_time(up_table, cutoff, lookback)
        if latest is not None:
            deltas[moment - latest] += 1
            # calendars repeat: the next upstream run is most likely as far back as this one
            lookback = cutoff - latest + _MIN_LOOKBACK
    if not deltas:
        return dt.timedelta(0), f"cross-DAG edge {_edge_text(edge)}: the upstream never runs first"
    delta, count = deltas.most_common(1)[0]
    if len(deltas) == 1:
        return delta, None
    return delta, (
        f"cross-DAG edge {_edge_text(edge)}: the upstream run is {_duration(delta)} earlier on "
        f"{count} of {len(down_times)} runs but not always (calendars or DST differ); on other runs "
        "the sensor waits for a run that does not exist and times out instead of running on stale data"
    )


def _fire_times(table: TimetablePlan, start: dt.datetime):
    for moment in airflow_fire_times(table.expression, table.timezone, start):
        if table.guard is None or table.guard.admits(moment):
            yield moment


# how far back to look for an upstream run; a schedule that fires at all fires within this
# (a 29 February job skips at most 8 years)
_MAX_LOOKBACK = dt.timedelta(days=16 * 366)
_MIN_LOOKBACK = dt.timedelta(minutes=1)


def _latest_fire_time(
    table: TimetablePlan, cutoff: dt.datetime, lookback: dt.timedelta = _MIN_LOOKBACK
) -> dt.datetime | None:
    """The last run of `table` at or before `cutoff`, or None.

    Searches back from `lookback` in doubling windows, so the work follows the distance to that
    run rather than the number of upstream runs: an hourly upstream of a monthly report over 400
    months would otherwise be 300,000 fire times (a minute of croniter for one link).
    """
    while True:
        latest = None
        for moment in _fire_times_until(table, cutoff - lookback, cutoff):
            latest = moment
        if latest is not None or lookback > _MAX_LOOKBACK:
            return latest
        lookback *= 2


def _fire_times_until(table: TimetablePlan, start: dt.datetime, end: dt.datetime):
    for moment in _fire_times(table, start):
        if moment > end:
            return
        yield moment


def _duration(delta: dt.timedelta) -> str:
    seconds = int(delta.total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = [
        f"{days}d" if days else "",
        f"{hours}h" if hours else "",
        f"{minutes}m" if minutes else "",
    ]
    return "".join(parts) or "0m"


_IDENTIFIER_JUNK = re.compile(r"\W")
_TASK_ID_JUNK = re.compile(r"[^A-Za-z0-9_.-]")


@dataclass
class _Names:
    """Python variable names and extra task ids that never collide within one module."""

    used: set[str] = field(default_factory=set)

    def variable(self, task_id: str) -> str:
        base = _IDENTIFIER_JUNK.sub("_", task_id) or "task"
        if base[0].isdigit():
            base = "task_" + base
        if keyword.iskeyword(base) or base in _RESERVED:
            base += "_task"
        name, n = base, 2
        while name in self.used:
            name, n = f"{base}_{n}", n + 1
        self.used.add(name)
        return name

    @staticmethod
    def task_id(wanted: str, taken: set[str]) -> str:
        base = _TASK_ID_JUNK.sub("_", wanted)[:240]
        name, n = base, 2
        while name in taken:
            name, n = f"{base}_{n}", n + 1
        taken.add(name)
        return name
