"""DAGs and TaskGroups as the extractor creates them, and the functions it runs while building them
(`@dag` and `@task_group` functions, helpers inlined at parse time).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from typing import Any

from migrator.analysis.model import (
    FunctionNode,
)
from migrator.analysis.values import (
    MAX_INLINE_DEPTH,
    NO_DEFAULTS,
    Const,
    DagFunc,
    DagState,
    DagVal,
    DictVal,
    GroupFunc,
    GroupState,
    GroupVal,
    ListVal,
    PlainFunc,
    Returned,
    Scope,
)


class DagsAndGroups:
    """Creates DAGs and TaskGroups, and runs the functions that build them."""

    def keyword_nodes(self, node: ast.Call) -> tuple[dict[str, ast.expr], bool]:
        return {k.arg: k.value for k in node.keywords if k.arg}, any(k.arg is None for k in node.keywords)

    def resolve_default_args(self, node: ast.expr | None, scope: Scope) -> dict[str, ast.expr] | None:
        if node is None:
            return NO_DEFAULTS
        value = self.ev(node, scope)
        if isinstance(value, DictVal):
            return {str(k): expr for k, (expr, _) in value.entries.items()}
        if isinstance(value, Const) and isinstance(value.value, dict):
            return {str(k): ast.Constant(v) for k, v in value.value.items()}
        if isinstance(value, Const) and value.value is None:
            return NO_DEFAULTS
        return None

    def create_dag(self, node: ast.Call, scope: Scope, style: str) -> Any:
        args, kwargs, star = self.call_arguments(node, scope)
        keywords, _ = self.keyword_nodes(node)
        dag_id_value = args[0] if args else kwargs.get("dag_id")
        if isinstance(dag_id_value, Const) and isinstance(dag_id_value.value, str):
            dag_id = dag_id_value.value
        else:  # a factory's parameter, an f-string, `Path(__file__).stem`: analysed all the same
            dag_id = self.placeholder(node.args[0] if node.args else keywords.get("dag_id"), node, "dag_id")
            self.note(node, f"DAG id is not a literal: analysed as `{dag_id}`")
        dag = DagState(
            dag_id=dag_id,
            node=node,
            style=style,
            arguments=keywords,
            # `DAG(**settings)` may carry default_args: unknown, unless given by name
            default_args=self.resolve_default_args(keywords.get("default_args"), scope)
            if "default_args" in keywords or not star else None,
            has_star_kwargs=star,
            branch=self.branch,
            call=node,
        )
        self.dags.append(dag)
        return DagVal(dag)

    def instantiate_dag_function(
        self, dag_func: DagFunc, scope: Scope, where: ast.AST, args: Iterable[Any], kwargs: dict[str, Any]
    ) -> Any:
        function = dag_func.function
        if id(function) in self.executing:
            return None
        keywords = dict(dag_func.kwargs)
        dag_id: Any = function.name
        if "dag_id" in keywords:
            value = self.ev(keywords["dag_id"], scope)
            if isinstance(value, Const) and isinstance(value.value, str):
                dag_id = value.value
            else:
                dag_id = self.placeholder(keywords["dag_id"], dag_func.decorator, "dag_id")
                self.note(dag_func.decorator, f"DAG id is not a literal: analysed as `{dag_id}`")
        for _, expr in dag_func.kwargs:
            self.ev(expr, scope)
        dag = DagState(
            dag_id=dag_id,
            node=dag_func.decorator,
            style="decorator",
            arguments=keywords,
            default_args=self.resolve_default_args(keywords.get("default_args"), scope)
            if "default_args" in keywords or not dag_func.has_star_kwargs else None,
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

    def current_dag(self) -> DagState | None:
        if self.group_stack and self.group_stack[-1].dag is not None:
            return self.group_stack[-1].dag
        return self.dag_stack[-1] if self.dag_stack else None

    def create_group(self, node: ast.Call, scope: Scope) -> Any:
        args, kwargs, _ = self.call_arguments(node, scope)
        keywords, _ = self.keyword_nodes(node)
        name_value = args[0] if args else kwargs.get("group_id")
        name = name_value.value if isinstance(name_value, Const) and isinstance(name_value.value, str) else None
        if name is None and not (isinstance(name_value, Const) and name_value.value is None):
            name = self.placeholder(node.args[0] if node.args else keywords.get("group_id"), node, "group_id")
            self.note(node, f"TaskGroup id is not a literal: analysed as `{name}`")
        prefix_value = kwargs.get("prefix_group_id", Const(True))
        prefix = bool(prefix_value.value) if isinstance(prefix_value, Const) else True
        parent_value = kwargs.get("parent_group")
        parent = parent_value.group if isinstance(parent_value, GroupVal) else (self.group_stack[-1] if self.group_stack else None)
        dag_value = kwargs.get("dag")
        dag = dag_value.dag if isinstance(dag_value, DagVal) else (parent.dag if parent else self.current_dag())
        own_defaults = self.resolve_default_args(keywords.get("default_args"), scope)
        group = GroupState(name, parent, prefix, dag, self.merge_defaults(parent.default_args if parent else {}, own_defaults))
        return GroupVal(group)

    def instantiate_group_function(
        self, group_func: GroupFunc, node: ast.Call, scope: Scope, extra: tuple[tuple[str, ast.expr], ...]
    ) -> Any:
        function = group_func.function
        keywords = dict(group_func.kwargs)
        name: str | None = function.name
        if "group_id" in keywords:
            value = self.ev(keywords["group_id"], scope)
            name = value.value if isinstance(value, Const) and isinstance(value.value, str) else None
            if name is None and not (isinstance(value, Const) and value.value is None):
                name = self.placeholder(keywords["group_id"], node, "group_id")
        parent = self.group_stack[-1] if self.group_stack else None
        dag = parent.dag if parent else self.current_dag()
        prefix_value = self.ev(keywords.get("prefix_group_id"), scope) if "prefix_group_id" in keywords else Const(True)
        prefix = bool(prefix_value.value) if isinstance(prefix_value, Const) else True
        own_defaults = self.resolve_default_args(keywords.get("default_args"), scope)
        group = GroupState(name, parent, prefix, dag, self.merge_defaults(parent.default_args if parent else {}, own_defaults))
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

    def group_ids(self, dag: DagState) -> Iterator[str]:
        for group in self.known_groups.get(id(dag), []):
            if group.group_id:
                yield group.group_id

    @staticmethod
    def merge_defaults(base: dict[str, ast.expr] | None, own: dict[str, ast.expr] | None) -> dict[str, ast.expr] | None:
        if base is None or own is None:
            return None
        return {**base, **own}

    def run_function(
        self, function: FunctionNode, scope: Scope, args: list[Any], kwargs: dict[str, Any], unknown: bool = False
    ) -> Any:
        """Run a function's body on abstract values; `unknown`: no caller to go by, so every parameter
        is unknown (its default is only what one caller would get)."""
        if id(function) in self.executing or self.inline_depth >= MAX_INLINE_DEPTH:
            return None
        local = Scope({}, self.module_scope if scope is self.module_scope else scope)
        params = function.args
        if unknown:
            for param in [*params.posonlyargs, *params.args, *params.kwonlyargs, params.vararg, params.kwarg]:
                if param is not None:
                    local.vars[param.arg] = None
            args, kwargs, params = [], {}, ast.arguments([], [], None, [], [], None, [])
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
        except Returned as returned:
            return returned.value
        finally:
            self.inline_depth -= 1
            self.executing.discard(id(function))
        return Const(None)

    def inline(self, plain: PlainFunc, node: ast.Call, scope: Scope) -> Any:
        args, kwargs, _ = self.call_arguments(node, scope)
        self.parse_functions.add(id(plain.function))
        if id(plain.function) in self.executing or self.inline_depth >= MAX_INLINE_DEPTH:
            for value in [*args, *kwargs.values()]:
                self.escape(value)
            return None
        return self.run_function(plain.function, scope, args, kwargs)
