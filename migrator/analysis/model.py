"""The graph model of a DAG file, extracted statically (see `migrator.analysis.extract`).

A `FileModel` holds every DAG a Python file defines (`DagModel`), the tasks that could not be bound to a
DAG, and the per-call facts rules need (what each call resolves to and when it runs: at parse time or
inside task code). A `DagModel` is the graph of DESIGN.md: `DagModel.graph` is a `networkx.DiGraph` whose
nodes are task ids carrying a `record` (`TaskRecord`) and whose edges carry their `evidence`
(`EdgeRecord`s). networkx is imported only when a rule asks for that graph: plain lists answer most
questions, and importing networkx costs more than linting a hundred files.

Positions are 1-based; columns count characters (not UTF-8 bytes, which is what `ast` reports).
AST nodes ride along (excluded from equality) so rules can look closer without parsing again.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from migrator.analysis.ids import is_placeholder  # noqa: F401  re-exported: rules import it from here
from migrator.compat import StrEnum
from migrator.positions import Span, new_span

if TYPE_CHECKING:
    import networkx as nx

    from migrator.analysis.index import SourceIndex
    from migrator.positions import Lines

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda

# What `default_args` and the like resolve to when they cannot be read statically.
UNKNOWN: Any = object()


class TaskKind(StrEnum):
    OPERATOR = "operator"  # an operator or sensor class instantiated
    TASKFLOW = "taskflow"  # a `@task`-decorated function called


class EdgeKind(StrEnum):
    BITSHIFT = "bitshift"  # `a >> b`, `b << a`, with lists on either side
    METHOD = "method"  # `set_upstream` / `set_downstream`
    CHAIN = "chain"  # `chain(...)`, `chain_linear(...)`
    CROSS = "cross_downstream"
    DATA = "data"  # a TaskFlow result (XComArg) passed to another task
    GROUP = "group"  # through a TaskGroup on one side of `>>`


class Role(StrEnum):
    """When a piece of code runs, which decides what rules apply to it."""

    MODULE = "module"  # top-level code: runs every time the scheduler parses the file
    PARSE = "parse"  # a function body executed while parsing (`@dag`, `@task_group`, helpers they call)
    TASK = "task"  # task code: TaskFlow bodies, `python_callable`s and the helpers they call
    OTHER = "other"  # anything else (callbacks, functions never called, methods)


@dataclass(frozen=True)
class TaskRecord:
    """One task as the file creates it."""

    task_id: str  # full id, TaskGroup prefixes included
    dag_id: str | None  # None: not bound to any DAG (or bound through something unresolvable)
    kind: TaskKind
    callee: str  # qualified operator class ("airflow...BashOperator") or decorator ("airflow.sdk.task.bash")
    span: Span  # the call that creates the task
    group_id: str | None = None
    is_sensor: bool = False
    mapped: bool = False  # `.expand(...)`
    # True when created in a loop whose iterations are unknown: the id may repeat, so no duplicate checks
    uncertain: bool = False
    # which side of each enclosing `if`/`try` the task was created in: ((statement id, branch), ...)
    branch: tuple[tuple[int, int], ...] = ()
    # keyword arguments as written (operator kwargs, or decorator + `.override` kwargs for TaskFlow)
    arguments: Mapping[str, ast.expr] = field(default_factory=dict, compare=False, repr=False)
    # `default_args` of the DAG and enclosing TaskGroups merged (later wins); None when unresolvable
    default_args: Mapping[str, ast.expr] | None = field(default_factory=dict, compare=False, repr=False)
    # `**kwargs` in the call: any argument may be set, so "missing argument" rules must stay quiet
    has_star_kwargs: bool = False
    teardown: bool = False  # `.as_teardown()` / `@teardown`: ignored by Airflow for the run's state
    # handed to code the extractor cannot follow (an unknown call, a container): it may be bound there
    escaped: bool = False
    call: ast.Call | None = field(default=None, compare=False, repr=False)
    # the code the task runs: the TaskFlow function, or the `python_callable` resolved in this file
    function: FunctionNode | None = field(default=None, compare=False, repr=False)

    def argument(self, name: str) -> ast.expr | None | Any:
        """The effective value of an argument: explicit, else from default_args.

        Returns the expression, None when certainly not set, or UNKNOWN when it cannot be known
        (`**kwargs` in the call or unresolvable `default_args`).
        """
        if name in self.arguments:
            return self.arguments[name]
        if self.default_args is None:
            return UNKNOWN
        if name in self.default_args:
            return self.default_args[name]
        return UNKNOWN if self.has_star_kwargs else None


@dataclass(frozen=True)
class EdgeRecord:
    """One dependency as written: `upstream` runs before `downstream`."""

    upstream: str
    downstream: str
    kind: EdgeKind
    span: Span  # the statement or expression that sets it
    upstream_dag: str | None = None
    downstream_dag: str | None = None
    branch: tuple[tuple[int, int], ...] = ()

    @property
    def explicit(self) -> bool:
        return self.kind is not EdgeKind.DATA


class PendingSpan:
    """What the extractor stores as a record's `span`: the node (and, for a file that is not all
    ASCII, its lines) to compute it from when it is first read."""

    __slots__ = ("lines", "node")

    def __init__(self, node: ast.AST, lines: list[str] | None) -> None:
        self.node = node
        self.lines = lines


class _SpanOnFirstRead:
    """`span` of a task or edge record, computed the first time it is read and then kept: most
    records are never shown in a finding, and a span costs more than the rest of a record. A data
    descriptor over the instance's own `span` entry, set after the dataclass is made (so it is not
    taken for a default); a span given to `__init__` is stored and returned as it is."""

    def __get__(self, instance: Any, owner: type | None = None) -> Span:
        if instance is None:
            raise AttributeError("span")
        try:
            value = instance.__dict__["span"]
        except KeyError:
            raise AttributeError("span") from None
        if type(value) is PendingSpan:
            value = instance.__dict__["span"] = (
                ascii_span(value.node) if value.lines is None else node_span(value.node, value.lines)
            )
        return value

    def __set__(self, instance: Any, value: Span) -> None:
        instance.__dict__["span"] = value  # only the frozen dataclass's own __init__ gets here


TaskRecord.span = _SpanOnFirstRead()  # type: ignore[assignment, misc]
EdgeRecord.span = _SpanOnFirstRead()  # type: ignore[assignment, misc]


@dataclass(frozen=True)
class DagModel:
    """One DAG: its tasks and dependencies in the order the file sets them (duplicates kept)."""

    dag_id: str
    span: Span  # the `DAG(...)` call or the `@dag` decorator
    style: str  # "context" (`with DAG`), "assignment" (`x = DAG(...)`) or "decorator" (`@dag`)
    arguments: Mapping[str, ast.expr] = field(default_factory=dict, compare=False, repr=False)
    default_args: Mapping[str, ast.expr] | None = field(default_factory=dict, compare=False, repr=False)
    has_star_kwargs: bool = False
    tasks: tuple[TaskRecord, ...] = ()
    edges: tuple[EdgeRecord, ...] = ()
    branch: tuple[tuple[int, int], ...] = ()
    call: ast.Call | None = field(default=None, compare=False, repr=False)
    function: ast.FunctionDef | ast.AsyncFunctionDef | None = field(default=None, compare=False, repr=False)

    def argument(self, name: str) -> ast.expr | None | Any:
        if name in self.arguments:
            return self.arguments[name]
        return UNKNOWN if self.has_star_kwargs else None

    @cached_property
    def task_map(self) -> dict[str, TaskRecord]:
        """task id -> its first definition."""
        found: dict[str, TaskRecord] = {}
        for task in self.tasks:
            found.setdefault(task.task_id, task)
        return found

    @cached_property
    def downstream(self) -> dict[str, set[str]]:
        result: dict[str, set[str]] = {t.task_id: set() for t in self.tasks}
        for edge in self.edges:  # setdefault, without building a set for every call
            children = result.get(edge.upstream)
            if children is None:
                children = result[edge.upstream] = set()
            children.add(edge.downstream)
            if edge.downstream not in result:
                result[edge.downstream] = set()
        return result

    @cached_property
    def upstream(self) -> dict[str, set[str]]:
        result: dict[str, set[str]] = {t.task_id: set() for t in self.tasks}
        for edge in self.edges:
            result.setdefault(edge.downstream, set()).add(edge.upstream)
            result.setdefault(edge.upstream, set())
        return result

    def has_cycle(self) -> bool:
        """Kahn's algorithm in plain Python, so acyclic DAGs never pay for importing networkx. Reads
        only `downstream` (which other rules need too): in-degrees are counted from it."""
        downstream = self.downstream
        indegree = dict.fromkeys(downstream, 0)
        for node, children in downstream.items():
            if node in children:
                return True  # a self-dependency
            for child in children:
                indegree[child] += 1
        ready = [node for node, degree in indegree.items() if degree == 0]
        seen = 0
        while ready:
            node = ready.pop()
            seen += 1
            for child in downstream[node]:
                indegree[child] -= 1
                if indegree[child] == 0:
                    ready.append(child)
        return seen != len(indegree)

    @cached_property
    def graph(self) -> nx.DiGraph:
        """The DESIGN.md graph: task ids with `record`, edges with `evidence` (every EdgeRecord)."""
        import networkx as nx

        graph = nx.DiGraph(dag_id=self.dag_id)
        for task in self.tasks:
            if task.task_id not in graph:
                graph.add_node(task.task_id, record=task)
        for edge in self.edges:
            if graph.has_edge(edge.upstream, edge.downstream):
                graph.edges[edge.upstream, edge.downstream]["evidence"].append(edge)
            else:
                graph.add_edge(edge.upstream, edge.downstream, evidence=[edge])
        return graph


@dataclass(frozen=True)
class CallSite:
    """A call anywhere in the file, resolved once so rules can filter instead of walking the tree."""

    node: ast.Call = field(compare=False, repr=False)
    qualname: str | None  # "datetime.datetime.now", "airflow.models.Variable.get", None if unresolvable
    roles: frozenset[Role]  # when the enclosing code runs
    # (task id, argument name) when the call sits in an operator/decorator argument, evaluated at parse time
    in_task_argument: tuple[str, str] | None = None
    function: FunctionNode | None = field(default=None, compare=False, repr=False)  # innermost enclosing
    task_dag: str | None = None  # the DAG of the task in `in_task_argument`


@dataclass(frozen=True)
class Unresolved:
    """Something the extractor saw but could not resolve statically, and therefore skipped."""

    span: Span
    reason: str


@dataclass(frozen=True)
class FileModel:
    path: str
    source: str
    module: ast.Module = field(compare=False, repr=False)
    imports: Mapping[str, str] = field(default_factory=dict)  # local name -> qualified name
    dags: tuple[DagModel, ...] = ()
    unbound_tasks: tuple[TaskRecord, ...] = ()
    # edges whose ends belong to different DAGs (or one end to an unknown DAG)
    cross_dag_edges: tuple[EdgeRecord, ...] = ()
    # module-level functions by name, and the roles every function plays (by id of its node)
    functions: Mapping[str, ast.FunctionDef | ast.AsyncFunctionDef] = field(
        default_factory=dict, compare=False, repr=False
    )
    function_roles: Mapping[int, frozenset[Role]] = field(default_factory=dict, compare=False, repr=False)
    # module-level `NAME = expr` (the last assignment wins, as at the end of the import)
    assignments: Mapping[str, ast.expr] = field(default_factory=dict, compare=False, repr=False)
    unresolved: tuple[Unresolved, ...] = ()
    airflow_version: int = 3
    index: SourceIndex | None = field(default=None, compare=False, repr=False)

    @cached_property
    def argument_ranges(self) -> list[tuple[tuple[int, int], tuple[int, int], str, str, str | None]]:
        """Where task arguments sit: ((line, col), (end_line, end_col), task id, argument, dag id), in
        ast offsets. Calls inside them run at parse time, for that task."""
        ranges = []
        for task in self.all_tasks:
            for name, expr in task.arguments.items():
                end = (expr.end_lineno or expr.lineno, expr.end_col_offset if expr.end_col_offset is not None else expr.col_offset)
                ranges.append(((expr.lineno, expr.col_offset), end, task.task_id, name, task.dag_id))
        return ranges

    @cached_property
    def lines(self) -> list[str]:
        return self.source.split("\n")  # Python's line breaks only (the engine turned a lone CR into LF)

    @cached_property
    def line_table(self) -> Lines:
        """Offsets of the lines, for rules that map a node to text and back (fixes)."""
        from migrator.positions import Lines

        return Lines(self.source)

    @property
    def all_tasks(self) -> Iterator[TaskRecord]:
        for dag in self.dags:
            yield from dag.tasks
        yield from self.unbound_tasks

    def roles_of(self, function: FunctionNode | None) -> frozenset[Role]:
        if function is None:
            return frozenset({Role.MODULE})
        return self.function_roles.get(id(function), frozenset({Role.OTHER}))

    def span(self, node: ast.AST) -> Span:
        return node_span(node, self.lines)

    def find_calls(self, names: frozenset[str]) -> list[CallSite]:
        """Every call whose function is named one of `names` (`now` finds `datetime.now()` and
        `now()`), resolved and placed. Searches the text first, so files without them cost nothing."""
        cache = self.__dict__.setdefault("_calls", {})
        if names in cache:
            return cache[names]
        found: list[CallSite] = []
        lines = self.index.call_lines(names) if self.index is not None else None
        if lines:  # (most files call none of the names a rule asks about)
            from migrator.analysis import semantics
            from migrator.analysis.index import final_name

            seen: set[int] = set()
            for node, function, definition in self.index.calls_on_lines(lines):  # type: ignore[union-attr]
                if id(node) in seen or final_name(node.func) not in names:
                    continue
                seen.add(id(node))
                if isinstance(function, ast.Lambda) and id(function) not in self.function_roles:
                    roles = self.roles_of(definition) if definition is not None else frozenset({Role.MODULE})
                else:
                    roles = self.roles_of(function)
                where = None if isinstance(function, ast.Lambda) else self._argument_of(node)
                found.append(
                    CallSite(
                        node=node,
                        qualname=semantics.qualified_name(node.func, self.imports),
                        roles=roles,
                        in_task_argument=where[:2] if where else None,
                        function=function,
                        task_dag=where[2] if where else None,
                    )
                )
            found.sort(key=lambda site: (site.node.lineno, site.node.col_offset))
        cache[names] = found
        return found

    def _argument_of(self, node: ast.AST) -> tuple[str, str, str | None] | None:
        position = (node.lineno, node.col_offset)  # type: ignore[attr-defined]
        end = (node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]
        for start, stop, task_id, argument, dag_id in self.argument_ranges:
            if start <= position and end <= stop:
                return task_id, argument, dag_id
        return None


def _char_column(line: str, byte_offset: int) -> int:
    if line.isascii():
        return byte_offset
    return len(line.encode("utf-8")[:byte_offset].decode("utf-8", errors="replace"))


def ascii_span(node: ast.AST) -> Span:
    """`node_span` for a file that is all ASCII, where character columns are `ast`'s byte offsets."""
    try:
        line = node.lineno  # type: ignore[attr-defined]
        col = node.col_offset  # type: ignore[attr-defined]
    except AttributeError:
        return Span(1, 1, 1, 1)
    end_col = node.end_col_offset  # type: ignore[attr-defined]
    return new_span(line, col + 1, node.end_lineno or line, (col if end_col is None else end_col) + 1)  # type: ignore[attr-defined]


def node_span(node: ast.AST, lines: list[str]) -> Span:
    """1-based, character-based span of an AST node (end exclusive)."""
    try:
        line = node.lineno  # type: ignore[attr-defined]
        col = node.col_offset  # type: ignore[attr-defined]
    except AttributeError:
        return Span(1, 1, 1, 1)
    end_line = node.end_lineno or line  # type: ignore[attr-defined]
    end_col = node.end_col_offset  # type: ignore[attr-defined]
    if end_col is None:
        end_col = col
    count = len(lines)
    if line <= count and not lines[line - 1].isascii():
        col = _char_column(lines[line - 1], col)
    if end_line <= count and not lines[end_line - 1].isascii():
        end_col = _char_column(lines[end_line - 1], end_col)
    return new_span(line, col + 1, end_line, end_col + 1)
