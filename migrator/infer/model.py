"""The pipeline model: inferred DAGs, the edges between their tasks, and why each edge exists.

`Pipeline.to_json()` is the `infer --format json` contract of DESIGN.md; codegen reads this model.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from migrator.crontab.model import CronEntry
from migrator.crontab.secrets import masked_command


@dataclass(frozen=True, slots=True)
class Evidence:
    """One reason for (positive weight) or against (negative weight) an edge."""

    kind: (
        str  # "time-offset", "path", "name", "comment", "lock", "stage", "script", "override", ...
    )
    detail: str
    weight: float = 0.0
    # True when it shows data or state flowing from one job to the other (a file written then
    # read, a lock handed on, a comment saying so, a pin): only such evidence makes an edge;
    # time proximity and shared words make suggestions
    flow: bool = False
    source: str | None = None  # `script:LINE` when the evidence was read from a script
    # one word two job names share: the words of one name go together, so together they are one
    # reason (see link.combine)
    shared_word: bool = False

    def to_json(self) -> dict[str, Any]:
        out = {"kind": self.kind, "detail": self.detail}
        if self.source is not None:
            out["source"] = self.source
        return out


@dataclass(frozen=True)
class Edge:
    upstream: str
    downstream: str
    confidence: float
    evidence: tuple[Evidence, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "upstream": self.upstream,
            "downstream": self.downstream,
            "confidence": round(self.confidence, 2),
            "evidence": [e.to_json() for e in self.evidence],
        }


@dataclass(frozen=True)
class PipelineTask:
    task_id: str
    entry: CronEntry
    # how long after the DAG's first fire time cron started this job in the same cycle
    offset: timedelta = timedelta(0)
    # why inference left the job without edges (housekeeping, no evidence, ...); not part of the JSON
    note: str | None = None

    @property
    def shown_command(self) -> str:
        """The command as reports show it: a password written in it is masked."""
        return masked_command(self.entry.command)

    def to_json(self) -> dict[str, Any]:
        return {
            "task_id": self.task_id,
            "line": self.entry.line,
            "command": self.shown_command,
            "schedule": self.entry.schedule.text,
            "user": self.entry.user,
        }


@dataclass(frozen=True)
class PipelineDag:
    dag_id: str
    schedule: str  # canonical cron expression of the DAG's first task (its calendar)
    timezone: str  # IANA name
    tasks: tuple[PipelineTask, ...]  # topological order, ties by offset then line
    edges: tuple[Edge, ...]  # a transitive reduction

    def task(self, task_id: str) -> PipelineTask:
        for task in self.tasks:
            if task.task_id == task_id:
                return task
        raise KeyError(task_id)

    def to_json(self) -> dict[str, Any]:
        return {
            "dag_id": self.dag_id,
            "schedule": self.schedule,
            "timezone": self.timezone,
            "tasks": [t.to_json() for t in self.tasks],
            "edges": [e.to_json() for e in self.edges],
        }


@dataclass(frozen=True)
class DagLink:
    """A link from a task of one DAG to a task of another (or of the same) DAG."""

    upstream_dag: str
    upstream: str
    downstream_dag: str
    downstream: str
    confidence: float
    evidence: tuple[Evidence, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "upstream_dag": self.upstream_dag,
            "upstream": self.upstream,
            "downstream_dag": self.downstream_dag,
            "downstream": self.downstream,
            "confidence": round(self.confidence, 2),
            "evidence": [e.to_json() for e in self.evidence],
        }


@dataclass(frozen=True)
class CrossDagEdge(DagLink):
    """An applied link between DAGs of different calendars (an Asset or sensor in the code)."""


@dataclass(frozen=True)
class Suggestion(DagLink):
    """A link inference is unsure of (shared words, time proximity): shown, never applied.

    `migrate` ignores it unless the overrides file pins it (`after = [...]`).
    """


@dataclass(frozen=True)
class Unscheduled:
    line: int
    reason: str
    entry: CronEntry | None = None

    def to_json(self) -> dict[str, Any]:
        return {"line": self.line, "reason": self.reason}


@dataclass(frozen=True)
class Pipeline:
    source: str
    dags: tuple[PipelineDag, ...]
    cross_dag_edges: tuple[CrossDagEdge, ...]
    unscheduled: tuple[Unscheduled, ...]
    diagnostics: tuple[str, ...] = ()
    suggestions: tuple[Suggestion, ...] = ()

    def with_dag_ids(self, renames: dict[str, str]) -> Pipeline:
        """The same pipeline with DAGs renamed (`old id -> new id`), links and suggestions too."""
        if not renames:
            return self

        def new(dag_id: str) -> str:
            return renames.get(dag_id, dag_id)

        return replace(
            self,
            dags=tuple(replace(d, dag_id=new(d.dag_id)) for d in self.dags),
            cross_dag_edges=tuple(
                replace(e, upstream_dag=new(e.upstream_dag), downstream_dag=new(e.downstream_dag))
                for e in self.cross_dag_edges
            ),
            suggestions=tuple(
                replace(s, upstream_dag=new(s.upstream_dag), downstream_dag=new(s.downstream_dag))
                for s in self.suggestions
            ),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "dags": [d.to_json() for d in self.dags],
            "cross_dag_edges": [e.to_json() for e in self.cross_dag_edges],
            "suggestions": [s.to_json() for s in self.suggestions],
            "unscheduled": [u.to_json() for u in self.unscheduled],
            "diagnostics": list(self.diagnostics),
        }
