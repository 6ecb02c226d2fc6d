"""Applying fixes, and proving each one harmless before it is written.

A fix is a set of text edits at exact positions. A Python rule may declare its change instead
(`CstChange`: rename this keyword, replace this import's module, replace this string literal), which
becomes the one text edit it stands for, read off the source at that position: cheap enough for every
finding of `--format json`/`sarif`, and what `--fix` applies is exactly what those formats show. Every
byte outside the edits stays as it was.

Nothing is written on trust. After the fixes of a round are applied, the result is checked
(`verify`): a Python file must still compile and its syntax tree must equal the original's everywhere
the edits did not touch; a crontab must still parse to the same entries on the same lines. When a
round fails that check, each fix is tried alone and a fix that fails alone is rejected with the reason,
which its finding then reports instead of offering it. A fix whose position no longer holds what it
changes is rejected the same way, without costing the other fixes of the file.
"""

from __future__ import annotations

import ast
import difflib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from migrator.lint.finding import Applicability, CstChange, Edit, Finding, Fix
from migrator.positions import Lines, Span


def _is_python(path: str) -> bool:
    return path.endswith(".py")


# -- edits of a fix -------------------------------------------------------------------------------

_IDENTIFIER = re.compile(r"[^\W\d]\w*")
_SEPARATOR = r"(?:[ \t\f]|\\\r?\n|\\\r)+"
_MODULE = re.compile(rf"from{_SEPARATOR}(?P<module>\w+(?:(?:{_SEPARATOR})?\.(?:{_SEPARATOR})?\w+)*)")
_STRING_START = re.compile(r"[rRbBuUfF]{0,2}['\"]")


class Unplaceable(ValueError):
    """A declared change whose position does not hold what it changes."""


def edits_of(source: str, fix: Fix, lines: Lines | None = None) -> tuple[Edit, ...]:
    """The text edits of a fix: its own, plus the one each declared change stands for.
    Raises `Unplaceable` when a change's position does not hold what it changes."""
    if not fix.changes:
        return fix.edits
    lines = lines or Lines(source)
    return fix.edits + tuple(_edit_of(source, change, lines) for change in fix.changes)


def _edit_of(source: str, change: CstChange, lines: Lines) -> Edit:
    span = change.span
    start = lines.offset(span.line, span.column)
    end = lines.offset(span.end_line, span.end_column)
    if start is None or end is None or end < start:
        raise Unplaceable(f"{change.kind} at {span.line}:{span.column} is outside the file")
    if change.kind == "rename-keyword":
        match = _IDENTIFIER.match(source, start, end)
        if match is None or source[match.end() : end].lstrip()[:1] != "=":
            raise Unplaceable(f"no keyword argument at {span.line}:{span.column}")
        return Edit(Span(*lines.position(start), *lines.position(match.end())), change.value)
    if change.kind == "replace-module":
        match = _MODULE.match(source, start, end)
        if match is None:
            raise Unplaceable(f"no `from ... import` at {span.line}:{span.column}")
        begin, finish = match.span("module")
        return Edit(Span(*lines.position(begin), *lines.position(finish)), change.value)
    if change.kind == "replace-string":
        text = source[start:end]
        if not _STRING_START.match(text) or text[-1:] not in ("'", '"'):
            raise Unplaceable(f"no string literal at {span.line}:{span.column}")
        return Edit(span, change.value)
    raise Unplaceable(f"unknown change {change.kind!r}")


def apply_text_edits(source: str, edits: Sequence[Edit], lines: Lines) -> str:
    """`source` with non-overlapping edits applied (positions as `lines` counts them)."""
    pieces: list[str] = []
    position = len(source)
    for edit in sorted(edits, key=lambda e: (e.span.line, e.span.column), reverse=True):
        start = lines.offset(edit.span.line, edit.span.column)
        end = lines.offset(edit.span.end_line, edit.span.end_column)
        if start is None or end is None or end > position or start > end:
            raise Unplaceable(f"edit at {edit.span.line}:{edit.span.column} is outside the file or overlaps another")
        pieces.append(source[end:position])
        pieces.append(edit.content)
        position = start
    pieces.append(source[:position])
    return "".join(reversed(pieces))


def with_edits(findings: list[Finding], read: Callable[[str], str | None]) -> list[Finding]:
    """Findings whose fixes carry their text edits, for `--format json`/`sarif`: one line table per
    file, one edit per change, no parse. A change that cannot be placed shows no edit."""
    tables: dict[str, Lines | None] = {}
    result: list[Finding] = []
    for finding in findings:
        fix = finding.fix
        if fix is not None and fix.changes:
            if finding.path not in tables:
                source = read(finding.path)
                tables[finding.path] = None if source is None else Lines(source, _is_python(finding.path))
            table = tables[finding.path]
            edits: tuple[Edit, ...] = ()
            if table is not None:
                try:
                    edits = edits_of(table.text, fix, table)
                except Unplaceable:
                    pass
            finding = replace(finding, fix=Fix(fix.description, fix.applicability, edits))
        result.append(finding)
    return result


# -- applying and verifying -----------------------------------------------------------------------


@dataclass(frozen=True)
class FixOutcome:
    text: str
    applied: tuple[Fix, ...] = ()
    rejected: tuple[tuple[Fix, str], ...] = ()  # with the reason each was not applied


Verifier = Callable[[str, str, Sequence[tuple[int, int]]], "str | None"]


def apply_fixes(source: str, fixes: Sequence[Fix], verify: Verifier | None = None, python: bool = True) -> FixOutcome:
    """Apply every fix that can be placed and does not overlap an earlier one (those wait for a later
    round), then check the result with `verify(before, after, edited ranges)`, which returns why it is
    refused or None. A refused round is retried fix by fix: each fix that fails alone is rejected, and
    the first that passes alone is applied (the others wait for the next round, linted afresh)."""
    lines = Lines(source, python)
    placed: list[tuple[Fix, tuple[Edit, ...]]] = []
    rejected: list[tuple[Fix, str]] = []
    taken: list[tuple[int, int]] = []
    for fix in fixes:
        try:
            edits = edits_of(source, fix, lines)
            ranges = [_range(edit, lines) for edit in edits]
        except Unplaceable as error:
            rejected.append((fix, f"its code could not be found ({error})"))
            continue
        if any(_overlap(a, b) for a in ranges for b in taken) or any(
            _overlap(a, b) for i, a in enumerate(ranges) for b in ranges[i + 1 :]
        ):
            continue  # another fix edits the same code: this one waits for the next round
        taken.extend(ranges)
        placed.append((fix, edits))
    if not placed:
        return FixOutcome(source, (), tuple(rejected))
    text = apply_text_edits(source, [e for _, edits in placed for e in edits], lines)
    problem = verify(source, text, taken) if verify is not None else None
    if problem is None:
        return FixOutcome(text, tuple(fix for fix, _ in placed), tuple(rejected))
    if len(placed) == 1:
        return FixOutcome(source, (), (*rejected, (placed[0][0], problem)))
    for fix, edits in placed:  # together they fail: find which fail alone
        alone = apply_text_edits(source, edits, lines)
        problem = verify(source, alone, [_range(edit, lines) for edit in edits]) if verify is not None else None
        if problem is not None:
            rejected.append((fix, problem))
        else:
            return FixOutcome(alone, (fix,), tuple(rejected))
    return FixOutcome(source, (), tuple(rejected))


def _range(edit: Edit, lines: Lines) -> tuple[int, int]:
    start = lines.offset(edit.span.line, edit.span.column)
    end = lines.offset(edit.span.end_line, edit.span.end_column)
    if start is None or end is None or end < start:
        raise Unplaceable(f"edit at {edit.span.line}:{edit.span.column} is outside the file")
    return start, end


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    if a[0] == a[1] or b[0] == b[1]:  # an insertion touches what starts or ends where it is
        return a[0] <= b[1] and b[0] <= a[1]
    return a[0] < b[1] and b[0] < a[1]


def verify_python(before: str, after: str, edited: Sequence[tuple[int, int]]) -> str | None:
    """None when `after` compiles and its syntax tree is `before`'s except where the edits are;
    otherwise why not."""
    from migrator.lint.parsing import Unparsable, parse_python

    try:
        new = parse_python(after, "<fixed>").module
    except Unparsable as error:
        return f"the result would not compile ({error.message} at {error.line}:{error.column})"
    try:
        old = parse_python(before, "<original>").module
    except Unparsable:
        return None  # nothing to keep: the file did not compile before
    difference = _TreeComparison(Lines(before), Lines(after), edited).first_difference(old, new)
    if difference is not None:
        return f"it would change code outside what it fixes (line {difference})"
    return None


class _TreeComparison:
    """Two syntax trees in parallel. A node may differ only where the edits are: its own tokens (a
    name, a value, an operator) changed inside an edited range, or it was deleted with one."""

    def __init__(self, before: Lines, after: Lines, edited: Sequence[tuple[int, int]]) -> None:
        self.before = before
        self.after = after
        self.edited = sorted(edited)

    def first_difference(self, old: ast.AST, new: ast.AST) -> int | None:
        """The line (in `before`) of the first difference outside the edits, or None."""
        return self._compare(old, new, old)

    def _touched(self, node: ast.AST) -> bool:
        span = self._offsets(node)
        return span is not None and any(_overlap(span, edit) for edit in self.edited)

    def _deleted(self, node: ast.AST) -> bool:
        span = self._offsets(node)
        return span is not None and any(start <= span[0] and span[1] <= end for start, end in self.edited)

    def _offsets(self, node: ast.AST) -> tuple[int, int] | None:
        line = getattr(node, "lineno", None)
        if line is None:
            return None
        end_line = getattr(node, "end_lineno", None) or line
        end_column = getattr(node, "end_col_offset", None)
        start = self.before.byte_offset(line, node.col_offset)  # type: ignore[attr-defined]
        end = self.before.byte_offset(end_line, end_column if end_column is not None else node.col_offset)  # type: ignore[attr-defined]
        return start, end

    def _compare(self, old: object, new: object, owner: ast.AST) -> int | None:
        if isinstance(old, ast.AST):
            if type(old) is not type(new):
                return None if self._touched(old if hasattr(old, "lineno") else owner) else _line(old, owner)
            here = old if hasattr(old, "lineno") else owner
            for name in old._fields:
                a, b = getattr(old, name, None), getattr(new, name, None)
                if isinstance(a, (ast.AST, list)):
                    found = self._compare(a, b, here)
                    if found is not None:
                        return found
                elif a != b or type(a) is not type(b):
                    if not self._touched(here):
                        return _line(here, owner)
            return None
        if isinstance(old, list):
            if not isinstance(new, list):
                return _line(owner, owner)
            if len(old) != len(new):
                old = [item for item in old if not (isinstance(item, ast.AST) and self._deleted(item))]
                if len(old) != len(new):
                    return _line(owner, owner)
            for a, b in zip(old, new):
                found = self._compare(a, b, owner)
                if found is not None:
                    return found
            return None
        return None if old == new or self._touched(owner) else _line(owner, owner)


def _line(node: object, owner: ast.AST) -> int:
    return getattr(node, "lineno", None) or getattr(owner, "lineno", 1)


def crontab_verifier(path: str, system: bool) -> Verifier:
    """A crontab fix must leave the file parsing to the same entries, each on its line with its
    schedule, and change no line it does not edit."""

    def verify(before: str, after: str, edited: Sequence[tuple[int, int]]) -> str | None:
        from migrator.errors import InputError
        from migrator.lint.crontab_source import parse_crontab_text

        try:
            old = parse_crontab_text(before, path, system)
        except InputError:
            return None
        try:
            new = parse_crontab_text(after, path, system)
        except InputError as error:
            first = error.diagnostics[0]
            return f"the result would not parse ({first.message} at {first.line}:{first.column})"
        lines = Lines(before, python=False)
        touched = {lines.position(offset)[0] for start, end in edited for offset in (start, end)}
        old_lines, new_lines = before.split("\n"), after.split("\n")
        if len(old_lines) != len(new_lines):
            return "it would add or remove lines"
        for number, (a, b) in enumerate(zip(old_lines, new_lines), start=1):
            if a != b and number not in touched:
                return f"it would change line {number}, which it does not fix"
        if [(e.span.line, e.user, e.schedule) for e in old.entries] != [(e.span.line, e.user, e.schedule) for e in new.entries]:
            return "it would change which lines are jobs or when they run"
        return None

    return verify


def applicable(fix: Fix | None, unsafe: bool) -> bool:
    return fix is not None and (fix.applicability is Applicability.SAFE or unsafe)


def unified_diff(path: str, before: str, after: str) -> str:
    return "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True), after.splitlines(keepends=True), fromfile=f"a/{path.lstrip('/')}", tofile=f"b/{path.lstrip('/')}"
        )
    )
