"""Facts that span files (for project rules such as duplicate DAG ids) and the unparsable-file model."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from migrator.frozen import build
from migrator.positions import Span, new_span


@dataclass(frozen=True)
class DagRef:
    path: str
    dag_id: str
    span: Span
    branch: tuple[tuple[int, int], ...] = ()

    def to_cache(self) -> list[Any]:
        s = self.span
        return [self.dag_id, s.line, s.column, s.end_line, s.end_column, [list(b) for b in self.branch]]

    @classmethod
    def from_cache(cls, path: str, data: list[Any]) -> DagRef:
        """Rebuilt without the frozen `__init__`s, as findings are (`Finding.from_cache`)."""
        dag_id, line, column, end_line, end_column, branch = data
        ref: DagRef = build(
            cls, path=path, dag_id=dag_id, span=new_span(line, column, end_line, end_column),
            branch=tuple([tuple(b) for b in branch]),
        )
        return ref


@dataclass(frozen=True)
class ProjectModel:
    """Every DAG id defined by the files linted in one run, in path order.

    Project rules yield `(path, Violation)` pairs, since their findings belong to different files.
    """

    dags: tuple[DagRef, ...]


@dataclass(frozen=True)
class ParseFailure:
    """A file that could not be parsed: the model the syntax rule receives."""

    path: str
    message: str
    span: Span
