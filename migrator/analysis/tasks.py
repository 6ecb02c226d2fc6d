"""Tasks as the extractor creates them: operators instantiated, TaskFlow functions called, and the
DAG and TaskGroup each belongs to.
"""

from __future__ import annotations

import ast
import re
from typing import Any

from migrator.analysis.model import (
    FunctionNode,
    is_placeholder,
)
from migrator.analysis.values import (
    DATA_VALUES,
    NO_DEFAULTS,
    OPERATOR,
    TASKFLOW,
    UNKNOWN_DAG,
    Const,
    DagState,
    DagVal,
    GroupState,
    GroupVal,
    Partial,
    PlainFunc,
    Scope,
    TaskFunc,
    TaskState,
    TaskVal,
    XComVal,
)


class Tasks:
    """Creates tasks and binds them to their DAG and group."""

    def resolve_callable(self, node: ast.expr | None, scope: Scope) -> FunctionNode | None:
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

    def enclosing_context(self) -> tuple[DagState | None, GroupState | None]:
        """The DAG and TaskGroup a task made here belongs to, from the `with` blocks around it."""
        group = self.group_stack[-1] if self.group_stack else None
        if group is not None and group.dag is not None:
            return group.dag, group
        return (self.dag_stack[-1] if self.dag_stack else None), group

    def task_context(self, kwargs: dict[str, Any]) -> tuple[DagState | None, GroupState | None]:
        group_value = kwargs.get("task_group")
        group = group_value.group if isinstance(group_value, GroupVal) else (self.group_stack[-1] if self.group_stack else None)
        if "dag" in kwargs:
            dag_value = kwargs["dag"]
            if isinstance(dag_value, DagVal):
                return dag_value.dag, group
            if isinstance(dag_value, Const) and dag_value.value is None:
                return None, group
            return UNKNOWN_DAG, group
        if group is not None and group.dag is not None:
            return group.dag, group
        return (self.dag_stack[-1] if self.dag_stack else None), group

    def create_operator(
        self,
        callee: str,
        is_sensor: bool,
        node: ast.Call,
        scope: Scope,
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
        placeholder = not (isinstance(task_id_value, Const) and isinstance(task_id_value.value, str))
        if placeholder:  # analysed all the same: its arguments are what most rules read
            label = self.placeholder(keywords.get("task_id"), node, "task_id")
            self.note(node, f"task_id of {callee.rsplit('.', 1)[-1]} is not a literal: analysed as `{label}`")
        else:
            label = task_id_value.value
        if "task_group" in kwargs or "dag" in kwargs:
            dag, group = self.task_context(kwargs)
        else:  # the usual task: no `task_group=` or `dag=`
            dag, group = self.enclosing_context()
        if group is not None and group.name is None:
            return None
        task_id = group.child_id(label) if group else label
        if placeholder or is_placeholder(task_id):
            task_id = self.unique_placeholder(dag, task_id)
        defaults_node = keywords.get("default_args")
        own_defaults = NO_DEFAULTS if defaults_node is None else self.resolve_default_args(defaults_node, scope)
        callable_node = keywords.get("python_callable")
        function = None if callable_node is None else self.resolve_callable(callable_node, scope)
        task = TaskState(  # positional: a keyword call costs twice as much, for every task
            task_id,  # task_id
            None,  # dag
            OPERATOR,  # kind
            callee,  # callee
            node if partial is None else partial.call,  # node
            group,  # group
            is_sensor,  # is_sensor
            mapped,  # mapped
            self.uncertain > 0 or is_placeholder(task_id),  # uncertain
            self.branch,  # branch
            keywords,  # arguments
            own_defaults,  # own_default_args
            star,  # has_star_kwargs
            node if partial is None else partial.call,  # call
            function,  # function
        )
        self.register(task, dag, group)
        for name, value in kwargs.items():
            if type(value) in DATA_VALUES and name not in ("task_id", "dag", "task_group"):
                self.data_edges(value, task, node)
        return TaskVal(task)

    def create_taskflow(
        self,
        func: TaskFunc,
        node: ast.Call,
        scope: Scope,
        extra: tuple[tuple[str, ast.expr], ...],
        mapped: bool,
        partial: Partial | None = None,
    ) -> Any:
        args, kwargs, star = self.call_arguments(node, scope)
        arguments = dict(func.kwargs)
        base_id: Any = func.function.name
        if "task_id" in arguments:
            value = self.ev(arguments["task_id"], scope)
            if isinstance(value, Const) and isinstance(value.value, str):
                base_id = value.value
            else:
                base_id = self.placeholder(arguments["task_id"], node, "task_id")
                self.note(node, f"task_id is not a literal: analysed as `{base_id}`")
        decorator_kwargs = func.kwargs
        if not decorator_kwargs or (len(decorator_kwargs) == 1 and decorator_kwargs[0][0] == "task_id"):
            decorator_values: dict[str, Any] = {}  # `@task` or `.override(task_id=...)`: nothing to evaluate
        else:
            decorator_values = {k: self.ev(v, scope) for k, v in decorator_kwargs if k not in ("task_id",)}
        if decorator_values:
            dag, group = self.task_context(decorator_values)
        else:  # the usual `@task` or `.override(task_id=...)`
            dag, group = self.enclosing_context()
        if group is not None and group.name is None:
            return None
        task_id = group.child_id(base_id) if group else base_id
        if is_placeholder(task_id):
            task_id = self.unique_placeholder(dag, task_id)
        elif dag is not None and dag is not UNKNOWN_DAG and task_id in dag.ids:
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
        own_defaults = NO_DEFAULTS if defaults_node is None else self.resolve_default_args(defaults_node, scope)
        task = TaskState(  # positional: a keyword call costs twice as much, for every task
            task_id,  # task_id
            None,  # dag
            TASKFLOW,  # kind
            func.callee,  # callee
            node,  # node
            group,  # group
            func.flavour == "sensor",  # is_sensor
            mapped,  # mapped
            self.uncertain > 0 or is_placeholder(task_id),  # uncertain
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
            if type(value) in DATA_VALUES:
                self.data_edges(value, task, node)
        return XComVal(task)

    def register(self, task: TaskState, dag: DagState | None, group: GroupState | None) -> None:
        self.tasks.append(task)
        g = group
        while g is not None:
            g.tasks.append(task)
            g = g.parent
        if dag is not None and task.dag is None:  # `assign_dag`, inlined
            task.dag = dag
            if dag is not UNKNOWN_DAG:
                dag.tasks.append(task)
                dag.ids.add(task.task_id)

    def assign_dag(self, task: TaskState, dag: DagState) -> None:
        if task.dag is not None:
            return
        task.dag = dag
        if dag is UNKNOWN_DAG:
            return
        dag.tasks.append(task)
        dag.ids.add(task.task_id)

    def effective_defaults(self, task: TaskState) -> dict[str, ast.expr] | None:
        # the shared empty mapping (not a fresh `{}`) keeps the key stable, so tasks hit the cache
        dag_defaults: dict[str, ast.expr] | None = NO_DEFAULTS
        if task.dag is not None and task.dag is not UNKNOWN_DAG:
            dag_defaults = task.dag.default_args
        group_defaults = task.group.default_args if task.group else NO_DEFAULTS
        key = (id(dag_defaults), id(group_defaults), id(task.own_default_args))
        cached = self._defaults_cache.get(key)
        if cached is None:
            cached = (self.merge_defaults(self.merge_defaults(dag_defaults, group_defaults), task.own_default_args),)
            self._defaults_cache[key] = cached
        return cached[0]
