"""Statement execution of the extractor: blocks, assignments, `with`, loops, branches.
"""

from __future__ import annotations

import ast
from typing import Any

from migrator.analysis import semantics as sem
from migrator.analysis.values import (
    MAX_UNROLL,
    UNKNOWN_DAG,
    Const,
    DagFunc,
    DagVal,
    DictVal,
    GroupFunc,
    GroupVal,
    ListVal,
    OperatorClass,
    OverBudget,
    PlainFunc,
    Returned,
    Scope,
    TaskFunc,
)


class Statements:
    """Executes the statements of a DAG file on abstract values (see `migrator.analysis.extract`)."""

    def exec_block(self, body: list[ast.stmt], scope: Scope, module_level: bool = False) -> None:
        for stmt in body:
            self.exec_stmt(stmt, scope, module_level)

    def exec_stmt(self, stmt: ast.stmt, scope: Scope, module_level: bool = False) -> None:
        self.budget -= 1
        if self.budget <= 0:
            raise OverBudget()
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
            self.exec_uncertain(stmt.body, scope, module_level)
            self.exec_block(stmt.orelse, scope, module_level)
        elif isinstance(stmt, ast.If):
            self.exec_if(stmt, scope, module_level)
        elif isinstance(stmt, ast.Try) or type(stmt).__name__ == "TryStar":
            self.exec_try(stmt, scope, module_level)
        elif isinstance(stmt, ast.Match):
            self.ev(stmt.subject, scope)
            self.exec_branches(stmt, [case.body for case in stmt.cases] + [[]], scope, module_level)
        elif isinstance(stmt, ast.Return):
            raise Returned(self.ev(stmt.value, scope) if stmt.value is not None else Const(None))

    def define_function(self, stmt: ast.FunctionDef | ast.AsyncFunctionDef, scope: Scope) -> Any:
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

    def bind(self, target: ast.expr, value: Any, scope: Scope, module_value: ast.expr | None) -> None:
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

    def exec_with(self, stmt: ast.With | ast.AsyncWith, scope: Scope, module_level: bool) -> None:
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
                self.dag_stack.append(UNKNOWN_DAG)
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

    def exec_for(self, stmt: ast.For | ast.AsyncFor, scope: Scope, module_level: bool) -> None:
        iterated = self.ev(stmt.iter, scope)
        values = self.iteration_values(iterated)
        if values is not None and len(values) <= MAX_UNROLL:
            approximate = int(isinstance(iterated, ListVal) and iterated.approximate)
            self.uncertain += approximate  # items appended under an `if`: not all of them in every run
            try:
                for item in values:
                    self.bind(stmt.target, item, scope, None)
                    self.exec_block(stmt.body, scope, module_level)
            finally:
                self.uncertain -= approximate
        else:
            if values is None:
                self.note(stmt.iter, "loop over a value that is not a literal list: tasks in it are approximate")
            self.bind(stmt.target, None, scope, None)
            self.exec_uncertain(stmt.body, scope, module_level)
        self.exec_block(stmt.orelse, scope, module_level)

    def exec_uncertain(self, body: list[ast.stmt], scope: Scope, module_level: bool) -> None:
        """Run a loop body once for a loop of unknown length: the tasks it makes may be several, or
        none, so they are uncertain (never duplicates)."""
        self.uncertain += 1
        try:
            self.exec_block(body, scope, module_level)
        finally:
            self.uncertain -= 1

    def exec_if(self, stmt: ast.If, scope: Scope, module_level: bool) -> None:
        test = self.ev(stmt.test, scope)
        if isinstance(test, Const) and isinstance(test.value, (bool, int, str, type(None))):
            self.exec_block(stmt.body if test.value else stmt.orelse, scope, module_level)
            return
        self.exec_branches(stmt, [stmt.body, stmt.orelse], scope, module_level)

    def exec_try(self, stmt: Any, scope: Scope, module_level: bool) -> None:
        blocks = [stmt.body + stmt.orelse] + [handler.body for handler in stmt.handlers]
        self.exec_branches(stmt, blocks, scope, module_level)
        self.exec_block(stmt.finalbody, scope, module_level)

    def exec_branches(self, stmt: ast.stmt, blocks: list[list[ast.stmt]], scope: Scope, module_level: bool) -> None:
        """Run each alternative on a copy of the scope, then keep only bindings they agree on."""
        before = dict(scope.vars)
        outcomes: list[dict[str, Any]] = []
        saved_branch = self.branch
        for index, block in enumerate(blocks):
            scope.vars = dict(before)
            self.branch = saved_branch + ((id(stmt), index),)
            try:
                self.exec_block(block, scope, module_level)
            except Returned:
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
