"""A `DagPlan` as the source of one Airflow DAG module, built from libcst nodes.

Every name the module uses is requested from one `Imports` collector; commands, ids and paths enter
only as string-literal nodes. The output is what `ruff format` would print (see `pysource`).
"""

from __future__ import annotations

import datetime as dt
import functools
import textwrap
from collections.abc import Sequence

import libcst as cst

from migrator.codegen.failures import SHELL_PERMANENT
from migrator.codegen.plan import DagPlan, LinkPlan, TaskPlan, WaitPlan
from migrator.codegen.pysource import (
    INDENT,
    Argument,
    Imports,
    Layout,
    call,
    comment_lines,
    exploded_dict,
    list_of,
    py_string,
    py_value,
)
from migrator.codegen.readiness import SensorPlan
from migrator.codegen.targets import Target
from migrator.codegen.timing import clock as _clock

ENV_CONSTANT = "ENV"
RETRY_POLICY_CLASS = "NoRetryOnExitCodes"
# the connection each sensor kind uses: the defaults its provider documents
SENSOR_CONNECTIONS = {
    "file": ("fs_conn_id", "fs_default"),
    "s3": ("aws_conn_id", "aws_default"),
    "gcs": ("google_cloud_conn_id", "google_cloud_default"),
    "hdfs": ("webhdfs_conn_id", "webhdfs_default"),
}
_WHAT = {"file": "file", "s3": "S3 key", "gcs": "GCS object", "hdfs": "HDFS path"}
# Retry policies see the exception, not the exit status: BashOperator reports the status in its
# message ("Bash command failed. The command returned a non-zero exit code 127.").
_RETRY_POLICY_SOURCE = """\
class {name}(RetryPolicy):
    \"\"\"Fail at once, skipping the remaining retries, when the command exits with one
    of `codes`: a usage error or a missing program fails the same way on every try.
    \"\"\"

    def __init__(self, *codes: int) -> None:
        self.codes = frozenset(codes)

    def evaluate(self, exception, try_number, max_tries, context=None):
        code = re.search(r"exit code (\\d+)", str(exception))
        if code and int(code.group(1)) in self.codes:
            return RetryDecision.fail(f"exit code {{code.group(1)}} fails on every try")
        return RetryDecision.default()
"""


def render_dag(plan: DagPlan, target: Target) -> str:
    """The module source (without the cron2dag header, which `writer` adds)."""
    return _Emitter(plan, target).module().code


class _Emitter:
    def __init__(self, plan: DagPlan, target: Target) -> None:
        self.plan = plan
        self.target = target
        self.imports = Imports()
        self.options = plan.options

    def name(self, symbol: tuple[str, str]) -> str:
        return self.imports.add(*symbol)

    # -- module --------------------------------------------------------------------------------

    def module(self) -> cst.Module:
        body: list[cst.BaseStatement] = []
        if self.plan.shared_env is not None:
            body.append(self._env_constant(self.plan.shared_env))
        if self._uses_retry_policy():
            body.append(self._retry_policy_class())
        body.append(self._with_dag())
        imports = self.imports.statements()
        docstring = cst.SimpleStatementLine(body=[cst.Expr(cst.SimpleString(self._docstring()))])
        statements: list[cst.BaseStatement] = [docstring]
        first_import, *other_imports = imports
        statements.append(first_import.with_changes(leading_lines=[cst.EmptyLine()]))
        statements.extend(other_imports)
        after_class = False
        for statement in body:
            # PEP 8 (and ruff format): two blank lines around a top-level class
            is_class = isinstance(statement, cst.ClassDef)
            blank = [cst.EmptyLine()] * (2 if is_class or after_class else 1)
            statements.append(
                statement.with_changes(leading_lines=[*blank, *statement.leading_lines])
            )
            after_class = is_class
        return cst.Module(body=statements)

    def _docstring(self) -> str:
        plan = self.plan
        table = plan.timetable
        jobs = "1 job" if plan.task_count == 1 else f"{plan.task_count} jobs"
        lines = [
            f"{plan.dag_id}: {jobs} from a crontab, as one Airflow DAG.",
            "",
            f"Runs on `{table.expression}` in {table.timezone}, the calendar of `{plan.first_task}` "
            + f"(crontab: `{plan.schedule_text}`).",
            "A run's logical date is the instant cron would have started that job; date",
            "templates in the commands render it, so reruns and backfills see their own date.",
        ]
        if plan.edges:
            lines.append("Jobs that cron started later now start when their upstream succeeds.")
        if plan.sensors:
            lines.append(
                "Readiness checks of the commands are sensors: a job starts when its data is there."
            )
        lines.extend(self._deadline_doc())
        return '"""' + "\n".join(lines) + '\n"""'

    def _deadline_doc(self) -> list[str]:
        deadline = self.plan.deadline
        if deadline is None:
            return []
        text = "Deadline: " + deadline.describe() + "."
        if self.target.deadline_alert is None:
            text += (
                " Airflow 2 has no deadline alerts: watch for it (Airflow 3.1+ alerts by itself)."
            )
        elif not self.options.deadlines:
            text += " Not alerted (migrate --no-deadlines)."
        elif not deadline.recipients:
            text += " No alert: the crontab has no MAILTO to send one to."
        else:
            text += " A missed deadline is mailed to MAILTO."
        return ["", *wrap_comment(text, 100)]

    def _env_constant(self, env: Sequence[tuple[str, str]]) -> cst.SimpleStatementLine:
        value = exploded_dict([(py_string(k), py_string(v)) for k, v in env], depth=0)
        return cst.SimpleStatementLine(
            body=[cst.Assign(targets=[cst.AssignTarget(cst.Name(ENV_CONSTANT))], value=value)]
        )

    # -- the DAG -------------------------------------------------------------------------------

    def _with_dag(self) -> cst.With:
        plan = self.plan
        options = self.options
        table = plan.timetable
        timetable = call(
            self.name(self.target.cron_timetable),
            [(None, py_string(table.expression)), ("timezone", py_string(table.timezone))],
            Layout(depth=1, column=len(INDENT + "schedule="), tail=1),
        )
        self.imports.add_module("pendulum")
        start = options.start_date
        start_date = call(
            "pendulum.datetime",
            [
                (None, py_value(start.year)),
                (None, py_value(start.month)),
                (None, py_value(start.day)),
                ("tz", py_string(table.timezone)),
            ],
            Layout(depth=1, column=len(INDENT + "start_date="), tail=1),
        )
        args: list[Argument] = [
            ("dag_id", py_string(plan.dag_id)),
            ("schedule", timetable),
            ("start_date", start_date),
            ("catchup", py_value(options.catchup)),
            ("max_active_runs", py_value(options.max_active_runs)),
            ("default_args", self._default_args()),
            *self._deadline_argument(),
            (
                "tags",
                list_of(
                    [py_string("cron2dag")], Layout(depth=1, column=len(INDENT + "tags="), tail=1)
                ),
            ),
            ("doc_md", cst.Name("__doc__")),
        ]
        dag_call = call(self.name(self.target.dag), args, explode=True)
        statements = self._task_statements()
        return cst.With(
            items=[cst.WithItem(item=dag_call, asname=cst.AsName(name=cst.Name("dag")))],
            body=cst.IndentedBlock(body=statements),
        )

    def _deadline_argument(self) -> list[Argument]:
        deadline = self.plan.deadline
        symbols = self.target.deadline_alert
        if deadline is None or symbols is None or not deadline.recipients or not self.options.deadlines:
            return []
        alert, reference, callback = (self.name(symbol) for symbol in symbols)
        assert self.target.smtp_notifier is not None
        subject = "{{ dag_run.dag_id }} missed its deadline (run {{ dag_run.run_id }})"
        body = (
            "Run {{ dag_run.run_id }} of {{ dag_run.dag_id }} was not done by "
            "{{ deadline.deadline_time }}: " + f"cron had started {deadline.latest_task} by then."
        )
        kwargs = exploded_dict(
            [
                (py_string("to"), self._addresses(deadline.recipients, 4, 16)),
                (py_string("subject"), py_string(subject)),
                (py_string("html_content"), py_string(body)),
            ],
            depth=3,
        )
        args: list[Argument] = [
            ("reference", cst.Attribute(cst.Name(reference), cst.Name("DAGRUN_LOGICAL_DATE"))),
            ("interval", self._timedelta(deadline.interval, depth=2, column=8 + len("interval="))),
            (
                "callback",
                call(
                    callback,
                    [(None, cst.Name(self.name(self.target.smtp_notifier))), ("kwargs", kwargs)],
                    explode=True,
                    layout=Layout(depth=2),
                ),
            ),
        ]
        return [("deadline", call(alert, args, explode=True, layout=Layout(depth=1)))]

    def _uses_retry_policy(self) -> bool:
        return self.target.retry_policy is not None and (
            self.options.default_retries > 0
            or any(t.retry is not None and t.retry.permanent_exit_codes for t in self.plan.tasks)
        )

    def _retry_policy(self, codes: Sequence[int], layout: Layout) -> cst.Call:
        return call(RETRY_POLICY_CLASS, [(None, py_value(code)) for code in codes], layout)

    def _retry_policy_class(self) -> cst.BaseStatement:
        assert self.target.retry_policy is not None
        for symbol in self.target.retry_policy:
            self.name(symbol)
        self.imports.add_module("re")
        return _retry_policy_statement()

    def _default_args(self) -> cst.Dict:
        items: list[tuple[cst.BaseExpression, cst.BaseExpression]] = []
        if self.plan.owner is not None:
            items.append((py_string("owner"), py_string(self.plan.owner)))
        items.append((py_string("retries"), py_value(self.options.default_retries)))
        if self.options.default_retries:
            items.append(
                (
                    py_string("retry_delay"),
                    self._timedelta(self.options.retry_delay, depth=2, column=8 + 15),
                )
            )
            if self._uses_retry_policy():
                layout = Layout(depth=2, column=8 + len('"retry_policy": '), tail=1)
                items.append(
                    (py_string("retry_policy"), self._retry_policy(SHELL_PERMANENT, layout))
                )
        if self.plan.shared_mailto:
            items.extend(self._mail_items(self.plan.shared_mailto, depth=2, column=8))
        return exploded_dict(items, depth=1)

    def _mail_items(
        self, addresses: Sequence[str], depth: int, column: int
    ) -> list[tuple[cst.BaseExpression, cst.BaseExpression]]:
        """Failure e-mail to MAILTO: SmtpNotifier on Airflow 3, `email=` on Airflow 2."""
        to = self._addresses(addresses, depth + 1, column)
        if self.target.smtp_notifier is not None:
            notifier = call(
                self.name(self.target.smtp_notifier),
                [("to", to)],
                Layout(depth=depth, column=column + len('"on_failure_callback": '), tail=1),
            )
            return [(py_string("on_failure_callback"), notifier)]
        return [
            (py_string("email"), to),
            (py_string("email_on_failure"), py_value(True)),
            (py_string("email_on_retry"), py_value(False)),
        ]

    def _addresses(self, addresses: Sequence[str], depth: int, column: int) -> cst.BaseExpression:
        return list_of(
            [py_string(a) for a in addresses], Layout(depth=depth, column=column + 30, tail=2)
        )

    def _timedelta(
        self, delta: dt.timedelta, depth: int, column: int
    ) -> cst.Call | cst.UnaryOperation:
        """`timedelta(hours=1)`; a negative one as `-timedelta(minutes=52)`, as a person writes it
        (not `timedelta(days=-1, hours=23, minutes=8)`)."""
        negative = delta < dt.timedelta(0)
        built = call(
            self.imports.add("datetime", "timedelta"),
            [(unit, py_value(value)) for unit, value in timedelta_parts(abs(delta))],
            Layout(depth=depth, column=column + negative, tail=1),
        )
        return cst.UnaryOperation(operator=cst.Minus(), expression=built) if negative else built

    # -- tasks ---------------------------------------------------------------------------------

    def _task_statements(self) -> list[cst.BaseStatement]:
        statements: list[cst.BaseStatement] = []
        guard_variable = None
        if self.plan.timetable.guard is not None:
            guard_variable, statement = self._guard()
            statements.append(statement)
        for task in self.plan.tasks:
            for wait in self.plan.waits:
                if wait.downstream == task.variable:
                    statements.append(self._wait(wait, task))
            for link in self.plan.links:
                if link.downstream == task.variable:
                    statements.append(self._link(link))
            for sensor in self.plan.sensors:
                if sensor.downstream == task.variable:
                    statements.append(self._sensor(sensor, task))
            statements.append(self._task(task))
        edges = list(self.plan.edges)
        edges += [(w.variable, w.downstream) for w in self.plan.waits]
        edges += [(link.variable, link.downstream) for link in self.plan.links]
        edges += [(s.variable, s.downstream) for s in self.plan.sensors]
        if guard_variable:
            has_upstream = {down for _, down in edges}
            roots = [t.variable for t in self.plan.tasks if t.variable not in has_upstream]
            roots += [w.variable for w in self.plan.waits] + [
                link.variable for link in self.plan.links
            ]
            roots += [s.variable for s in self.plan.sensors]
            edges = [(guard_variable, root) for root in roots] + edges
        if edges:
            first, *rest = [self._edge(up, down) for up, down in _ordered(edges, self._order())]
            statements.append(first.with_changes(leading_lines=[cst.EmptyLine(indent=False)]))
            statements.extend(rest)
        return statements

    def _order(self) -> dict[str, int]:
        order: dict[str, int] = {}
        for task in self.plan.tasks:
            for wait in self.plan.waits:
                if wait.downstream == task.variable:
                    order.setdefault(wait.variable, len(order))
            for link in self.plan.links:
                if link.downstream == task.variable:
                    order.setdefault(link.variable, len(order))
            for sensor in self.plan.sensors:
                if sensor.downstream == task.variable:
                    order.setdefault(sensor.variable, len(order))
            order.setdefault(task.variable, len(order))
        return order

    def _assign(
        self,
        variable: str,
        operator: tuple[str, str],
        args: list[Argument],
        comments: Sequence[str],
    ) -> cst.SimpleStatementLine:
        value = call(self.name(operator), args, explode=True, layout=Layout(depth=0))
        return cst.SimpleStatementLine(
            body=[cst.Assign(targets=[cst.AssignTarget(cst.Name(variable))], value=value)],
            leading_lines=comment_lines(comments),
        )

    def _task(self, task: TaskPlan) -> cst.SimpleStatementLine:
        comments = [f"{self.plan.source_name}:{task.line}: {task.crontab_line}"]
        for kept in task.command.kept:
            comments.append(f"kept wall-clock {kept.text}: {kept.reason}")
        if task.command.shell:
            comments.append(f"SHELL={task.command.shell} in the crontab: the command runs in it")
        if task.retry is not None:
            comments.extend(wrap_comment(task.retry.describe(), 86))
        args: list[Argument] = [
            ("task_id", py_string(task.task_id)),
            ("bash_command", py_string(task.command.template)),
        ]
        if task.env_key:
            if self.plan.shared_env is not None:
                env: cst.BaseExpression = cst.Name(ENV_CONSTANT)
            else:
                env = exploded_dict(
                    [(py_string(k), py_string(v)) for k, v in task.env_key], depth=1
                )
            args += [("env", env), ("append_env", py_value(True))]
        if task.cwd is not None:
            args.append(("cwd", py_string(task.cwd)))
        if task.doc:
            args.append(("doc_md", py_string(task.doc)))
        if task.user is not None and task.user != self.plan.owner:
            args.append(("owner", py_string(task.user)))
        if task.mailto and task.mailto != self.plan.shared_mailto:
            for key, value in self._mail_items(task.mailto, depth=1, column=4):
                args.append((key.value.strip('"'), value))  # type: ignore[attr-defined]
        args += self._retry_arguments(task)
        return self._assign(task.variable, self.target.bash_operator, args, comments)

    def _retry_arguments(self, task: TaskPlan) -> list[Argument]:
        """What differs from `default_args`: the count, the backoff, the exit codes not retried."""
        retry = task.retry
        if retry is None:
            return []
        args: list[Argument] = []
        default = self.options.default_retries
        if retry.retries != default:
            args.append(("retries", py_value(retry.retries)))
            if retry.retries and (not default or retry.retry_delay != self.options.retry_delay):
                column = len(INDENT * 2 + "retry_delay=")
                args.append(
                    ("retry_delay", self._timedelta(retry.retry_delay, depth=1, column=column))
                )
        if retry.exponential_backoff:
            args.append(("retry_exponential_backoff", py_value(True)))
            if retry.max_retry_delay is not None:
                column = len(INDENT * 2 + "max_retry_delay=")
                args.append(
                    (
                        "max_retry_delay",
                        self._timedelta(retry.max_retry_delay, depth=1, column=column),
                    )
                )
        inherited = SHELL_PERMANENT if default else ()
        if retry.retries and retry.permanent_exit_codes != inherited and self._uses_retry_policy():
            layout = Layout(depth=1, column=len(INDENT * 2 + "retry_policy="), tail=1)
            args.append(("retry_policy", self._retry_policy(retry.permanent_exit_codes, layout)))
        return args

    def _sensor(self, sensor: SensorPlan, task: TaskPlan) -> cst.SimpleStatementLine:
        guard = sensor.guard
        signal = guard.signal
        what = "marker" if signal.is_marker else _WHAT[signal.kind]
        missing = "succeeded doing nothing" if guard.soft else "failed"
        comments = [
            f"cron ran {task.task_id} only after `{_short(guard.check)}`; without it the job {missing}"
        ]
        if guard.deadline is not None:
            comments.append(
                f"waits for the {what} at most {_clock(sensor.timeout)}, as the crontab's wait loop did"
            )
        else:
            comments.append(f"waits for the {what} until shortly before the next run")
        if guard.soft:
            comments.append(
                "a timeout skips the job (soft_fail), as cron's run quietly did nothing"
            )
        if not guard.exact:
            comments.extend(wrap_comment(f"the check stays in the command: {guard.why_kept}", 86))
        keyword, connection = SENSOR_CONNECTIONS[signal.kind]
        comments.append(f"uses the {connection} connection")
        args: list[Argument] = [("task_id", py_string(sensor.task_id))]
        location = py_string(sensor.location)
        if signal.kind in ("file", "hdfs"):
            args.append(("filepath", location))
        elif signal.kind == "s3":
            args.append(("bucket_key", location))
            if signal.prefix:
                args.append(("wildcard_match", py_value(True)))
        else:
            args += [("bucket", py_string(signal.bucket or "")), ("object", location)]
        args.append((keyword, py_string(connection)))
        column = len(INDENT * 2 + "poke_interval=")
        args.append(
            ("poke_interval", self._timedelta(sensor.poke_interval, depth=1, column=column))
        )
        args.append(
            (
                "timeout",
                self._timedelta(sensor.timeout, depth=1, column=len(INDENT * 2 + "timeout=")),
            )
        )
        if guard.soft:
            args.append(("soft_fail", py_value(True)))
        if signal.kind in self.target.deferrable_sensors and self.options.deferrable:
            args.append(("deferrable", py_value(True)))
        else:
            args.append(("mode", py_string("reschedule")))
        return self._assign(sensor.variable, self.target.sensors[signal.kind], args, comments)

    def _wait(self, wait: WaitPlan, task: TaskPlan) -> cst.SimpleStatementLine:
        first = self.plan.first_task
        comments = [
            f"cron started {task.task_id} {_clock(wait.delay)} after {first}: wait until then, it may",
            "need data that lands by that time (the wait frees its worker slot)",
        ]
        args: list[Argument] = [
            ("task_id", py_string(wait.task_id)),
            ("delta", self._timedelta(wait.delay, depth=1, column=len(INDENT * 2 + "delta="))),
        ]
        args += [(k, py_value(v)) for k, v in self.target.time_sensor_kwargs]
        return self._assign(wait.variable, self.target.time_sensor, args, comments)

    def _link(self, link: LinkPlan) -> cst.SimpleStatementLine:
        comments = [
            f"waits for {link.external_dag_id}.{link.external_task_id} of the run cron would have",
            f"finished first ({_clock(link.execution_delta)} earlier); polls without holding a slot",
        ]
        if link.note:
            comments.append("not always the same offset: see the migrate summary")
        args: list[Argument] = [
            ("task_id", py_string(link.task_id)),
            ("external_dag_id", py_string(link.external_dag_id)),
            ("external_task_id", py_string(link.external_task_id)),
        ]
        if link.execution_delta:
            column = len(INDENT * 2 + "execution_delta=")
            args.append(
                ("execution_delta", self._timedelta(link.execution_delta, depth=1, column=column))
            )
        args.append(("mode", py_string("reschedule")))
        return self._assign(link.variable, self.target.external_task_sensor, args, comments)

    def _guard(self) -> tuple[str, cst.SimpleStatementLine]:
        guard = self.plan.timetable.guard
        assert guard is not None
        variable = self.plan.guard_variable
        comments = [
            f"cron runs `{self.plan.schedule_text}` only where both day fields match; croniter cannot say",
            "that, so the DAG runs on a wider calendar and this task skips (exit 99) the other days",
        ]
        template = "{% if " + guard.jinja_condition() + " %}exit 99{% endif %}"
        args: list[Argument] = [
            ("task_id", py_string(self.plan.guard_task_id)),
            ("bash_command", py_string(template)),
        ]
        return variable, self._assign(variable, self.target.bash_operator, args, comments)

    def _edge(self, upstream: str, downstream: str) -> cst.SimpleStatementLine:
        # one line, always: variables are at most MAX_VARIABLE characters (see plan._Names)
        expression = cst.BinaryOperation(
            left=cst.Name(upstream), operator=cst.RightShift(), right=cst.Name(downstream)
        )
        return cst.SimpleStatementLine(body=[cst.Expr(expression)])


def _ordered(edges: list[tuple[str, str]], order: dict[str, int]) -> list[tuple[str, str]]:
    rank = lambda name: order.get(name, -1)
    return sorted(dict.fromkeys(edges), key=lambda e: (rank(e[1]), rank(e[0])))


def timedelta_parts(delta: dt.timedelta) -> list[tuple[str, int]]:
    seconds = int(delta.total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [("days", days), ("hours", hours), ("minutes", minutes), ("seconds", secs)]
    return [(unit, value) for unit, value in parts if value] or [("seconds", 0)]


@functools.cache
def _retry_policy_statement() -> cst.BaseStatement:
    """The policy class, parsed once (libcst nodes are immutable, every module can share it)."""
    return cst.parse_statement(_RETRY_POLICY_SOURCE.format(name=RETRY_POLICY_CLASS))


def _short(text: str, limit: int = 48) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def wrap_comment(text: str, width: int) -> list[str]:
    return textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False) or [""]
