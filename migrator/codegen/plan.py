"""From an inferred `Pipeline` to everything a generated DAG module says, decided in one place.

Pure: no libcst, no files. `emit` turns a `DagPlan` into source text; `commands` writes it.
"""

from __future__ import annotations

import datetime as dt
import functools
import keyword
import re
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass, field, replace
from itertools import islice
from pathlib import PurePath
from zoneinfo import ZoneInfo

from migrator.codegen.command import EmbeddedCommand, SecretSpan, embed_command
from migrator.codegen.dates import KeptDate
from migrator.codegen.environment import (
    CRON_CONTROL,
    Secret,
    TaskEnvironment,
    split_environment,
    variable_reference,
)
from migrator.codegen.jinja import literal_template
from migrator.codegen.readiness import (
    DEFAULT_RETRIES,
    RetryPlan,
    SensorPlan,
    plan_retries,
    plan_sensors,
)
from migrator.codegen.timetable import TimetablePlan, airflow_fire_times, plan_timetable
from migrator.codegen.timing import (
    DEFAULT_DEADLINE_MARGIN,
    DeadlinePlan,
    plan_deadline,
    shortest_gap,
)
from migrator.crontab.model import CronEntry
from migrator.crontab.secrets import (
    CommandSecret,
    SecretNames,
    find_command_secrets,
    find_comment_secrets,
    is_secret_name,
    mask_secrets,
)
from migrator.errors import UsageError
from migrator.infer.model import CrossDagEdge, Pipeline, PipelineDag, PipelineTask, Unscheduled
from migrator.infer.shell import parse_command

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
    # retries of every task; None: by the failure type of each command (see `failures`)
    retries: int | None = None
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
    # readiness guards in commands become sensors (see `guards`)
    sensors: bool = True
    # the longest a sensor waits; None: until shortly before the DAG's next run
    sensor_timeout: dt.timedelta | None = None
    # sensors that can defer do (they wait in the triggerer); False: all wait in reschedule mode
    deferrable: bool = True
    # a run should be done this long after the latest time cron started one of its jobs
    deadline_margin: dt.timedelta = DEFAULT_DEADLINE_MARGIN
    # Airflow 3: a Deadline Alert to MAILTO (else the deadline is only said in the DAG's doc)
    deadlines: bool = True

    @property
    def default_retries(self) -> int:
        return DEFAULT_RETRIES if self.retries is None else self.retries


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
    doc: str | None = None  # the comment block above the entry, for the task's doc_md
    mail_users: tuple[str, ...] = ()  # MAILTO local mailboxes (no e-mail goes to them)
    retry: RetryPlan | None = None
    # what cron handed the job, for targets that run it without templating (Dagster)
    environment: TaskEnvironment | None = None
    stdin: str | None = None  # the text after the first `%`
    directory: str | None = None  # the working directory (HOME= or --cwd), as written
    offset: dt.timedelta = dt.timedelta(0)  # how long after the DAG's first job cron started it
    # secrets written in the command that could not be replaced by a Variable (what they are)
    secrets_left: tuple[str, ...] = ()


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
    sensors: tuple[SensorPlan, ...] = ()  # readiness guards of the commands, as sensors
    deadline: DeadlinePlan | None = None

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


@dataclass
class _CrontabNotes:
    """What is true of many jobs of a crontab, said once for the crontab rather than per DAG."""

    relative: list[str] = field(default_factory=list)  # task ids naming files relative to HOME
    home: list[str] = field(default_factory=list)  # task ids using `~` with no HOME= set
    ownerless: list[str] = field(default_factory=list)  # dag ids without an owner
    mail_users: set[str] = field(default_factory=set)  # MAILTO local mailboxes

    def notes(self, source: str, target: str) -> list[Note]:
        said: list[str] = []
        if self.relative:
            names, many = _listed(self.relative)
            said.append(
                f"{names} {'name' if many else 'names'} files by relative path; cron ran "
                f"{'them' if many else 'it'} in the owner's home directory, "
                f"{_WHERE_JOBS_RUN[target].replace('them', 'them' if many else 'it')}: set HOME= in "
                "the crontab or pass --cwd DIR"
            )
        if self.home:
            names, many = _listed(self.home)
            said.append(
                f"{names} {'use' if many else 'uses'} `~` (a home directory): cron expanded it to "
                f"the home of the account that owned the crontab, {_TARGET_NAME[target]} expands it "
                "to the worker's: set HOME= in the crontab or write the absolute path"
            )
        if self.ownerless:
            names, many = _listed(self.ownerless, "DAG")
            said.append(
                f"{names} {'have' if many else 'has'} no owner: the crontab names no account and no "
                "MAILTO; pass --owner TEAM"
                # cron2dag lints Airflow code only: no lint advice for other targets
                + (" (until then `cron2dag lint` reports OPS003)" if target == "airflow" else "")
            )
        if self.mail_users:
            said.append(
                f"MAILTO={', '.join(sorted(self.mail_users))} is a mailbox on the cron host, not an "
                "e-mail address: the DAGs send no failure e-mail to it; set MAILTO to an address "
                "to be told"
            )
        return [Note(source, None, message) for message in said]


def _listed(names: list[str], noun: str = "") -> tuple[str, bool]:
    """(`"a, b"` or `"DAGs a, b"`, whether it is more than one)."""
    shown = ", ".join(names[:6]) + (f" and {len(names) - 6} more" if len(names) > 6 else "")
    many = len(names) > 1
    return (f"{noun}{'s' if many else ''} {shown}".strip() if noun else shown), many


def plan_pipeline(pipeline: Pipeline, options: CodegenOptions) -> PipelinePlan:
    notes: list[Note] = []
    secret_names = _secret_names(pipeline)
    crontab_notes = _CrontabNotes()
    dags = [
        _plan_dag(dag, pipeline, options, notes, secret_names, crontab_notes)
        for dag in pipeline.dags
    ]
    notes.extend(crontab_notes.notes(pipeline.source, options.target))
    by_id = {d.dag_id: d for d in dags}
    links = _plan_links(pipeline, by_id, notes)
    dags = [_with_links(d, links.get(d.dag_id, ())) for d in dags]
    return PipelinePlan(
        source=pipeline.source,
        dags=tuple(dags),
        unscheduled=pipeline.unscheduled,
        notes=tuple(notes),
        secrets=_secret_uses(dags),
        target=options.target,
    )


def _secret_names(pipeline: Pipeline) -> SecretNames:
    """Every secret of the crontab named once, in line order: one secret written on several lines is
    one Variable, and the names do not depend on how the jobs were grouped into DAGs."""
    names = SecretNames()
    entries = sorted((t.entry for d in pipeline.dags for t in d.tasks), key=lambda e: e.line)
    for entry in entries:
        for name, value in dict(entry.environment).items():
            if name not in CRON_CONTROL and is_secret_name(name):
                names.name(value, name)
        for secret in find_command_secrets(entry.command):
            if secret.movable:
                names.name(secret.value, secret.label)
    return names


def _secret_uses(dags: list[DagPlan]) -> tuple[tuple[Secret, tuple[str, ...]], ...]:
    """Each Variable once, with what it holds, the lines that write it and the DAGs that read it."""
    first: dict[str, Secret] = {}
    lines: dict[str, list[int]] = {}
    readers: dict[str, list[str]] = {}
    for dag in dags:
        for task in dag.tasks:
            for secret in task.secrets:
                first.setdefault(secret.variable, secret)
                lines.setdefault(secret.variable, []).extend(secret.lines)
                if dag.dag_id not in readers.setdefault(secret.variable, []):
                    readers[secret.variable].append(dag.dag_id)
    return tuple(
        (
            Secret(secret.name, variable, tuple(sorted(set(lines[variable])))),
            tuple(readers[variable]),
        )
        for variable, secret in first.items()
    )


def _with_links(dag: DagPlan, links: tuple[LinkPlan, ...]) -> DagPlan:
    if not links:
        return dag
    return DagPlan(**{**dag.__dict__, "links": links})


def _plan_dag(
    dag: PipelineDag,
    pipeline: Pipeline,
    options: CodegenOptions,
    notes: list[Note],
    secret_names: SecretNames,
    crontab_notes: _CrontabNotes,
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
    sensors: list[SensorPlan] = []
    taken = {t.task_id for t in dag.tasks}
    # the gap between runs bounds every sensor's wait: computed once, for DAGs that have a sensor
    gap = functools.cache(lambda: shortest_gap(timetable, _start_instant(options, timetable)))
    for task in dag.tasks:
        environment = split_environment(task.entry.environment, secret_names)
        found = plan_sensors(
            task,
            variables[task.task_id],
            dag.timezone,
            environment,
            options,
            gap,
            new_task_id=lambda wanted: names.task_id(wanted, taken),
            new_variable=names.variable,
        )
        plan = _plan_task(
            task, variables[task.task_id], dag, environment, options, secret_names, found.command
        )
        notes.extend(
            Note(pipeline.source, task.entry.line, f"{task.task_id}: {n}") for n in found.notes
        )
        sensors.extend(found.sensors)
        for kept in plan.command.kept:
            notes.append(_kept_note(pipeline.source, task, kept))
        for what in plan.secrets_left:
            notes.append(
                Note(
                    pipeline.source,
                    task.entry.line,
                    f"{task.task_id}: the {what} is quoted in pieces (or inside a date call), so it "
                    "stays in bash_command: write it as one quoted word and migrate again, or move "
                    "it to a Variable by hand",
                )
            )
        crontab_notes.mail_users.update(environment.mail_users)
        if environment.home is None and _uses_home(task.entry.command):
            crontab_notes.home.append(task.task_id)
        elif plan.cwd is None and _names_relative_path(task.entry.command, task.entry.env):
            crontab_notes.relative.append(task.task_id)
        tasks.append(plan)
    has_upstream = {e.downstream for e in dag.edges}
    waits = []
    if options.wait_for_original_time:
        for task in dag.tasks:
            delay = task.offset - first.offset
            if task.task_id not in has_upstream and delay > dt.timedelta(0):
                task_id = names.task_id(f"wait_for_{task.task_id}", taken)
                waits.append(
                    WaitPlan(task_id, names.variable(task_id), delay, variables[task.task_id])
                )
    task_ids = taken | {w.task_id for w in waits}
    guard_task_id = names.task_id(GUARD_TASK_ID, task_ids)
    guard_variable = names.variable(guard_task_id) if timetable.guard else guard_task_id
    edges = tuple((variables[e.upstream], variables[e.downstream]) for e in dag.edges)
    envs = {t.env_key for t in tasks}
    shared_env = next(iter(envs)) if len(envs) == 1 and tasks[0].env_key else None
    mailtos = {t.mailto for t in tasks}
    shared_mailto = next(iter(mailtos)) if len(mailtos) == 1 else ()
    recipients = tuple(dict.fromkeys(a for t in tasks for a in t.mailto))
    deadline = plan_deadline(
        timetable,
        {t.task_id: t.offset for t in dag.tasks},
        options.deadline_margin,
        recipients,
        _start_instant(options, timetable),
    )
    mail_users = {user for t in tasks for user in t.mail_users}
    owner = _dag_owner(options.owner, tasks, pipeline.source, shared_mailto, mail_users)
    if owner is None:
        crontab_notes.ownerless.append(dag.dag_id)
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
        sensors=tuple(sensors),
        deadline=deadline,
    )


_TARGET_NAME = {"airflow": "Airflow", "dagster": "Dagster"}


def _start_instant(options: CodegenOptions, table: TimetablePlan) -> dt.datetime:
    """The DAG's start_date as an instant (midnight in the DAG's zone)."""
    start = options.start_date
    return dt.datetime(start.year, start.month, start.day, tzinfo=ZoneInfo(table.timezone))


_WHERE_JOBS_RUN = {
    "airflow": "Airflow runs them in a temporary one",
    "dagster": "Dagster runs them in the directory its code server started in",
}


def _working_directory(directory: str | None) -> str | None:
    return literal_template(directory) if directory else None


# a word that names a file relative to the working directory: `run.py`, `bin/load.sh`, `./x`
_RELATIVE_FILE = re.compile(
    r"^(?![/$~\-{])(?!\w+://)(?:[^\s=]*/[^\s]*|[^\s/=]+\.(?:py|sh|bash|pl|rb|r|R|jar|sql|js|php))$"
)
_HOME_WORD = re.compile(r"(?:^|[\s=:'\"(])~(?:/|\s|$)|\$\{?HOME\b")


def _names_relative_path(command: str, env: dict[str, str] | None = None) -> bool:
    """A file named relative to a working directory cron set to the owner's home.

    Not after `cd /abs &&` (the directory is then the same on any machine), nor for absolute
    paths; `cd data && ...` is relative to the home directory, so it counts.
    """
    for simple in parse_command(command, env or {}):
        if simple.cwd is not None and simple.cwd.startswith("/"):
            continue
        if simple.cwd is not None and simple.cwd.startswith("~"):
            return True  # `cd data && ...`: a directory of the home cron started in
        words = list(simple.argv) + [r.target for r in simple.redirects]
        if any(_RELATIVE_FILE.match(word) for word in words[1:] + words[:1]):
            return True
    return False


def _uses_home(command: str) -> bool:
    """`~/bin/x`, `cd ~ &&`, `$HOME/data`: the home directory of whoever runs the command."""
    return bool(_HOME_WORD.search(command))


def _dag_owner(
    option: str | None,
    tasks: list[TaskPlan],
    source: str,
    shared_mailto: tuple[str, ...],
    mail_users: set[str] | None = None,
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
    if mail_users and len(mail_users) == 1:
        return next(iter(mail_users))  # MAILTO=ops: the local account that read cron's mail
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
    secret_names: SecretNames,
    command_text: str | None = None,
) -> TaskPlan:
    """`command_text`: what the task runs, when sensors took over part of the cron command."""
    entry = task.entry
    date_zone = environment.tz.lstrip(":") if environment.tz else dag.timezone
    found = find_command_secrets(entry.command)
    spans = {
        SecretSpan(s.start, s.end, secret_names.name(s.value, s.label)): s
        for s in found
        if s.movable
    }
    command = embed_command(
        entry.command if command_text is None else command_text,
        entry.stdin,
        timezone=date_zone,
        offset=task.offset,
        rewrite=options.rewrite_dates,
        shell=environment.shell,
        secrets=tuple(spans),
    )
    moved = {span.variable: spans[span] for span in spans if span not in command.unplaced}
    left = [s for s in found if not s.movable] + [spans[span] for span in command.unplaced]
    masks = {s.value: variable_reference(name) for name, s in moved.items()}
    # a secret left in place is written in pieces: hide the whole word as written, and the value
    masks.update({text: "***" for s in left for text in (s.value, entry.command[s.start : s.end])})
    # a secret inside a `$(date ...)` call that was kept must not reach its comment or note either
    kept = tuple(KeptDate(_masked(k.text, masks), k.reason) for k in command.kept)
    command = replace(command, kept=kept)
    user = f"{entry.user} " if entry.user else ""
    return TaskPlan(
        task_id=task.task_id,
        variable=variable,
        line=entry.line,
        crontab_line=f"{entry.schedule.text} {user}{_masked(entry.raw_command, masks)}",
        command=command,
        env_key=environment.env,
        cwd=_working_directory(environment.home or options.cwd),
        mailto=environment.mailto or (),
        user=entry.user,
        secrets=environment.secrets
        + tuple(Secret(s.what, name, (entry.line,)) for name, s in moved.items()),
        doc=_doc(entry, masks),
        mail_users=environment.mail_users,
        retry=plan_retries(entry, options),
        environment=environment,
        stdin=entry.stdin,
        directory=environment.home or options.cwd,
        offset=task.offset,
        secrets_left=tuple(dict.fromkeys(s.what for s in left)),
    )


def _doc(entry: CronEntry, masks: dict[str, str]) -> str | None:
    """The comment block above the entry, for the task's doc_md, without secrets: the command's
    (as the command shows them), the environment's secret values, and any a comment line carries
    itself (a commented-out job with its password, say)."""
    if not entry.comments:
        return None
    text = _masked("\n".join(entry.comments), masks)
    values: list[CommandSecret | str] = [
        value
        for name, value in dict(entry.environment).items()
        if name not in CRON_CONTROL and is_secret_name(name)
    ]
    for line in entry.comments:
        values.extend(find_comment_secrets(line))
    return mask_secrets(text, values) or None


def _masked(text: str, masks: dict[str, str]) -> str:
    """`text` with each secret value replaced by what stands for it (longest values first)."""
    for value in sorted(masks, key=len, reverse=True):
        text = mask_secrets(text, [value], masks[value])
    return text


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
    runs: dict[TimetablePlan, _UpstreamRuns] = {}  # shared by every link from the same calendar
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
        delta, note = _execution_delta(edge, upstream, downstream, dags, runs)
        if note:
            notes.append(Note(pipeline.source, downstream.task(edge.downstream).entry.line, note))
        plan = dags[edge.downstream_dag]
        taken = (
            {t.task_id for t in plan.tasks}
            | {w.task_id for w in plan.waits}
            | {s.task_id for s in plan.sensors}
            | {link.task_id for link in links.get(plan.dag_id, [])}
            | {plan.guard_task_id}
        )
        names = _Names(
            used={t.variable for t in plan.tasks}
            | {w.variable for w in plan.waits}
            | {s.variable for s in plan.sensors}
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
    edge: CrossDagEdge,
    upstream: PipelineDag,
    downstream: PipelineDag,
    dags: dict[str, DagPlan],
    runs: dict[TimetablePlan, _UpstreamRuns],
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
    known = runs.setdefault(up_table, _UpstreamRuns(up_table, start - _DAY))
    for moment in down_times:
        cutoff = moment + down_offset - up_offset
        latest = known.latest(cutoff)
        if latest is _UNKNOWN:
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


_DAY = dt.timedelta(days=1)
_UNKNOWN = dt.datetime.min  # `_UpstreamRuns.latest` cannot say: search near the cutoff instead


class _UpstreamRuns:
    """The runs of one upstream calendar from `origin` on, computed once for all its links.

    Many links wait for the same upstream (103 weekly reports reading one daily load): each asks
    for the latest run before hundreds of instants, answered here by bisection. A calendar that runs
    too often to keep (every minute over years) stops growing at `_KEPT_RUNS`; then, like an
    instant before `origin`, the answer comes from `_latest_fire_time`.
    """

    def __init__(self, table: TimetablePlan, origin: dt.datetime) -> None:
        self.times: list[dt.datetime] = []
        self.future = _fire_times(table, origin)
        self.ended = False

    def latest(self, cutoff: dt.datetime) -> dt.datetime:
        while not self.ended and (not self.times or self.times[-1] <= cutoff):
            if len(self.times) >= _KEPT_RUNS:
                return _UNKNOWN
            following = next(self.future, None)
            if following is None:
                self.ended = True
            else:
                self.times.append(following)
        index = bisect_right(self.times, cutoff)
        return self.times[index - 1] if index else _UNKNOWN


_KEPT_RUNS = 20_000


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
# Python variables of tasks stay this short so that `    upstream >> downstream` always fits in 88
# columns: a longer dependency line has no layout that `ruff format` keeps at every line length (it
# wraps it in parentheses below the limit and joins them back above it). Task ids are not shortened.
MAX_VARIABLE = 40
_TASK_ID_JUNK = re.compile(r"[^A-Za-z0-9_.-]")


def _shortened(identifier: str, limit: int) -> str:
    """`identifier` cut to at most `limit` characters, after a whole word where there is one."""
    if len(identifier) <= limit:
        return identifier
    cut = identifier.rfind("_", 0, limit + 1)
    return identifier[:cut] if cut > 0 else identifier[:limit]


@dataclass
class _Names:
    """Python variable names and extra task ids that never collide within one module."""

    used: set[str] = field(default_factory=set)

    def variable(self, task_id: str) -> str:
        base = _IDENTIFIER_JUNK.sub("_", task_id) or "task"
        if base[0].isdigit():
            base = "task_" + base
        base = _shortened(base, MAX_VARIABLE)
        if keyword.iskeyword(base) or base in _RESERVED:
            base += "_task"
        name, n = base, 2
        while name in self.used:
            suffix = f"_{n}"
            name, n = _shortened(base, MAX_VARIABLE - len(suffix)) + suffix, n + 1
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
