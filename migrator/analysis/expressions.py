"""Expression evaluation of the extractor: names, literals, operators, calls, and the methods of the
abstract values it follows (`tasks.append`, `task.set_upstream`, `dict.get`, ...).
"""

from __future__ import annotations

import ast
from typing import Any

from migrator.analysis import semantics as sem
from migrator.analysis.model import (
    EdgeKind,
)
from migrator.analysis.values import (
    BITSHIFT,
    MAX_UNROLL,
    Const,
    ConstView,
    DagFunc,
    DagVal,
    DictVal,
    GroupFunc,
    GroupVal,
    LabelVal,
    ListVal,
    OperatorClass,
    Partial,
    PlainFunc,
    Scope,
    TaskFunc,
    TaskVal,
    XComVal,
)

_CONVERSIONS: dict[str, Any] = {"str": str, "int": int, "float": float}


class Expressions:
    """Evaluates expressions to abstract values (`migrator.analysis.values`)."""

    def ev(self, node: ast.expr | None, scope: Scope, style: str = "assignment") -> Any:
        kind = type(node)
        if kind is ast.Constant:
            return Const(node.value)  # type: ignore[union-attr]
        if node is None:
            return None
        if kind is ast.Name:
            name = node.id  # type: ignore[union-attr]
            inner: Scope | None = scope
            while inner is not None:  # Scope.lookup, inlined: names are most of what is evaluated
                variables = inner.vars
                if name in variables:
                    return variables[name]
                inner = inner.parent
            qualname = self.imports.get(name)
            if qualname is not None:
                recognized = self.recognized.get(qualname) or self.recognized.setdefault(qualname, sem.recognize(qualname))
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
            if isinstance(base, (TaskVal, XComVal)):
                # `SlackOperator(task_id="error").failed_callback`: built to lend a method, or handed on
                base.task.escaped = True
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
            value = sem.literal(node, ConstView(scope))
            return Const(value) if sem.is_known(value) else None
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                self.escape(self.ev(child, scope))
        return None

    def ev_binop(self, node: ast.BinOp, scope: Scope) -> Any:
        op = node.op
        if isinstance(op, (ast.RShift, ast.LShift)):
            left = self.ev(node.left, scope)
            right = self.ev(node.right, scope)
            if type(op) is ast.RShift:
                left_kind = type(left)
                right_kind = type(right)
                if (left_kind is TaskVal or left_kind is XComVal) and (right_kind is TaskVal or right_kind is XComVal):
                    self.add_edge(left.task, right.task, BITSHIFT, node)  # `shift`, for the usual `a >> b`
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

    def ev_dict(self, node: ast.Dict, scope: Scope) -> Any:
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

    def ev_comprehension(self, node: ast.ListComp | ast.GeneratorExp | ast.SetComp, scope: Scope) -> Any:
        if len(node.generators) != 1 or node.generators[0].is_async:
            self.uncertain += 1
            try:
                self.ev(node.elt, Scope({}, scope))
            finally:
                self.uncertain -= 1
            return None
        generator = node.generators[0]
        values = self.iteration_values(self.ev(generator.iter, scope))
        inner = Scope({}, scope)
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

    def call_arguments(self, node: ast.Call, scope: Scope) -> tuple[list[Any], dict[str, Any], bool]:
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

    def ev_call(self, node: ast.Call, scope: Scope, style: str) -> Any:
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
            inner: Scope | None = scope
            callee_value = None
            qualname = None
            while inner is not None:  # Scope.lookup, inlined
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
                kind = self.recognized[qualname] = sem.recognize(qualname)
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
                value = sem.literal(node, ConstView(scope))
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

    def ev_dict_call(self, node: ast.Call, scope: Scope) -> Any:
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

    def method_call(self, owner: Any, method: str, node: ast.Call, scope: Scope) -> tuple[bool, Any]:
        """`owner.method(...)` for the methods the extractor follows; (False, None) for any other.
        Dispatched on the type of the owner (none of the value classes is subclassed)."""
        handler = METHOD_HANDLERS.get(type(owner))
        if handler is None:
            return False, None
        return handler(self, owner, method, node, scope)

    def _set_relatives(self, owner: Any, method: str, node: ast.Call, scope: Scope) -> None:
        for arg in node.args:
            other = self.ev(arg, scope)
            if method == "set_downstream":
                self.connect(owner, other, EdgeKind.METHOD, node)
            else:
                self.connect(other, owner, EdgeKind.METHOD, node)

    def _task_method(self, owner: TaskVal, method: str, node: ast.Call, scope: Scope) -> tuple[bool, Any]:
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

    def _xcom_method(self, owner: XComVal, method: str, node: ast.Call, scope: Scope) -> tuple[bool, Any]:
        """A TaskFlow result has its task's methods, and the XComArg ones (`map`, `zip`, ...)."""
        if method in ("map", "concat", "zip", "resolve"):
            for arg in node.args:
                self.ev(arg, scope)
            return True, owner
        return self._task_method(owner, method, node, scope)  # type: ignore[arg-type]

    def _group_method(self, owner: GroupVal, method: str, node: ast.Call, scope: Scope) -> tuple[bool, Any]:
        if method in ("set_upstream", "set_downstream"):
            self._set_relatives(owner, method, node, scope)
            return True, None
        return False, None

    def _task_func_method(self, owner: TaskFunc, method: str, node: ast.Call, scope: Scope) -> tuple[bool, Any]:
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

    def _operator_class_method(self, owner: OperatorClass, method: str, node: ast.Call, scope: Scope) -> tuple[bool, Any]:
        if method == "partial":
            args, kwargs, star = self.call_arguments(node, scope)
            return True, Partial(owner, tuple((k.arg, k.value) for k in node.keywords if k.arg), tuple(kwargs.items()), node, star)
        return False, None

    def _partial_method(self, owner: Partial, method: str, node: ast.Call, scope: Scope) -> tuple[bool, Any]:
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

    def _group_func_method(self, owner: GroupFunc, method: str, node: ast.Call, scope: Scope) -> tuple[bool, Any]:
        if method == "override":
            kwargs = tuple((k.arg, k.value) for k in node.keywords if k.arg)
            return True, GroupFunc(owner.function, owner.kwargs + kwargs)
        if method in ("expand", "partial", "expand_kwargs"):
            self.call_arguments(node, scope)
            self.note(node, "mapped task group: not followed")
            return True, None
        return False, None

    def _list_method(self, owner: ListVal, method: str, node: ast.Call, scope: Scope) -> tuple[bool, Any]:
        if method in ("append", "extend", "insert"):
            args, _, _ = self.call_arguments(node, scope)
            if self.branch or self.uncertain:
                owner.approximate = True
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

    def _dag_method(self, owner: DagVal, method: str, node: ast.Call, scope: Scope) -> tuple[bool, Any]:
        if method in ("add_task", "add_tasks"):
            args, _, _ = self.call_arguments(node, scope)
            for arg in args:
                for task in self.tasks_of(arg):
                    self.assign_dag(task, owner.dag)
            return True, None
        return False, None

    def _const_method(self, owner: Const, method: str, node: ast.Call, scope: Scope) -> tuple[bool, Any]:
        if isinstance(owner.value, dict) and method in ("items", "keys", "values"):
            raw = owner.value
            return True, Const(list(raw.items()) if method == "items" else list(raw) if method == "keys" else list(raw.values()))
        if isinstance(owner.value, str) and method in ("format", "upper", "lower", "strip", "replace", "join"):
            value = sem.literal(node, ConstView(scope))
            if sem.is_known(value):
                return True, Const(value)
            args, _, _ = self.call_arguments(node, scope)
            if method == "join" and args:
                items = self.iteration_values(args[0])
                if items is not None and all(isinstance(i, Const) and isinstance(i.value, str) for i in items):
                    return True, Const(owner.value.join(i.value for i in items))
            return True, None
        return False, None

    def _dict_method(self, owner: DictVal, method: str, node: ast.Call, scope: Scope) -> tuple[bool, Any]:
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


METHOD_HANDLERS: dict[type, Any] = {
    TaskVal: Expressions._task_method,
    XComVal: Expressions._xcom_method,
    GroupVal: Expressions._group_method,
    TaskFunc: Expressions._task_func_method,
    OperatorClass: Expressions._operator_class_method,
    Partial: Expressions._partial_method,
    GroupFunc: Expressions._group_func_method,
    ListVal: Expressions._list_method,
    DagVal: Expressions._dag_method,
    Const: Expressions._const_method,
    DictVal: Expressions._dict_method,
}
