"""What names and literals mean, statically: imports, Airflow's public symbols, constant values.

Airflow moved most symbols between 2.x and 3.x (`airflow.decorators.task` -> `airflow.sdk.task`,
`airflow.operators.bash` -> `airflow.providers.standard.operators.bash`); recognisers here accept both
generations so one extractor reads either.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import timedelta
from typing import Any

# -- imports ---------------------------------------------------------------------------------------


def collect_imports(statements: Iterable[ast.stmt]) -> dict[str, str]:
    """Local name -> fully qualified name for every import statement given (at any depth: imports in
    functions usually mean the same thing, and a later binding wins as it would at run time)."""
    found: dict[str, str] = {}
    for node in statements:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    found[alias.asname] = alias.name
                else:
                    top = alias.name.split(".", 1)[0]
                    found[top] = top
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                if alias.name != "*":
                    found[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return found


def qualified_name(node: ast.AST, imports: Mapping[str, str]) -> str | None:
    """`dt.now` -> "datetime.datetime.now" given `from datetime import datetime as dt`.

    A name that was not imported resolves to itself (a local class or function), so callers can
    still match bare names; attribute chains on calls or subscripts do not resolve.
    """
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    base = imports.get(node.id, node.id)
    parts.append(base)
    return ".".join(reversed(parts))


def dotted(node: ast.AST) -> str | None:
    """The dotted text of a Name/Attribute chain, without resolving imports (`self.log.info`)."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


# -- Airflow symbols -------------------------------------------------------------------------------


def _is_airflow(name: str | None) -> bool:
    return bool(name) and (name == "airflow" or name.startswith("airflow."))  # type: ignore[union-attr]


def is_dag_class(name: str | None) -> bool:
    return _is_airflow(name) and name.rsplit(".", 1)[-1] == "DAG"  # type: ignore[union-attr]


def is_dag_decorator(name: str | None) -> bool:
    return _is_airflow(name) and name.rsplit(".", 1)[-1] == "dag"  # type: ignore[union-attr]


_TASK_DECORATOR = re.compile(r"^airflow(\.[a-z_.]+)?\.task(\.(?P<flavour>[a-z_]+))?$")


def task_decorator_flavour(name: str | None) -> str | None:
    """"" for `@task`, "bash" for `@task.bash`, ...; None when `name` is not a task decorator."""
    if not name:
        return None
    if name.startswith("airflow.") and name.rsplit(".", 1)[-1] in ("setup", "teardown"):
        return name.rsplit(".", 1)[-1]
    match = _TASK_DECORATOR.match(name)
    if not match or ".task_group" in name:
        return None
    return match.group("flavour") or ""


def is_task_group_class(name: str | None) -> bool:
    return _is_airflow(name) and name.rsplit(".", 1)[-1] == "TaskGroup"  # type: ignore[union-attr]


def is_task_group_decorator(name: str | None) -> bool:
    return _is_airflow(name) and name.rsplit(".", 1)[-1] == "task_group"  # type: ignore[union-attr]


def is_label(name: str | None) -> bool:
    return _is_airflow(name) and name.rsplit(".", 1)[-1] == "Label"  # type: ignore[union-attr]


CHAIN_FUNCTIONS = frozenset({"chain", "chain_linear", "cross_downstream"})


def chain_function(name: str | None) -> str | None:
    if _is_airflow(name) and name.rsplit(".", 1)[-1] in CHAIN_FUNCTIONS:  # type: ignore[union-attr]
        return name.rsplit(".", 1)[-1]  # type: ignore[union-attr]
    return None


def looks_like_operator(name: str | None) -> bool:
    """An operator or sensor class: Airflow's naming convention, or a capitalised name imported from an
    Airflow `operators`/`sensors` module (e.g. `GenericTransfer`)."""
    if not name:
        return False
    last = name.rsplit(".", 1)[-1]
    if last.endswith(("Operator", "Sensor", "SensorAsync")):
        return True
    return _is_airflow(name) and last[:1].isupper() and (".operators." in name or ".sensors." in name)


def looks_like_sensor(name: str | None) -> bool:
    """A sensor class: named so, or a class of a `sensors` module that is not one of the helpers
    living there (`ExternalTaskMarker` clears another DAG's task; it never pokes)."""
    if not name:
        return False
    if name.endswith(("Sensor", "SensorAsync")):
        return True
    last = name.rsplit(".", 1)[-1]
    return ".sensors." in name and not last.endswith(("Marker", "Link", "Trigger", "Hook"))


# -- literal values --------------------------------------------------------------------------------


def recognize(qualname: str) -> tuple[Any, ...]:
    """What the extractor does with a call of `qualname`: ("dag",), ("group",), ("chain", kind),
    ("label",), ("operator", is_sensor), ("dict",), ("convert",), ("literal",) or ("other",)."""
    if is_dag_class(qualname):
        return ("dag",)
    if is_task_group_class(qualname):
        return ("group",)
    chain = chain_function(qualname)
    if chain:
        return ("chain", chain)
    if is_label(qualname):
        return ("label",)
    if looks_like_operator(qualname):
        return ("operator", looks_like_sensor(qualname))
    last = qualname.rsplit(".", 1)[-1]
    if last == "dict":
        return ("dict",)
    if qualname in ("str", "int", "float"):
        return ("convert",)
    if last in ("timedelta", "format", "range", "total_seconds"):
        return ("literal",)
    return ("other",)


class Unknown:
    """Marker for a value that cannot be computed statically."""

    def __repr__(self) -> str:
        return "<unknown>"


UNKNOWN_VALUE = Unknown()


def literal(node: ast.AST | None, names: Mapping[str, Any] | None = None, depth: int = 0) -> Any:
    """The Python value of a literal expression, following names in `names`; UNKNOWN_VALUE otherwise.

    Handles constants, containers, f-strings, `+`/`*`/`%` on constants, `str.format` and `timedelta`.
    """
    if node is None or depth > 20:
        return UNKNOWN_VALUE
    names = names or {}
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        if node.id in names:
            value = names[node.id]
            if isinstance(value, ast.AST):
                return literal(value, names, depth + 1)
            return value
        return UNKNOWN_VALUE
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        items = [literal(e, names, depth + 1) for e in node.elts]
        if any(isinstance(i, Unknown) for i in items) or any(isinstance(e, ast.Starred) for e in node.elts):
            return UNKNOWN_VALUE
        return tuple(items) if isinstance(node, ast.Tuple) else items
    if isinstance(node, ast.Dict):
        result: dict[Any, Any] = {}
        for key, value in zip(node.keys, node.values):
            if key is None:
                return UNKNOWN_VALUE
            k = literal(key, names, depth + 1)
            v = literal(value, names, depth + 1)
            if isinstance(k, Unknown) or isinstance(v, Unknown):
                return UNKNOWN_VALUE
            result[k] = v
        return result
    if isinstance(node, ast.JoinedStr):
        out: list[str] = []
        for part in node.values:
            if isinstance(part, ast.Constant):
                out.append(str(part.value))
            elif isinstance(part, ast.FormattedValue):
                value = literal(part.value, names, depth + 1)
                if isinstance(value, Unknown) or part.format_spec is not None:
                    return UNKNOWN_VALUE
                conv = {115: str, 114: repr, 97: ascii}.get(part.conversion, str)
                out.append(conv(value))
            else:
                return UNKNOWN_VALUE
        return "".join(out)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        value = literal(node.operand, names, depth + 1)
        return -value if isinstance(value, (int, float)) and not isinstance(value, bool) else UNKNOWN_VALUE
    if isinstance(node, ast.BinOp):
        left = literal(node.left, names, depth + 1)
        right = literal(node.right, names, depth + 1)
        if isinstance(left, Unknown) or isinstance(right, Unknown):
            return UNKNOWN_VALUE
        try:
            if isinstance(node.op, ast.Add):
                return left + right
            if isinstance(node.op, ast.Sub):
                return left - right
            if isinstance(node.op, ast.Mult):
                if isinstance(left, (str, list, tuple)) or isinstance(right, (str, list, tuple)):
                    return UNKNOWN_VALUE  # "x" * 10**9 must not blow up the linter
                return left * right
            if isinstance(node.op, ast.Mod) and isinstance(left, str):
                return left % right
        except Exception:
            return UNKNOWN_VALUE
        return UNKNOWN_VALUE
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "format" and isinstance(func.value, ast.Constant):
            args = [literal(a, names, depth + 1) for a in node.args]
            kwargs = {k.arg: literal(k.value, names, depth + 1) for k in node.keywords if k.arg}
            if any(isinstance(a, Unknown) for a in [*args, *kwargs.values()]) or len(kwargs) != len(node.keywords):
                return UNKNOWN_VALUE
            try:
                return str(func.value.value).format(*args, **kwargs)
            except Exception:
                return UNKNOWN_VALUE
        if isinstance(func, (ast.Name, ast.Attribute)) and (dotted(func) or "").endswith("timedelta"):
            kwargs = {k.arg: literal(k.value, names, depth + 1) for k in node.keywords if k.arg}
            args = [literal(a, names, depth + 1) for a in node.args]
            if any(isinstance(a, Unknown) for a in [*args, *kwargs.values()]):
                return UNKNOWN_VALUE
            try:
                return timedelta(*args, **kwargs)
            except Exception:
                return UNKNOWN_VALUE
        if isinstance(func, ast.Name) and func.id == "range" and not node.keywords:
            args = [literal(a, names, depth + 1) for a in node.args]
            if all(isinstance(a, int) and not isinstance(a, bool) for a in args) and 1 <= len(args) <= 3:
                try:
                    produced = range(*args)
                except Exception:
                    return UNKNOWN_VALUE
                return list(produced) if len(produced) <= 1000 else UNKNOWN_VALUE
        if isinstance(func, ast.Attribute) and func.attr == "total_seconds" and not node.args:
            value = literal(func.value, names, depth + 1)
            return value.total_seconds() if isinstance(value, timedelta) else UNKNOWN_VALUE
        if isinstance(func, ast.Name) and func.id == "dict" and not node.args:
            out_dict: dict[str, Any] = {}
            for k in node.keywords:
                if k.arg is None:
                    return UNKNOWN_VALUE
                v = literal(k.value, names, depth + 1)
                if isinstance(v, Unknown):
                    return UNKNOWN_VALUE
                out_dict[k.arg] = v
            return out_dict
    return UNKNOWN_VALUE


def is_known(value: Any) -> bool:
    return not isinstance(value, Unknown)


def string_fragments(node: ast.AST) -> Iterator[tuple[str, ast.AST]]:
    """The literal text pieces of a string expression (constants, f-string parts, concatenations,
    `"...".format()` templates, `%` formats), each with the node it comes from."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value, node
    elif isinstance(node, ast.JoinedStr):
        for part in node.values:
            if isinstance(part, ast.Constant) and isinstance(part.value, str):
                yield part.value, part
    elif isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod)):
        yield from string_fragments(node.left)
        if isinstance(node.op, ast.Add):
            yield from string_fragments(node.right)
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        yield from string_fragments(node.func.value)


def joined_text(node: ast.AST) -> str | None:
    """The text of a string expression with every non-literal part replaced by `{...}`; None if it
    is not a string expression. Good enough to look for `>>`, `INSERT INTO` or `{{ ds }}` in it."""
    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, str) else None
    if isinstance(node, ast.JoinedStr):
        out: list[str] = []
        for part in node.values:
            if isinstance(part, ast.Constant) and isinstance(part.value, str):
                out.append(part.value)
            else:
                inner = part.value if isinstance(part, ast.FormattedValue) else part
                out.append("{" + (dotted(inner) or "...") + "}")
        return "".join(out)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = joined_text(node.left), joined_text(node.right)
        if left is None and right is None:
            return None
        return (left if left is not None else "{...}") + (right if right is not None else "{...}")
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        return joined_text(node.left)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        return joined_text(node.func.value)
    return None


def seconds(value: Any) -> float | None:
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return None
