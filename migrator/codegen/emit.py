"""A `DagPlan` as the source of one Airflow DAG module, built from libcst nodes.

Every name the module uses is requested from one `Imports` collector; commands, ids and paths enter
only as string-literal nodes. The output is what `ruff format` would print (see `pysource`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import libcst as cst

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
from migrator.codegen.targets import Target

ENV_CONSTANT = "ENV"


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
        body.append(self._with_dag())
        imports = self.imports.statements()
        docstring = cst.SimpleStatementLine(body=[cst.Expr(cst.SimpleString(self._docstring()))])
        statements: list[cst.BaseStatement] = [docstring]
        first_import, *other_imports = imports
        statements.append(first_import.with_changes(leading_lines=[cst.EmptyLine()]))
        statements.extend(other_imports)
        blank = [cst.EmptyLine()]
        for statement in body:
            statements.append(
                statement.with_changes(leading_lines=[*blank, *statement.leading_lines])
            )
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
        return '"""' + "\n".join(lines) + '\n"""'

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

    def _default_args(self) -> cst.Dict:
        items: list[tuple[cst.BaseExpression, cst.BaseExpression]] = []
        if self.plan.owner is not None:
            items.append((py_string("owner"), py_string(self.plan.owner)))
        items.append((py_string("retries"), py_value(self.options.retries)))
        if self.options.retries:
            items.append(
                (
                    py_string("retry_delay"),
                    self._timedelta(self.options.retry_delay, depth=2, column=8 + 15),
                )
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

    def _timedelta(self, delta: dt.timedelta, depth: int, column: int) -> cst.Call:
        return call(
            self.imports.add("datetime", "timedelta"),
            [(unit, py_value(value)) for unit, value in timedelta_parts(delta)],
            Layout(depth=depth, column=column, tail=1),
        )

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
            statements.append(self._task(task))
        edges = list(self.plan.edges)
        edges += [(w.variable, w.downstream) for w in self.plan.waits]
        edges += [(link.variable, link.downstream) for link in self.plan.links]
        if guard_variable:
            has_upstream = {down for _, down in edges}
            roots = [t.variable for t in self.plan.tasks if t.variable not in has_upstream]
            roots += [w.variable for w in self.plan.waits] + [
                link.variable for link in self.plan.links
            ]
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
        if task.user is not None and task.user != self.plan.owner:
            args.append(("owner", py_string(task.user)))
        if task.mailto and task.mailto != self.plan.shared_mailto:
            for key, value in self._mail_items(task.mailto, depth=1, column=4):
                args.append((key.value.strip('"'), value))  # type: ignore[attr-defined]
        return self._assign(task.variable, self.target.bash_operator, args, comments)

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


def _clock(delta: dt.timedelta) -> str:
    seconds = int(delta.total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    text = f"{hours}:{minutes:02d}"
    return f"{days}d {text}" if days else text
