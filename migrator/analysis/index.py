"""Find nodes without walking the whole tree.

Walking every node of a file's `ast` in Python costs more than parsing it, so the linter never does.
Statements are indexed once (a few hundred per file); a rule that looks for, say, `datetime.now()`
first searches the source text for `now(` with a regex (C speed), then walks only the expressions of
the statements on the matching lines.
"""

from __future__ import annotations

import ast
import bisect
import re
from collections.abc import Iterator

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
_BODIES = ("body", "orelse", "finalbody")
# statements with no body, decorators or clauses: indexed without looking for any
_SIMPLE = frozenset(
    getattr(ast, name)
    for name in (
        "Expr", "Assign", "AugAssign", "AnnAssign", "Return", "Delete", "Pass", "Break", "Continue", "Import",
        "ImportFrom", "Global", "Nonlocal", "Raise", "Assert", "TypeAlias",
    )
    if hasattr(ast, name)
)


class SourceIndex:
    def __init__(self, module: ast.Module, source: str) -> None:
        self.module = module
        self.source = source
        # (statement, innermost enclosing function definition or None at module level)
        self.statements: list[tuple[ast.stmt, ast.FunctionDef | ast.AsyncFunctionDef | None]] = []
        self.parent_function: dict[int, ast.FunctionDef | ast.AsyncFunctionDef | None] = {}
        self._imports: list[ast.Import | ast.ImportFrom] = []
        self._definitions: list[ast.FunctionDef | ast.AsyncFunctionDef] = []
        # `def`/`class` line -> the statement, when its body starts on a later line: then that statement
        # is the only one covering the line, and a search for `name(` that hits only definitions
        # (as `def load(` does) needs no line map
        self._def_lines: dict[int, int] = {}
        self._line_starts: list[int] | None = None
        self._lookups = 0
        self._offsets: dict[str, list[int]] = {}
        self._by_line: dict[int, list[int]] | None = None
        # statement index -> its header's nodes: several rules search the same lines (`now(` and
        # `open(` on one line of task code), and walking a statement costs more than keeping it
        self._headers: dict[int, list[tuple[ast.AST, FunctionNode | None, ast.FunctionDef | ast.AsyncFunctionDef | None]]] = {}
        self._calls: dict[int, list[tuple[ast.AST, FunctionNode | None, ast.FunctionDef | ast.AsyncFunctionDef | None]]] = {}
        statements = self.statements
        append = statements.append
        imports = self._imports
        simple = _SIMPLE
        stack: list[tuple[list[ast.stmt], ast.FunctionDef | ast.AsyncFunctionDef | None]] = [(module.body, None)]
        while stack:
            body, function = stack.pop()
            for stmt in body:
                append((stmt, function))
                kind = type(stmt)
                if kind in simple:  # most statements: no body to enter
                    if kind is ast.ImportFrom or kind is ast.Import:
                        imports.append(stmt)  # type: ignore[arg-type]
                    continue
                inner = function
                if isinstance(stmt, (ast.Import, ast.ImportFrom)):
                    imports.append(stmt)
                if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and stmt.body[0].lineno > stmt.lineno:
                    self._def_lines[stmt.lineno] = -1 if stmt.lineno in self._def_lines else len(statements) - 1
                if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    self.parent_function[id(stmt)] = function
                    self._definitions.append(stmt)
                    inner = stmt
                for name in _BODIES:
                    block = getattr(stmt, name, None)
                    if block:
                        stack.append((block, inner))
                for handler in getattr(stmt, "handlers", ()):
                    stack.append((handler.body, inner))
                for case in getattr(stmt, "cases", ()):
                    stack.append((case.body, inner))

    # -- statements ---------------------------------------------------------------------------------

    def imports(self) -> Iterator[ast.Import | ast.ImportFrom]:
        """Import statements at any depth, in the order of `statements`."""
        return iter(self._imports)

    def function_definitions(self) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
        """Function definitions at any depth, in the order of `statements` (parents first)."""
        return iter(self._definitions)

    # -- lines --------------------------------------------------------------------------------------

    def line_of(self, offset: int) -> int:
        if self._line_starts is None:
            self._lookups += 1
            if self._lookups <= 16:  # a few lookups (the usual case) cost less than the table
                return self.source.count("\n", 0, offset) + 1
            starts = [0]
            find = self.source.find
            position = find("\n")
            while position != -1:
                starts.append(position + 1)
                position = find("\n", position + 1)
            self._line_starts = starts
        return bisect.bisect_right(self._line_starts, offset)

    def lines_matching(self, pattern: re.Pattern[str]) -> set[int]:
        return {self.line_of(match.start()) for match in pattern.finditer(self.source)}

    def call_lines(self, names: frozenset[str] | set[str]) -> set[int]:
        """Lines where one of `names` is followed by `(`: one scan of the file, shared by all rules."""
        lines: set[int] = set()
        for name in self.called_names() & names:  # the few called in this file among the many asked
            lines.update(self.line_of(offset) for offset in self.call_offsets(name))
        return lines

    def called_names(self) -> set[str]:
        """Every name followed by `(` in the file."""
        called = self.__dict__.get("_called")
        if called is None:
            called = self._called = _called_names(self.source)
        return called

    def call_offsets(self, name: str) -> list[int]:
        """Offsets of `name(` (spaces or tabs allowed before the paren), not inside a longer name.
        Found with `str.find`: a regex per name would be compiled for every function name of every
        file linted (the names a rule asks about include the file's own functions)."""
        offsets = self._offsets.get(name)
        if offsets is None:
            source = self.source
            size = len(source)
            word = _WORD.match
            offsets = self._offsets[name] = []
            start = source.find(name)
            while start != -1:
                end = start + len(name)
                position = end
                while position < size and source[position] in " \t":
                    position += 1
                if position < size and source[position] == "(" and (start == 0 or word(source, start - 1) is None):
                    offsets.append(start)
                start = source.find(name, end)
        return offsets

    def _statements_by_line(self) -> dict[int, list[int]]:
        """line -> statements whose own expressions may be on that line. A compound statement
        registers only its header lines (and those of its `except`/`case` clauses): its body holds
        statements indexed on their own."""
        if self._by_line is None:
            by_line: dict[int, list[int]] = {}
            simple = _SIMPLE
            for index, (stmt, _) in enumerate(self.statements):
                if type(stmt) in simple:
                    first = stmt.lineno
                    last = stmt.end_lineno or first
                    if last == first:
                        by_line.setdefault(first, []).append(index)
                    else:
                        for line in range(first, last + 1):
                            by_line.setdefault(line, []).append(index)
                    continue
                first = stmt.lineno
                for decorator in getattr(stmt, "decorator_list", ()):
                    first = min(first, decorator.lineno)
                body = getattr(stmt, "body", None)
                if body and isinstance(body, list) and isinstance(body[0], ast.stmt):
                    ranges = [(first, max(first, body[0].lineno - 1))]
                    for clause in [*getattr(stmt, "handlers", ()), *getattr(stmt, "cases", ())]:
                        start = getattr(clause, "lineno", None) or clause.pattern.lineno
                        ranges.append((start, max(start, clause.body[0].lineno - 1)))
                else:
                    ranges = [(first, stmt.end_lineno or stmt.lineno)]
                for low, high in ranges:
                    for line in range(low, high + 1):
                        by_line.setdefault(line, []).append(index)
            self._by_line = by_line
        return self._by_line

    # -- nodes --------------------------------------------------------------------------------------

    def nodes_on_lines(self, lines: set[int]) -> Iterator[tuple[ast.AST, FunctionNode | None, ast.FunctionDef | ast.AsyncFunctionDef | None]]:
        """The statements covering `lines` and every expression-level node in them, with the innermost
        function (a lambda counts) and innermost `def`. Statement bodies are not entered: they are
        statements of their own, found through their own lines."""
        for index in self._statements_on_lines(lines):
            yield from self._statement_nodes(index)

    def calls_on_lines(self, lines: set[int]) -> Iterator[tuple[ast.Call, FunctionNode | None, ast.FunctionDef | ast.AsyncFunctionDef | None]]:
        """`nodes_on_lines`, only the calls: what rules that search for `name(` look at."""
        for index in self._statements_on_lines(lines):
            calls = self._calls.get(index)
            if calls is None:
                calls = self._calls[index] = [entry for entry in self._statement_nodes(index) if type(entry[0]) is ast.Call]
            yield from calls  # type: ignore[misc]

    def _statements_on_lines(self, lines: set[int]) -> list[int]:
        """Indexes of the statements covering `lines`, by line, each once."""
        if not lines:
            return []
        def_lines = self._def_lines
        if all(def_lines.get(line, -1) >= 0 for line in lines):
            return [def_lines[line] for line in sorted(lines)]
        by_line = self._statements_by_line()
        found: list[int] = []
        seen: set[int] = set()
        for line in sorted(lines):
            for index in by_line.get(line, ()):
                if index not in seen:
                    seen.add(index)
                    found.append(index)
        return found

    def _statement_nodes(self, index: int) -> list[tuple[ast.AST, FunctionNode | None, ast.FunctionDef | ast.AsyncFunctionDef | None]]:
        """The statement at `index` and the nodes of its header, walked once per file."""
        nodes = self._headers.get(index)
        if nodes is None:
            stmt, function = self.statements[index]
            nodes = self._headers[index] = [(stmt, function, function), *self._header_nodes(stmt, function)]
        return nodes

    @staticmethod
    def _header_nodes(
        stmt: ast.stmt, function: ast.FunctionDef | ast.AsyncFunctionDef | None
    ) -> Iterator[tuple[ast.AST, FunctionNode | None, ast.FunctionDef | ast.AsyncFunctionDef | None]]:
        stack: list[tuple[ast.AST, FunctionNode | None]] = []
        for name, value in ast.iter_fields(stmt):
            if name in _BODIES or name in ("handlers", "cases"):
                if name == "handlers":
                    stack.extend((h.type, function) for h in value if h.type is not None)
                elif name == "cases":
                    for case in value:
                        stack.append((case.pattern, function))
                        if case.guard is not None:
                            stack.append((case.guard, function))
                continue
            if isinstance(value, ast.AST):
                stack.append((value, function))
            elif isinstance(value, list):
                stack.extend((v, function) for v in value if isinstance(v, ast.AST))
        while stack:
            node, context = stack.pop()
            yield node, context, function
            if isinstance(node, ast.Lambda):
                stack.extend((d, context) for d in [*node.args.defaults, *node.args.kw_defaults] if d is not None)
                stack.append((node.body, node))
                continue
            stack.extend((child, context) for child in child_nodes(node))


def child_nodes(node: ast.AST) -> list[ast.AST]:
    """`ast.iter_child_nodes(node)` as a list, in the same order, without its two nested generators
    (which cost more than the walk they serve)."""
    children: list[ast.AST] = []
    for name in node._fields:
        value = getattr(node, name, None)
        if isinstance(value, ast.AST):
            children.append(value)
        elif isinstance(value, list):
            children.extend([item for item in value if isinstance(item, ast.AST)])
    return children


def walk(node: ast.AST) -> Iterator[ast.AST]:
    """`ast.walk(node)`: the node and everything below it, breadth first, in the same order."""
    todo = [node]
    for current in todo:  # the list grows while it is iterated: each node's children come later
        todo.extend(child_nodes(current))
        yield current


_CALL_REVERSED = re.compile(r"\([ \t]*(\w+)")


_WORD = re.compile(r"\w")


def _called_names(source: str) -> set[str]:
    """Every name followed by `(`. Matched on the reversed text, where each call starts with a literal
    `(` that the regex engine finds at C speed: several times cheaper than searching the text for a
    name followed by `(`, which tries a match at every character. Where a name is called is looked
    up only for the few names a rule asks about (`SourceIndex.call_offsets`)."""
    return {name[::-1] for name in _CALL_REVERSED.findall(source[::-1])}


def names_pattern(names: frozenset[str] | set[str]) -> re.Pattern[str]:
    """`name(` for any of `names` (attribute or bare call)."""
    return re.compile(r"\b(?:" + "|".join(re.escape(n) for n in sorted(names)) + r")\s*\(")


def final_name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None
