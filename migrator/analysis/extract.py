"""Static extraction of a DAG file into the graph model, without importing or running it.

The file's `ast` is walked like a tiny interpreter of the DAG-building subset of Python: names are bound
to abstract values (a task, a list of tasks, a DAG, a TaskGroup, a TaskFlow function, a literal), `with
DAG(...)` and TaskGroups push context, loops over literal lists are unrolled, helper functions called
while building the DAG are inlined, and every `>>`/`<<`/`set_upstream`/`chain`/TaskFlow data hand-off
becomes an edge. Anything that cannot be resolved becomes an `Unresolved` note and is left out: a missing
edge costs a finding, a guessed one would be a false finding.

`ast` is used rather than libcst: it parses ten times faster and its positions are exact (libcst is
used only to apply fixes).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from functools import cached_property
from typing import Any, Callable, Iterable, Iterator

from migrator.analysis import semantics as sem
from migrator.analysis.index import SourceIndex
from migrator.analysis.model import (
    DagModel,
    EdgeKind,
    EdgeRecord,
    FileModel,
    FunctionNode,
    PendingSpan,
    Role,
    TaskKind,
    TaskRecord,
    Unresolved,
    ascii_span,
    node_span,
)

MAX_UNROLL = 500  # iterations of one literal loop that are unrolled
MAX_BUDGET = 20_000  # statements executed per file, so pathological inputs stay fast
MAX_INLINE_DEPTH = 4


# -- abstract values ----------------------------------------------------------------------------------


# The working state and the abstract values below are plain classes with __slots__ rather than
# dataclasses: they never leave the extractor, compare by identity, and a dataclass costs about
# 0.4 ms to create at import (fifteen of them: 6 ms of every `cron2dag lint` start-up).


class _Dag:
    __slots__ = (
        "arguments",
        "branch",
        "call",
        "dag_id",
        "default_args",
        "edges",
        "function",
        "has_star_kwargs",
        "ids",
        "node",
        "style",
        "task_edges",
        "tasks",
    )

    def __init__(
        self,
        dag_id: str,
        node: ast.AST,
        style: str,
        arguments: dict[str, ast.expr],
        default_args: dict[str, ast.expr] | None,
        has_star_kwargs: bool,
        branch: tuple[tuple[int, int], ...],
        call: ast.Call | None,
        function: ast.FunctionDef | ast.AsyncFunctionDef | None = None,
    ) -> None:
        self.dag_id = dag_id
        self.node = node
        self.style = style
        self.arguments = arguments
        self.default_args = default_args
        self.has_star_kwargs = has_star_kwargs
        self.branch = branch
        self.call = call
        self.function = function
        self.tasks: list[_Task] = []
        self.edges: list[EdgeRecord] = []
        self.ids: set[str] = set()
        self.task_edges: list[tuple[_Task, _Task]] = []


_UNKNOWN_DAG = _Dag("<unknown>", ast.Pass(), "unknown", {}, None, False, (), None)


class _Group:
    __slots__ = ("dag", "default_args", "name", "parent", "prefix", "tasks")

    def __init__(
        self,
        name: str | None,  # as given (None for an unresolvable id)
        parent: _Group | None,
        prefix: bool,
        dag: _Dag | None,
        default_args: dict[str, ast.expr] | None,
    ) -> None:
        self.name = name
        self.parent = parent
        self.prefix = prefix
        self.dag = dag
        self.default_args = default_args
        self.tasks: list[_Task] = []

    @property
    def group_id(self) -> str | None:
        if self.name and self.parent and self.parent.prefix and self.parent.name:
            return self.parent.child_id(self.name)
        return self.name

    def child_id(self, label: str) -> str:
        if self.prefix and self.group_id:
            return f"{self.group_id}.{label}"
        return label


class _Task:
    __slots__ = (
        "arguments",
        "branch",
        "call",
        "callee",
        "dag",
        "escaped",
        "function",
        "group",
        "has_star_kwargs",
        "is_sensor",
        "kind",
        "mapped",
        "node",
        "own_default_args",
        "task_id",
        "teardown",
        "uncertain",
    )

    def __init__(
        self,
        task_id: str,
        dag: _Dag | None,
        kind: TaskKind,
        callee: str,
        node: ast.AST,
        group: _Group | None,
        is_sensor: bool,
        mapped: bool,
        uncertain: bool,
        branch: tuple[tuple[int, int], ...],
        arguments: dict[str, ast.expr],
        own_default_args: dict[str, ast.expr] | None,
        has_star_kwargs: bool,
        call: ast.Call | None,
        function: FunctionNode | None,
        teardown: bool = False,
    ) -> None:
        self.task_id = task_id
        self.dag = dag
        self.kind = kind
        self.callee = callee
        self.node = node
        self.group = group
        self.is_sensor = is_sensor
        self.mapped = mapped
        self.uncertain = uncertain
        self.branch = branch
        self.arguments = arguments
        self.own_default_args = own_default_args
        self.has_star_kwargs = has_star_kwargs
        self.call = call
        self.function = function
        self.teardown = teardown
        self.escaped = False  # handed to code we cannot follow: it may be bound to a DAG there


class Const:
    """A literal value. (Plain slotted classes: these are made for nearly every node evaluated.)"""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


class TaskVal:
    __slots__ = ("task",)

    def __init__(self, task: _Task) -> None:
        self.task = task


class XComVal:
    """A TaskFlow call's result (an XComArg): passing it to another task is a dependency."""

    __slots__ = ("task",)

    def __init__(self, task: _Task) -> None:
        self.task = task


class ListVal:
    __slots__ = ("items",)

    def __init__(self, items: list[Any]) -> None:
        self.items = items


class DictVal:
    __slots__ = ("entries",)

    def __init__(self, entries: dict[Any, tuple[ast.expr, Any]]) -> None:
        self.entries = entries  # key -> (expression, abstract value)


class DagVal:
    __slots__ = ("dag",)

    def __init__(self, dag: _Dag) -> None:
        self.dag = dag


class GroupVal:
    __slots__ = ("group",)

    def __init__(self, group: _Group) -> None:
        self.group = group


class LabelVal:
    __slots__ = ("upstream",)

    def __init__(self, upstream: tuple[Any, ...]) -> None:
        self.upstream = upstream


class OperatorClass:
    __slots__ = ("is_sensor", "qualname")

    def __init__(self, qualname: str, is_sensor: bool) -> None:
        self.qualname = qualname
        self.is_sensor = is_sensor


class TaskFunc:
    __slots__ = ("callee", "flavour", "function", "has_star_kwargs", "kwargs")

    def __init__(
        self,
        function: ast.FunctionDef | ast.AsyncFunctionDef,
        callee: str,
        flavour: str,
        kwargs: tuple[tuple[str, ast.expr], ...],
        has_star_kwargs: bool = False,
    ) -> None:
        self.function = function
        self.callee = callee
        self.flavour = flavour
        self.kwargs = kwargs
        self.has_star_kwargs = has_star_kwargs


class Partial:
    __slots__ = ("base", "call", "has_star_kwargs", "kwargs", "values")

    def __init__(
        self,
        base: Any,  # OperatorClass or TaskFunc
        kwargs: tuple[tuple[str, ast.expr], ...],
        values: tuple[tuple[str, Any], ...],
        call: ast.Call,
        has_star_kwargs: bool = False,
    ) -> None:
        self.base = base
        self.kwargs = kwargs
        self.values = values
        self.call = call
        self.has_star_kwargs = has_star_kwargs


class GroupFunc:
    __slots__ = ("function", "kwargs")

    def __init__(self, function: ast.FunctionDef | ast.AsyncFunctionDef, kwargs: tuple[tuple[str, ast.expr], ...]) -> None:
        self.function = function
        self.kwargs = kwargs


class DagFunc:
    __slots__ = ("decorator", "function", "has_star_kwargs", "kwargs")

    def __init__(
        self,
        function: ast.FunctionDef | ast.AsyncFunctionDef,
        decorator: ast.expr,
        kwargs: tuple[tuple[str, ast.expr], ...],
        has_star_kwargs: bool = False,
    ) -> None:
        self.function = function
        self.decorator = decorator
        self.kwargs = kwargs
        self.has_star_kwargs = has_star_kwargs


class PlainFunc:
    __slots__ = ("function",)

    def __init__(self, function: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> None:
        self.function = function


class _Return(Exception):
    def __init__(self, value: Any) -> None:
        self.value = value


class _Budget(Exception):
    pass


class _Scope:
    __slots__ = ("parent", "vars")

    def __init__(self, vars: dict[str, Any], parent: _Scope | None = None) -> None:
        self.vars = vars
        self.parent = parent

    def lookup(self, name: str) -> tuple[bool, Any]:
        scope: _Scope | None = self
        while scope is not None:
            if name in scope.vars:
                return True, scope.vars[name]
            scope = scope.parent
        return False, None


class _ConstView:
    """The literal values in scope, as the mapping `semantics.literal` reads (built on demand)."""

    def __init__(self, scope: _Scope) -> None:
        self.scope = scope

    def __contains__(self, name: object) -> bool:
        found, value = self.scope.lookup(name)  # type: ignore[arg-type]
        return found and isinstance(value, Const)

    def __getitem__(self, name: str) -> Any:
        return self.scope.lookup(name)[1].value


# enum members as plain globals: `TaskKind.OPERATOR` is a descriptor lookup (~50 ns) on every task
_OPERATOR = TaskKind.OPERATOR
_TASKFLOW = TaskKind.TASKFLOW
_BITSHIFT = EdgeKind.BITSHIFT
_DATA = EdgeKind.DATA
_new = object.__new__

# values that may carry a TaskFlow result into a task's arguments (a data dependency)
_DATA_VALUES = (XComVal, ListVal, DictVal)

# shared by every task without default_args (never mutated: merges build new dicts)
_NO_DEFAULTS: dict[str, ast.expr] = {}

_CONVERSIONS: dict[str, Any] = {"str": str, "int": int, "float": float}


def _recognize(qualname: str) -> tuple[Any, ...]:
    if sem.is_dag_class(qualname):
        return ("dag",)
    if sem.is_task_group_class(qualname):
        return ("group",)
    chain = sem.chain_function(qualname)
    if chain:
        return ("chain", chain)
    if sem.is_label(qualname):
        return ("label",)
    if sem.looks_like_operator(qualname):
        return ("operator", sem.looks_like_sensor(qualname))
    last = qualname.rsplit(".", 1)[-1]
    if last == "dict":
        return ("dict",)
    if qualname in ("str", "int", "float"):
        return ("convert",)
    if last in ("timedelta", "format", "range", "total_seconds"):
        return ("literal",)
    return ("other",)


# -- the extractor ------------------------------------------------------------------------------------


class Extractor:
    def __init__(self, path: str, source: str, module: ast.Module, airflow_version: int = 3) -> None:
        self.path = path
        self.source = source
        self.module = module
        self.ascii = source.isascii()  # then columns are byte offsets: spans need no line text
        self.airflow_version = airflow_version
        self.index = SourceIndex(module, source)
        self.imports = sem.collect_imports(self.index.imports())
        self.dags: list[_Dag] = []
        self.tasks: list[_Task] = []
        self.unbound_edges: list[tuple[_Task, _Task, EdgeKind, ast.AST]] = []
        self.cross_edges: list[EdgeRecord] = []
        self.unresolved: list[Unresolved] = []
        self.dag_stack: list[_Dag] = []
        self.group_stack: list[_Group] = []
        self.branch: tuple[tuple[int, int], ...] = ()
        self.uncertain = 0
        self.budget = MAX_BUDGET
        self.inline_depth = 0
        self.executing: set[int] = set()
        self.parse_functions: set[int] = set()
        self.task_functions: set[int] = set()
        self.dag_functions: list[tuple[DagFunc, _Scope]] = []
        self.called_dag_functions: set[int] = set()
        self.module_scope = _Scope({})
        self.assignments: dict[str, ast.expr] = {}
        self.functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
        self.known_groups: dict[int, list[_Group]] = {}
        self.recognized: dict[str, tuple[Any, ...]] = {}
        self._defaults_cache: dict[tuple[int, int, int], tuple[dict[str, ast.expr] | None]] = {}
        self._dag_defaults: dict[int, tuple[dict[str, ast.expr] | None]] = {}

    # -- entry point --------------------------------------------------------------------------------

    def run(self) -> FileModel:
        for stmt in self.module.body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self.functions[stmt.name] = stmt
        try:
            self.exec_block(self.module.body, self.module_scope, module_level=True)
        except _Budget:
            self.note(self.module, "file too large to follow completely; the rest was skipped")
        except RecursionError:
            self.note(self.module, "expression nested too deeply to follow; the rest was skipped")
        # A @dag function that is never called still describes a DAG its author meant to define.
        for dag_func, scope in self.dag_functions:
            if id(dag_func.function) not in self.called_dag_functions:
                try:
                    self.instantiate_dag_function(dag_func, scope, dag_func.function, (), {})
                except (_Budget, RecursionError):
                    pass
        model = self.build()
        self.release()
        return model

    def release(self) -> None:
        """Break the reference cycles of the working state (task <-> DAG, group <-> parent), so it
        is freed as soon as the model is built instead of waiting for the cyclic GC."""
        for task in self.tasks:
            task.dag = None
            task.group = None
        for dag in self.dags:
            dag.tasks.clear()
            dag.task_edges.clear()
        for groups in self.known_groups.values():
            for group in groups:
                group.parent = None
                group.tasks.clear()
        self.known_groups.clear()
        self.module_scope.vars.clear()
        self.dag_functions.clear()
        self.unbound_edges.clear()
        self.tasks.clear()
        self.dags.clear()

    # -- helpers ------------------------------------------------------------------------------------

    @cached_property
    def lines(self) -> list[str]:
        """The source's lines: needed only for the spans of a file that is not all ASCII."""
        return self.source.split("\n")  # not splitlines(): a form feed or U+2028 ends no line in Python

    def span(self, node: ast.AST):
        if self.ascii:
            return ascii_span(node)
        return node_span(node, self.lines)

    def note(self, node: ast.AST, reason: str) -> None:
        self.unresolved.append(Unresolved(self.span(node), reason))

    def qualname(self, node: ast.AST) -> str | None:
        return sem.qualified_name(node, self.imports)

    def tick(self) -> None:
        self.budget -= 1
        if self.budget <= 0:
            raise _Budget()

    # -- statements ---------------------------------------------------------------------------------

    def exec_block(self, body: list[ast.stmt], scope: _Scope, module_level: bool = False) -> None:
        for stmt in body:
            self.exec_stmt(stmt, scope, module_level)

    def exec_stmt(self, stmt: ast.stmt, scope: _Scope, module_level: bool = False) -> None:
        self.budget -= 1
        if self.budget <= 0:
            raise _Budget()
        kind = type(stmt)
        # the two statements a DAG file is mostly made of, first
        if kind is ast.Expr:
            self.ev(stmt.value, scope)  # type: ignore[attr-defined]
            return
        if kind is ast.Assign:
            value = self.ev(stmt.value, scope)  # type: ignore[attr-defined]
            for target in stmt.targets:  # type: ignore[attr-defined]
                if type(target) is ast.Name:
                    scope.vars[target.id] = value
                    if module_level:
                        self.assignments[target.id] = stmt.value  # type: ignore[attr-defined]
                else:
                    self.bind(target, value, scope, stmt.value if module_level else None)  # type: ignore[attr-defined]
            return
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            scope.vars[stmt.name] = self.define_function(stmt, scope)
        elif isinstance(stmt, ast.ClassDef):
            bases = [self.qualname(b) for b in stmt.bases]
            if any(sem.looks_like_operator(b) or (b or "").endswith("BaseOperator") for b in bases):
                is_sensor = any(sem.looks_like_sensor(b) for b in bases) or stmt.name.endswith("Sensor")
                scope.vars[stmt.name] = OperatorClass(stmt.name, is_sensor)
            else:
                scope.vars[stmt.name] = None
        elif isinstance(stmt, ast.Assign):
            value = self.ev(stmt.value, scope)
            for target in stmt.targets:
                self.bind(target, value, scope, stmt.value if module_level else None)
        elif isinstance(stmt, ast.AnnAssign):
            if stmt.value is not None:
                value = self.ev(stmt.value, scope)
                self.bind(stmt.target, value, scope, stmt.value if module_level else None)
        elif isinstance(stmt, ast.AugAssign):
            value = self.ev(stmt.value, scope)
            if isinstance(stmt.target, ast.Name):
                found, current = scope.lookup(stmt.target.id)
                if isinstance(stmt.op, ast.Add) and isinstance(current, ListVal) and isinstance(value, ListVal):
                    current.items.extend(value.items)
                elif isinstance(stmt.op, ast.RShift | ast.LShift) and found:
                    scope.vars[stmt.target.id] = self.shift(current, value, stmt.op, stmt)
                else:
                    scope.vars[stmt.target.id] = None
        elif isinstance(stmt, ast.Expr):
            self.ev(stmt.value, scope)
        elif isinstance(stmt, (ast.With, ast.AsyncWith)):
            self.exec_with(stmt, scope, module_level)
        elif isinstance(stmt, (ast.For, ast.AsyncFor)):
            self.exec_for(stmt, scope, module_level)
        elif isinstance(stmt, ast.While):
            self.ev(stmt.test, scope)
            self.uncertain += 1
            try:
                self.exec_block(stmt.body, scope, module_level)
            finally:
                self.uncertain -= 1
            self.exec_block(stmt.orelse, scope, module_level)
        elif isinstance(stmt, ast.If):
            self.exec_if(stmt, scope, module_level)
        elif isinstance(stmt, ast.Try) or type(stmt).__name__ == "TryStar":
            self.exec_try(stmt, scope, module_level)
        elif isinstance(stmt, ast.Match):
            self.ev(stmt.subject, scope)
            self.exec_branches(stmt, [case.body for case in stmt.cases] + [[]], scope, module_level)
        elif isinstance(stmt, ast.Return):
            raise _Return(self.ev(stmt.value, scope) if stmt.value is not None else Const(None))

    def define_function(self, stmt: ast.FunctionDef | ast.AsyncFunctionDef, scope: _Scope) -> Any:
        plain = True
        for decorator in stmt.decorator_list:
            target = decorator.func if isinstance(decorator, ast.Call) else decorator
            kwargs = tuple((k.arg, k.value) for k in decorator.keywords if k.arg) if isinstance(decorator, ast.Call) else ()
            star = isinstance(decorator, ast.Call) and any(k.arg is None for k in decorator.keywords)
            name = self.qualname(target)
            found, local = (scope.lookup(target.id) if isinstance(target, ast.Name) else (False, None))
            if found and isinstance(local, TaskFunc):
                return None  # a TaskFlow function used as a decorator: beyond static reach
            flavour = sem.task_decorator_flavour(name)
            if flavour is not None:
                self.task_functions.add(id(stmt))
                return TaskFunc(stmt, name or "task", flavour, kwargs, star)
            if sem.is_dag_decorator(name):
                dag_func = DagFunc(stmt, decorator, kwargs, star)
                self.dag_functions.append((dag_func, scope))
                return dag_func
            if sem.is_task_group_decorator(name):
                return GroupFunc(stmt, kwargs)
            plain = False
        return PlainFunc(stmt) if plain else None

    def bind(self, target: ast.expr, value: Any, scope: _Scope, module_value: ast.expr | None) -> None:
        if isinstance(target, ast.Name):
            scope.vars[target.id] = value
            if module_value is not None:
                self.assignments[target.id] = module_value
        elif isinstance(target, (ast.Tuple, ast.List)):
            items: list[Any] | None = None
            if isinstance(value, ListVal):
                items = value.items
            elif isinstance(value, Const) and isinstance(value.value, (list, tuple)):
                items = [Const(v) for v in value.value]
            if items is not None and len(items) == len(target.elts) and not any(
                isinstance(e, ast.Starred) for e in target.elts
            ):
                sub_values = (
                    module_value.elts
                    if isinstance(module_value, (ast.Tuple, ast.List)) and len(module_value.elts) == len(items)
                    else [None] * len(items)
                )
                for element, item, sub in zip(target.elts, items, sub_values):
                    self.bind(element, item, scope, sub)
            else:
                for element in target.elts:
                    self.bind(element.value if isinstance(element, ast.Starred) else element, None, scope, None)
        elif isinstance(target, ast.Attribute) and target.attr == "dag":
            owner = self.ev(target.value, scope)
            for task in self.tasks_of(owner):
                if isinstance(value, DagVal):
                    self.assign_dag(task, value.dag)
                else:
                    task.escaped = True
        elif isinstance(target, ast.Subscript):
            self.escape(value)

    def exec_with(self, stmt: ast.With | ast.AsyncWith, scope: _Scope, module_level: bool) -> None:
        pushed_dags = 0
        pushed_groups = 0
        uncertain = 0
        for item in stmt.items:
            value = self.ev(item.context_expr, scope, style="context")
            if isinstance(value, DagVal):
                self.dag_stack.append(value.dag)
                pushed_dags += 1
            elif isinstance(value, GroupVal):
                self.group_stack.append(value.group)
                pushed_groups += 1
            elif value is None and not self.dag_stack:
                # `with make_dag(...)`, a DAG subclass: may well be a DAG, so its tasks are not unbound
                self.dag_stack.append(_UNKNOWN_DAG)
                pushed_dags += 1
            elif value is None:
                # inside a DAG it may be a TaskGroup subclass, which prefixes the task ids in it
                uncertain += 1
            if item.optional_vars is not None:
                self.bind(item.optional_vars, value, scope, None)
        self.uncertain += uncertain
        try:
            self.exec_block(stmt.body, scope, module_level)
        finally:
            self.uncertain -= uncertain
            del self.dag_stack[len(self.dag_stack) - pushed_dags :]
            del self.group_stack[len(self.group_stack) - pushed_groups :]

    def iteration_values(self, value: Any) -> list[Any] | None:
        if isinstance(value, ListVal):
            return list(value.items)
        if isinstance(value, Const):
            raw = value.value
            if isinstance(raw, dict):
                return [Const(k) for k in raw]
            if isinstance(raw, (list, tuple, set, frozenset, str)) and not isinstance(raw, str):
                return [Const(v) for v in raw]
        if isinstance(value, DictVal):
            return [Const(k) for k in value.entries]
        return None

    def exec_for(self, stmt: ast.For | ast.AsyncFor, scope: _Scope, module_level: bool) -> None:
        values = self.iteration_values(self.ev(stmt.iter, scope))
        if values is not None and len(values) <= MAX_UNROLL:
            for item in values:
                self.bind(stmt.target, item, scope, None)
                self.exec_block(stmt.body, scope, module_level)
        else:
            if values is None:
                self.note(stmt.iter, "loop over a value that is not a literal list: tasks in it are approximate")
            self.bind(stmt.target, None, scope, None)
            self.uncertain += 1
            try:
                self.exec_block(stmt.body, scope, module_level)
            finally:
                self.uncertain -= 1
        self.exec_block(stmt.orelse, scope, module_level)

    def exec_if(self, stmt: ast.If, scope: _Scope, module_level: bool) -> None:
        test = self.ev(stmt.test, scope)
        if isinstance(test, Const) and isinstance(test.value, (bool, int, str, type(None))):
            self.exec_block(stmt.body if test.value else stmt.orelse, scope, module_level)
            return
        self.exec_branches(stmt, [stmt.body, stmt.orelse], scope, module_level)

    def exec_try(self, stmt: Any, scope: _Scope, module_level: bool) -> None:
        blocks = [stmt.body + stmt.orelse] + [handler.body for handler in stmt.handlers]
        self.exec_branches(stmt, blocks, scope, module_level)
        self.exec_block(stmt.finalbody, scope, module_level)

    def exec_branches(self, stmt: ast.stmt, blocks: list[list[ast.stmt]], scope: _Scope, module_level: bool) -> None:
        """Run each alternative on a copy of the scope, then keep only bindings they agree on."""
        before = dict(scope.vars)
        outcomes: list[dict[str, Any]] = []
        saved_branch = self.branch
        for index, block in enumerate(blocks):
            scope.vars = dict(before)
            self.branch = saved_branch + ((id(stmt), index),)
            try:
                self.exec_block(block, scope, module_level)
            except _Return:
                pass  # a return inside one branch: the function's result is not knowable
            finally:
                self.branch = saved_branch
            outcomes.append(scope.vars)
        merged: dict[str, Any] = {}
        for name in set().union(*outcomes):
            values = [o[name] for o in outcomes if name in o]
            first = values[0]
            merged[name] = first if all(v is first for v in values) and (len(values) == len(outcomes) or name not in before) else None
        scope.vars = merged

    # -- expressions --------------------------------------------------------------------------------

    def ev(self, node: ast.expr | None, scope: _Scope, style: str = "assignment") -> Any:
        kind = type(node)
        if kind is ast.Constant:
            return Const(node.value)  # type: ignore[union-attr]
        if node is None:
            return None
        if kind is ast.Name:
            name = node.id  # type: ignore[union-attr]
            inner: _Scope | None = scope
            while inner is not None:  # _Scope.lookup, inlined: names are most of what is evaluated
                variables = inner.vars
                if name in variables:
                    return variables[name]
                inner = inner.parent
            qualname = self.imports.get(name)
            if qualname is not None:
                recognized = self.recognized.get(qualname) or self.recognized.setdefault(qualname, _recognize(qualname))
                if recognized[0] == "operator":
                    return OperatorClass(qualname, recognized[1])
            return None
        if kind is ast.Call:
            return self.ev_call(node, scope, style)  # type: ignore[arg-type]
        if kind is ast.BinOp:
            return self.ev_binop(node, scope)  # type: ignore[arg-type]
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            items: list[Any] = []
            for element in node.elts:
                if isinstance(element, ast.Starred):
                    inner = self.ev(element.value, scope)
                    expanded = self.iteration_values(inner)
                    if expanded is None:
                        items.append(None)
                    else:
                        items.extend(expanded)
                else:
                    items.append(self.ev(element, scope))
            if not isinstance(node, ast.List) and all(isinstance(i, Const) for i in items):
                raw = [i.value for i in items]
                return Const(tuple(raw) if isinstance(node, ast.Tuple) else raw)
            return ListVal(items)  # lists stay mutable: `tasks.append(...)` is common
        if isinstance(node, ast.Dict):
            return self.ev_dict(node, scope)
        if isinstance(node, ast.BinOp):
            return self.ev_binop(node, scope)
        if isinstance(node, ast.JoinedStr):
            parts: list[str] = []
            known = True
            for part in node.values:
                if isinstance(part, ast.Constant):
                    parts.append(str(part.value))
                elif isinstance(part, ast.FormattedValue):
                    value = self.ev(part.value, scope)
                    if isinstance(value, Const) and part.format_spec is None and isinstance(
                        value.value, (str, int, float, bool, type(None))
                    ):
                        parts.append(repr(value.value) if part.conversion == 114 else str(value.value))
                    else:
                        known = False
            return Const("".join(parts)) if known else None
        if isinstance(node, ast.Call):
            return self.ev_call(node, scope, style)
        if isinstance(node, ast.Attribute):
            base = self.ev(node.value, scope)
            if node.attr == "output" and isinstance(base, TaskVal):
                return XComVal(base.task)
            return None
        if isinstance(node, ast.Subscript):
            base = self.ev(node.value, scope)
            key = self.ev(node.slice, scope)
            if isinstance(base, XComVal):
                return base
            if isinstance(base, ListVal) and isinstance(key, Const) and isinstance(key.value, int):
                try:
                    return base.items[key.value]
                except IndexError:
                    return None
            if isinstance(base, Const) and isinstance(key, Const):
                try:
                    return Const(base.value[key.value])
                except Exception:
                    return None
            if isinstance(base, DictVal) and isinstance(key, Const) and key.value in base.entries:
                return base.entries[key.value][1]
            return None
        if isinstance(node, (ast.ListComp, ast.GeneratorExp, ast.SetComp)):
            return self.ev_comprehension(node, scope)
        if isinstance(node, ast.Lambda):
            return PlainFunc(node)
        if isinstance(node, ast.IfExp):
            self.ev(node.test, scope)
            a, b = self.ev(node.body, scope), self.ev(node.orelse, scope)
            if isinstance(a, Const) and isinstance(b, Const) and a.value == b.value:
                return a
            return a if a is b else None
        if isinstance(node, ast.NamedExpr):
            value = self.ev(node.value, scope)
            scope.vars[node.target.id] = value
            return value
        if isinstance(node, (ast.BoolOp, ast.Compare, ast.UnaryOp)):
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.expr):
                    self.ev(child, scope)
            value = sem.literal(node, _ConstView(scope))
            return Const(value) if sem.is_known(value) else None
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                self.escape(self.ev(child, scope))
        return None

    def ev_binop(self, node: ast.BinOp, scope: _Scope) -> Any:
        op = node.op
        if isinstance(op, (ast.RShift, ast.LShift)):
            left = self.ev(node.left, scope)
            right = self.ev(node.right, scope)
            if type(op) is ast.RShift:
                left_kind = type(left)
                right_kind = type(right)
                if (left_kind is TaskVal or left_kind is XComVal) and (right_kind is TaskVal or right_kind is XComVal):
                    self.add_edge(left.task, right.task, _BITSHIFT, node)  # `shift`, for the usual `a >> b`
                    return right
            return self.shift(left, right, op, node)
        left = self.ev(node.left, scope)
        right = self.ev(node.right, scope)
        if isinstance(left, Const) and isinstance(right, Const):
            value = sem.literal(
                ast.BinOp(left=ast.Constant(left.value), op=node.op, right=ast.Constant(right.value))
            )
            return Const(value) if sem.is_known(value) else None
        if isinstance(node.op, ast.Add) and isinstance(left, ListVal | Const) and isinstance(right, ListVal | Const):
            lv, rv = self.iteration_values(left), self.iteration_values(right)
            if lv is not None and rv is not None:
                return ListVal(lv + rv)
        if isinstance(node.op, ast.BitOr) and isinstance(left, DictVal) and isinstance(right, DictVal):
            return DictVal({**left.entries, **right.entries})
        return None

    def ev_dict(self, node: ast.Dict, scope: _Scope) -> Any:
        entries: dict[Any, tuple[ast.expr, Any]] = {}
        known = True
        for key, value_node in zip(node.keys, node.values):
            value = self.ev(value_node, scope)
            if key is None:
                if isinstance(value, DictVal):
                    entries.update(value.entries)
                elif isinstance(value, Const) and isinstance(value.value, dict):
                    entries.update({k: (ast.Constant(v), Const(v)) for k, v in value.value.items()})
                else:
                    known = False
                continue
            k = self.ev(key, scope)
            if isinstance(k, Const) and isinstance(k.value, (str, int, float, bool, tuple, type(None))):
                entries[k.value] = (value_node, value)
            else:
                known = False
        if not known:
            for _, value in entries.values():
                self.escape(value)
            return None
        if all(isinstance(v, Const) for _, v in entries.values()):
            return DictVal(entries)
        return DictVal(entries)

    def ev_comprehension(self, node: ast.ListComp | ast.GeneratorExp | ast.SetComp, scope: _Scope) -> Any:
        if len(node.generators) != 1 or node.generators[0].is_async:
            self.uncertain += 1
            try:
                self.ev(node.elt, _Scope({}, scope))
            finally:
                self.uncertain -= 1
            return None
        generator = node.generators[0]
        values = self.iteration_values(self.ev(generator.iter, scope))
        inner = _Scope({}, scope)
        if values is None or len(values) > MAX_UNROLL:
            self.bind(generator.target, None, inner, None)
            self.uncertain += 1
            try:
                self.ev(node.elt, inner)
            finally:
                self.uncertain -= 1
            return None
        results: list[Any] = []
        for item in values:
            self.bind(generator.target, item, inner, None)
            keep = True
            for condition in generator.ifs:
                test = self.ev(condition, inner)
                if not isinstance(test, Const):
                    return None
                keep = keep and bool(test.value)
            if keep:
                results.append(self.ev(node.elt, inner))
        if all(isinstance(r, Const) for r in results):
            return Const([r.value for r in results])
        return ListVal(results)

    # -- calls --------------------------------------------------------------------------------------

    def call_arguments(self, node: ast.Call, scope: _Scope) -> tuple[list[Any], dict[str, Any], bool]:
        args: list[Any] = []
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                expanded = self.iteration_values(self.ev(arg.value, scope))
                args.extend(expanded if expanded is not None else [None])
            else:
                args.append(self.ev(arg, scope))
        kwargs: dict[str, Any] = {}
        star = False
        for keyword in node.keywords:
            value = self.ev(keyword.value, scope)
            if keyword.arg is None:
                star = True
                if isinstance(value, DictVal):
                    kwargs.update({str(k): v for k, (_, v) in value.entries.items()})
            else:
                kwargs[keyword.arg] = value
        return args, kwargs, star

    def ev_call(self, node: ast.Call, scope: _Scope, style: str) -> Any:
        func = node.func
        if type(func) is ast.Attribute:
            owner = self.ev(func.value, scope)  # type: ignore[attr-defined]
            if owner is not None:
                handled, result = self.method_call(owner, func.attr, node, scope)  # type: ignore[attr-defined]
                if handled:
                    return result
            callee_value = None
            qualname = self.qualname(func) if owner is None or isinstance(owner, OperatorClass) else None
        elif type(func) is ast.Name:
            name = func.id  # type: ignore[attr-defined]
            inner: _Scope | None = scope
            callee_value = None
            qualname = None
            while inner is not None:  # _Scope.lookup, inlined
                if name in inner.vars:
                    callee_value = inner.vars[name]
                    break
                inner = inner.parent
            else:
                qualname = self.imports.get(name, name)
        elif type(func) is ast.Call:  # `load.override(...)(...)`: `ev`, without its dispatch
            callee_value = self.ev_call(func, scope, "assignment")  # type: ignore[arg-type]
            qualname = None
        else:
            callee_value = self.ev(func, scope)
            qualname = None
        if callee_value is not None:
            if isinstance(callee_value, TaskFunc):
                return self.create_taskflow(callee_value, node, scope, (), mapped=False)
            if isinstance(callee_value, DagFunc):
                self.called_dag_functions.add(id(callee_value.function))
                args, kwargs, _ = self.call_arguments(node, scope)
                return self.instantiate_dag_function(callee_value, scope, node, args, kwargs)
            if isinstance(callee_value, GroupFunc):
                return self.instantiate_group_function(callee_value, node, scope, ())
            if isinstance(callee_value, PlainFunc):
                return self.inline(callee_value, node, scope)
            if isinstance(callee_value, OperatorClass):
                return self.create_operator(callee_value.qualname, callee_value.is_sensor, node, scope)
        if qualname is not None:
            kind = self.recognized.get(qualname)
            if kind is None:
                kind = self.recognized[qualname] = _recognize(qualname)
            what = kind[0]
            if what == "operator":
                return self.create_operator(qualname, kind[1], node, scope)
            if what == "dag":
                return self.create_dag(node, scope, style)
            if what == "group":
                return self.create_group(node, scope)
            if what == "chain":
                return self.ev_chain(kind[1], node, scope)
            if what == "label":
                for arg in node.args:
                    self.ev(arg, scope)
                return LabelVal(())
            if what == "dict" and not node.args:
                return self.ev_dict_call(node, scope)
            if what == "literal":
                value = sem.literal(node, _ConstView(scope))
                if sem.is_known(value):
                    return Const(value)
            if what == "convert" and len(node.args) == 1 and not node.keywords:
                value = self.ev(node.args[0], scope)
                if isinstance(value, Const) and isinstance(value.value, (str, int, float, bool)):
                    try:
                        return Const(_CONVERSIONS[qualname](value.value))
                    except (TypeError, ValueError):
                        return None
                return None
        # an unknown call: its arguments are evaluated (they may create tasks) and escape
        for arg in node.args:
            value = self.ev(arg.value if type(arg) is ast.Starred else arg, scope)  # type: ignore[attr-defined]
            if value is not None:
                self.escape(value)
        for keyword in node.keywords:
            value = self.ev(keyword.value, scope)
            if value is not None:
                self.escape(value)
        return None

    def ev_dict_call(self, node: ast.Call, scope: _Scope) -> Any:
        entries: dict[Any, tuple[ast.expr, Any]] = {}
        for keyword in node.keywords:
            value = self.ev(keyword.value, scope)
            if keyword.arg is None:
                if isinstance(value, DictVal):
                    entries.update(value.entries)
                else:
                    return None
            else:
                entries[keyword.arg] = (keyword.value, value)
        return DictVal(entries)

    def method_call(self, owner: Any, method: str, node: ast.Call, scope: _Scope) -> tuple[bool, Any]:
        """`owner.method(...)` for the methods the extractor follows; (False, None) for any other.
        Dispatched on the type of the owner (none of the value classes is subclassed)."""
        handler = _METHOD_HANDLERS.get(type(owner))
        if handler is None:
            return False, None
        return handler(self, owner, method, node, scope)

    def _set_relatives(self, owner: Any, method: str, node: ast.Call, scope: _Scope) -> None:
        for arg in node.args:
            other = self.ev(arg, scope)
            if method == "set_downstream":
                self.connect(owner, other, EdgeKind.METHOD, node)
            else:
                self.connect(other, owner, EdgeKind.METHOD, node)

    def _task_method(self, owner: TaskVal, method: str, node: ast.Call, scope: _Scope) -> tuple[bool, Any]:
        if method in ("set_upstream", "set_downstream"):
            self._set_relatives(owner, method, node, scope)
            return True, None
        if method in ("as_setup", "as_teardown"):
            if method == "as_teardown":
                owner.task.teardown = True
                for keyword in node.keywords:
                    if keyword.arg == "setups":
                        self.connect(self.ev(keyword.value, scope), owner, EdgeKind.METHOD, node)
            return True, owner
        return False, None

    def _xcom_method(self, owner: XComVal, method: str, node: ast.Call, scope: _Scope) -> tuple[bool, Any]:
        if method in ("set_upstream", "set_downstream"):
            self._set_relatives(owner, method, node, scope)
            return True, None
        if method in ("as_setup", "as_teardown"):
            if method == "as_teardown":
                owner.task.teardown = True
                for keyword in node.keywords:
                    if keyword.arg == "setups":
                        self.connect(self.ev(keyword.value, scope), owner, EdgeKind.METHOD, node)
            return True, owner
        if method in ("map", "concat", "zip", "resolve"):
            for arg in node.args:
                self.ev(arg, scope)
            return True, owner
        return False, None

    def _group_method(self, owner: GroupVal, method: str, node: ast.Call, scope: _Scope) -> tuple[bool, Any]:
        if method in ("set_upstream", "set_downstream"):
            self._set_relatives(owner, method, node, scope)
            return True, None
        return False, None

    def _task_func_method(self, owner: TaskFunc, method: str, node: ast.Call, scope: _Scope) -> tuple[bool, Any]:
        if method == "override":
            named: list[tuple[str, ast.expr]] = []
            star = owner.has_star_kwargs
            for keyword in node.keywords:  # (one loop, not two generators: overrides come by the hundred)
                if keyword.arg:
                    named.append((keyword.arg, keyword.value))
                else:
                    star = True
            return True, TaskFunc(owner.function, owner.callee, owner.flavour, owner.kwargs + tuple(named), star)
        if method == "partial":
            args, kwargs, star = self.call_arguments(node, scope)
            return True, Partial(
                owner,
                tuple((k.arg, k.value) for k in node.keywords if k.arg),
                tuple(kwargs.items()) + tuple((f"#{i}", a) for i, a in enumerate(args)),
                node,
                star,
            )
        if method in ("expand", "expand_kwargs"):
            return True, self.create_taskflow(owner, node, scope, (), mapped=True)
        return False, None

    def _operator_class_method(self, owner: OperatorClass, method: str, node: ast.Call, scope: _Scope) -> tuple[bool, Any]:
        if method == "partial":
            args, kwargs, star = self.call_arguments(node, scope)
            return True, Partial(owner, tuple((k.arg, k.value) for k in node.keywords if k.arg), tuple(kwargs.items()), node, star)
        return False, None

    def _partial_method(self, owner: Partial, method: str, node: ast.Call, scope: _Scope) -> tuple[bool, Any]:
        if method == "partial":
            args, kwargs, star = self.call_arguments(node, scope)
            merged = Partial(
                owner.base,
                owner.kwargs + tuple((k.arg, k.value) for k in node.keywords if k.arg),
                owner.values + tuple(kwargs.items()),
                owner.call,
                owner.has_star_kwargs or star,
            )
            return True, merged
        if method in ("expand", "expand_kwargs"):
            if isinstance(owner.base, OperatorClass):
                return True, self.create_operator(
                    owner.base.qualname, owner.base.is_sensor, node, scope, partial=owner, mapped=True
                )
            return True, self.create_taskflow(owner.base, node, scope, (), mapped=True, partial=owner)
        return False, None

    def _group_func_method(self, owner: GroupFunc, method: str, node: ast.Call, scope: _Scope) -> tuple[bool, Any]:
        if method == "override":
            kwargs = tuple((k.arg, k.value) for k in node.keywords if k.arg)
            return True, GroupFunc(owner.function, owner.kwargs + kwargs)
        if method in ("expand", "partial", "expand_kwargs"):
            self.call_arguments(node, scope)
            self.note(node, "mapped task group: not followed")
            return True, None
        return False, None

    def _list_method(self, owner: ListVal, method: str, node: ast.Call, scope: _Scope) -> tuple[bool, Any]:
        if method in ("append", "extend", "insert"):
            args, _, _ = self.call_arguments(node, scope)
            if method == "append" and len(args) == 1:
                owner.items.append(args[0])
            elif method == "extend" and len(args) == 1:
                extra = self.iteration_values(args[0])
                if extra is None:
                    owner.items.append(None)
                else:
                    owner.items.extend(extra)
            elif method == "insert" and len(args) == 2 and isinstance(args[0], Const):
                owner.items.insert(args[0].value, args[1])
            return True, None
        return False, None

    def _dag_method(self, owner: DagVal, method: str, node: ast.Call, scope: _Scope) -> tuple[bool, Any]:
        if method in ("add_task", "add_tasks"):
            args, _, _ = self.call_arguments(node, scope)
            for arg in args:
                for task in self.tasks_of(arg):
                    self.assign_dag(task, owner.dag)
            return True, None
        return False, None

    def _const_method(self, owner: Const, method: str, node: ast.Call, scope: _Scope) -> tuple[bool, Any]:
        if isinstance(owner.value, dict) and method in ("items", "keys", "values"):
            raw = owner.value
            return True, Const(list(raw.items()) if method == "items" else list(raw) if method == "keys" else list(raw.values()))
        if isinstance(owner.value, str) and method in ("format", "upper", "lower", "strip", "replace", "join"):
            value = sem.literal(node, _ConstView(scope))
            if sem.is_known(value):
                return True, Const(value)
            args, _, _ = self.call_arguments(node, scope)
            if method == "join" and args:
                items = self.iteration_values(args[0])
                if items is not None and all(isinstance(i, Const) and isinstance(i.value, str) for i in items):
                    return True, Const(owner.value.join(i.value for i in items))
            return True, None
        return False, None

    def _dict_method(self, owner: DictVal, method: str, node: ast.Call, scope: _Scope) -> tuple[bool, Any]:
        if method in ("items", "keys", "values", "copy", "get"):
            if method == "copy":
                return True, DictVal(dict(owner.entries))
            if method == "keys":
                return True, Const(list(owner.entries))
            if method == "get":
                args, _, _ = self.call_arguments(node, scope)
                if args and isinstance(args[0], Const):
                    entry = owner.entries.get(args[0].value)
                    return True, entry[1] if entry else (args[1] if len(args) > 1 else Const(None))
                return True, None
            pairs = [ListVal([Const(k), v]) for k, (_, v) in owner.entries.items()]
            return True, ListVal(pairs if method == "items" else [v for _, (_, v) in owner.entries.items()])
        return False, None

    # -- DAGs and groups ----------------------------------------------------------------------------

    def keyword_nodes(self, node: ast.Call) -> tuple[dict[str, ast.expr], bool]:
        return {k.arg: k.value for k in node.keywords if k.arg}, any(k.arg is None for k in node.keywords)

    def resolve_default_args(self, node: ast.expr | None, scope: _Scope) -> dict[str, ast.expr] | None:
        if node is None:
            return _NO_DEFAULTS
        value = self.ev(node, scope)
        if isinstance(value, DictVal):
            return {str(k): expr for k, (expr, _) in value.entries.items()}
        if isinstance(value, Const) and isinstance(value.value, dict):
            return {str(k): ast.Constant(v) for k, v in value.value.items()}
        if isinstance(value, Const) and value.value is None:
            return _NO_DEFAULTS
        return None

    def create_dag(self, node: ast.Call, scope: _Scope, style: str) -> Any:
        args, kwargs, star = self.call_arguments(node, scope)
        keywords, _ = self.keyword_nodes(node)
        dag_id_value = args[0] if args else kwargs.get("dag_id")
        if not (isinstance(dag_id_value, Const) and isinstance(dag_id_value.value, str)):
            self.note(node, "DAG id is not a literal: DAG skipped")
            return None
        dag = _Dag(
            dag_id=dag_id_value.value,
            node=node,
            style=style,
            arguments=keywords,
            default_args=self.resolve_default_args(keywords.get("default_args"), scope),
            has_star_kwargs=star,
            branch=self.branch,
            call=node,
        )
        self.dags.append(dag)
        return DagVal(dag)

    def instantiate_dag_function(
        self, dag_func: DagFunc, scope: _Scope, where: ast.AST, args: Iterable[Any], kwargs: dict[str, Any]
    ) -> Any:
        function = dag_func.function
        if id(function) in self.executing:
            return None
        keywords = dict(dag_func.kwargs)
        dag_id: Any = function.name
        if "dag_id" in keywords:
            value = self.ev(keywords["dag_id"], scope)
            if not (isinstance(value, Const) and isinstance(value.value, str)):
                self.note(dag_func.decorator, "DAG id is not a literal: DAG skipped")
                return None
            dag_id = value.value
        for _, expr in dag_func.kwargs:
            self.ev(expr, scope)
        dag = _Dag(
            dag_id=dag_id,
            node=dag_func.decorator,
            style="decorator",
            arguments=keywords,
            default_args=self.resolve_default_args(keywords.get("default_args"), scope),
            has_star_kwargs=dag_func.has_star_kwargs,
            branch=self.branch,
            call=dag_func.decorator if isinstance(dag_func.decorator, ast.Call) else None,
            function=function,
        )
        self.dags.append(dag)
        self.parse_functions.add(id(function))
        self.dag_stack.append(dag)
        saved_groups = self.group_stack
        self.group_stack = []
        try:
            self.run_function(function, scope, list(args), kwargs)
        finally:
            self.dag_stack.pop()
            self.group_stack = saved_groups
        return DagVal(dag)

    def current_dag(self) -> _Dag | None:
        if self.group_stack and self.group_stack[-1].dag is not None:
            return self.group_stack[-1].dag
        return self.dag_stack[-1] if self.dag_stack else None

    def create_group(self, node: ast.Call, scope: _Scope) -> Any:
        args, kwargs, _ = self.call_arguments(node, scope)
        keywords, _ = self.keyword_nodes(node)
        name_value = args[0] if args else kwargs.get("group_id")
        name = name_value.value if isinstance(name_value, Const) and isinstance(name_value.value, str) else None
        if name is None and not (isinstance(name_value, Const) and name_value.value is None):
            self.note(node, "TaskGroup id is not a literal: its tasks are skipped")
        prefix_value = kwargs.get("prefix_group_id", Const(True))
        prefix = bool(prefix_value.value) if isinstance(prefix_value, Const) else True
        parent_value = kwargs.get("parent_group")
        parent = parent_value.group if isinstance(parent_value, GroupVal) else (self.group_stack[-1] if self.group_stack else None)
        dag_value = kwargs.get("dag")
        dag = dag_value.dag if isinstance(dag_value, DagVal) else (parent.dag if parent else self.current_dag())
        own_defaults = self.resolve_default_args(keywords.get("default_args"), scope)
        group = _Group(name, parent, prefix, dag, self.merge_defaults(parent.default_args if parent else {}, own_defaults))
        return GroupVal(group)

    def instantiate_group_function(
        self, group_func: GroupFunc, node: ast.Call, scope: _Scope, extra: tuple[tuple[str, ast.expr], ...]
    ) -> Any:
        function = group_func.function
        keywords = dict(group_func.kwargs)
        name: str | None = function.name
        if "group_id" in keywords:
            value = self.ev(keywords["group_id"], scope)
            name = value.value if isinstance(value, Const) and isinstance(value.value, str) else None
        parent = self.group_stack[-1] if self.group_stack else None
        dag = parent.dag if parent else self.current_dag()
        prefix_value = self.ev(keywords.get("prefix_group_id"), scope) if "prefix_group_id" in keywords else Const(True)
        prefix = bool(prefix_value.value) if isinstance(prefix_value, Const) else True
        own_defaults = self.resolve_default_args(keywords.get("default_args"), scope)
        group = _Group(name, parent, prefix, dag, self.merge_defaults(parent.default_args if parent else {}, own_defaults))
        if name is not None and dag is not None:
            # `@task_group` suffixes a colliding id, as TaskFlow does for tasks
            taken = {g for g in self.group_ids(dag)}
            if group.group_id in taken:
                core = re.split(r"__\d+$", name)[0]
                full_core = re.split(r"__\d+$", group.group_id or name)[0]
                numbers = [0]
                for existing in taken:
                    match = re.match(rf"^{re.escape(full_core)}__(\d+)$", existing)
                    if match:
                        numbers.append(int(match.group(1)))
                group.name = f"{core}__{max(numbers) + 1}"
        self.known_groups.setdefault(id(dag), []).append(group)
        args, kwargs, _ = self.call_arguments(node, scope)
        self.parse_functions.add(id(function))
        self.group_stack.append(group)
        try:
            result = self.run_function(function, scope, args, kwargs)
        finally:
            self.group_stack.pop()
        if result is not None and not (isinstance(result, Const) and result.value is None):
            return result
        return GroupVal(group)

    def group_ids(self, dag: _Dag) -> Iterator[str]:
        for group in self.known_groups.get(id(dag), []):
            if group.group_id:
                yield group.group_id

    @staticmethod
    def merge_defaults(base: dict[str, ast.expr] | None, own: dict[str, ast.expr] | None) -> dict[str, ast.expr] | None:
        if base is None or own is None:
            return None
        return {**base, **own}

    # -- functions ----------------------------------------------------------------------------------

    def run_function(self, function: FunctionNode, scope: _Scope, args: list[Any], kwargs: dict[str, Any]) -> Any:
        if id(function) in self.executing or self.inline_depth >= MAX_INLINE_DEPTH:
            return None
        local = _Scope({}, self.module_scope if scope is self.module_scope else scope)
        params = function.args
        positional = [*params.posonlyargs, *params.args]
        defaults = [None] * (len(positional) - len(params.defaults)) + list(params.defaults)
        for index, param in enumerate(positional):
            if index < len(args):
                local.vars[param.arg] = args[index]
            elif param.arg in kwargs:
                local.vars[param.arg] = kwargs[param.arg]
            elif defaults[index] is not None:
                local.vars[param.arg] = self.ev(defaults[index], scope)
            else:
                local.vars[param.arg] = None
        for param, default in zip(params.kwonlyargs, params.kw_defaults):
            local.vars[param.arg] = kwargs.get(param.arg, self.ev(default, scope) if default is not None else None)
        if params.vararg:
            local.vars[params.vararg.arg] = ListVal(list(args[len(positional) :]))
        if params.kwarg:
            local.vars[params.kwarg.arg] = None
        self.executing.add(id(function))
        self.inline_depth += 1
        try:
            if isinstance(function, ast.Lambda):
                return self.ev(function.body, local)
            self.exec_block(function.body, local)
        except _Return as returned:
            return returned.value
        finally:
            self.inline_depth -= 1
            self.executing.discard(id(function))
        return Const(None)

    def inline(self, plain: PlainFunc, node: ast.Call, scope: _Scope) -> Any:
        args, kwargs, _ = self.call_arguments(node, scope)
        self.parse_functions.add(id(plain.function))
        if id(plain.function) in self.executing or self.inline_depth >= MAX_INLINE_DEPTH:
            for value in [*args, *kwargs.values()]:
                self.escape(value)
            return None
        return self.run_function(plain.function, scope, args, kwargs)

    # -- tasks --------------------------------------------------------------------------------------

    def resolve_callable(self, node: ast.expr | None, scope: _Scope) -> FunctionNode | None:
        if node is None:
            return None
        if isinstance(node, ast.Lambda):
            self.task_functions.add(id(node))
            return node
        value = self.ev(node, scope)
        if isinstance(value, PlainFunc):
            self.task_functions.add(id(value.function))
            return value.function
        if isinstance(value, TaskFunc):
            self.task_functions.add(id(value.function))
            return value.function
        return None

    def task_context(self, kwargs: dict[str, Any]) -> tuple[_Dag | None, _Group | None]:
        group_value = kwargs.get("task_group")
        group = group_value.group if isinstance(group_value, GroupVal) else (self.group_stack[-1] if self.group_stack else None)
        if "dag" in kwargs:
            dag_value = kwargs["dag"]
            if isinstance(dag_value, DagVal):
                return dag_value.dag, group
            if isinstance(dag_value, Const) and dag_value.value is None:
                return None, group
            return _UNKNOWN_DAG, group
        if group is not None and group.dag is not None:
            return group.dag, group
        return (self.dag_stack[-1] if self.dag_stack else None), group

    def create_operator(
        self,
        callee: str,
        is_sensor: bool,
        node: ast.Call,
        scope: _Scope,
        partial: Partial | None = None,
        mapped: bool = False,
    ) -> Any:
        keywords: dict[str, ast.expr] = {}
        simple = not node.args  # the usual call: keywords only, none of them `**`
        if simple:
            for keyword in node.keywords:
                if not keyword.arg:
                    simple = False
                    break
                keywords[keyword.arg] = keyword.value  # a repeated keyword (it parses): the last wins
        if simple:
            args: list[Any] = []
            kwargs = {
                name: Const(expr.value) if type(expr) is ast.Constant else self.ev(expr, scope)  # type: ignore[attr-defined]
                for name, expr in keywords.items()
            }
            star = False
        else:
            args, kwargs, star = self.call_arguments(node, scope)
            keywords, _ = self.keyword_nodes(node)
        if partial is not None:
            kwargs = {**dict(partial.values), **kwargs}
            keywords = {**dict(partial.kwargs), **keywords}
            star = star or partial.has_star_kwargs
        for value in args:
            self.escape(value)
        task_id_value = kwargs.get("task_id")
        if not (isinstance(task_id_value, Const) and isinstance(task_id_value.value, str)):
            if "task_id" in keywords or not star:
                self.note(node, f"task_id of {callee.rsplit('.', 1)[-1]} is not a literal: task skipped")
            self.escape_all(kwargs.values())
            return None
        if "task_group" in kwargs or "dag" in kwargs:
            dag, group = self.task_context(kwargs)
        else:  # `task_context`, inlined for the usual task: no `task_group=` or `dag=`
            group = self.group_stack[-1] if self.group_stack else None
            if group is not None and group.dag is not None:
                dag = group.dag
            else:
                dag = self.dag_stack[-1] if self.dag_stack else None
        if group is not None and group.name is None:
            return None
        task_id = group.child_id(task_id_value.value) if group else task_id_value.value
        defaults_node = keywords.get("default_args")
        own_defaults = _NO_DEFAULTS if defaults_node is None else self.resolve_default_args(defaults_node, scope)
        callable_node = keywords.get("python_callable")
        function = None if callable_node is None else self.resolve_callable(callable_node, scope)
        task = _Task(  # positional: a keyword call costs twice as much, for every task
            task_id,  # task_id
            None,  # dag
            _OPERATOR,  # kind
            callee,  # callee
            node if partial is None else partial.call,  # node
            group,  # group
            is_sensor,  # is_sensor
            mapped,  # mapped
            self.uncertain > 0,  # uncertain
            self.branch,  # branch
            keywords,  # arguments
            own_defaults,  # own_default_args
            star,  # has_star_kwargs
            node if partial is None else partial.call,  # call
            function,  # function
        )
        self.register(task, dag, group)
        for name, value in kwargs.items():
            if type(value) in _DATA_VALUES and name not in ("task_id", "dag", "task_group"):
                self.data_edges(value, task, node)
        return TaskVal(task)

    def create_taskflow(
        self,
        func: TaskFunc,
        node: ast.Call,
        scope: _Scope,
        extra: tuple[tuple[str, ast.expr], ...],
        mapped: bool,
        partial: Partial | None = None,
    ) -> Any:
        args, kwargs, star = self.call_arguments(node, scope)
        arguments = dict(func.kwargs)
        base_id: Any = func.function.name
        if "task_id" in arguments:
            value = self.ev(arguments["task_id"], scope)
            if not (isinstance(value, Const) and isinstance(value.value, str)):
                self.note(node, "task_id is not a literal: task skipped")
                self.escape_all([*args, *kwargs.values()])
                return None
            base_id = value.value
        decorator_kwargs = func.kwargs
        if not decorator_kwargs or (len(decorator_kwargs) == 1 and decorator_kwargs[0][0] == "task_id"):
            decorator_values: dict[str, Any] = {}  # `@task` or `.override(task_id=...)`: nothing to evaluate
        else:
            decorator_values = {k: self.ev(v, scope) for k, v in decorator_kwargs if k not in ("task_id",)}
        if decorator_values:
            dag, group = self.task_context(decorator_values)
        else:  # `task_context({})`, inlined: the usual `@task` or `.override(task_id=...)`
            group = self.group_stack[-1] if self.group_stack else None
            if group is not None and group.dag is not None:
                dag = group.dag
            else:
                dag = self.dag_stack[-1] if self.dag_stack else None
        if group is not None and group.name is None:
            return None
        task_id = group.child_id(base_id) if group else base_id
        if dag is not None and dag is not _UNKNOWN_DAG and task_id in dag.ids:
            # Airflow's get_unique_task_id: `extract`, `extract__1`, `extract__2`, ...
            core = re.split(r"__\d+$", base_id)[0]
            prefix = re.split(r"__\d+$", task_id)[0]
            numbers = [0]
            for existing in dag.ids:
                match = re.match(rf"^{re.escape(prefix)}__(\d+)$", existing)
                if match:
                    numbers.append(int(match.group(1)))
            task_id = group.child_id(f"{core}__{max(numbers) + 1}") if group else f"{core}__{max(numbers) + 1}"
        defaults_node = arguments.get("default_args")
        own_defaults = _NO_DEFAULTS if defaults_node is None else self.resolve_default_args(defaults_node, scope)
        task = _Task(  # positional: a keyword call costs twice as much, for every task
            task_id,  # task_id
            None,  # dag
            _TASKFLOW,  # kind
            func.callee,  # callee
            node,  # node
            group,  # group
            func.flavour == "sensor",  # is_sensor
            mapped,  # mapped
            self.uncertain > 0,  # uncertain
            self.branch,  # branch
            arguments,  # arguments
            own_defaults,  # own_default_args
            func.has_star_kwargs,  # has_star_kwargs
            node,  # call
            func.function,  # function
            func.flavour == "teardown",  # teardown
        )
        self.task_functions.add(id(func.function))
        self.register(task, dag, group)
        values = [*args, *kwargs.values()]
        if partial is not None:
            values.extend(v for _, v in partial.values)
        for value in values:
            if type(value) in _DATA_VALUES:
                self.data_edges(value, task, node)
        return XComVal(task)

    def register(self, task: _Task, dag: _Dag | None, group: _Group | None) -> None:
        self.tasks.append(task)
        g = group
        while g is not None:
            g.tasks.append(task)
            g = g.parent
        if dag is not None and task.dag is None:  # `assign_dag`, inlined
            task.dag = dag
            if dag is not _UNKNOWN_DAG:
                dag.tasks.append(task)
                dag.ids.add(task.task_id)

    def assign_dag(self, task: _Task, dag: _Dag) -> None:
        if task.dag is not None:
            return
        task.dag = dag
        if dag is _UNKNOWN_DAG:
            return
        dag.tasks.append(task)
        dag.ids.add(task.task_id)

    def effective_defaults(self, task: _Task) -> dict[str, ast.expr] | None:
        # the shared empty mapping (not a fresh `{}`) keeps the key stable, so tasks hit the cache
        dag_defaults: dict[str, ast.expr] | None = _NO_DEFAULTS
        if task.dag is not None and task.dag is not _UNKNOWN_DAG:
            dag_defaults = task.dag.default_args
        group_defaults = task.group.default_args if task.group else _NO_DEFAULTS
        key = (id(dag_defaults), id(group_defaults), id(task.own_default_args))
        cached = self._defaults_cache.get(key)
        if cached is None:
            cached = (self.merge_defaults(self.merge_defaults(dag_defaults, group_defaults), task.own_default_args),)
            self._defaults_cache[key] = cached
        return cached[0]

    # -- dependencies -------------------------------------------------------------------------------

    def tasks_of(self, value: Any) -> list[_Task]:
        if isinstance(value, (TaskVal, XComVal)):
            return [value.task]
        if isinstance(value, ListVal):
            found: list[_Task] = []
            for item in value.items:
                found.extend(self.tasks_of(item))
            return found
        return []

    def escape(self, value: Any) -> None:
        for task in self.tasks_of(value):
            task.escaped = True
        if isinstance(value, DictVal):
            for _, inner in value.entries.values():
                self.escape(inner)

    def escape_all(self, values: Iterable[Any]) -> None:
        for value in values:
            self.escape(value)

    def data_edges(self, value: Any, task: _Task, node: ast.AST) -> None:
        if type(value) is XComVal:  # `load(extract())`: one upstream, no need for the generator
            self.add_edge(value.task, task, _DATA, node)
            return
        if not isinstance(value, _DATA_VALUES):
            return
        for upstream in self.xcom_refs(value):
            self.add_edge(upstream, task, _DATA, node)

    def xcom_refs(self, value: Any) -> Iterator[_Task]:
        if isinstance(value, XComVal):
            yield value.task
        elif isinstance(value, ListVal):
            for item in value.items:
                yield from self.xcom_refs(item)
        elif isinstance(value, DictVal):
            for _, inner in value.entries.values():
                yield from self.xcom_refs(inner)

    def endpoints(self, value: Any, upstream: bool) -> list[_Task] | None:
        """Tasks on one side of `>>`: None when the side cannot be resolved."""
        if isinstance(value, (TaskVal, XComVal)):
            return [value.task]
        if isinstance(value, GroupVal):
            return self.group_ends(value.group, leaves=upstream)
        if isinstance(value, ListVal):
            found: list[_Task] = []
            for item in value.items:
                inner = self.endpoints(item, upstream)
                if inner is not None:
                    found.extend(inner)
            return found
        return None

    def group_ends(self, group: _Group, leaves: bool) -> list[_Task]:
        """The group's leaves (no edge to another member) or roots (no edge from one). One pass over
        the edges, not one per member."""
        members = {id(t) for t in group.tasks}
        if leaves:
            inner = {id(u) for u, d in self.known_edges() if id(d) in members}
        else:
            inner = {id(d) for u, d in self.known_edges() if id(u) in members}
        return [task for task in group.tasks if id(task) not in inner]

    def known_edges(self) -> list[tuple[_Task, _Task]]:
        pairs: list[tuple[_Task, _Task]] = []
        for dag in self.dags:
            pairs.extend(dag.task_edges)
        pairs.extend((u, d) for u, d, _, _ in self.unbound_edges)
        return pairs

    def shift(self, left: Any, right: Any, op: ast.operator, node: ast.AST) -> Any:
        if isinstance(op, ast.LShift):
            self.connect(right, left, _BITSHIFT, node)
        else:
            if isinstance(right, LabelVal):
                return LabelVal((left,))
            self.connect(left, right, _BITSHIFT, node)
        return right

    def connect(self, upstream: Any, downstream: Any, kind: EdgeKind, node: ast.AST) -> None:
        up_kind = type(upstream)
        down_kind = type(downstream)
        if (up_kind is TaskVal or up_kind is XComVal) and (down_kind is TaskVal or down_kind is XComVal):
            self.add_edge(upstream.task, downstream.task, kind, node)  # `a >> b`: the common case
            return
        if isinstance(upstream, LabelVal):
            for inner in upstream.upstream:
                self.connect(inner, downstream, kind, node)
            return
        if isinstance(downstream, LabelVal):
            return
        if isinstance(upstream, ListVal) and isinstance(downstream, ListVal):
            self.note(node, "a list on both sides of `>>` is a TypeError in Airflow: not followed")
            return
        group_kind = EdgeKind.GROUP if isinstance(upstream, GroupVal) or isinstance(downstream, GroupVal) else kind
        ups = self.endpoints(upstream, upstream=True)
        downs = self.endpoints(downstream, upstream=False)
        if ups is None or downs is None:
            if upstream is not None or downstream is not None:
                self.note(node, "dependency with a side that cannot be resolved: not followed")
            return
        for u in ups:
            for d in downs:
                self.add_edge(u, d, group_kind, node)

    def add_edge(self, upstream: _Task, downstream: _Task, kind: EdgeKind, node: ast.AST) -> None:
        # Airflow binds a DAG-less task to the DAG of the task it is connected to.
        up_dag = upstream.dag
        down_dag = downstream.dag
        if up_dag is None:
            if down_dag is None:
                self.unbound_edges.append((upstream, downstream, kind, node))
                return
            self.assign_dag(upstream, down_dag)
            up_dag = down_dag
        elif down_dag is None:
            self.assign_dag(downstream, up_dag)
            down_dag = up_dag
        record = _new(EdgeRecord)  # `build`, inlined: edges are made by the thousand
        record.__dict__.update(
            upstream=upstream.task_id,
            downstream=downstream.task_id,
            kind=kind,
            span=PendingSpan(node, None if self.ascii else self.lines),  # computed when first read
            upstream_dag=None if up_dag is _UNKNOWN_DAG else up_dag.dag_id,  # type: ignore[union-attr]
            downstream_dag=None if down_dag is _UNKNOWN_DAG else down_dag.dag_id,  # type: ignore[union-attr]
            branch=self.branch,
        )
        if up_dag is down_dag and up_dag is not _UNKNOWN_DAG:
            up_dag.edges.append(record)  # type: ignore[union-attr]
            up_dag.task_edges.append((upstream, downstream))  # type: ignore[union-attr]
        elif up_dag is not _UNKNOWN_DAG and down_dag is not _UNKNOWN_DAG:
            self.cross_edges.append(record)

    def ev_chain(self, kind: str, node: ast.Call, scope: _Scope) -> Any:
        args = []
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                expanded = self.iteration_values(self.ev(arg.value, scope))
                if expanded is None:
                    self.note(node, f"{kind}(*...) over a value that is not a literal: not followed")
                    return None
                args.extend(expanded)
            else:
                args.append(self.ev(arg, scope))
        for keyword in node.keywords:
            self.ev(keyword.value, scope)
        edge_kind = EdgeKind.CROSS if kind == "cross_downstream" else EdgeKind.CHAIN
        if kind == "cross_downstream":
            if len(args) == 2:
                self.connect_all(args[0], args[1], edge_kind, node)
            return None
        for up, down in zip(args, args[1:]):
            if kind == "chain" and isinstance(up, ListVal) and isinstance(down, ListVal):
                if len(up.items) != len(down.items):
                    self.note(node, "chain() with lists of different lengths fails in Airflow: not followed")
                    continue
                for a, b in zip(up.items, down.items):
                    self.connect(a, b, edge_kind, node)
            else:
                self.connect_all(up, down, edge_kind, node)
        return None

    def connect_all(self, ups: Any, downs: Any, kind: EdgeKind, node: ast.AST) -> None:
        up_items = ups.items if isinstance(ups, ListVal) else [ups]
        down_items = downs.items if isinstance(downs, ListVal) else [downs]
        for up in up_items:
            for down in down_items:
                self.connect(up, down, kind, node)

    # -- the model ----------------------------------------------------------------------------------

    def record(self, task: _Task) -> TaskRecord:
        dag = task.dag
        group = task.group
        if group is None and task.own_default_args is _NO_DEFAULTS:
            # the usual task: only its DAG's default_args apply (one lookup per DAG, not three ids)
            dag_defaults = _NO_DEFAULTS if dag is None or dag is _UNKNOWN_DAG else dag.default_args
            found = self._dag_defaults.get(id(dag_defaults))
            if found is None:
                found = self._dag_defaults[id(dag_defaults)] = (self.effective_defaults(task),)
            default_args = found[0]
        else:
            default_args = self.effective_defaults(task)
        record = _new(TaskRecord)  # `build`, inlined
        record.__dict__.update(
            task_id=task.task_id,
            dag_id=None if dag is None or dag is _UNKNOWN_DAG else dag.dag_id,
            kind=task.kind,
            callee=task.callee,
            span=PendingSpan(task.node, None if self.ascii else self.lines),  # computed when first read
            group_id=group.group_id if group is not None else None,
            is_sensor=task.is_sensor,
            mapped=task.mapped,
            uncertain=task.uncertain,
            branch=task.branch,
            arguments=task.arguments,
            default_args=default_args,
            has_star_kwargs=task.has_star_kwargs,
            call=task.call,
            function=task.function,
            teardown=task.teardown,
            escaped=task.escaped,
        )
        return record

    def build(self) -> FileModel:
        records: dict[int, TaskRecord] = {id(t): self.record(t) for t in self.tasks}
        dags = tuple(
            DagModel(
                dag_id=dag.dag_id,
                span=self.span(dag.node),
                style=dag.style,
                arguments=dag.arguments,
                default_args=dag.default_args,
                has_star_kwargs=dag.has_star_kwargs,
                tasks=tuple(records[id(t)] for t in dag.tasks),
                edges=tuple(dag.edges),
                branch=dag.branch,
                call=dag.call,
                function=dag.function,
            )
            for dag in self.dags
        )
        unbound = tuple(records[id(t)] for t in self.tasks if t.dag is None)
        roles = _RolesOnFirstRead(self.compute_roles)
        return FileModel(
            path=self.path,
            source=self.source,
            module=self.module,
            imports=self.imports,
            dags=dags,
            unbound_tasks=unbound,
            cross_dag_edges=tuple(self.cross_edges),
            functions=self.functions,
            function_roles=roles,
            assignments=self.assignments,
            unresolved=tuple(self.unresolved),
            airflow_version=self.airflow_version,
            index=self.index,
        )

    def _caller_roles(self, function: FunctionNode | None, definition: Any, roles: dict[int, set[Role]]) -> set[Role]:
        if function is None:
            return {Role.PARSE}
        if isinstance(function, ast.Lambda):
            if id(function) in self.task_functions:
                return {Role.TASK}
            if definition is None:
                return {Role.PARSE}
            return self._caller_roles(definition, self.index.parent_function.get(id(definition)), roles)
        own = roles.get(id(function), set()) & {Role.TASK, Role.PARSE}
        if not own:
            parent = self.index.parent_function.get(id(function))
            if parent is not None and Role.TASK in roles.get(id(parent), set()):
                return {Role.TASK}
        return own

    def compute_roles(self) -> dict[int, frozenset[Role]]:
        """Roles of every function: executed at parse time, run as task code, or neither.

        Beyond what the interpretation saw, plain calls by name propagate roles through the file's own
        functions: a helper called from task code is task code; one called at module level runs at
        parse time. Calls are found through the source index, never by walking the whole tree.
        """
        roles: dict[int, set[Role]] = {}
        definitions = list(self.index.function_definitions())
        for function in definitions:
            found: set[Role] = set()
            if id(function) in self.task_functions:
                found.add(Role.TASK)
            if id(function) in self.parse_functions:
                found.add(Role.PARSE)
            roles[id(function)] = found
        callable_names = {name for name, f in self.functions.items() if not f.decorator_list}
        edges: list[tuple[FunctionNode | None, ast.FunctionDef | ast.AsyncFunctionDef | None, str]] = []
        if callable_names:
            lines = self.index.call_lines(callable_names)
            for node, function, definition in self.index.nodes_on_lines(lines):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in callable_names:
                    edges.append((function, definition, node.func.id))

        changed = True
        rounds = 0
        while changed and rounds < 50:
            changed = False
            rounds += 1
            for function, definition, name in edges:
                target = self.functions[name]
                found = self._caller_roles(function, definition, roles)
                if found - roles[id(target)]:
                    roles[id(target)] |= found
                    changed = True
        result: dict[int, frozenset[Role]] = {}
        for function in definitions:  # statements are indexed outside-in: parents come first
            found = roles[id(function)]
            if not found:
                parent = self.index.parent_function.get(id(function))
                if parent is not None and Role.TASK in result.get(id(parent), frozenset()):
                    found = {Role.TASK}
                else:
                    found = {Role.OTHER}
            result[id(function)] = frozenset(found)
        for function_id in self.task_functions:
            if function_id not in result:  # a lambda used as python_callable
                result[function_id] = frozenset({Role.TASK})
        return result


_METHOD_HANDLERS: dict[type, Any] = {
    TaskVal: Extractor._task_method,
    XComVal: Extractor._xcom_method,
    GroupVal: Extractor._group_method,
    TaskFunc: Extractor._task_func_method,
    OperatorClass: Extractor._operator_class_method,
    Partial: Extractor._partial_method,
    GroupFunc: Extractor._group_func_method,
    ListVal: Extractor._list_method,
    DagVal: Extractor._dag_method,
    Const: Extractor._const_method,
    DictVal: Extractor._dict_method,
}


class _RolesOnFirstRead(Mapping[int, frozenset[Role]]):
    """`FileModel.function_roles`, computed the first time it is read: only a call that a rule asks
    about needs the roles of its function, and most files have none. Everything `compute_roles`
    reads (the index, the task/parse function sets, the module's functions) is final once the
    model is built."""

    __slots__ = ("_compute", "_roles")

    def __init__(self, compute: Callable[[], dict[int, frozenset[Role]]]) -> None:
        self._compute: Callable[[], dict[int, frozenset[Role]]] | None = compute
        self._roles: dict[int, frozenset[Role]] | None = None

    def _mapping(self) -> dict[int, frozenset[Role]]:
        if self._roles is None:
            self._roles = self._compute()  # type: ignore[misc]
            self._compute = None  # and let the extractor go
        return self._roles

    def __getitem__(self, key: int) -> frozenset[Role]:
        return self._mapping()[key]

    def __iter__(self) -> Iterator[int]:
        return iter(self._mapping())

    def __len__(self) -> int:
        return len(self._mapping())

    def __contains__(self, key: object) -> bool:
        return key in self._mapping()

    def get(self, key: int, default: Any = None) -> Any:
        return self._mapping().get(key, default)


def extract(path: str, source: str, module: ast.Module | None = None, airflow_version: int = 3) -> FileModel:
    """The FileModel of one DAG file. Raises SyntaxError/ValueError when the source does not parse."""
    if module is None:
        module = ast.parse(source, filename=path)
    return Extractor(path, source, module, airflow_version).run()
