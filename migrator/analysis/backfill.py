"""Backfill hazards in task code: what makes a rerun of a past interval differ from the original run.

Shared by the backfill rules (each reports one kind) and by the catchup rule (which needs them all).
Every detector prefers silence to a guess: a path or table whose shape is unknown is not reported.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from migrator.analysis import semantics as sem
from migrator.analysis.index import child_nodes, walk
from migrator.analysis.model import CallSite, FileModel, FunctionNode, Role, TaskRecord
from migrator.positions import Span
from migrator.shellsyntax import find_substitutions

CLOCK_CALLS = frozenset(
    {
        "datetime.datetime.now",
        "datetime.datetime.utcnow",
        "datetime.datetime.today",
        "datetime.date.today",
        "time.time",
        "time.time_ns",
        "pendulum.now",
        "pendulum.today",
        "pendulum.yesterday",
        "pendulum.tomorrow",
        "pendulum.DateTime.now",
        "pendulum.DateTime.utcnow",
        "pendulum.DateTime.today",
        "pendulum.Date.today",
        "airflow.utils.timezone.utcnow",
        "airflow.sdk.timezone.utcnow",
        "airflow.utils.dates.days_ago",
        "pandas.Timestamp.now",
        "pandas.Timestamp.today",
        "pandas.Timestamp.utcnow",
        "arrow.now",
        "arrow.utcnow",
    }
)
# these read the clock only when called without the time argument
CLOCK_WITHOUT_ARGS = frozenset({"time.localtime", "time.gmtime", "time.ctime", "time.asctime"})
CLOCK_WITH_ONE_ARG = frozenset({"time.strftime"})
CLOCK_NAMES = frozenset(name.rsplit(".", 1)[-1] for name in CLOCK_CALLS | CLOCK_WITHOUT_ARGS | CLOCK_WITH_ONE_ARG)
WRITE_CALL_NAMES = frozenset({"open", "to_csv", "to_parquet", "to_json", "to_excel", "to_feather", "to_orc", "to_pickle", "write_text", "write_bytes"})
SQL_CALL_NAMES = frozenset({"run", "execute", "executemany", "get_records", "get_first"})

# Jinja expressions and Python names that carry the run's logical date (or interval, or run id)
DATE_WORDS = (
    "ds",
    "ds_nodash",
    "ts",
    "ts_nodash",
    "ts_nodash_with_tz",
    "logical_date",
    "execution_date",
    "data_interval_start",
    "data_interval_end",
    "run_id",
    "dag_run",
    "prev_ds",
    "next_ds",
    "yesterday_ds",
    "tomorrow_ds",
    "prev_data_interval_start_success",
    "prev_data_interval_end_success",
    "partition_key",
    "partition_date",
    "interval_start",
    "interval_end",
)
DATE_TEMPLATE = re.compile(r"\{\{[^}]*\b(?:" + "|".join(DATE_WORDS) + r"|macros\.ds_add|macros\.ds_format)\b[^}]*\}\}")
ANY_TEMPLATE = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)
TEMPLATE_CLOCK = re.compile(r"\{\{[^}]*\b(?:macros\.)?(?:datetime\.(?:now|utcnow|today)|time\.time|date\.today)\s*\(")
DATE_NAMES = frozenset(DATE_WORDS) | {"context", "kwargs", "params", "logical", "partition", "date", "day"}

SHELL_DATE = re.compile(r"\$\(\s*(?:/usr)?(?:/bin/)?date\b(?P<args>[^)]*)\)|`\s*(?:/usr)?(?:/bin/)?date\b(?P<bt>[^`]*)`")
DATE_COMMAND = re.compile(r"\s*(?:/usr)?(?:/bin/)?date\b(?P<args>.*)", re.DOTALL)
# `date` formats a date it is given, not the clock: a template or variable, a file, or a literal date
DATE_GIVEN = re.compile(r"\{\{|\$\{?\w|(?:^|\s)(?:-r|--reference|-f|--file)\b")
DATE_OPTION = re.compile(r"(?:^|\s)(?:-d|--date)(?:=|\s+)(?P<value>\"[^\"]*\"|'[^']*'|\S+)")
LITERAL_DATE = re.compile(r"^\s*(?:@\d+|\d{4}-\d{1,2}-\d{1,2}|\d{8})(?:\s|$|T)")
REDIRECT = re.compile(r"(?<![0-9&>])(?P<op>>>|>)(?![>&])\s*(?P<target>\"[^\"]*\"|'[^']*'|[^\s;|&)<>]+)")
# a `>` inside a string literal: a quote earlier on its line with no quote in between. Searched in the
# reversed text, where the search starts at each `>` instead of at each (far more common) quote.
REDIRECT_HINT_REVERSED = re.compile(r">[^\"'\n>]*[\"']")
OUTPUT_WORDS = ("sql", "dest_", "destination_", "output_", "target_path")
OUTPUT_HINT = re.compile(r"\b(?:sql|dest_key|dest_path|destination_object|destination_path|output_path|output_file|target_path)\s*=")
INSERT = re.compile(r"\bINSERT\s+(?:IGNORE\s+)?INTO\s+(?P<table>[\w.\"`\[\]{}$ ]+?)(?=\s*[(\s]|$)(?P<rest>.*?)(?=\bVALUES\b|\bSELECT\b|\bWITH\b|;|$)", re.IGNORECASE | re.DOTALL)
# an insert that skips the rows already there, or updates them: a rerun adds nothing twice
SQL_IDEMPOTENT = re.compile(
    r"\bON\s+CONFLICT\b|\bON\s+DUPLICATE\s+KEY\b|\bMERGE\s+INTO\b|\bINSERT\s+IGNORE\b|\bINSERT\s+OR\s+(?:IGNORE|REPLACE)\b"
    r"|\bREPLACE\s+INTO\b|\bWHERE\s+NOT\s+EXISTS\b|\bEXCEPT\s+SELECT\b",
    re.IGNORECASE,
)

WRITE_METHODS = frozenset({"to_csv", "to_parquet", "to_json", "to_excel", "to_feather", "to_orc", "to_pickle"})
OUTPUT_ARGUMENTS = frozenset(
    {"dest_key", "dest_path", "destination_object", "destination_path", "output_path", "output_file", "target_path"}
)
LOG_CALL_ATTRS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical", "log"})


@dataclass(frozen=True)
class Hazard:
    kind: str  # "clock", "shell-date", "append", "fixed-output"
    span: Span
    message: str
    tasks: tuple[str, ...]  # ids, for messages
    owners: frozenset[tuple[str | None, str]] = frozenset()  # (dag id, task id): which tasks exactly


# -- helpers ------------------------------------------------------------------------------------------


def is_clock_call(site_or_node: CallSite | ast.Call, qualname: str | None = None) -> bool:
    if isinstance(site_or_node, CallSite):
        node, qualname = site_or_node.node, site_or_node.qualname
    else:
        node = site_or_node
    if not qualname:
        return False
    if qualname in CLOCK_CALLS:
        return True
    if qualname in CLOCK_WITHOUT_ARGS:
        return not node.args and not node.keywords
    if qualname in CLOCK_WITH_ONE_ARG:
        return len(node.args) == 1 and not node.keywords
    return False


def contains_clock(node: ast.AST, model: FileModel) -> ast.Call | None:
    """The first clock read inside an expression (not inside lambdas), if any."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, (ast.Lambda, ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        if isinstance(current, ast.Call) and is_clock_call(current, sem.qualified_name(current.func, model.imports)):
            return current
        stack.extend(child_nodes(current))
    return None


def clock_helpers(model: FileModel) -> dict[str, ast.Call]:
    """The file's plain functions that return a clock read (`def today(): return date.today()`),
    directly, through a local name, or through another such function: name -> the clock call."""
    found: dict[str, ast.Call] = {}
    index = model.index
    candidates = {name: f for name, f in model.functions.items() if not f.decorator_list}
    if index is None or not candidates:
        return found
    # only a function with a clock call (or a call of a helper found so far) on one of its lines can
    # return the clock: the text says which, before any of its nodes is walked
    lines = index.call_lines(CLOCK_NAMES)
    changed = bool(lines)
    while changed:
        changed = False
        for name, function in candidates.items():
            if name in found or not any(function.lineno <= line <= (function.end_lineno or function.lineno) for line in lines):
                continue
            nodes = list(_own_nodes(function))
            local: dict[str, ast.expr] = {}
            for node in nodes:
                if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                    local[node.targets[0].id] = node.value
            for node in nodes:
                if isinstance(node, ast.Return) and node.value is not None:
                    value = node.value
                    if isinstance(value, ast.Name) and value.id in local:
                        value = local[value.id]
                    clock = contains_clock(value, model) or _helper_clock(value, found)
                    if clock is not None:
                        found[name] = clock
                        changed = True
                        break
        if changed:
            lines = lines | index.call_lines(frozenset(found))
    return found


def _own_nodes(function: ast.FunctionDef | ast.AsyncFunctionDef) -> Iterator[ast.AST]:
    """The nodes of a function's body, not those of functions or lambdas defined inside it."""
    stack: list[ast.AST] = list(reversed(function.body))
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            stack.extend(child_nodes(node))


def _helper_clock(node: ast.AST, helpers: dict[str, ast.Call]) -> ast.Call | None:
    if not helpers:
        return None
    for inner in walk(node):
        if isinstance(inner, ast.Call) and isinstance(inner.func, ast.Name) and inner.func.id in helpers:
            return helpers[inner.func.id]
    return None


def parse_time_clock(node: ast.AST, model: FileModel) -> ast.Call | None:
    """The clock read an expression evaluated at parse time makes: its own, or that of a helper of
    the same file it calls (`DAY = today()`)."""
    clock = contains_clock(node, model)
    if clock is None and model.functions and model.find_calls(CLOCK_NAMES):
        clock = _helper_clock(node, clock_helpers(model))
    return clock


def parents_of(root: ast.AST) -> dict[int, ast.AST]:
    parents: dict[int, ast.AST] = {}
    for node in walk(root):
        for child in child_nodes(node):
            parents[id(child)] = node
    return parents


def is_logging_call(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    if isinstance(func, ast.Name):
        return func.id == "print"
    if isinstance(func, ast.Attribute) and func.attr in LOG_CALL_ATTRS:
        base = sem.dotted(func.value) or ""
        return base.split(".")[-1] in ("log", "logger", "logging", "LOG", "LOGGER", "_log", "_logger") or base.endswith("log")
    return False


def task_index(model: FileModel) -> dict[int, set[tuple[str | None, str]]]:
    """Function (by id) -> (dag id, task id) of the tasks whose code runs it: the task's own function
    and the file's helpers it calls by name, transitively. Each function is read once, however many
    tasks share it (a common `python_callable`)."""
    helpers: dict[int, list[FunctionNode]] = {}

    def called(function: FunctionNode) -> list[FunctionNode]:
        found = helpers.get(id(function))
        if found is None:
            found = []
            for node in walk(function):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                    helper = model.functions.get(node.func.id)
                    if helper is not None and not helper.decorator_list:
                        found.append(helper)
            helpers[id(function)] = found
        return found

    reach: dict[int, list[FunctionNode]] = {}
    index: dict[int, set[tuple[str | None, str]]] = {}
    for task in model.all_tasks:
        root = task.function
        if root is None:
            continue
        reached = reach.get(id(root))
        if reached is None:
            reached, pending, seen = [], [root], set()
            while pending:
                function = pending.pop()
                if id(function) in seen:
                    continue
                seen.add(id(function))
                reached.append(function)
                pending.extend(called(function))
            reach[id(root)] = reached
        for function in reached:
            index.setdefault(id(function), set()).add((task.dag_id, task.task_id))
    return index


def owner_text(tasks: tuple[str, ...]) -> str:
    if not tasks:
        return "Task code"
    if len(tasks) == 1:
        return f"Task `{tasks[0]}`"
    return "Tasks " + ", ".join(f"`{t}`" for t in tasks)


def tasks_for(function: FunctionNode | None, index: dict[int, set[tuple[str | None, str]]]) -> tuple[str, ...]:
    if function is None:
        return ()
    return tuple(sorted({task_id for _, task_id in index.get(id(function), ())}))


def owners_for(function: FunctionNode | None, index: dict[int, set[tuple[str | None, str]]]) -> frozenset[tuple[str | None, str]]:
    if function is None:
        return frozenset()
    return frozenset(index.get(id(function), ()))


def local_names(function: FunctionNode) -> set[str]:
    """Names bound inside a function (parameters and assignments): they shadow module names."""
    names: set[str] = set()
    args = function.args
    for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
        if arg is not None:
            names.add(arg.arg)
    body = [function.body] if isinstance(function, ast.Lambda) else function.body
    for stmt in body:
        for node in walk(stmt) if isinstance(stmt, ast.AST) else []:
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
    return names


def command_texts(task: TaskRecord, model: FileModel) -> list[tuple[str, ast.AST]]:
    """The shell command(s) a task runs, as text with unknown parts replaced by `{...}`."""
    cache = model.__dict__.setdefault("_command_texts", {})
    key = id(task)
    if key not in cache:
        cache[key] = (task, list(_command_texts(task, model)))
    return cache[key][1]


def _command_texts(task: TaskRecord, model: FileModel) -> Iterator[tuple[str, ast.AST]]:
    callee = task.callee.rsplit(".", 1)[-1]
    names: tuple[str, ...] = ()
    if callee.endswith("BashOperator") or callee == "BashSensor":
        names = ("bash_command",)
    elif callee == "SSHOperator":
        names = ("command",)
    for name in names:
        expr = task.arguments.get(name)
        if expr is not None:
            yield from _texts(resolve(expr, model), model)
    if task.callee.endswith("task.bash") and task.function is not None and not isinstance(task.function, ast.Lambda):
        for node in walk(task.function):
            if isinstance(node, ast.Return) and node.value is not None:
                yield from _texts(node.value, model)


def _texts(expr: ast.AST, model: FileModel) -> Iterator[tuple[str, ast.AST]]:
    if isinstance(expr, (ast.List, ast.Tuple)):
        for element in expr.elts:
            yield from _texts(resolve(element, model), model)
        return
    text = sem.joined_text(expr)
    if text is not None:
        yield text, expr


def resolve(expr: ast.AST, model: FileModel, depth: int = 0) -> ast.AST:
    """Follow a module-level name to the expression assigned to it (a few steps)."""
    while isinstance(expr, ast.Name) and expr.id in model.assignments and depth < 5:
        expr = model.assignments[expr.id]
        depth += 1
    return expr


# -- clock reads -----------------------------------------------------------------------------------


def clock_hazards(model: FileModel) -> list[Hazard]:
    # which tasks run which function (`task_index`, memoized) is read only once a hazard is found
    found: list[Hazard] = []
    parents_cache: dict[int, dict[int, ast.AST]] = {}
    for site in model.find_calls(CLOCK_NAMES):
        if not is_clock_call(site):
            continue
        shown = _shown(site)
        if site.in_task_argument is not None:
            task_id, argument = site.in_task_argument
            if argument in ("start_date", "end_date"):
                continue  # dynamic-start-date
            found.append(
                Hazard(
                    "clock",
                    model.span(site.node),
                    f"`{shown}` in argument `{argument}` of task `{task_id}` is evaluated when the file is "
                    "parsed, not for the run's logical date",
                    (task_id,),
                    frozenset({(site.task_dag, task_id)}),
                )
            )
            continue
        if Role.TASK not in site.roles or site.function is None:
            continue
        parents = parents_cache.get(id(site.function))
        if parents is None:
            parents = parents_cache[id(site.function)] = parents_of(site.function)
        if _only_times_or_logs(site.node, site.function, parents, model):
            continue
        found.append(
            Hazard(
                "clock",
                model.span(site.node),
                f"`{shown}` in task code: a backfill or rerun sees today's date, not the run's logical date",
                tasks_for(site.function, task_index(model)),
                owners_for(site.function, task_index(model)),
            )
        )
    found.extend(_tainted_module_names(model))
    if any(dag.function is not None for dag in model.dags):
        found.extend(_tainted_dag_function_names(model))
    found.extend(_template_clocks(model))
    return found


def _shown(site: CallSite) -> str:
    text = sem.dotted(site.node.func) or (site.qualname or "now").rsplit(".", 2)[-1]
    return f"{text}()"


def _clock_derived(node: ast.AST, function: FunctionNode, model: FileModel) -> bool:
    if isinstance(node, ast.Call):
        if isinstance(node.func, ast.Name) and node.func.id in model.functions:
            return node.func.id in clock_helpers(model)  # `now_ts()`, a helper returning the clock
        return is_clock_call(node, sem.qualified_name(node.func, model.imports))
    if isinstance(node, ast.Name):
        body = [function.body] if isinstance(function, ast.Lambda) else function.body
        for stmt in body:
            for inner in walk(stmt) if isinstance(stmt, ast.AST) else []:
                if isinstance(inner, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == node.id for t in inner.targets
                ):
                    return parse_time_clock(inner.value, model) is not None
        # `time.time() - STARTED` with `STARTED = time.time()` at module level: a duration too
        expr = model.assignments.get(node.id)
        if expr is not None and node.id not in local_names(function):
            return parse_time_clock(expr, model) is not None
    if isinstance(node, ast.Attribute):
        return _clock_derived(node.value, function, model)
    return False


def _only_times_or_logs(
    node: ast.AST, function: FunctionNode, parents: dict[int, ast.AST], model: FileModel, depth: int = 0,
    following: frozenset[str] = frozenset(),
) -> bool:
    """True when a clock value is only used to measure or bound a duration, to time an event, or to
    log: then it does not leak into the data a task produces. `following`: the names whose uses are
    being followed (`t = t.replace(...)` must not loop)."""
    if depth > 6:
        return False
    parent = parents.get(id(node))
    if parent is None:
        return False
    if isinstance(parent, ast.Compare):
        return True
    if isinstance(parent, ast.Return) and parent.value is node:
        return _returned_only_as_duration(function, model, depth)
    if is_logging_call(parent):
        return True
    if isinstance(parent, ast.keyword) and parent.arg and _event_or_unique(parent.arg):
        return True  # `Record(updated=datetime.now())`: when something happened, not which data
    if isinstance(parent, ast.Dict) and node in parent.values:
        key = parent.keys[parent.values.index(node)]
        return isinstance(key, ast.Constant) and isinstance(key.value, str) and _event_or_unique(key.value)
    if isinstance(parent, ast.Subscript) and parent.value is node:
        return _only_times_or_logs(parent, function, parents, model, depth + 1, following)  # `stamp[:-3]`
    if isinstance(parent, ast.Attribute) and parent.attr in _TIME_OF_DAY:
        return True  # `.time()`, `.hour`: the time of day, which no date-partitioned data depends on
    if isinstance(parent, (ast.FormattedValue, ast.JoinedStr, ast.keyword)):
        return _only_times_or_logs(parent, function, parents, model, depth + 1, following)
    if isinstance(parent, ast.Attribute):
        # `datetime.now().isoformat()`, `.timestamp()`: still the clock's value
        return _only_times_or_logs(parent, function, parents, model, depth + 1, following)
    if isinstance(parent, ast.Call):
        if parent.func is node:
            return _only_times_or_logs(parent, function, parents, model, depth + 1, following)
        callee = sem.dotted(parent.func) or ""
        if callee in ("round", "int", "float", "str", "abs") or callee.endswith("combine"):
            return _only_times_or_logs(parent, function, parents, model, depth + 1, following)
        if isinstance(parent.func, ast.Attribute) and parent.func.attr == "format" and isinstance(parent.func.value, ast.Constant):
            return _only_times_or_logs(parent, function, parents, model, depth + 1, following)  # `"at {}".format(now())`
        if len(parent.args) >= 2 and parent.args[1] is node and isinstance(parent.args[0], ast.Constant) \
                and isinstance(parent.args[0].value, str) and _event_or_unique(parent.args[0].value):
            return True  # `store.set("submitted_at", now())`
        return False
    if isinstance(parent, ast.BinOp):
        other = parent.right if parent.left is node else parent.left
        if isinstance(parent.op, ast.Sub) and _clock_derived(other, function, model):
            return True
        if isinstance(parent.op, ast.Add) and not (_is_text(node) or _is_text(other)):
            return True  # `now() + timedelta(hours=2)`, `time.time() + 300`: a deadline or an expiry
        if isinstance(parent.op, ast.Add):
            return _only_times_or_logs(parent, function, parents, model, depth + 1, following)  # text: follow it
        if isinstance(parent.op, (ast.Add, ast.Sub)) and _is_span(other, model):
            if _retention_window(other, isinstance(parent.op, ast.Sub)):
                return True  # `now() - timedelta(days=30)`: a retention cutoff, the same for every run
            return _only_times_or_logs(parent, function, parents, model, depth + 1, following)  # `yesterday`: follow it
        if isinstance(parent.op, ast.Sub) and parent.left is node and not isinstance(other, ast.Constant):
            return True  # `now() - last_modified`: an age, a duration
        if isinstance(parent.op, (ast.Mult, ast.Div, ast.FloorDiv)) and isinstance(other, ast.Constant):
            return _only_times_or_logs(parent, function, parents, model, depth + 1, following)  # `time.time() * 1000`: units
        if isinstance(parent.op, ast.Mod) and parent.right is node and isinstance(parent.left, ast.Constant):
            return _only_times_or_logs(parent, function, parents, model, depth + 1, following)  # `"at %s" % now()`
        return False
    if isinstance(parent, (ast.Assign, ast.AnnAssign)) and getattr(parent, "value", None) is node:
        targets = parent.targets if isinstance(parent, ast.Assign) else [parent.target]
        if all(_event_time_target(t) for t in targets):
            return True  # `process_end_time = now()`, `row.updated = now()`: an event's time, kept as such
        if not all(isinstance(t, ast.Name) for t in targets):
            return False
        names = {t.id for t in targets}  # type: ignore[attr-defined]
        if names <= following:
            return True  # `t = t.replace(tzinfo=None)`: its uses are being followed already
        following = following | names
        uses = [
            n
            for n in walk(function)
            if isinstance(n, ast.Name) and n.id in names and isinstance(n.ctx, ast.Load)
        ]
        return all(_only_times_or_logs(use, function, parents, model, depth + 1, following) for use in uses)
    return False


# names that say a value is when something happened (an audit timestamp), not which data to use
EVENT_TIME = re.compile(
    r"(?:^|_)(?:created|updated|modified|inserted|deleted|loaded|processed|fetched|completed|submitted|"
    r"refreshed|synced|pickup|checked|seen|last_\w*update)(?:_at|_on|_time|_timestamp)?$|\w_(?:at|time|timestamp)$"
    r"|^(?:timestamp|watermark)$",
    re.IGNORECASE,
)
_SPANS = frozenset({"timedelta", "relativedelta", "Duration", "duration", "DateOffset", "Timedelta"})


# camelCase keys of event records (`"EventTime": utcnow()`)
EVENT_TIME_CAMEL = re.compile(r"[a-z](?:At|Time|Timestamp)$")
# names of values that must only be unique (`run_id=f"manual_{now():%s}"`, a temporary table's name)
UNIQUE_NAME = re.compile(r"(?:^|_)(?:run_id|tmp|temp|temporary|unique|nonce|suffix)(?:_|$)", re.IGNORECASE)
_TIME_OF_DAY = frozenset({"time", "hour", "minute", "second", "microsecond"})


def _event_or_unique(name: str) -> bool:
    return bool(EVENT_TIME.search(name) or EVENT_TIME_CAMEL.search(name) or UNIQUE_NAME.search(name))


def _event_time_target(target: ast.expr) -> bool:
    if isinstance(target, ast.Name):
        return _event_or_unique(target.id)
    if isinstance(target, ast.Attribute):
        return _event_or_unique(target.attr)
    if isinstance(target, ast.Subscript) and isinstance(target.slice, ast.Constant) and isinstance(target.slice.value, str):
        return _event_or_unique(target.slice.value)
    return False


_TEXT_METHODS = frozenset({"strftime", "isoformat", "format", "to_date_string", "to_datetime_string", "date_string"})


def _is_text(node: ast.AST) -> bool:
    """A string (`str(now())`, `now().strftime(...)`, an f-string or a literal): `+` on it joins text."""
    if isinstance(node, (ast.JoinedStr, ast.Constant)):
        return isinstance(node, ast.JoinedStr) or isinstance(node.value, str)
    if isinstance(node, ast.Call):
        func = node.func
        return (isinstance(func, ast.Name) and func.id in ("str", "repr")) or (
            isinstance(func, ast.Attribute) and func.attr in _TEXT_METHODS
        )
    return False


def _is_span(node: ast.AST, model: FileModel) -> bool:
    """`timedelta(...)`, `relativedelta(...)` and the like: a length of time."""
    return isinstance(node, ast.Call) and (sem.dotted(node.func) or "").rsplit(".", 1)[-1] in _SPANS


def _retention_window(span: ast.Call, subtracted: bool) -> bool:
    """A week or more back (or a length not written in the file): a retention or lookback window,
    whose cutoff moving with the clock is the point. A day or two back is "yesterday's data"."""
    days = 0.0
    for keyword in span.keywords:
        value = keyword.value
        if not (isinstance(value, ast.Constant) and isinstance(value.value, (int, float))):
            return True
        days += value.value * {"weeks": 7, "days": 1, "months": 30, "years": 365}.get(keyword.arg or "", 0)
    if span.args:
        first = span.args[0]
        if isinstance(first, ast.UnaryOp) and isinstance(first.op, ast.USub) and isinstance(first.operand, ast.Constant):
            days += -first.operand.value if isinstance(first.operand.value, (int, float)) else 0
        elif isinstance(first, ast.Constant) and isinstance(first.value, (int, float)):
            days += first.value
        else:
            return True
    return abs(days) >= 7


def _taint(assignments: list[tuple[str, ast.expr]], model: FileModel) -> dict[str, int]:
    """Names whose value is a time read from the clock, directly or computed from names already
    tainted: name -> clock line. A DAG, a dict or a call that merely takes a clock read as one of its
    arguments (`DAG(start_date=datetime.now())`, `{"start_date": now()}`) is not a time."""
    tainted: dict[str, int] = {}
    changed = True
    while changed:
        changed = False
        for name, expr in assignments:
            if name in tainted:
                continue
            line = _time_value(expr, model, tainted)
            if line is not None:
                tainted[name] = line
                changed = True
    return tainted


# calls that turn a time into another form of the same time
_TIME_KEEPING_CALLS = frozenset({"str", "int", "float", "round", "repr", "format"})


def _time_value(expr: ast.AST, model: FileModel, tainted: dict[str, int]) -> int | None:
    """The line of the clock read whose time `expr` evaluates to (formatted, shifted or truncated),
    or None when its value is not a time."""
    if isinstance(expr, ast.Name):
        return tainted.get(expr.id)
    if isinstance(expr, ast.Call):
        if is_clock_call(expr, sem.qualified_name(expr.func, model.imports)):
            return expr.lineno
        if isinstance(expr.func, ast.Name) and expr.func.id in model.functions and model.find_calls(CLOCK_NAMES):
            clock = clock_helpers(model).get(expr.func.id)
            if clock is not None:
                return clock.lineno
        if isinstance(expr.func, ast.Attribute):  # `now().strftime(...)`, `"{}".format(now())`
            found = _time_value(expr.func.value, model, tainted)
            if found is not None:
                return found
            if expr.func.attr == "format" and isinstance(expr.func.value, ast.Constant):
                return _first_time(list(expr.args) + [k.value for k in expr.keywords], model, tainted)
            return None
        if isinstance(expr.func, ast.Name) and expr.func.id in _TIME_KEEPING_CALLS:
            return _first_time(list(expr.args), model, tainted)
        return None
    if isinstance(expr, ast.BinOp):
        return _first_time([expr.left, expr.right], model, tainted)
    if isinstance(expr, ast.Attribute):
        return _time_value(expr.value, model, tainted)
    if isinstance(expr, ast.JoinedStr):
        return _first_time([v.value for v in expr.values if isinstance(v, ast.FormattedValue)], model, tainted)
    if isinstance(expr, ast.IfExp):
        return _first_time([expr.body, expr.orelse], model, tainted)
    return None


def _first_time(nodes: list[ast.AST], model: FileModel, tainted: dict[str, int]) -> int | None:
    for node in nodes:
        found = _time_value(node, model, tainted)
        if found is not None:
            return found
    return None


def _tainted_dag_function_names(model: FileModel) -> Iterator[Hazard]:
    """Names a `@dag` function assigns a clock read while the file is parsed (`stamp = datetime.now()`
    in its body), used in the arguments of its tasks or in the task functions it defines."""
    if not model.find_calls(CLOCK_NAMES):
        return
    for dag in model.dags:
        function = dag.function
        if function is None:
            continue
        assignments = [
            (node.targets[0].id, node.value)
            for node in _own_nodes(function)
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
        ]
        if not assignments:
            continue
        tainted = _taint(assignments, model)
        if not tainted:
            continue
        reported: set[tuple[int, int]] = set()
        end = function.end_lineno or function.lineno
        for task in dag.tasks:
            for argument, expr in task.arguments.items():
                if argument in ("start_date", "end_date", "task_id"):
                    continue
                for node in _unreported_reads(expr, tainted, reported):
                    yield _tainted_argument(model, node, tainted, argument, task)
            code = task.function
            if code is None or isinstance(code, ast.Lambda) or not function.lineno < code.lineno <= end:
                continue
            for node in _unreported_reads(code, tainted, reported, shadowed=local_names(code)):
                yield Hazard(
                    "clock",
                    model.span(node),
                    f"`{node.id}` holds the time the file was parsed (line {tainted[node.id]}), not the "
                    "run's logical date",
                    (task.task_id,),
                    frozenset({(task.dag_id, task.task_id)}),
                )


def _tainted_argument(
    model: FileModel, node: ast.Name, tainted: dict[str, int], argument: str, task: TaskRecord
) -> Hazard:
    return Hazard(
        "clock",
        model.span(node),
        f"`{node.id}` holds the time the file was parsed (line {tainted[node.id]}), used in "
        f"argument `{argument}` of task `{task.task_id}`",
        (task.task_id,),
        frozenset({(task.dag_id, task.task_id)}),
    )


def _unreported_reads(
    tree: ast.AST, tainted: dict[str, int], reported: set[tuple[int, int]], shadowed: set[str] | frozenset[str] = frozenset()
) -> Iterator[ast.Name]:
    """Reads of a tainted name in `tree` (not of a local that shadows it), each place reported once."""
    for node in walk(tree):
        if (
            isinstance(node, ast.Name)
            and isinstance(node.ctx, ast.Load)
            and node.id in tainted
            and node.id not in shadowed
            and (node.lineno, node.col_offset) not in reported
        ):
            reported.add((node.lineno, node.col_offset))
            yield node


def _returned_only_as_duration(function: FunctionNode, model: FileModel, depth: int) -> bool:
    """A helper of the file (`def now_ts(): return time.time()`) whose every call only measures or
    logs a duration. Not a task's own function: what it returns is its XCom, data."""
    if isinstance(function, ast.Lambda) or model.functions.get(function.name) is not function or function.decorator_list:
        return False
    if any(task.function is function for task in model.all_tasks):
        return False
    sites = [site for site in model.find_calls(frozenset({function.name})) if isinstance(site.node.func, ast.Name)]
    if not sites or any(site.function is None for site in sites):
        return False
    # called by name only: not handed on as a callable (`python_callable=now_ts`)
    loads = sum(1 for n in walk(model.module) if isinstance(n, ast.Name) and n.id == function.name)
    if loads != len(sites):
        return False
    return all(
        _only_times_or_logs(site.node, site.function, parents_of(site.function), model, depth + 1)  # type: ignore[arg-type]
        for site in sites
    )


def _tainted_module_names(model: FileModel) -> Iterator[Hazard]:
    """Module-level names holding a clock read, used in task code or task arguments."""
    if not model.find_calls(CLOCK_NAMES):
        return
    tainted = _taint(list(model.assignments.items()), model)
    helpers = clock_helpers(model) if model.functions else {}
    if not tainted and not helpers:
        return
    reported: set[tuple[int, int]] = set()
    for task in model.all_tasks:
        for argument, expr in task.arguments.items():
            if argument in ("start_date", "end_date", "task_id"):
                continue
            for node in walk(expr):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in helpers:
                    key = (node.lineno, node.col_offset)
                    if key not in reported:
                        reported.add(key)
                        yield Hazard(
                            "clock",
                            model.span(node),
                            f"`{node.func.id}()` reads the clock (line {helpers[node.func.id].lineno}) when the file is "
                            f"parsed, in argument `{argument}` of task `{task.task_id}`",
                            (task.task_id,),
                            frozenset({(task.dag_id, task.task_id)}),
                        )
                if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in tainted:
                    key = (node.lineno, node.col_offset)
                    if key in reported:
                        continue
                    reported.add(key)
                    yield _tainted_argument(model, node, tainted, argument, task)
    seen_functions: set[int] = set()
    for task in model.all_tasks:
        pending = [task.function] if task.function is not None else []
        while pending:
            function = pending.pop()
            if id(function) in seen_functions:
                continue
            seen_functions.add(id(function))
            shadowed = local_names(function)
            parents: dict[int, ast.AST] | None = None
            for node in walk(function):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                    helper = model.functions.get(node.func.id)
                    if helper is not None and not helper.decorator_list:
                        pending.append(helper)
                if (
                    isinstance(node, ast.Name)
                    and isinstance(node.ctx, ast.Load)
                    and node.id in tainted
                    and node.id not in shadowed
                ):
                    key = (node.lineno, node.col_offset)
                    if key in reported:
                        continue
                    reported.add(key)
                    if parents is None:
                        parents = parents_of(function)
                    if _only_times_or_logs(node, function, parents, model):
                        continue  # `time.time() - STARTED`, logged: a duration, not a date
                    yield Hazard(
                        "clock",
                        model.span(node),
                        f"`{node.id}` holds the time the file was parsed (line {tainted[node.id]}), not the "
                        "run's logical date",
                        tasks_for(function, task_index(model)),
                        owners_for(function, task_index(model)),
                    )


def _template_clocks(model: FileModel) -> Iterator[Hazard]:
    source = model.source
    if "{{" not in source or not any(w in source for w in ("now(", "today(", "time(")) or not TEMPLATE_CLOCK.search(source):
        return
    for task in model.all_tasks:
        for argument, expr in task.arguments.items():
            for node in walk(expr):
                if isinstance(node, ast.Constant) and isinstance(node.value, str) and TEMPLATE_CLOCK.search(node.value):
                    yield Hazard(
                        "clock",
                        model.span(node),
                        f"template in argument `{argument}` of task `{task.task_id}` reads the current time, "
                        "not the run's logical date",
                        (task.task_id,),
                        frozenset({(task.dag_id, task.task_id)}),
                    )


# -- shell `date` ----------------------------------------------------------------------------------


def shell_date_hazards(model: FileModel) -> list[Hazard]:
    found: list[Hazard] = []
    source = model.source
    # SHELL_DATE needs `$(` or a backtick: two scans at C speed rule most files out
    if ("$(" not in source and "`" not in source) or "date" not in source.replace("_date", "") or not SHELL_DATE.search(source):
        return found
    seen: set[int] = set()
    for task in model.all_tasks:
        for text, node in command_texts(task, model):
            for shown, args in _shell_date_substitutions(text):
                if _formats_given_date(args):
                    continue  # `date -d "{{ ds }}" ...`, not `date -d yesterday ...`
                if id(node) in seen:
                    break
                seen.add(id(node))
                if shown.startswith("`"):
                    shown = f"`{shown.strip('`').strip()}` in backticks"
                else:
                    shown = f"`{shown}`"
                found.append(
                    Hazard(
                        "shell-date",
                        model.span(node),
                        f"{shown} in the command of task `{task.task_id}` depends on when the "
                        "task runs, not on its logical date",
                        (task.task_id,),
                        frozenset({(task.dag_id, task.task_id)}),
                    )
                )
    return found


def _formats_given_date(args: str) -> bool:
    if DATE_GIVEN.search(args):
        return True
    option = DATE_OPTION.search(args)
    # `-d yesterday`, `-d '1 day ago'`, `-d now` are still relative to the clock
    return option is not None and bool(LITERAL_DATE.match(option.group("value").strip("'\"")))


def _shell_date_substitutions(text: str) -> Iterator[tuple[str, str]]:
    """(as written, arguments) of every `date` command substitution the shell would expand.

    Quoting decides, as in the shell: `'$(date)'` is literal text, `"$(date)"` and nested
    substitutions are expanded. Text the scanner cannot follow yields nothing (never a guess).
    """
    for substitution in find_substitutions(text):
        match = DATE_COMMAND.match(substitution.body)
        if match:
            yield text[substitution.start : substitution.end].strip(), match.group("args")
        yield from _shell_date_substitutions(substitution.body)


# -- writes ----------------------------------------------------------------------------------------


def _is_log_or_device(path: str) -> bool:
    """Where a write is not a task's output: a log, a device, scratch space (`/tmp`, a relative path
    in the worker's working directory), or a directory (the files in it may well carry the date)."""
    stripped = path.strip("\"'")
    return (
        stripped.startswith("/dev/")
        or stripped.endswith((".log", ".err", ".out"))
        or "/log/" in stripped
        or "/logs/" in stripped
        or stripped.startswith("&")
        or _is_scratch(stripped)
        or _is_directory(stripped)
    )


_SCRATCH = re.compile(r"^(?:/tmp|/var/tmp|/dev/shm|\$\{?TMPDIR\}?|\$\{?TMP\}?)(?:/|$)|(?:^|/)(?:tmp|temp|scratch)(?:/|$)")


def _is_scratch(path: str) -> bool:
    if not path:
        return False
    absolute = path.startswith(("/", "~", "$")) or "://" in path or re.match(r"[A-Za-z]:[\\/]", path) is not None
    return not absolute or _SCRATCH.search(path) is not None


def _is_directory(path: str) -> bool:
    """`/data/prod`, `/exports/`: no file name (no extension) at the end."""
    last = path.rstrip("/").rsplit("/", 1)[-1]
    return path.endswith("/") or ("/" in path and "." not in last)


def classify_text_path(text: str) -> str:
    """"dated", "fixed" or "unknown" for a path written in a command or SQL."""
    if DATE_TEMPLATE.search(text):
        return "dated"
    if ANY_TEMPLATE.search(text) or "$" in text or "`" in text or "{" in text:
        return "unknown"
    return "fixed"


def classify_path(expr: ast.AST | None, function: FunctionNode | None, model: FileModel, depth: int = 0) -> str:
    """Whether a Python path expression depends on the logical date: "dated", "fixed" or "unknown"."""
    if expr is None or depth > 5:
        return "unknown"
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        if _is_log_or_device(expr.value):
            return "unknown"
        return classify_text_path(expr.value)
    if isinstance(expr, ast.JoinedStr):
        kinds = [classify_path(v.value, function, model, depth + 1) for v in expr.values if isinstance(v, ast.FormattedValue)]
        text = "".join(v.value for v in expr.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
        if _is_log_or_device(text):
            return "unknown"
        return _combine(kinds + [classify_text_path(text)])
    if isinstance(expr, ast.Name):
        if expr.id in DATE_NAMES:
            return "dated"
        if function is not None and not isinstance(function, ast.Lambda):
            assigned = _local_assignment(function, expr.id)
            if assigned is not None:
                return classify_path(assigned, function, model, depth + 1)
            if expr.id in {a.arg for a in [*function.args.args, *function.args.kwonlyargs, *function.args.posonlyargs]}:
                return "unknown"
        if expr.id in model.assignments:
            return classify_path(model.assignments[expr.id], None, model, depth + 1)
        return "unknown"
    if isinstance(expr, ast.Subscript):
        key = expr.slice
        if isinstance(key, ast.Constant) and isinstance(key.value, str) and key.value in DATE_WORDS:
            return "dated"
        return "unknown"
    if isinstance(expr, ast.Attribute):
        if expr.attr in DATE_WORDS:
            return "dated"
        return "unknown"
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, (ast.Add, ast.Div, ast.Mod)):
        return _combine([classify_path(expr.left, function, model, depth + 1), classify_path(expr.right, function, model, depth + 1)])
    if isinstance(expr, ast.Call):
        name = sem.qualified_name(expr.func, model.imports) or ""
        if name in ("os.path.join", "pathlib.Path", "pathlib.PurePath", "posixpath.join") or name.endswith(".joinpath"):
            parts = [classify_path(a, function, model, depth + 1) for a in expr.args]
            return _combine(parts) if parts else "unknown"
        if isinstance(expr.func, ast.Attribute) and expr.func.attr in ("format", "strftime"):
            return "unknown"
    return "unknown"


def _combine(kinds: list[str]) -> str:
    if "dated" in kinds:
        return "dated"
    if kinds and all(k == "fixed" for k in kinds):
        return "fixed"
    return "unknown"


def _local_assignment(function: FunctionNode, name: str) -> ast.expr | None:
    body = [function.body] if isinstance(function, ast.Lambda) else function.body
    found: ast.expr | None = None
    for stmt in body:
        for node in walk(stmt) if isinstance(stmt, ast.AST) else []:
            if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
                if found is not None:
                    return None  # assigned twice: which value reaches the write is unknown
                found = node.value
    return found


def write_hazards(model: FileModel) -> list[Hazard]:
    found: list[Hazard] = []
    redirects = REDIRECT_HINT_REVERSED.search(model.source[::-1]) is not None
    arguments = any(name in model.source for name in OUTPUT_WORDS) and OUTPUT_HINT.search(model.source) is not None
    for task in model.all_tasks if redirects or arguments else ():
        for text, node in command_texts(task, model) if redirects else ():
            if ">" not in text:
                continue
            stripped = ANY_TEMPLATE.sub(lambda m: m.group(0).replace(">", " "), text)
            for match in REDIRECT.finditer(stripped):
                target = text[match.start("target") : match.end("target")]
                if _is_log_or_device(target):
                    continue
                if classify_text_path(target) != "fixed":
                    continue
                append = match.group("op") == ">>"
                found.append(_write(append, model.span(node), target.strip("\"'"), task, "command"))
        for argument in (OUTPUT_ARGUMENTS.intersection(task.arguments) | ({"sql"} & task.arguments.keys())) if arguments else ():
            expr = task.arguments[argument]
            if argument in OUTPUT_ARGUMENTS:
                kind = classify_path(resolve(expr, model), None, model)
                if kind == "fixed":
                    text = sem.joined_text(resolve(expr, model)) or "?"
                    found.append(_write(False, model.span(expr), text, task, f"argument `{argument}`"))
            if argument == "sql":
                # a list of statements runs as one script: a DELETE in one clears for the INSERT in another
                texts = list(_texts(resolve(expr, model), model))
                if texts:
                    script = "\n;\n".join(text for text, _ in texts)
                    found.extend(_sql_hazards(script, texts[0][1] if len(texts) == 1 else expr, model, (task.task_id,), frozenset({(task.dag_id, task.task_id)})))
    for site in model.find_calls(WRITE_CALL_NAMES):
        if Role.TASK not in site.roles or site.function is None:
            continue
        found.extend(_python_write(site, model, task_index(model)))
    return found


def _write(append: bool, span: Span, target: str, task: TaskRecord, where: str) -> Hazard:
    owners = frozenset({(task.dag_id, task.task_id)})
    if append:
        return Hazard(
            "append",
            span,
            f"Task `{task.task_id}` appends to `{target}` ({where}), which has no logical-date partition: "
            "a rerun or backfill adds the same rows again",
            (task.task_id,),
            owners,
        )
    return Hazard(
        "fixed-output",
        span,
        f"Task `{task.task_id}` writes `{target}` ({where}), a path that does not depend on the logical date: "
        "every run and backfill overwrites the same output",
        (task.task_id,),
        owners,
    )


def _python_write(site: CallSite, model: FileModel, index: dict[int, set[tuple[str | None, str]]]) -> Iterator[Hazard]:
    node = site.node
    tasks = tasks_for(site.function, index)
    owner = owner_text(tasks)
    path: ast.AST | None = None
    append = False
    if site.qualname in ("open", "io.open", "codecs.open"):
        path = node.args[0] if node.args else _keyword(node, "file")
        mode = node.args[1] if len(node.args) > 1 else _keyword(node, "mode")
        if not (isinstance(mode, ast.Constant) and isinstance(mode.value, str)):
            return
        if "a" in mode.value:
            append = True
        elif not ("w" in mode.value or "x" in mode.value):
            return
    elif isinstance(node.func, ast.Attribute) and node.func.attr in WRITE_METHODS:
        path = node.args[0] if node.args else (_keyword(node, "path_or_buf") or _keyword(node, "path"))
        if path is None:
            return
        mode = _keyword(node, "mode")
        append = isinstance(mode, ast.Constant) and isinstance(mode.value, str) and "a" in mode.value
    elif isinstance(node.func, ast.Attribute) and node.func.attr in ("write_text", "write_bytes"):
        base = node.func.value
        if isinstance(base, ast.Call) and (sem.qualified_name(base.func, model.imports) or "").endswith("Path") and base.args:
            path = base.args[0] if len(base.args) == 1 else base
        elif isinstance(base, ast.Name):
            path = base
        else:
            return
    else:
        return
    if path is None:
        return
    kind = classify_path(path, site.function, model)
    if kind != "fixed" or _removed_after(path, site.function):
        return
    target = sem.joined_text(resolve(path, model)) or (sem.dotted(path) or "path")
    yield Hazard(
        "append" if append else "fixed-output",
        model.span(node),
        (
            f"{owner} appends to `{target}`, which has no logical-date partition: a rerun or backfill adds "
            "the same data again"
            if append
            else f"{owner} writes `{target}`, a path that does not depend on the logical date: every run and "
            "backfill overwrites the same output"
        ),
        tasks,
        owners_for(site.function, index),
    )


_REMOVE_CALLS = frozenset({"remove", "unlink", "rmtree", "rmdir"})


def _removed_after(path: ast.AST, function: FunctionNode | None) -> bool:
    """The task deletes the file it wrote (`os.remove(path)`, often in `finally`): scratch, not output."""
    if function is None or not isinstance(path, (ast.Name, ast.Constant)):
        return False
    shown = ast.dump(path)
    for node in walk(function):
        if isinstance(node, ast.Call) and (sem.dotted(node.func) or "").rsplit(".", 1)[-1] in _REMOVE_CALLS:
            if any(ast.dump(arg) == shown for arg in node.args):
                return True
            owner = node.func.value if isinstance(node.func, ast.Attribute) else None
            if owner is not None and ast.dump(owner) == shown:
                return True  # `Path(p).unlink()` with p a name
    return False


def _keyword(node: ast.Call, name: str) -> ast.expr | None:
    for keyword in node.keywords:
        if keyword.arg == name:
            return keyword.value
    return None


def _sql_hazards(
    text: str, node: ast.AST, model: FileModel, tasks: tuple[str, ...], owners: frozenset[tuple[str | None, str]]
) -> Iterator[Hazard]:
    if text.strip().lower().endswith((".sql", ".sql.j2", ".hql")):
        return  # a template file the linter does not read
    if SQL_IDEMPOTENT.search(text):
        return
    for match in INSERT.finditer(text):
        table = match.group("table").strip().strip('"`[]')
        target = match.group("table") + match.group("rest")
        if classify_text_path(target) != "fixed":
            continue
        bare = re.escape(table.split(".")[-1])
        if re.search(rf"\b(?:DELETE\s+FROM|TRUNCATE(?:\s+TABLE)?)\s+[\w.\"`\[\]]*{bare}\b", text, re.IGNORECASE):
            continue  # the interval (or table) is cleared first: an overwrite
        owner = owner_text(tasks)
        yield Hazard(
            "append",
            model.span(node),
            f"{owner} runs `INSERT INTO {table}` with no overwrite of the interval (no DELETE/MERGE/upsert, "
            "no logical-date partition): a rerun or backfill inserts the rows twice",
            tasks,
            owners,
        )


def _sql_call_hazards_iter(model: FileModel) -> Iterator[Hazard]:
    """`hook.run("INSERT INTO ...")` and friends inside task code."""
    for site in model.find_calls(SQL_CALL_NAMES):
        if Role.TASK not in site.roles or not isinstance(site.node.func, ast.Attribute):
            continue
        if site.node.func.attr not in ("run", "execute", "executemany", "get_records", "get_first") or not site.node.args:
            continue
        index = task_index(model)
        for text, node in _texts(resolve(site.node.args[0], model), model):
            yield from _sql_hazards(text, node, model, tasks_for(site.function, index), owners_for(site.function, index))


def sql_call_hazards(model: FileModel) -> list[Hazard]:
    return list(_sql_call_hazards_iter(model))


def all_hazards(model: FileModel) -> list[Hazard]:
    return [*clock_hazards(model), *shell_date_hazards(model), *write_hazards(model), *sql_call_hazards(model)]


def _memoized(function: Any) -> Any:
    """Compute a detector once per model: several rules read the same hazards."""
    key = f"_hazards_{function.__name__}"

    def wrapper(model: FileModel) -> Any:
        cache = model.__dict__
        if key not in cache:
            cache[key] = function(model)
        return cache[key]

    wrapper.__name__ = function.__name__
    wrapper.__doc__ = function.__doc__
    return wrapper


clock_hazards = _memoized(clock_hazards)
shell_date_hazards = _memoized(shell_date_hazards)
write_hazards = _memoized(write_hazards)
sql_call_hazards = _memoized(sql_call_hazards)
task_index = _memoized(task_index)
clock_helpers = _memoized(clock_helpers)


def unique(hazards: Iterable[Hazard]) -> list[Hazard]:
    seen: set[tuple[str, Span]] = set()
    result: list[Hazard] = []
    for hazard in hazards:
        key = (hazard.kind, hazard.span)
        if key not in seen:
            seen.add(key)
            result.append(hazard)
    return result
