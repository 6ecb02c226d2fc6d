"""Python source as the linter reads it: parsed, and refused for every reason Python itself refuses it.

`ast.parse` accepts files that Python will not run: `return` or `break` at module level, a repeated
keyword argument, `nonlocal` at module level. Those errors come from the compiler, so the tree is
also compiled (`compile()` of the tree: no second parse, yet nearly the parse's cost) whenever
`compiler_errors.may_not_compile` cannot rule them out from the text and the statements.

The linter runs on one Python, DAG files are written for several. A Python 3.12 f-string (PEP 701:
the same quotes, a backslash or a comment inside the braces) does not parse on 3.10 or 3.11 although
it is valid where it will run. When `ast` refuses a file, libcst, whose grammar knows those f-strings,
gets a second look: if it parses the file, every f-string is masked by a placeholder name of the same
layout and the masked text is parsed again. If that succeeds, the file is linted with the rules blind
to what the f-strings held (a placeholder is an unknown value, never a literal) and a note says so;
otherwise the original error is reported.

Python 3.12's generics (PEP 695: `def f[T](x: T)`, `class Box[T]:`, `type Pair[T] = tuple[T, T]`) get
the same second look: libcst reads them, and the text is rewritten with every character that is not
part of them in place (`def f(   x: T)`, `class Box( ):`, `(    Pair    ) = tuple[T, T]`), so the
file is linted as if its type parameters were not written and a `type` statement were an assignment.
"""

from __future__ import annotations

import ast
import re
import sys
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from migrator.lint.compiler_errors import may_not_compile


class Unparsable(Exception):
    """Python refuses the file: `message` at `line`:`column` (1-based)."""

    def __init__(self, message: str, line: int = 1, column: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.line = max(line, 1)
        self.column = max(column, 1)


@dataclass(frozen=True)
class Parsed:
    module: ast.Module
    # set when the tree is of a masked text (newer f-string syntax than this Python's): why
    note: str | None = None


def parse_python(text: str, path: str) -> Parsed:
    """The tree of a DAG file, or `Unparsable` for every file CPython would refuse to compile."""
    try:
        with warnings.catch_warnings():
            # the user's invalid escapes and the like are not ours to print
            warnings.simplefilter("ignore")
            module = ast.parse(text, filename=path)
    except SyntaxError as error:
        masked = _parse_newer_syntax(text, path)
        if masked is None:
            raise _unparsable(error) from None
        return masked
    except (ValueError, RecursionError, MemoryError, OverflowError) as error:
        raise Unparsable(f"cannot parse: {type(error).__name__}: {error}") from None
    if may_not_compile(module, text):  # nearly never: compiling every file cost a fifth of linting it
        _compile(module, path)
    return Parsed(module)


def _compile(module: ast.Module, path: str) -> None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(module, path, "exec", dont_inherit=True)
    except SyntaxError as error:
        raise _unparsable(error) from None
    except (ValueError, RecursionError, MemoryError, OverflowError) as error:
        raise Unparsable(f"cannot compile: {type(error).__name__}: {error}") from None


def _unparsable(error: SyntaxError) -> Unparsable:
    return Unparsable(f"SyntaxError: {error.msg}", error.lineno or 1, error.offset or 1)


# the grammar (PEP 701 f-strings, PEP 695 generics) that rewriting makes readable on older Pythons
NEWEST_GRAMMAR = (3, 12)
# text that may be PEP 695 syntax: a `def` or `class` with `[` after its name, or a `type` statement
_GENERICS_HINT = re.compile(
    r"^[ \t]*(?:(?:async[ \t]+)?def|class)[ \t]+\w+[ \t]*\[|^[ \t]*type[ \t]+\w", re.MULTILINE
)


def _parse_newer_syntax(text: str, path: str) -> Parsed | None:
    lowered = text.lower()
    may_hold_fstrings = "f'" in lowered or 'f"' in lowered
    if sys.version_info >= NEWEST_GRAMMAR or not (may_hold_fstrings or _GENERICS_HINT.search(text)):
        return None
    try:
        import libcst as cst
        from libcst.metadata import MetadataWrapper, PositionProvider

        wrapper = MetadataWrapper(cst.parse_module(text), unsafe_skip_copy=True)
        positions = wrapper.resolve(PositionProvider)
    except Exception:  # noqa: BLE001  libcst refuses it too (or cannot read it): a real syntax error
        return None
    ranges = [
        (position.start.line, position.start.column, position.end.line, position.end.column)
        for node, position in positions.items()
        if isinstance(node, (cst.FormattedString, cst.ConcatenatedString)) and _holds_fstring(node)
    ]
    lines, breaks = _split_lines(text)
    rewrote_generics = _rewrite_generics(lines, positions)
    masked = mask(_join_lines(lines, breaks), _outermost(ranges))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            module = ast.parse(masked, filename=path)
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return None
    _compile(module, path)
    return Parsed(module, _note(fstrings=bool(ranges), generics=rewrote_generics))


def _note(fstrings: bool, generics: bool) -> str:
    found = f"{sys.version_info[0]}.{sys.version_info[1]}"
    if fstrings and generics:
        syntax, peps = "f-string syntax and generics", "PEP 701, PEP 695"
        how = "without looking inside its f-strings and type parameters"
    elif generics:
        syntax, peps = "generics (type parameters, `type` statements)", "PEP 695"
        how = "without its type parameters, each `type` statement read as an assignment"
    else:
        syntax, peps, how = "f-string syntax", "PEP 701", "without looking inside its f-strings"
    return (
        f"uses {syntax} of Python 3.12 or later ({peps}), which Python {found} (the one running "
        f"cron2dag) cannot parse: checked {how}"
    )


def _rewrite_generics(lines: list[str], positions: Mapping[Any, Any]) -> bool:
    """Rewrite, in `lines` and keeping every other character in place, the type parameters of
    functions and classes and the `type` statements (PEP 695). Whether there were any."""
    import libcst as cst

    def at(line: int, column: int) -> str:
        return lines[line - 1][column : column + 1]

    def put(line: int, column: int, text: str) -> None:
        row = lines[line - 1]
        lines[line - 1] = row[:column] + text + row[column + len(text) :]

    def blank(start: Any, end: Any) -> None:  # spaces, the line breaks kept
        for line in range(start.line, end.line + 1):
            first = start.column if line == start.line else 0
            last = end.column if line == end.line else len(lines[line - 1])
            put(line, first, " " * (last - first))

    def after(end: Any) -> tuple[int, int]:  # the first character after `end` that is not a blank
        row, column = lines[end.line - 1], end.column
        while column < len(row) and row[column] in " \t":
            column += 1
        return end.line, column

    rewrote = False
    for node, position in list(positions.items()):
        if isinstance(node, (cst.FunctionDef, cst.ClassDef)) and node.type_parameters is not None:
            brackets = positions[node.type_parameters]
            blank(brackets.start, brackets.end)
            put(brackets.start.line, brackets.start.column, "(")
            line, column = after(brackets.end)
            if at(line, column) == "(":  # `f[T](x)` -> `f(   x)`, `C[T](Base)` -> `C(   Base)`
                put(line, column, " ")
            else:  # `class C[T]:` -> `class C( ):`
                put(brackets.end.line, brackets.end.column - 1, ")")
            rewrote = True
        elif isinstance(node, cst.TypeAlias):
            # `type X[T] = v` -> `(    X    ) = v`, `type X = v` -> `(    X)= v`
            start, name = position.start, positions[node.name]
            put(start.line, start.column, "(   ")
            if node.type_parameters is not None:
                brackets = positions[node.type_parameters]
                blank(brackets.start, brackets.end)
                put(brackets.end.line, brackets.end.column - 1, ")")
            elif at(name.end.line, name.end.column) in (" ", "\t"):
                put(name.end.line, name.end.column, ")")
            else:  # `type X=v`: the name moves, what follows it stays
                width = name.end.column - start.column
                put(start.line, start.column, f"({node.name.value})".ljust(width))
            rewrote = True
    return rewrote


def _holds_fstring(node: object) -> bool:
    import libcst as cst

    if isinstance(node, cst.FormattedString):
        return True
    if isinstance(node, cst.ConcatenatedString):
        return _holds_fstring(node.left) or _holds_fstring(node.right)
    return False  # a plain string part of a concatenation


def _outermost(ranges: list[tuple[int, int, int, int]]) -> list[tuple[int, int, int, int]]:
    """The ranges not inside another one (an f-string within an f-string, or within a concatenation)."""
    kept: list[tuple[int, int, int, int]] = []
    for current in sorted(ranges, key=lambda r: (r[0], r[1], -r[2], -r[3])):
        if kept and (current[0], current[1]) < (kept[-1][2], kept[-1][3]):
            continue  # starts inside the previous outermost range, so ends inside it too
        kept.append(current)
    return kept


def mask(text: str, ranges: list[tuple[int, int, int, int]]) -> str:
    """`text` with each range (1-based lines, 0-based columns, end exclusive) replaced by a name of
    underscores of the same layout: `_____` on one line, `(____` ... `  )` across lines. Every other
    character keeps its line and column, so positions found in the masked text are the original's.
    Lines end where Python ends them (`\\n`, `\\r\\n` or `\\r`), as libcst counts them."""
    lines, breaks = _split_lines(text)
    for start_line, start_column, end_line, end_column in reversed(ranges):
        first = lines[start_line - 1]
        if start_line == end_line:
            lines[start_line - 1] = first[:start_column] + "_" * (end_column - start_column) + first[end_column:]
            continue
        lines[start_line - 1] = first[:start_column] + "(" + "_" * (len(first) - start_column - 1)
        for index in range(start_line, end_line - 1):
            lines[index] = ""
        lines[end_line - 1] = " " * (end_column - 1) + ")" + lines[end_line - 1][end_column:]
    return _join_lines(lines, breaks)


_LINE_BREAK = re.compile(r"(\r\n|\r|\n)")


def _split_lines(text: str) -> tuple[list[str], list[str]]:
    """The lines of `text` and the breaks between them, as Python (and libcst) count lines."""
    parts = _LINE_BREAK.split(text)
    return parts[0::2], parts[1::2]


def _join_lines(lines: list[str], breaks: list[str]) -> str:
    return "".join(line + separator for line, separator in zip(lines, [*breaks, ""]))
