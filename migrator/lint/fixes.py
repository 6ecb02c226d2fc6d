"""Applying fixes: libcst for Python (STYLE.md, "In this project" 8), plain text edits for crontabs.

A Python fix is a list of `CstChange`s that find their node by position and return
`updated_node.with_changes(...)`, so every byte the fix does not touch stays as it was. The text
`edits` that `--format json`/`sarif` show are derived by applying one fix alone and comparing.
"""

from __future__ import annotations

import difflib
from typing import Iterable, Sequence

from migrator.crontab.model import Span
from migrator.lint.finding import Applicability, CstChange, Edit, Finding, Fix


class FixConflict(Exception):
    """A change could not find its node (the file changed, or the node is not a plain literal)."""


def apply_cst_changes(source: str, changes: Sequence[CstChange]) -> str:
    import libcst as cst
    from libcst.metadata import MetadataWrapper, PositionProvider

    pending = {(c.kind, c.span.line, c.span.column - 1): c for c in changes}
    applied: set[tuple[str, int, int]] = set()

    class Transformer(cst.CSTTransformer):
        METADATA_DEPENDENCIES = (PositionProvider,)

        def _change(self, kind: str, node: cst.CSTNode) -> CstChange | None:
            start = self.get_metadata(PositionProvider, node).start
            key = (kind, start.line, start.column)
            change = pending.get(key)
            if change is not None:
                applied.add(key)
            return change

        def leave_Arg(self, original_node: cst.Arg, updated_node: cst.Arg) -> cst.Arg:
            change = self._change("rename-keyword", original_node)
            if change is None or updated_node.keyword is None:
                return updated_node
            return updated_node.with_changes(keyword=updated_node.keyword.with_changes(value=change.value))

        def leave_ImportFrom(self, original_node: cst.ImportFrom, updated_node: cst.ImportFrom) -> cst.ImportFrom:
            change = self._change("replace-module", original_node)
            if change is None:
                return updated_node
            module = cst.parse_expression(change.value)
            assert isinstance(module, (cst.Attribute, cst.Name))
            return updated_node.with_changes(module=module)

        def leave_SimpleString(self, original_node: cst.SimpleString, updated_node: cst.SimpleString) -> cst.SimpleString:
            change = self._change("replace-string", original_node)
            if change is None:
                return updated_node
            end = self.get_metadata(PositionProvider, original_node).end
            if (end.line, end.column + 1) != (change.span.end_line, change.span.end_column):
                applied.discard(("replace-string", change.span.line, change.span.column - 1))
                return updated_node
            return updated_node.with_changes(value=change.value)

    module = cst.parse_module(source)
    fixed = MetadataWrapper(module, unsafe_skip_copy=True).visit(Transformer())
    missing = set(pending) - applied
    if missing:
        raise FixConflict(f"{len(missing)} change(s) found no node")
    return fixed.code


def apply_text_edits(source: str, edits: Iterable[Edit]) -> str:
    lines = source.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))

    def offset(line: int, column: int) -> int:
        return offsets[line - 1] + column - 1

    result = source
    for edit in sorted(edits, key=lambda e: (e.span.line, e.span.column), reverse=True):
        start = offset(edit.span.line, edit.span.column)
        end = offset(edit.span.end_line, edit.span.end_column)
        result = result[:start] + edit.content + result[end:]
    return result


def apply_fixes(source: str, fixes: Sequence[Fix]) -> str:
    """All fixes at once; fixes whose changes overlap another's are skipped."""
    changes: list[CstChange] = []
    edits: list[Edit] = []
    taken: list[Span] = []
    for fix in fixes:
        spans = [c.span for c in fix.changes] + [e.span for e in fix.edits]
        if any(_overlap(a, b) for a in spans for b in taken):
            continue
        taken.extend(spans)
        changes.extend(fix.changes)
        edits.extend(fix.edits)
    if changes:
        source = apply_cst_changes(source, changes)
    if edits:
        source = apply_text_edits(source, edits)
    return source


def _overlap(a: Span, b: Span) -> bool:
    return (a.line, a.column) < (b.end_line, b.end_column) and (b.line, b.column) < (a.end_line, a.end_column)


def edits_of(source: str, fix: Fix) -> tuple[Edit, ...]:
    """The text edits of one fix: what `--format json` shows."""
    if fix.edits or not fix.changes:
        return fix.edits
    try:
        fixed = apply_cst_changes(source, fix.changes)
    except Exception:
        return ()
    start = 0
    limit = min(len(source), len(fixed))
    while start < limit and source[start] == fixed[start]:
        start += 1
    end_old, end_new = len(source), len(fixed)
    while end_old > start and end_new > start and source[end_old - 1] == fixed[end_new - 1]:
        end_old -= 1
        end_new -= 1
    return (Edit(Span(*_position(source, start), *_position(source, end_old)), fixed[start:end_new]),)


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


def with_edits(findings: list[Finding], read: "callable[[str], str | None]") -> list[Finding]:
    """Findings whose Python fixes carry their text edits (computed once per file)."""
    from dataclasses import replace

    sources: dict[str, str | None] = {}
    result: list[Finding] = []
    for finding in findings:
        fix = finding.fix
        if fix is not None and fix.changes and not fix.edits:
            if finding.path not in sources:
                sources[finding.path] = read(finding.path)
            source = sources[finding.path]
            if source is not None:
                fix = replace(fix, edits=edits_of(source, fix))
                finding = replace(finding, fix=fix)
        result.append(finding)
    return result


def applicable(fix: Fix | None, unsafe: bool) -> bool:
    return fix is not None and (fix.applicability is Applicability.SAFE or unsafe)


def unified_diff(path: str, before: str, after: str) -> str:
    return "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True), after.splitlines(keepends=True), fromfile=f"a/{path.lstrip('/')}", tofile=f"b/{path.lstrip('/')}"
        )
    )
