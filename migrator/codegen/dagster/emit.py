"""A `DagsterDag` as the source of one Dagster module, and `definitions.py`, built from libcst nodes.

Commands, names, paths and times enter only as literal nodes; the run-time helpers are copied, as
nodes, from `helpers.py`. The output is what `ruff format` would print (see `pysource`).
"""

from __future__ import annotations

import ast
import datetime as dt
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import libcst as cst

from migrator.codegen.dagster.plan import Calendar, DagsterDag, StepPlan
from migrator.codegen.dates import Expression, Literal
from migrator.codegen.emit import timedelta_parts, wrap_comment
from migrator.codegen.plan import TaskPlan
from migrator.codegen.pysource import (
    INDENT,
    LINE_LENGTH,
    Argument,
    Imports,
    Layout,
    call,
    code_of,
    comment_lines,
    exploded_dict,
    list_of,
    py_string,
    py_value,
)

_HELPERS = Path(__file__).with_name("helpers.py")
# what each copied helper needs from the standard library
_HELPER_IMPORTS = {
    "scheduled_time": [("datetime", None)],
    "run_cron_command": [("collections.abc", "Mapping")],
    "cron_date": [("datetime", None), ("zoneinfo", "ZoneInfo")],
    "wait_until": [("datetime", None), ("time", None)],
    "secret": [],
    "has_run": [("datetime", None)],
}


@cache
def _helper_nodes() -> dict[str, cst.FunctionDef]:
    module = cst.parse_module(_HELPERS.read_text(encoding="utf-8"))
    return {node.name.value: node for node in module.body if isinstance(node, cst.FunctionDef)}


def render_module(plan: DagsterDag, retries: int, retry_delay: dt.timedelta) -> str:
    """The module source (without the cron2dag header, which `writer` adds)."""
    return _Emitter(plan, retries, retry_delay).module().code


class _Emitter:
    def __init__(self, plan: DagsterDag, retries: int, retry_delay: dt.timedelta) -> None:
        self.plan = plan
        self.dag = plan.dag
        self.retries = retries
        self.retry_delay = retry_delay
        self.imports = _StdlibImports()
        self.helpers: list[str] = []

    def helper(self, name: str) -> str:
        if name not in self.helpers:
            self.helpers.append(name)
        return name

    # -- module --------------------------------------------------------------------------------

    def module(self) -> cst.Module:
        plan = self.plan
        constants: list[cst.BaseStatement] = [_assign("TICK_TAG", py_string(TICK_TAG))]
        if self.retries:
            constants.append(_assign("RETRY_POLICY", self._retry_policy()))
        if plan.daily_partition:
            constants.append(_assign("PARTITIONS", self._partitions()))
        if self._shared_env() is not None:
            constants.append(_assign("ENV", self._env_dict(self._shared_env() or (), depth=0)))
        if plan.mailto:
            constants.append(
                _assign(
                    "MAILTO",
                    list_of([py_string(a) for a in plan.mailto], Layout(column=len("MAILTO = "))),
                )
            )
        if plan.upstream:
            constants.append(_assign("UPSTREAM", self._upstream()))
            constants.append(_assign("THIS_JOB", py_string(plan.name)))
        if plan.calendar is not None:
            constants.append(_assign("CALENDAR", _calendar(plan.calendar)))
            self.imports.add("zoneinfo", "ZoneInfo")
            zone = cst.Call(cst.Name("ZoneInfo"), [cst.Arg(py_string(self.dag.timetable.timezone))])
            constants.append(_assign("ZONE", zone))
        definitions: list[cst.BaseStatement] = []
        for step in plan.steps:
            definitions.append(self._step(step))
        definitions.append(self._job())
        definitions.append(self._schedule())
        if plan.upstream:
            definitions.append(self._link_sensor())
        if plan.mailto:
            definitions.append(self._mail_sensor())
        definitions.append(self._defs())
        helpers = self._helpers()
        body: list[cst.BaseStatement] = [
            cst.SimpleStatementLine(body=[cst.Expr(cst.SimpleString(self._docstring()))])
        ]
        for index, statement in enumerate(self.imports.statements()):
            body.append(
                statement.with_changes(leading_lines=[cst.EmptyLine()] if index == 0 else [])
            )
        dagster_import = _import("dagster", "dg")
        body.append(dagster_import.with_changes(leading_lines=[cst.EmptyLine()]))
        first, *rest = constants
        body.append(first.with_changes(leading_lines=[cst.EmptyLine()]))
        body.extend(rest)
        for statement in [*helpers, *definitions]:
            blank = [cst.EmptyLine(), cst.EmptyLine()]
            body.append(statement.with_changes(leading_lines=[*blank, *statement.leading_lines]))
        return cst.Module(body=body)

    def _docstring(self) -> str:
        plan, dag = self.plan, self.dag
        table = dag.timetable
        jobs = "1 job" if dag.task_count == 1 else f"{dag.task_count} jobs"
        shape = "assets in one asset job" if plan.assets else "ops in one job"
        lines = [
            f"{dag.dag_id}: {jobs} from a crontab, as Dagster {shape}.",
            "",
        ]
        if plan.assets:
            lines += [
                "Assets: inference found data (a file, table or URL) that each upstream job writes",
                "and its downstream job reads, so every dependency shows as lineage.",
            ]
        elif dag.edges:
            lines += [
                "Ops in a job: some dependencies rest on timing, comments or names, not on data one",
                "job writes and the next reads, so no lineage is claimed; the ops run in order.",
            ]
        else:
            lines += ["Ops in a job: no dependencies between jobs were inferred."]
        lines.append(
            f"The schedule runs on `{table.expression}` in {table.timezone}, the calendar of "
            f"`{dag.first_task}`"
        )
        lines.append(f"(crontab: `{dag.schedule_text}`).")
        if table.guard is not None:
            lines.append("Ticks on days cron would not have run are skipped (both day fields).")
        if plan.daily_partition:
            lines += [
                "Daily-partitioned: the commands' dates are the partition's date, so a backfill",
                "of a date range reruns each date with its own date.",
            ]
        elif plan.uses_dates:
            lines += [
                "The commands' dates are the tick's scheduled time, so a rerun of a scheduled run",
                "sees that run's date.",
            ]
        if plan.upstream:
            lines += [
                "Runs wait for their upstream jobs in other pipelines: the schedule skips a tick",
                f"whose upstream has not succeeded, and `{plan.name}_after_upstream` starts it",
                "when it does.",
            ]
        if plan.mailto:
            lines += [
                f"MAILTO: `{plan.name}_mailto` is a stub that logs failures; complete it to",
                "send mail (Dagster sends none by itself).",
            ]
        return '"""' + "\n".join(lines) + '\n"""'

    # -- constants -----------------------------------------------------------------------------

    def _retry_policy(self) -> cst.Call:
        args: list[Argument] = [("max_retries", py_value(self.retries))]
        seconds = int(self.retry_delay.total_seconds())
        if seconds:
            args.append(("delay", py_value(seconds)))
        return call("dg.RetryPolicy", args, Layout(column=len("RETRY_POLICY = ")))

    def _step_retry_policy(self, task: TaskPlan) -> cst.BaseExpression | None:
        """The module's RETRY_POLICY, or the step's own when its failure class says otherwise
        (see `migrator.codegen.failures`): none for appending and SQL jobs, backoff for transfers."""
        retry = task.retry
        if retry is None or (retry.retries == self.retries and not retry.exponential_backoff):
            return cst.Name("RETRY_POLICY") if self.retries else None
        if not retry.retries:
            return None
        args: list[Argument] = [("max_retries", py_value(retry.retries))]
        seconds = int(retry.retry_delay.total_seconds())
        if seconds:
            args.append(("delay", py_value(seconds)))
        if retry.exponential_backoff:
            args.append(("backoff", _dotted("dg.Backoff.EXPONENTIAL")))
        return call("dg.RetryPolicy", args, Layout(depth=1, column=len("    retry_policy="), tail=1))

    def _partitions(self) -> cst.Call:
        hour, minute = self.plan.daily_partition or (0, 0)
        start = self.dag.options.start_date
        args: list[Argument] = [
            ("start_date", py_string(start.isoformat())),
            ("timezone", py_string(self.dag.timetable.timezone)),
            ("hour_offset", py_value(hour)),
            ("minute_offset", py_value(minute)),
            # the partition of today's run exists from its tick on, not a day later
            ("end_offset", py_value(1)),
        ]
        return call("dg.DailyPartitionsDefinition", args, explode=True)

    def _shared_env(self) -> tuple[tuple[str, str | None], ...] | None:
        envs = {
            step.task.environment.values if step.task.environment else ()
            for step in self.plan.steps
        }
        if len(envs) != 1:
            return None
        env = next(iter(envs))
        if not env or any(value is None for _, value in env):
            return None
        return env

    def _env_dict(self, env: Sequence[tuple[str, str | None]], depth: int) -> cst.Dict:
        items = []
        for name, value in env:
            if value is None:
                node: cst.BaseExpression = cst.Call(
                    func=cst.Name(self.helper("secret")), args=[cst.Arg(py_string(name))]
                )
            else:
                node = py_string(value)
            items.append((py_string(name), node))
        return exploded_dict(items, depth=depth)

    def _upstream(self) -> cst.Dict:
        items = []
        for link in self.plan.upstream:
            key = py_string(link.job)
            column = len(INDENT + code_of(key) + ": ")
            items.append((key, self._timedelta(link.delta, Layout(depth=1, column=column, tail=1))))
        return exploded_dict(items, depth=0)

    def _timedelta(self, delta: dt.timedelta, layout: Layout) -> cst.Call:
        self.imports.add_module("datetime")
        parts = timedelta_parts(delta)
        return call("dt.timedelta", [(u, py_value(v)) for u, v in parts], layout)

    # -- steps ---------------------------------------------------------------------------------

    def _step(self, step: StepPlan) -> cst.FunctionDef:
        plan, task = self.plan, step.task
        comments = [f"{self.dag.source_name}:{task.line}: {task.crontab_line}"]
        for kept in task.command.kept:
            comments.append(f"kept wall-clock {kept.text}: {kept.reason}")
        if step.wait:
            comments.append(
                f"cron started it {_clock(step.wait)} after {self.dag.first_task}: it waits until then"
            )
        if task.retry is not None:
            comments.extend(wrap_comment(task.retry.describe(), 86))
        decorator_args: list[Argument] = []
        if plan.assets:
            decorator_args.append(("key_prefix", py_string(plan.name)))
            if step.upstream:
                decorator_args.append(
                    (
                        "deps",
                        list_of(
                            [cst.Name(u) for u in step.upstream], Layout(depth=1, column=9, tail=1)
                        ),
                    )
                )
            decorator_args.append(("group_name", py_string(plan.name)))
            decorator_args.append(("kinds", cst.Set([cst.Element(py_string("shell"))])))
        else:
            decorator_args.append(("name", py_string(f"{plan.name}__{step.function}")))
            if step.upstream:
                ins = cst.Dict(
                    [
                        cst.DictElement(
                            py_string("upstream"),
                            cst.Call(func=_dotted("dg.In"), args=[cst.Arg(_dotted("dg.Nothing"))]),
                        )
                    ]
                )
                decorator_args.append(("ins", ins))
        policy = self._step_retry_policy(task)
        if policy is not None:
            decorator_args.append(("retry_policy", policy))
        if plan.assets:
            if plan.daily_partition:
                decorator_args.append(("partitions_def", cst.Name("PARTITIONS")))
            if plan.owners:
                decorator_args.append(("owners", self._owners(depth=1, column=11)))
        decorator = cst.Decorator(
            decorator=call("dg.asset" if plan.assets else "dg.op", decorator_args, Layout(column=1))
        )
        context_type = "dg.AssetExecutionContext" if plan.assets else "dg.OpExecutionContext"
        returns = "dg.MaterializeResult" if plan.assets else "None"
        body: list[cst.BaseStatement] = []
        needs_tick = step.wait is not None or any(
            isinstance(s, Expression) and s.call for s in task.command.segments
        )
        if needs_tick:
            body.append(
                _assign(
                    "tick",
                    cst.Call(
                        cst.Name(self.helper("scheduled_time")), [cst.Arg(cst.Name("context"))]
                    ),
                )
            )
        if step.wait:
            self.imports.add_module("datetime")
            moment = cst.BinaryOperation(
                cst.Name("tick"),
                cst.Add(),
                self._timedelta(
                    step.wait, Layout(column=len(INDENT + "wait_until(context, tick + "), tail=1)
                ),
            )
            body.append(
                _expr(
                    call(
                        self.helper("wait_until"),
                        [(None, cst.Name("context")), (None, moment)],
                        Layout(column=len(INDENT)),
                    )
                )
            )
        run = self._run_call(step)
        if plan.assets:
            result = cst.Call(func=cst.Attribute(run, cst.Name("get_materialize_result")))
            body.append(cst.SimpleStatementLine([cst.Return(result)]))
        else:
            body.append(_expr(run))
        return _function(
            step.function,
            [("context", context_type), ("pipes", "dg.PipesSubprocessClient")],
            returns,
            body,
            decorators=[decorator],
            comments=comments,
        )

    def _run_call(self, step: StepPlan) -> cst.Call:
        task = step.task
        args: list[Argument] = [
            (None, cst.Name("context")),
            (None, cst.Name("pipes")),
            (None, self._command(step)),
        ]
        environment = task.environment
        shell = environment.shell if environment else None
        if shell and shell != "/bin/sh":
            args.append(("shell", py_string(shell)))
        if task.stdin is not None:
            args.append(("stdin", py_string(task.stdin)))
        values = environment.values if environment else ()
        if values:
            if self._shared_env() is not None:
                args.append(("env", cst.Name("ENV")))
            else:
                args.append(("env", self._env_dict(values, depth=1)))
        if task.directory:
            args.append(("cwd", py_string(task.directory)))
        self.helper("run_cron_command")
        return call("run_cron_command", args, explode=True, layout=Layout())

    def _command(self, step: StepPlan) -> cst.BaseExpression:
        segments = step.task.command.segments
        if not any(isinstance(s, Expression) for s in segments):
            return py_string("".join(s.text for s in segments if isinstance(s, Literal)))
        parts: list[cst.BaseExpression] = []
        offset = int(step.task.offset.total_seconds())
        for segment in segments:
            if isinstance(segment, Literal):
                if segment.text:
                    parts.append(py_string(segment.text))
                continue
            if getattr(segment, "secret", False):
                # a secret found in the command line: read from the environment at run time
                name = _secret_name(segment.code)
                parts.append(cst.Call(cst.Name(self.helper("secret")), [cst.Arg(py_string(name))]))
                continue
            date = segment.call
            assert date is not None
            unit, amount = date.shift
            date_args: list[Argument] = [
                (None, cst.Name("tick")),
                (None, py_string(date.fmt)),
                (None, py_string(date.zone)),
            ]
            shift_seconds = int(date.offset.total_seconds()) - offset
            if shift_seconds + offset:
                date_args.append(("after", py_value(shift_seconds + offset)))
            if amount and unit in ("days", "weeks"):
                date_args.append(("days", py_value(amount * (7 if unit == "weeks" else 1))))
            elif amount:
                factor = {"hours": 3600, "minutes": 60, "seconds": 1}[unit]
                date_args.append(("seconds", py_value(amount * factor)))
            self.helper("cron_date")
            parts.append(call("cron_date", date_args, Layout(depth=2, column=12, tail=1)))
        return list_of(parts, Layout(depth=1, column=LINE_LENGTH))  # always one part per line

    # -- job, schedule, sensors ----------------------------------------------------------------

    def _names(self, names: Sequence[str], keyword: str) -> cst.List:
        """`[a, b]` as the value of `keyword=` in an exploded call (one name per line if long)."""
        return list_of(
            [cst.Name(n) for n in names],
            Layout(depth=1, column=len(INDENT + keyword + "="), tail=1),
        )

    def _owners(self, depth: int, column: int) -> cst.List:
        return list_of(
            [py_string(o) for o in self.plan.owners], Layout(depth=depth, column=column, tail=1)
        )

    def _job_args(self) -> list[Argument]:
        plan = self.plan
        args: list[Argument] = [("name", py_string(plan.name))]
        if plan.daily_partition:
            args.append(("partitions_def", cst.Name("PARTITIONS")))
        if plan.owners:
            args.append(("owners", self._owners(depth=1, column=11)))
        source = (py_string("cron2dag/source"), py_string(self.dag.source_name))
        args.append(("tags", exploded_dict([source], depth=1)))
        args.append(("description", cst.Name("__doc__")))
        return args

    def _job(self) -> cst.BaseStatement:
        plan = self.plan
        if plan.assets:
            selection = list_of(
                [cst.Name(s.function) for s in plan.steps], Layout(depth=1, column=14, tail=1)
            )
            args = self._job_args()
            args.insert(1, ("selection", selection))
            return _assign(plan.job_function, call("dg.define_asset_job", args, explode=True))
        body: list[cst.BaseStatement] = []
        has_downstream = {u for s in plan.steps for u in s.upstream}
        for step in plan.steps:
            op_args: list[Argument] = []
            if step.upstream:
                done = [cst.Name(f"{u}_done") for u in step.upstream]
                column = len(INDENT + step.function + "_done = " + step.function + "(upstream=")
                op_args.append(("upstream", list_of(done, Layout(depth=1, column=column, tail=1))))
            target = f"{step.function}_done" if step.function in has_downstream else None
            prefix = INDENT + (f"{target} = " if target else "")
            # ruff wraps a right-hand side in parentheses when even `target = callee(` is too long
            wrapped = target is not None and len(prefix + step.function + "(") > LINE_LENGTH
            if wrapped and step.upstream:
                done = [cst.Name(f"{u}_done") for u in step.upstream]
                upstream = list_of(done, Layout(depth=2, column=LINE_LENGTH))
                op_args = [("upstream", upstream)]
            layout = Layout(depth=1, column=8) if wrapped else Layout(column=len(prefix))
            invocation = call(step.function, op_args, layout)
            if wrapped:
                invocation = invocation.with_changes(
                    lpar=[cst.LeftParen(whitespace_after=_newline_at(1))],
                    rpar=[cst.RightParen(whitespace_before=_newline_at(0))],
                )
            if target:
                body.append(_assign(target, invocation))
            else:
                body.append(_expr(invocation))
        decorator = cst.Decorator(decorator=call("dg.job", self._job_args(), explode=True))
        return _function(plan.job_function, [], "None", body, decorators=[decorator])

    def _schedule(self) -> cst.FunctionDef:
        plan, table = self.plan, self.dag.timetable
        decorator = cst.Decorator(
            decorator=call(
                "dg.schedule",
                [
                    ("name", py_string(f"{plan.name}_schedule")),
                    ("job", cst.Name(plan.job_function)),
                    ("cron_schedule", py_string(table.expression)),
                    ("execution_timezone", py_string(table.timezone)),
                ],
                explode=True,
            )
        )
        body: list[cst.BaseStatement] = [
            _assign("tick", _dotted("context.scheduled_execution_time"))
        ]
        guard = table.guard
        if guard is not None:
            self.imports.add("zoneinfo", "ZoneInfo")
            local = f"tick.astimezone(ZoneInfo({code_of(py_string(guard.timezone))}))"
            value = f"{local}.day" if guard.field == "day" else f"{local}.isoweekday() % 7"
            values = cst.parse_expression(_values(guard.values))
            field = "day of the month" if guard.field == "day" else "day of the week"
            reason = (
                f"cron runs `{self.dag.schedule_text}` only where both day fields match: "
                f"not on this {field}"
            )
            condition = cst.Comparison(
                cst.parse_expression(value),
                [cst.ComparisonTarget(cst.NotIn(), values)],
            )
            body.append(
                cst.If(
                    test=condition,
                    body=cst.IndentedBlock(
                        [cst.SimpleStatementLine([cst.Return(self._skip(reason, column=15))])]
                    ),
                )
            )
        if plan.own_zone:
            self.helper("on_calendar")
            reason = (
                "cron (CRON_TZ) skips a time the clock jumps over; Dagster would run it after "
                "the jump"
            )
            body.append(
                cst.If(
                    test=cst.parse_expression("not on_calendar(tick)"),
                    body=cst.IndentedBlock(
                        [cst.SimpleStatementLine([cst.Return(self._skip(reason, column=15))])]
                    ),
                )
            )
        if plan.upstream:
            self.helper("has_run")
            reason = (
                f"an upstream pipeline has not succeeded for this time yet; "
                f"{plan.name}_after_upstream starts the run when it does"
            )
            loop = cst.parse_statement(
                "for job, delta in UPSTREAM.items():\n"
                "    if not has_run(context.instance, job, tick - delta, succeeded=True):\n"
                "        return SKIP\n"
            )
            loop = loop.deep_replace(_find_name(loop, "SKIP"), self._skip(reason, column=19))  # type: ignore[assignment]
            body.append(loop)
        body.append(cst.SimpleStatementLine([cst.Return(self._run_request())]))
        return _function(
            f"{plan.name}_schedule",
            [("context", "dg.ScheduleEvaluationContext")],
            "dg.RunRequest | dg.SkipReason",
            body,
            decorators=[decorator],
        )

    def _skip(self, reason: str, column: int) -> cst.Call:
        return call("dg.SkipReason", [(None, py_string(reason))], Layout(column=column))

    def _run_request(self, run_key: bool = False) -> cst.Call:
        self.imports.add_module("datetime")
        tag = cst.parse_expression("tick.astimezone(dt.timezone.utc).isoformat()")
        args: list[Argument] = []
        if run_key:
            args.append(("run_key", tag))
        if self.plan.daily_partition:
            args.append(("partition_key", cst.parse_expression('tick.strftime("%Y-%m-%d")')))
        tags = cst.Dict([cst.DictElement(cst.Name("TICK_TAG"), tag)])
        args.append(("tags", tags))
        return call("dg.RunRequest", args, explode=True, layout=Layout())

    def _link_sensor(self) -> cst.FunctionDef:
        plan = self.plan
        self.helper("has_run")
        self.imports.add_module("datetime")
        decorator = cst.Decorator(
            decorator=call(
                "dg.run_status_sensor",
                [
                    ("name", py_string(f"{plan.name}_after_upstream")),
                    ("run_status", _dotted("dg.DagsterRunStatus.SUCCESS")),
                    ("request_job", cst.Name(plan.job_function)),
                ],
                explode=True,
            )
        )
        statements = [
            '"""Start a run whose tick the schedule skipped because an upstream was late."""',
            "finished = context.dagster_run",
            "if finished.job_name not in UPSTREAM or TICK_TAG not in finished.tags:",
            '    return dg.SkipReason("not a scheduled run of an upstream pipeline")',
            "upstream_tick = dt.datetime.fromisoformat(finished.tags[TICK_TAG])",
            "tick = (upstream_tick + UPSTREAM[finished.job_name]).astimezone(ZONE)",
            "if tick > dt.datetime.now(dt.timezone.utc) or not on_calendar(tick):",
            '    return dg.SkipReason("no tick of this pipeline has passed for that run")',
            "if has_run(context.instance, THIS_JOB, tick):",
            '    return dg.SkipReason("this tick already has a run")',
            "for job, delta in UPSTREAM.items():",
            "    if not has_run(context.instance, job, tick - delta, succeeded=True):",
            '        return dg.SkipReason(f"waiting for {job}")',
        ]
        self.imports.add("zoneinfo", "ZoneInfo")
        body = [cst.parse_statement(s) for s in _join_blocks(statements)]
        body.append(cst.SimpleStatementLine([cst.Return(self._run_request(run_key=True))]))
        self.helper("on_calendar")
        return _function(
            f"{plan.name}_after_upstream",
            [("context", "dg.RunStatusSensorContext")],
            "dg.RunRequest | dg.SkipReason",
            body,
            decorators=[decorator],
        )

    def _mail_sensor(self) -> cst.FunctionDef:
        plan = self.plan
        decorator = cst.Decorator(
            decorator=call(
                "dg.run_failure_sensor",
                [
                    ("name", py_string(f"{plan.name}_mailto")),
                    ("monitored_jobs", self._names([plan.job_function], "monitored_jobs")),
                ],
                explode=True,
            )
        )
        comments = [
            "cron mailed the jobs' output to MAILTO. Dagster sends no mail by itself: this is a",
            "stub for you to complete (an SMTP client, or your chat or paging integration); until",
            "then it only records the failure in the sensor's log.",
        ]
        statements = [
            "run = context.dagster_run",
            "message = context.failure_event.message",
            'context.log.warning(f"run {run.run_id} of {run.job_name} failed: {message}")',
            'context.log.warning("not mailed (complete this sensor): " + ", ".join(MAILTO))',
        ]
        body = [cst.parse_statement(s) for s in statements]
        return _function(
            f"{plan.name}_mailto",
            [("context", "dg.RunFailureSensorContext")],
            "None",
            body,
            decorators=[decorator],
            comments=comments,
        )

    def _defs(self) -> cst.SimpleStatementLine:
        plan = self.plan
        args: list[Argument] = []
        if plan.assets:
            args.append(
                (
                    "assets",
                    list_of(
                        [cst.Name(s.function) for s in plan.steps],
                        Layout(depth=1, column=11, tail=1),
                    ),
                )
            )
        args.append(("jobs", self._names([plan.job_function], "jobs")))
        args.append(("schedules", self._names([f"{plan.name}_schedule"], "schedules")))
        sensors = []
        if plan.upstream:
            sensors.append(cst.Name(f"{plan.name}_after_upstream"))
        if plan.mailto:
            sensors.append(cst.Name(f"{plan.name}_mailto"))
        if sensors:
            args.append(("sensors", list_of(sensors, Layout(depth=1, column=12, tail=1))))
        return _assign("defs", call("dg.Definitions", args, explode=True))

    # -- helpers copied in ---------------------------------------------------------------------

    def _helpers(self) -> list[cst.BaseStatement]:
        nodes = _helper_nodes()
        out: list[cst.BaseStatement] = []
        order = list(nodes) + ["on_calendar"]
        for name in order:
            if name not in self.helpers:
                continue
            if name == "on_calendar":
                out.append(self._on_calendar_function())
                continue
            for module, symbol in _HELPER_IMPORTS[name]:
                if symbol is None:
                    self.imports.add_module(module)
                else:
                    self.imports.add(module, symbol)
            out.append(nodes[name].with_changes(leading_lines=[]))
        return out

    def _on_calendar_function(self) -> cst.FunctionDef:
        self.imports.add_module("datetime")
        self.imports.add("zoneinfo", "ZoneInfo")
        source = (
            "def on_calendar(moment: dt.datetime) -> bool:\n"
            '    """Whether cron would have started this pipeline at `moment` (see CALENDAR)."""\n'
            "    minutes, hours, days, months, weekdays, either = CALENDAR\n"
            "    local = moment.astimezone(ZONE)\n"
            "    if local.minute not in minutes or local.hour not in hours:\n"
            "        return False\n"
            "    day, weekday = local.day in days, local.isoweekday() % 7 in weekdays\n"
            "    return local.month in months and ((day or weekday) if either else (day and weekday))\n"
        )
        node = cst.parse_statement(source)
        assert isinstance(node, cst.FunctionDef)
        return node


TICK_TAG = "cron2dag/scheduled_time"


def render_definitions(modules: Sequence[str]) -> str:
    """`definitions.py`: one `dg.Definitions` from every generated module in the directory."""
    doc = (
        '"""The Dagster code location of the crontab pipelines cron2dag generated here.\n'
        "\n"
        "Run it from this directory: `dagster dev -f definitions.py` (the modules beside this file\n"
        "are imported by name). Steps run the cron commands through `dg.PipesSubprocessClient`.\n"
        '"""'
    )
    body: list[cst.BaseStatement] = [cst.SimpleStatementLine([cst.Expr(cst.SimpleString(doc))])]
    imports: list[cst.BaseStatement] = [
        cst.SimpleStatementLine(
            [cst.Import([cst.ImportAlias(_dotted("dagster"), asname=cst.AsName(cst.Name("dg")))])]
        )
    ]
    for index, module in enumerate(sorted(modules)):
        statement = cst.SimpleStatementLine([cst.Import([cst.ImportAlias(cst.Name(module))])])
        if index == 0:
            statement = statement.with_changes(leading_lines=[cst.EmptyLine()])
        imports.append(statement)
    imports[0] = imports[0].with_changes(leading_lines=[cst.EmptyLine()])
    body.extend(imports)
    resources = call(
        "dg.Definitions",
        [
            (
                "resources",
                cst.Dict(
                    [
                        cst.DictElement(
                            py_string("pipes"), cst.parse_expression("dg.PipesSubprocessClient()")
                        )
                    ]
                ),
            )
        ],
        Layout(depth=1, column=4, tail=1),
    )
    merged = call(
        "dg.Definitions.merge",
        [*((None, _dotted(f"{m}.defs")) for m in sorted(modules)), (None, resources)],
        explode=True,
    )
    body.append(_assign("defs", merged).with_changes(leading_lines=[cst.EmptyLine()]))
    return cst.Module(body=body).code


# -- node helpers --------------------------------------------------------------------------------


def _dotted(name: str) -> cst.BaseExpression:
    head, *rest = name.split(".")
    node: cst.BaseExpression = cst.Name(head)
    for part in rest:
        node = cst.Attribute(node, cst.Name(part))
    return node


def _assign(name: str, value: cst.BaseExpression) -> cst.SimpleStatementLine:
    return cst.SimpleStatementLine([cst.Assign([cst.AssignTarget(cst.Name(name))], value)])


def _expr(value: cst.BaseExpression) -> cst.SimpleStatementLine:
    return cst.SimpleStatementLine([cst.Expr(value)])


def _function(
    name: str,
    params: Sequence[tuple[str, str]],
    returns: str,
    body: Sequence[cst.BaseStatement],
    decorators: Sequence[cst.Decorator] = (),
    comments: Sequence[str] = (),
) -> cst.FunctionDef:
    parameters = [
        cst.Param(cst.Name(p), cst.Annotation(cst.parse_expression(t))) for p, t in params
    ]
    inline = cst.FunctionDef(
        name=cst.Name(name),
        params=cst.Parameters(parameters),
        body=cst.IndentedBlock([cst.SimpleStatementLine([cst.Pass()])]),
        returns=cst.Annotation(cst.parse_expression(returns)),
    )
    header = code_of(inline).splitlines()[0]
    if len(header) > LINE_LENGTH and parameters:
        exploded = [
            p.with_changes(
                comma=cst.Comma(
                    whitespace_after=cst.ParenthesizedWhitespace(
                        first_line=cst.TrailingWhitespace(),
                        indent=True,
                        last_line=cst.SimpleWhitespace(INDENT if i < len(parameters) - 1 else ""),
                    )
                )
            )
            for i, p in enumerate(parameters)
        ]
        inline = inline.with_changes(
            params=cst.Parameters(exploded),
            whitespace_before_params=cst.ParenthesizedWhitespace(
                first_line=cst.TrailingWhitespace(),
                indent=True,
                last_line=cst.SimpleWhitespace(INDENT),
            ),
        )
    return inline.with_changes(
        body=cst.IndentedBlock(list(body)),
        decorators=list(decorators),
        leading_lines=comment_lines(comments),
    )


def _join_blocks(lines: Sequence[str]) -> list[str]:
    """Statements from `lines`, an indented line belonging to the statement above it."""
    out: list[str] = []
    for line in lines:
        if line.startswith(INDENT) and out:
            out[-1] += line + "\n"
        else:
            out.append(line + "\n")
    return out


def _find_name(node: cst.CSTNode, name: str) -> cst.Name:
    found: list[cst.Name] = []

    class _Finder(cst.CSTVisitor):
        def visit_Name(self, candidate: cst.Name) -> None:
            if candidate.value == name:
                found.append(candidate)

    node.visit(_Finder())
    return found[0]


def _replace_names(node: cst.CSTNode, replacements: dict[str, cst.BaseExpression]) -> cst.CSTNode:
    class _Replacer(cst.CSTTransformer):
        def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.BaseExpression:
            return replacements.get(original.value, updated)

    return node.visit(_Replacer())


def _values(numbers: frozenset[int] | Sequence[int]) -> str:
    """A short literal for a set of field values: a `range` where they are evenly spaced."""
    ordered = sorted(numbers)
    if len(ordered) > 2:
        step = ordered[1] - ordered[0]
        if ordered == list(range(ordered[0], ordered[-1] + 1, step)):
            end = ordered[-1] + 1
            return (
                f"range({ordered[0]}, {end})"
                if step == 1
                else f"range({ordered[0]}, {end}, {step})"
            )
    return "(" + ", ".join(map(str, ordered)) + ("," if len(ordered) == 1 else "") + ")"


def _calendar(calendar: Calendar) -> cst.BaseExpression:
    values = _values

    fields = [
        values(calendar.minutes),
        values(calendar.hours),
        values(calendar.days),
        values(calendar.months),
        values(calendar.weekdays),
        repr(calendar.either),
    ]
    text = "(\n" + "".join(f"    {f},\n" for f in fields) + ")"
    return cst.parse_expression(text)


def _clock(delta: dt.timedelta) -> str:
    seconds = int(delta.total_seconds())
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}"


def _import(module: str, alias: str | None = None) -> cst.SimpleStatementLine:
    name = cst.ImportAlias(_dotted(module), asname=cst.AsName(cst.Name(alias)) if alias else None)  # type: ignore[arg-type]
    return cst.SimpleStatementLine([cst.Import([name])])


class _StdlibImports(Imports):
    """The standard-library imports of a generated module (`datetime` as `dt`), isort-ordered."""

    def statements(self) -> list[cst.SimpleStatementLine]:
        straight = [_import(m, "dt" if m == "datetime" else None) for m in sorted(self.modules)]
        froms = [self._from_import(m, sorted(self.names[m])) for m in sorted(self.names)]
        return [*straight, *froms]


def _newline_at(depth: int) -> cst.ParenthesizedWhitespace:
    return cst.ParenthesizedWhitespace(
        first_line=cst.TrailingWhitespace(),
        indent=True,
        last_line=cst.SimpleWhitespace(INDENT * depth),
    )


def _secret_name(code: str) -> str:
    """The variable a secret expression reads: `var.value.NAME` or `var.value['NAME']`."""
    if code.startswith("var.value["):
        return str(ast.literal_eval(code[len("var.value[") : -1]))
    return code[len("var.value.") :]
