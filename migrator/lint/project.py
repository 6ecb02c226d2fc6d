"""Facts that span files (for project rules such as duplicate DAG ids) and the unparsable-file model."""

from __future__ import annotations

from dataclasses import dataclass

from migrator.crontab.model import Span


@dataclass(frozen=True)
class DagRef:
    path: str
    dag_id: str
    span: Span
    branch: tuple[tuple[int, int], ...] = ()


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
