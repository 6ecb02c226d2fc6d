"""When each function of a DAG file runs: at parse time, as task code, or neither (`Role`).
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from migrator.analysis.model import (
    FunctionNode,
    Role,
)


class Roles:
    """Infers the roles of functions once the file has been followed."""

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
            for node, function, definition in self.index.calls_on_lines(lines):
                if isinstance(node.func, ast.Name) and node.func.id in callable_names:
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


class RolesOnFirstRead(Mapping[int, frozenset[Role]]):
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
