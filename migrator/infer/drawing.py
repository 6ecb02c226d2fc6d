"""What `cron2dag graph` draws, from an inferred pipeline or from a DAG file, as Mermaid or DOT.

Both sources become one small model (DAGs of task ids, labelled edges, cross-DAG links), so the
two renderers do not care where a graph came from. DAG files are read by the linter's static
extraction (`migrator.analysis.extract`): never imported, never run.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

from migrator.errors import InputError
from migrator.infer.model import Pipeline


@dataclass(frozen=True)
class DrawnEdge:
    upstream: str
    downstream: str
    label: str | None = None


@dataclass(frozen=True)
class DrawnDag:
    dag_id: str
    schedule: str | None  # shown next to the id: "0 0 * * * UTC"
    tasks: tuple[str, ...]
    edges: tuple[DrawnEdge, ...]


@dataclass(frozen=True)
class DrawnLink:
    upstream_dag: str
    upstream: str
    downstream_dag: str
    downstream: str
    label: str


@dataclass(frozen=True)
class Drawing:
    dags: tuple[DrawnDag, ...]
    links: tuple[DrawnLink, ...] = ()
    notes: tuple[str, ...] = ()
    # links inference is unsure of, drawn dashed: they are not in the generated DAGs
    suggestions: tuple[DrawnLink, ...] = ()


def from_pipeline(pipeline: Pipeline) -> Drawing:
    dags = tuple(
        DrawnDag(
            dag.dag_id,
            f"{dag.schedule} {dag.timezone}",
            tuple(t.task_id for t in dag.tasks),
            tuple(DrawnEdge(e.upstream, e.downstream, f"{e.confidence:.2f}") for e in dag.edges),
        )
        for dag in pipeline.dags
    )
    links = tuple(
        DrawnLink(
            e.upstream_dag,
            e.upstream,
            e.downstream_dag,
            e.downstream,
            f"cross-DAG {e.confidence:.2f}",
        )
        for e in pipeline.cross_dag_edges
    )
    suggestions = tuple(
        DrawnLink(
            s.upstream_dag,
            s.upstream,
            s.downstream_dag,
            s.downstream,
            f"suggested {s.confidence:.2f}",
        )
        for s in pipeline.suggestions
    )
    return Drawing(dags, links, suggestions=suggestions)


def from_dag_file(path: str) -> Drawing:
    """The DAGs a Python file defines, as the linter's static extraction sees them."""
    from migrator.analysis.extract import extract

    try:
        source = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise InputError.at(path, f"cannot read the file: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise InputError.at(path, "the file is not valid UTF-8 text") from None
    try:
        model = extract(path, source)
    except SyntaxError as error:
        raise InputError.at(
            path, f"not valid Python: {error.msg}", error.lineno, error.offset
        ) from None
    except ValueError as error:
        raise InputError.at(path, f"not valid Python: {error}") from None
    if not model.dags:
        raise InputError.at(path, "no DAG found (cron2dag reads DAG files without running them)")
    dags = []
    for dag in model.dags:
        schedule = _literal(dag.argument("schedule")) or _literal(dag.argument("schedule_interval"))
        edges = tuple(
            dict.fromkeys(
                DrawnEdge(e.upstream, e.downstream, "data" if e.kind == "data" else None)
                for e in dag.edges
            )
        )
        dags.append(DrawnDag(dag.dag_id, schedule, tuple(t.task_id for t in dag.tasks), edges))
    links = tuple(
        DrawnLink(
            e.upstream_dag or "", e.upstream, e.downstream_dag or "", e.downstream, str(e.kind)
        )
        for e in model.cross_dag_edges
        if e.upstream_dag and e.downstream_dag
    )
    notes = tuple(f"line {u.span.line}: {u.reason}" for u in model.unresolved)
    return Drawing(tuple(dags), links, notes)


def _literal(node: object) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


# -- Mermaid ------------------------------------------------------------------------------------


def _node(dag_id: str, task_id: str) -> str:
    return re.sub(r"\W", "_", f"{dag_id}__{task_id}")


def _label(text: str) -> str:
    return text.replace('"', "#quot;")


def mermaid(drawing: Drawing) -> str:
    def title(dag: DrawnDag) -> str:
        return f"{dag.dag_id} · {dag.schedule}" if dag.schedule else dag.dag_id

    lines = ["flowchart LR"]
    lines.extend(f"  %% {note}" for note in drawing.notes)
    for dag in drawing.dags:
        if len(dag.tasks) > 1:
            lines.append(f'  subgraph {_node(dag.dag_id, "")[:-2]}["{_label(title(dag))}"]')
            for task in dag.tasks:
                lines.append(f'    {_node(dag.dag_id, task)}["{_label(task)}"]')
            lines.append("  end")
        else:
            for task in dag.tasks:
                lines.append(
                    f'  {_node(dag.dag_id, task)}["{_label(task)}<br/>{_label(title(dag))}"]'
                )
    for dag in drawing.dags:
        for edge in dag.edges:
            label = f"|{_label(edge.label)}|" if edge.label else ""
            lines.append(
                f"  {_node(dag.dag_id, edge.upstream)} -->{label} {_node(dag.dag_id, edge.downstream)}"
            )
    for link in drawing.links:
        lines.append(
            f'  {_node(link.upstream_dag, link.upstream)} == "{_label(link.label)}" ==> '
            f"{_node(link.downstream_dag, link.downstream)}"
        )
    for link in drawing.suggestions:
        lines.append(
            f'  {_node(link.upstream_dag, link.upstream)} -. "{_label(link.label)}" .-> '
            f"{_node(link.downstream_dag, link.downstream)}"
        )
    return "\n".join(lines)


# -- DOT ----------------------------------------------------------------------------------------


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def dot(drawing: Drawing) -> str:
    lines = ["digraph pipeline {", "  rankdir=LR;", "  node [shape=box, fontname=Helvetica];"]
    lines.extend(f"  // {note}" for note in drawing.notes)
    for k, dag in enumerate(drawing.dags):
        lines.append(f"  subgraph cluster_{k} {{")
        title = f"{dag.dag_id} ({dag.schedule})" if dag.schedule else dag.dag_id
        lines.append(f"    label={_quoted(title)};")
        for task in dag.tasks:
            lines.append(f"    {_quoted(f'{dag.dag_id}.{task}')} [label={_quoted(task)}];")
        lines.append("  }")
    for dag in drawing.dags:
        for edge in dag.edges:
            attributes = [f"label={_quoted(edge.label)}"] if edge.label else []
            suffix = f" [{', '.join(attributes)}]" if attributes else ""
            lines.append(
                f"  {_quoted(f'{dag.dag_id}.{edge.upstream}')} -> {_quoted(f'{dag.dag_id}.{edge.downstream}')}"
                f"{suffix};"
            )
    for link in drawing.links:
        lines.append(
            f"  {_quoted(f'{link.upstream_dag}.{link.upstream}')} -> "
            f"{_quoted(f'{link.downstream_dag}.{link.downstream}')}"
            f" [label={_quoted(link.label)}, style=bold];"
        )
    for link in drawing.suggestions:
        lines.append(
            f"  {_quoted(f'{link.upstream_dag}.{link.upstream}')} -> "
            f"{_quoted(f'{link.downstream_dag}.{link.downstream}')}"
            f" [label={_quoted(link.label)}, style=dashed, color=gray50];"
        )
    lines.append("}")
    return "\n".join(lines)
