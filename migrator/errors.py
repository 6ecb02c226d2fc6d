"""Errors that reach the user.

Domain code raises these with a position; the CLI prints them as `path:line:col: message` and exits 2.
Anything else that escapes is a bug in cron2dag, not in the user's input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable


@dataclass(frozen=True)
class Diagnostic:
    """One problem at one place in one input. `line`/`column` are 1-based; None for a whole file."""

    path: str
    message: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        path, message = visible(self.path), visible(self.message)
        if self.line is None:
            return f"{path}: {message}"
        return f"{path}:{self.line}:{self.column or 1}: {message}"

    def to_json(self) -> dict[str, object]:
        return {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "message": self.message,
        }


# what a terminal would act on (return, escape sequences, line breaks of other systems) rather than
# show; a message quotes the user's input, which may hold any of them
_HIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f\x85\u2028\u2029]")


def visible(text: str) -> str:
    """`text` with control characters written as escapes (`\\r`, `\\x1b`); newlines and tabs kept."""
    return _HIDDEN.sub(lambda m: repr(m.group())[1:-1], text)


class Cron2DagError(Exception):
    """Base of every error cron2dag reports to the user instead of a traceback."""

    exit_code = 2

    def render(self) -> str:
        return str(self)


class InputError(Cron2DagError):
    """The user's input is wrong: one or more positioned diagnostics, all reported at once."""

    def __init__(self, diagnostics: Iterable[Diagnostic]):
        self.diagnostics: tuple[Diagnostic, ...] = tuple(diagnostics)
        if not self.diagnostics:
            raise ValueError("InputError needs at least one diagnostic")
        super().__init__("\n".join(str(d) for d in self.diagnostics))

    @classmethod
    def at(
        cls, path: str, message: str, line: int | None = None, column: int | None = None
    ) -> "InputError":
        return cls([Diagnostic(path, message, line, column)])


class UsageError(Cron2DagError):
    """A request that cannot be carried out as given (bad option combination, unknown id, ...)."""


class RunFailed(Cron2DagError):
    """A DAG run or backfill ended with failures: exit code 1, the details were already printed."""

    exit_code = 1
