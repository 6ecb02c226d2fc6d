"""The abstract values the extractor binds names to, its working state, and its limits.

A DAG file is followed as a tiny interpreter would run it (`migrator.analysis.extract`): a name is
bound to a literal (`Const`), a task (`TaskVal`), a TaskFlow result (`XComVal`), a list or dict of
values, a DAG or TaskGroup, a TaskFlow/`@dag`/`@task_group` function, an operator class, or `None`
when it cannot be known. The working state (`DagState`, `GroupState`, `TaskState`) becomes the
frozen model (`migrator.analysis.model`) once the file has been followed.
"""

from __future__ import annotations

import ast
from typing import Any

from migrator.analysis.model import EdgeKind, EdgeRecord, FunctionNode, TaskKind

MAX_UNROLL = 500  # iterations of one literal loop that are unrolled
MAX_BUDGET = 20_000  # statements executed per file, so pathological inputs stay fast
MAX_INLINE_DEPTH = 4


# -- abstract values ----------------------------------------------------------------------------------


# The working state and the abstract values below are plain classes with __slots__ rather than
# dataclasses: they never leave the extractor, compare by identity, and a dataclass costs about
# 0.4 ms to create at import (fifteen of them: 6 ms of every `cron2dag lint` start-up).


class DagState:
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
        self.tasks: list[TaskState] = []
        self.edges: list[EdgeRecord] = []
        self.ids: set[str] = set()
        self.task_edges: list[tuple[TaskState, TaskState]] = []


UNKNOWN_DAG = DagState("<unknown>", ast.Pass(), "unknown", {}, None, False, (), None)


class GroupState:
    __slots__ = ("dag", "default_args", "name", "parent", "prefix", "tasks")

    def __init__(
        self,
        name: str | None,  # as given (None for an unresolvable id)
        parent: GroupState | None,
        prefix: bool,
        dag: DagState | None,
        default_args: dict[str, ast.expr] | None,
    ) -> None:
        self.name = name
        self.parent = parent
        self.prefix = prefix
        self.dag = dag
        self.default_args = default_args
        self.tasks: list[TaskState] = []

    @property
    def group_id(self) -> str | None:
        if self.name and self.parent and self.parent.prefix and self.parent.name:
            return self.parent.child_id(self.name)
        return self.name

    def child_id(self, label: str) -> str:
        if self.prefix and self.group_id:
            return f"{self.group_id}.{label}"
        return label


class TaskState:
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
        dag: DagState | None,
        kind: TaskKind,
        callee: str,
        node: ast.AST,
        group: GroupState | None,
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

    def __init__(self, task: TaskState) -> None:
        self.task = task


class XComVal:
    """A TaskFlow call's result (an XComArg): passing it to another task is a dependency."""

    __slots__ = ("task",)

    def __init__(self, task: TaskState) -> None:
        self.task = task


class ListVal:
    """A list. `approximate`: grown inside an `if` or a loop of unknown length, so its items are what
    some run may hold, not what every run does (a loop over it makes uncertain tasks)."""

    __slots__ = ("approximate", "items")

    def __init__(self, items: list[Any]) -> None:
        self.items = items
        self.approximate = False


class DictVal:
    __slots__ = ("entries",)

    def __init__(self, entries: dict[Any, tuple[ast.expr, Any]]) -> None:
        self.entries = entries  # key -> (expression, abstract value)


class DagVal:
    __slots__ = ("dag",)

    def __init__(self, dag: DagState) -> None:
        self.dag = dag


class GroupVal:
    __slots__ = ("group",)

    def __init__(self, group: GroupState) -> None:
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


class Returned(Exception):
    def __init__(self, value: Any) -> None:
        self.value = value


class OverBudget(Exception):
    pass


class Scope:
    __slots__ = ("parent", "vars")

    def __init__(self, vars: dict[str, Any], parent: Scope | None = None) -> None:
        self.vars = vars
        self.parent = parent

    def lookup(self, name: str) -> tuple[bool, Any]:
        scope: Scope | None = self
        while scope is not None:
            if name in scope.vars:
                return True, scope.vars[name]
            scope = scope.parent
        return False, None


class ConstView:
    """The literal values in scope, as the mapping `semantics.literal` reads (built on demand)."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope

    def __contains__(self, name: object) -> bool:
        found, value = self.scope.lookup(name)  # type: ignore[arg-type]
        return found and isinstance(value, Const)

    def __getitem__(self, name: str) -> Any:
        return self.scope.lookup(name)[1].value


# enum members as plain globals: `TaskKind.OPERATOR` is a descriptor lookup (~50 ns) on every task
OPERATOR = TaskKind.OPERATOR
TASKFLOW = TaskKind.TASKFLOW
BITSHIFT = EdgeKind.BITSHIFT
DATA = EdgeKind.DATA
new_object = object.__new__

# values that may carry a TaskFlow result into a task's arguments (a data dependency)
DATA_VALUES = (XComVal, ListVal, DictVal)

# shared by every task without default_args (never mutated: merges build new dicts)
NO_DEFAULTS: dict[str, ast.expr] = {}
