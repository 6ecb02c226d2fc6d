"""Static extraction of a DAG file into the graph model, without importing or running it.

The file's `ast` is walked like a tiny interpreter of the DAG-building subset of Python: names are bound
to abstract values (a task, a list of tasks, a DAG, a TaskGroup, a TaskFlow function, a literal), `with
DAG(...)` and TaskGroups push context, loops over literal lists are unrolled, helper functions called
while building the DAG are inlined, and every `>>`/`<<`/`set_upstream`/`chain`/TaskFlow data hand-off
becomes an edge. Anything that cannot be resolved becomes an `Unresolved` note and is left out: a missing
edge costs a finding, a guessed one would be a false finding.

The interpreter is one class (`Extractor`) assembled from one module per concept:

| module | concept |
| --- | --- |
| `values` | the abstract values, the working state (DAGs, groups, tasks) and the limits |
| `statements` | statement execution: assignments, `with`, loops, branches |
| `expressions` | expression evaluation: names, literals, operators, calls, methods of values |
| `dags` | DAGs and TaskGroups, and the functions run while building them |
| `tasks` | operators and TaskFlow calls becoming tasks bound to a DAG |
| `dependencies` | `>>`, `chain`, data hand-offs: the edges |
| `roles` | when each function runs: parse time, task code, or neither |
| `semantics` | recognition of Airflow names (`recognize`) and literal evaluation |

`ast` is used rather than libcst: it parses ten times faster and its positions are exact.
"""

from __future__ import annotations

import ast
from functools import cached_property
from typing import Any

from migrator.analysis import semantics as sem
from migrator.analysis.dags import DagsAndGroups
from migrator.analysis.dependencies import Dependencies
from migrator.analysis.expressions import Expressions
from migrator.analysis.index import SourceIndex
from migrator.analysis.model import (
    DagModel,
    EdgeKind,
    EdgeRecord,
    FileModel,
    PendingSpan,
    TaskRecord,
    Unresolved,
    ascii_span,
    node_span,
)
from migrator.analysis.roles import Roles, RolesOnFirstRead
from migrator.analysis.statements import Statements
from migrator.analysis.tasks import Tasks
from migrator.analysis.values import (
    MAX_BUDGET,
    NO_DEFAULTS,
    UNKNOWN_DAG,
    DagFunc,
    DagState,
    GroupState,
    OverBudget,
    Scope,
    TaskState,
    new_object,
)


class Extractor(Statements, Expressions, DagsAndGroups, Tasks, Dependencies, Roles):
    """Follows one DAG file and builds its `FileModel` (`run`)."""

    def __init__(self, path: str, source: str, module: ast.Module, airflow_version: int = 3) -> None:
        self.path = path
        self.source = source
        self.module = module
        self.ascii = source.isascii()  # then columns are byte offsets: spans need no line text
        self.airflow_version = airflow_version
        self.index = SourceIndex(module, source)
        self.imports = sem.collect_imports(self.index.imports())
        self.dags: list[DagState] = []
        self.tasks: list[TaskState] = []
        self.unbound_edges: list[tuple[TaskState, TaskState, EdgeKind, ast.AST]] = []
        self.cross_edges: list[EdgeRecord] = []
        self.unresolved: list[Unresolved] = []
        self.dag_stack: list[DagState] = []
        self.group_stack: list[GroupState] = []
        self.branch: tuple[tuple[int, int], ...] = ()
        self.uncertain = 0
        self.budget = MAX_BUDGET
        self.inline_depth = 0
        self.executing: set[int] = set()
        self.parse_functions: set[int] = set()
        self.task_functions: set[int] = set()
        self.dag_functions: list[tuple[DagFunc, Scope]] = []
        self.called_dag_functions: set[int] = set()
        self.module_scope = Scope({})
        self.assignments: dict[str, ast.expr] = {}
        self.functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
        self.known_groups: dict[int, list[GroupState]] = {}
        self.recognized: dict[str, tuple[Any, ...]] = {}
        self._defaults_cache: dict[tuple[int, int, int], tuple[dict[str, ast.expr] | None]] = {}
        self._dag_defaults: dict[int, tuple[dict[str, ast.expr] | None]] = {}

    def run(self) -> FileModel:
        for stmt in self.module.body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self.functions[stmt.name] = stmt
        try:
            self.exec_block(self.module.body, self.module_scope, module_level=True)
        except OverBudget:
            self.note(self.module, "file too large to follow completely; the rest was skipped")
        except RecursionError:
            self.note(self.module, "expression nested too deeply to follow; the rest was skipped")
        # A @dag function that is never called still describes a DAG its author meant to define.
        for dag_func, scope in self.dag_functions:
            if id(dag_func.function) not in self.called_dag_functions:
                try:
                    self.instantiate_dag_function(dag_func, scope, dag_func.function, (), {})
                except (OverBudget, RecursionError):
                    pass
        # So does a DAG factory no code of this file calls (other files import and call it): run it
        # once, its parameters unknown, so the DAG it builds is checked here, where its code is.
        for function in self.functions.values():
            if id(function) not in self.parse_functions and id(function) not in self.task_functions and self.builds_dag(function):
                self.parse_functions.add(id(function))
                try:
                    self.run_function(function, self.module_scope, [], {}, unknown=True)
                except (OverBudget, RecursionError):
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

    def builds_dag(self, function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
        """A plain function whose body constructs a DAG (`DAG(...)`, `with DAG(...)`)."""
        if function.decorator_list:
            return False
        lines = self.lines[function.lineno - 1 : function.end_lineno]
        if not any("DAG" in line for line in lines):  # (a text check first: most functions are not)
            return False
        return any(
            isinstance(node, ast.Call) and sem.is_dag_class(self.qualname(node.func)) for node in ast.walk(function)
        )

    def placeholder(self, expression: ast.AST | None, call: ast.AST, what: str) -> str:
        """The id of a DAG, task or group that is not a literal: its expression between angle brackets
        (`<f"load_{table}">`), or `<dag_id at line 12>` when the call does not give one."""
        if expression is None:
            return f"<{what} at line {getattr(call, 'lineno', 0)}>"
        try:
            text = ast.unparse(expression)
        except (ValueError, RecursionError):
            text = what
        text = " ".join(text.split())
        return f"<{text if len(text) <= 60 else text[:57] + '...'}>"

    def unique_placeholder(self, dag: DagState | None, task_id: str) -> str:
        """A placeholder task id the DAG does not have yet: one call site run twice (a helper, a loop)
        makes two tasks, which must stay two nodes of the graph."""
        if dag is None or dag is UNKNOWN_DAG or task_id not in dag.ids:
            return task_id
        number = 2
        while f"{task_id}#{number}" in dag.ids:
            number += 1
        return f"{task_id}#{number}"

    def tick(self) -> None:
        self.budget -= 1
        if self.budget <= 0:
            raise OverBudget()

    def record(self, task: TaskState) -> TaskRecord:
        dag = task.dag
        group = task.group
        if group is None and task.own_default_args is NO_DEFAULTS:
            # the usual task: only its DAG's default_args apply (one lookup per DAG, not three ids)
            dag_defaults = NO_DEFAULTS if dag is None or dag is UNKNOWN_DAG else dag.default_args
            found = self._dag_defaults.get(id(dag_defaults))
            if found is None:
                found = self._dag_defaults[id(dag_defaults)] = (self.effective_defaults(task),)
            default_args = found[0]
        else:
            default_args = self.effective_defaults(task)
        record = new_object(TaskRecord)  # `migrator.frozen.build`, inlined
        record.__dict__.update(
            task_id=task.task_id,
            dag_id=None if dag is None or dag is UNKNOWN_DAG else dag.dag_id,
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
        roles = RolesOnFirstRead(self.compute_roles)
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


def extract(path: str, source: str, module: ast.Module | None = None, airflow_version: int = 3) -> FileModel:
    """The FileModel of one DAG file. Raises SyntaxError/ValueError when the source does not parse."""
    if module is None:
        module = ast.parse(source, filename=path)
    return Extractor(path, source, module, airflow_version).run()
