"""What a rule reports: findings, their severity, and the fixes they may carry.

A Python fix is a declarative change (`CstChange`) applied with libcst by `migrator.lint.fixes`;
its text `edits` are derived from that when an output format needs them. A crontab fix is plain text
edits. Findings serialise to the `lint --format json` contract of DESIGN.md (and back, for the cache).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from migrator.compat import StrEnum
from migrator.frozen import build
from migrator.positions import Span, new_span


class Severity(StrEnum):
    ERROR = "error"  # the DAG is broken or will fail (cycle, syntax error, duplicate id)
    WARNING = "warning"  # it works, but is unsafe (backfills, parse cost, operations)


class FixAvailability(StrEnum):
    NONE = "none"
    SOMETIMES = "sometimes"
    ALWAYS = "always"


class Applicability(StrEnum):
    SAFE = "safe"  # applied by --fix
    UNSAFE = "unsafe"  # may change behaviour: applied only with --unsafe-fixes


@dataclass(frozen=True)
class Edit:
    """Replace the text in `span` (end exclusive) by `content`."""

    span: Span
    content: str

    def to_json(self) -> dict[str, Any]:
        return {
            "line": self.span.line,
            "column": self.span.column,
            "end_line": self.span.end_line,
            "end_column": self.span.end_column,
            "content": self.content,
        }


@dataclass(frozen=True)
class CstChange:
    """One libcst edit of a Python file, found by the position of the node it changes.

    kind: "rename-keyword" (an `Arg` keyword at `span` becomes `value`), "replace-module" (the module
    of the `from ... import` at `span` becomes `value`), "replace-string" (the string literal at `span`
    becomes the literal `value`, quotes and prefix included).
    """

    kind: str
    span: Span
    value: str

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "line": self.span.line, "column": self.span.column,
                "end_line": self.span.end_line, "end_column": self.span.end_column, "value": self.value}


@dataclass(frozen=True)
class Fix:
    description: str
    applicability: Applicability = Applicability.SAFE
    # factories, not class-level defaults, so that a fix from the cache can decode these on first use
    # (`__getattr__` is asked only for what neither the instance nor the class has)
    edits: tuple[Edit, ...] = field(default_factory=tuple)
    changes: tuple[CstChange, ...] = field(default_factory=tuple)

    def __getattr__(self, name: str) -> Any:
        cached = self.__dict__.get("_cached") if name in ("edits", "changes") else None
        if cached is None:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        edits, changes = cached
        self.__dict__.update({
            "edits": tuple([_edit(*edit) for edit in edits]),
            "changes": tuple([_change(*change) for change in changes]),
        })
        del self.__dict__["_cached"]
        return self.__dict__[name]

    def to_json(self) -> dict[str, Any]:
        return {"description": self.description, "edits": [e.to_json() for e in self.edits]}

    def to_cache(self) -> list[Any]:
        # lists, not dicts: a warm run parses every entry, and keys cost a third of that
        return [
            self.description, str(self.applicability),
            [[e.span.line, e.span.column, e.span.end_line, e.span.end_column, e.content] for e in self.edits],
            [[c.kind, c.span.line, c.span.column, c.span.end_line, c.span.end_column, c.value] for c in self.changes],
        ]

    @classmethod
    def from_cache(cls, data: list[Any]) -> Fix:
        """Rebuilt as `Finding.from_cache` is, without the frozen `__init__`s. Its edits and changes
        are decoded when first read: a warm text run shows only the description."""
        description, applicability, edits, changes = data
        # checked now, as decoding them later cannot fall back to linting the file again
        for edit in edits:
            if len(edit) != 5:
                raise ValueError("a cached edit is not what this version writes")
        for change in changes:
            if len(change) != 6:
                raise ValueError("a cached change is not what this version writes")
        fix: Fix = build(cls, description=description, applicability=_APPLICABILITIES[applicability], _cached=(edits, changes))
        return fix


@dataclass(frozen=True)
class Violation:
    """What a rule yields: where and what; the engine adds path, code, name and severity."""

    span: Span
    message: str
    fix: Fix | None = None


@dataclass(frozen=True)
class Finding:
    path: str
    span: Span
    code: str
    name: str
    message: str
    severity: Severity
    fix: Fix | None = field(default=None, compare=False)

    @property
    def line(self) -> int:
        return self.span.line

    @property
    def column(self) -> int:
        return self.span.column

    def sort_key(self) -> tuple[str, int, int, str, int, int, str]:
        # findings are collected in sets: ties (one call creating several tasks) need a full order
        span = self.span
        return (self.path, span.line, span.column, self.code, span.end_line, span.end_column, self.message)

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "line": self.span.line,
            "column": self.span.column,
            "end_line": self.span.end_line,
            "end_column": self.span.end_column,
            "code": self.code,
            "name": self.name,
            "message": self.message,
            "severity": str(self.severity),
            "fix": self.fix.to_json() if self.fix else None,
        }

    def to_cache(self) -> list[Any]:
        s = self.span
        return [s.line, s.column, s.end_line, s.end_column, self.code, self.name, self.message,
                str(self.severity), self.fix.to_cache() if self.fix else None]

    @classmethod
    def from_cache(cls, path: str, data: list[Any]) -> Finding:
        """Rebuilt without the frozen dataclasses' `__init__`s (one `object.__setattr__` per field):
        a warm run makes thousands of these and does little else."""
        line, column, end_line, end_column, code, name, message, severity, fix = data
        finding: Finding = build(
            cls, path=path, span=new_span(line, column, end_line, end_column), code=code, name=name,
            message=message, severity=_SEVERITIES[severity], fix=Fix.from_cache(fix) if fix else None,
        )
        return finding


_SEVERITIES = {str(severity): severity for severity in Severity}
_APPLICABILITIES = {str(applicability): applicability for applicability in Applicability}


def _edit(line: int, column: int, end_line: int, end_column: int, content: str) -> Edit:
    edit: Edit = build(Edit, span=new_span(line, column, end_line, end_column), content=content)
    return edit


def _change(kind: str, line: int, column: int, end_line: int, end_column: int, value: str) -> CstChange:
    change: CstChange = build(CstChange, kind=kind, span=new_span(line, column, end_line, end_column), value=value)
    return change
