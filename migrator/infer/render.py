"""The inferred pipeline as a readable plan, as Mermaid and as Graphviz DOT."""

from __future__ import annotations

import json
from datetime import timedelta

from migrator.infer.drawing import dot, from_pipeline, mermaid
from migrator.infer.link import REVIEW
from migrator.infer.model import Edge, Evidence, Pipeline, PipelineDag


def render_json(pipeline: Pipeline) -> str:
    return json.dumps(pipeline.to_json(), indent=2)


def _offset(offset: timedelta) -> str:
    minutes = int(offset.total_seconds() // 60)
    days, rest = divmod(minutes, 1440)
    text = f"+{rest // 60:02d}:{rest % 60:02d}"
    return f"+{days}d{text[1:]}" if days else text


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def _confidence(edge_confidence: float) -> str:
    text = f"{edge_confidence:.2f}"
    return f"{text}, REVIEW: low confidence" if edge_confidence < REVIEW else text


def render_text(pipeline: Pipeline) -> str:
    pipelines = [d for d in pipeline.dags if len(d.tasks) > 1]
    lone = [d for d in pipeline.dags if len(d.tasks) == 1]
    jobs = sum(len(d.tasks) for d in pipeline.dags) + len(pipeline.unscheduled)
    review = sum(1 for d in pipeline.dags for e in d.edges if e.confidence < REVIEW) + sum(
        1 for e in pipeline.cross_dag_edges if e.confidence < REVIEW
    )
    lines = [
        f"{pipeline.source}: {_plural(jobs, 'cron entry').replace('entrys', 'entries')} -> "
        f"{_plural(len(pipelines), 'pipeline DAG')}, {_plural(len(lone), 'single-task DAG')}, "
        f"{_plural(len(pipeline.cross_dag_edges), 'cross-DAG link')}, {len(pipeline.unscheduled)} unscheduled"
        + (f"; {_plural(review, 'edge')} to review" if review else "")
        + (f"; {_plural(len(pipeline.suggestions), 'suggestion')}" if pipeline.suggestions else ""),
    ]
    for dag in pipelines:
        lines.append("")
        lines.extend(_dag_text(dag))
    if pipeline.cross_dag_edges:
        lines.append("")
        lines.append("Cross-DAG links (different calendars; generated as an Asset or sensor):")
        for edge in pipeline.cross_dag_edges:
            lines.append(
                f"  {edge.upstream_dag}.{edge.upstream} >> {edge.downstream_dag}.{edge.downstream}"
                f"  ({_confidence(edge.confidence)})"
            )
            lines.extend(f"      - {_evidence(e)}" for e in edge.evidence)
    if pipeline.suggestions:
        lines.append("")
        lines.append(
            "Suggestions (not applied: jobs stay independent, as cron ran them; accept one with "
            "`after = [...]` in an overrides file):"
        )
        for suggestion in pipeline.suggestions:
            lines.append(
                f"  {_qualified(suggestion.upstream_dag, suggestion.upstream)} >> "
                f"{_qualified(suggestion.downstream_dag, suggestion.downstream)}"
                f"  ({suggestion.confidence:.2f})"
            )
            lines.extend(f"      - {_evidence(e)}" for e in suggestion.evidence)
    if lone:
        lines.append("")
        lines.append("Left independent (one DAG each):")
        for dag in lone:
            task = dag.tasks[0]
            linked = any(
                (e.upstream_dag == dag.dag_id or e.downstream_dag == dag.dag_id)
                for e in pipeline.cross_dag_edges
            )
            reason = task.note or "no evidence"
            if linked:
                reason = "linked to other DAGs only (see above)"
            lines.append(
                f"  {task.task_id} (line {task.entry.line}, {dag.schedule} {dag.timezone}): {reason}"
            )
    if pipeline.unscheduled:
        lines.append("")
        lines.append("Unscheduled (not part of any DAG):")
        for item in pipeline.unscheduled:
            lines.append(f"  line {item.line}: {item.reason}")
    if pipeline.diagnostics:
        lines.append("")
        lines.append("Notes:")
        lines.extend(f"  {d}" for d in pipeline.diagnostics)
    return "\n".join(lines)


def _dag_text(dag: PipelineDag) -> list[str]:
    lines = [
        f"DAG {dag.dag_id}: schedule {dag.schedule!r} ({dag.timezone}), {_plural(len(dag.tasks), 'task')}"
    ]
    lines.append("  tasks, in order (offset after the DAG's first fire):")
    width = max(len(t.task_id) for t in dag.tasks)
    for task in dag.tasks:
        shown = task.shown_command
        command = shown if len(shown) <= 70 else shown[:67] + "..."
        lines.append(
            f"    {_offset(task.offset)}  {task.task_id:<{width}}  line {task.entry.line:<4} {command}"
        )
    lines.append("  edges:")
    for edge in dag.edges:
        lines.extend(_edge_text(edge))
    return lines


def _edge_text(edge: Edge) -> list[str]:
    out = [f"    {edge.upstream} >> {edge.downstream}  ({_confidence(edge.confidence)})"]
    out.extend(f"      - {_evidence(e)}" for e in edge.evidence)
    return out


def _evidence(evidence: Evidence) -> str:
    # the detail cites the script lines it comes from; a source it does not cite is added
    where = (
        f" ({evidence.source})"
        if evidence.source and evidence.source not in evidence.detail
        else ""
    )
    return f"{evidence.kind}: {evidence.detail}{where}"


def _qualified(dag_id: str, task_id: str) -> str:
    """`task` when the DAG is the task's own one-task DAG, else `dag.task`."""
    return task_id if dag_id == task_id else f"{dag_id}.{task_id}"


# -- drawings -----------------------------------------------------------------------------------


def render_mermaid(pipeline: Pipeline) -> str:
    return mermaid(from_pipeline(pipeline))


def render_dot(pipeline: Pipeline) -> str:
    return dot(from_pipeline(pipeline))
