"""`infer_pipeline`: a parsed crontab in, the Pipeline model (DESIGN.md's `infer` contract) out.

Steps: job records -> overrides resolved against them -> scored links -> user pins and removals ->
acyclic check -> transitive reduction -> one DAG per connected group of one calendar -> ids.
"""

from __future__ import annotations

import heapq
import itertools
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path

import networkx as nx

from migrator.analysis.graph import (
    cycles,
    is_acyclic,
    transitive_reduction,
    weakly_connected_groups,
)
from migrator.collector import collector_paused
from migrator.crontab.model import CronTab, Schedule
from migrator.infer.jobs import Job, build_jobs
from migrator.infer.link import Inference, combine, infer_links
from migrator.infer.model import (
    CrossDagEdge,
    Edge,
    Evidence,
    Pipeline,
    PipelineDag,
    PipelineTask,
    Suggestion,
    Unscheduled,
)
from migrator.infer.overrides import Overrides, Ref, is_identifier, resolve_job
from migrator.infer.scripts import ScriptReader
from migrator.infer.words import VERB_STEMS, identifier, is_noise, split_words, stem


@dataclass
class _Plan:
    """Overrides turned into job indexes."""

    skip: dict[int, str] = field(default_factory=dict)  # index -> where it was asked
    pins: list[tuple[int, int, Ref]] = field(default_factory=list)
    removals: list[tuple[int, int, Ref]] = field(default_factory=list)
    task_ids: dict[int, tuple[str, Ref]] = field(default_factory=dict)
    dag_ids: dict[int, tuple[str, Ref]] = field(default_factory=dict)
    dag_renames: dict[str, tuple[str, Ref]] = field(default_factory=dict)


def infer_pipeline(
    crontab: CronTab,
    overrides: Overrides | None = None,
    *,
    default_timezone: str = "UTC",
    scripts: ScriptReader | None = None,
) -> Pipeline:
    """`scripts`: read the scripts the jobs run for evidence (see `migrator.infer.scripts`)."""
    with collector_paused():
        return _infer(crontab, overrides, default_timezone, scripts)


def _infer(
    crontab: CronTab,
    overrides: Overrides | None,
    default_timezone: str,
    scripts: ScriptReader | None,
) -> Pipeline:
    jobs = build_jobs(crontab.entries, default_timezone, scripts)
    plan = _resolve(overrides, jobs) if overrides else _Plan()
    active = [job for job in jobs if job.index not in plan.skip]
    inference = infer_links(active)
    links = dict(inference.links)
    cross = dict(inference.cross)
    suggested = dict(inference.suggestions)
    diagnostics: list[str] = [message for _, message in inference.notes]
    if scripts is not None:
        diagnostics.extend(scripts.notes)
    for up, down, ref in plan.removals:
        removed = (
            links.pop((up, down), None)
            or cross.pop((up, down), None)
            or suggested.pop((up, down), None)
        )
        if removed is None:
            diagnostics.append(
                f"{overrides.path if overrides else ''}:{ref.line or 1}: {jobs[down].task_id} is not inferred "
                f"to run after {jobs[up].task_id}; nothing to remove"
            )
    for up, down, ref in plan.pins:
        evidence = [Evidence("override", f"pinned in {_where(overrides, ref)}", 1.0, flow=True)]
        # a suggestion the user accepted keeps the reasons it was offered for
        evidence += suggested.pop((up, down), [])
        if _same_calendar(jobs[up], jobs[down]):
            links[(up, down)] = evidence
            cross.pop((up, down), None)
        else:
            cross[(up, down)] = evidence
    graph = nx.DiGraph()
    for job in active:
        if job.timing is not None:
            graph.add_node(job.index)
    for (up, down), evidence in links.items():
        graph.add_edge(up, down, evidence=evidence)
    if not is_acyclic(graph):
        _raise_cycle(graph, plan, jobs, overrides)
    reduced = transitive_reduction(graph)
    task_ids = {job.index: job.task_id for job in jobs}
    for index, (task_id, _) in plan.task_ids.items():
        task_ids[index] = task_id
    _check_unique_task_ids(task_ids, plan, overrides)
    if plan.task_ids:
        reduced = _renamed_in_evidence(
            reduced, {jobs[i].task_id: new for i, (new, _) in plan.task_ids.items()}
        )
        cross = {pair: _rename_details(ev, plan, jobs) for pair, ev in cross.items()}
    dags, dag_of = _build_dags(crontab, jobs, reduced, inference, task_ids, plan, overrides)
    cross_edges = _cross_edges(cross, reduced, dag_of, task_ids, dags)
    if plan.task_ids:
        suggested = {pair: _rename_details(ev, plan, jobs) for pair, ev in suggested.items()}
    suggestions = _suggestions(suggested, graph, cross, dag_of, task_ids, dags)
    unscheduled = []
    for job in jobs:
        if job.index in plan.skip:
            unscheduled.append(
                Unscheduled(job.line, f"skipped by overrides ({plan.skip[job.index]})", job.entry)
            )
        elif job.timing is None:
            unscheduled.append(Unscheduled(job.line, job.unscheduled or "no schedule", job.entry))
    return Pipeline(
        source=crontab.path,
        dags=tuple(dags),
        cross_dag_edges=tuple(cross_edges),
        unscheduled=tuple(unscheduled),
        diagnostics=tuple(diagnostics),
        suggestions=tuple(suggestions),
    )


# -- overrides ----------------------------------------------------------------------------------


def _where(overrides: Overrides | None, ref: Ref) -> str:
    if overrides is None:
        return "overrides"
    return f"{overrides.path}:{ref.line}" if ref.line else overrides.path


def _resolve(overrides: Overrides, jobs: list[Job]) -> _Plan:
    ids = [job.task_id for job in jobs]
    lines = [job.line for job in jobs]
    plan = _Plan()
    for override in overrides.jobs:
        index = resolve_job(overrides, override.ref, ids, lines)
        if override.skip:
            plan.skip[index] = _where(overrides, override.ref)
        if override.task_id:
            plan.task_ids[index] = (override.task_id, override.ref)
        if override.dag_id:
            plan.dag_ids[index] = (override.dag_id, override.ref)
        for ref in override.after:
            up = resolve_job(overrides, ref, ids, lines)
            if up == index:
                raise overrides.error(f"{ids[index]} cannot run after itself", ref)
            plan.pins.append((up, index, ref))
        for ref in override.not_after:
            plan.removals.append((resolve_job(overrides, ref, ids, lines), index, ref))
    for up, down, ref in plan.pins:
        for index in (up, down):
            if index in plan.skip:
                raise overrides.error(
                    f"{ids[index]} is skipped, so no edge can be pinned to it", ref
                )
            if jobs[index].timing is None:
                raise overrides.error(
                    f"{ids[index]} has no schedule ({jobs[index].unscheduled}), "
                    "so no edge can be pinned to it",
                    ref,
                )
    for dag in overrides.dags:
        plan.dag_renames[dag.ref.text] = (dag.dag_id, dag.ref)
    return plan


def _raise_cycle(
    graph: nx.DiGraph, plan: _Plan, jobs: list[Job], overrides: Overrides | None
) -> None:
    loop = cycles(graph)[0]
    names = " >> ".join(jobs[i].task_id for i in loop)
    pinned = {(up, down): ref for up, down, ref in plan.pins}
    for up, down in itertools.pairwise(loop):
        if (up, down) in pinned and overrides is not None:
            raise overrides.error(f"pinned edges make a cycle: {names}", pinned[(up, down)])
    raise AssertionError(f"inference produced a cycle: {names}")  # impossible: edges follow time


def _check_unique_task_ids(
    task_ids: dict[int, str], plan: _Plan, overrides: Overrides | None
) -> None:
    owners: dict[str, int] = {}
    for index, task_id in sorted(task_ids.items()):
        if task_id in owners and overrides is not None:
            ref = plan.task_ids.get(index) or plan.task_ids.get(owners[task_id])
            raise overrides.error(
                f"task id '{task_id}' is already used by another job", ref[1] if ref else None
            )
        owners[task_id] = index


def _rename_details(evidence: list[Evidence], plan: _Plan, jobs: list[Job]) -> list[Evidence]:
    renames = {jobs[i].task_id: new for i, (new, _) in plan.task_ids.items()}
    return [replace(e, detail=_renamed(e.detail, renames)) for e in evidence]


def _renamed_in_evidence(graph: nx.DiGraph, renames: dict[str, str]) -> nx.DiGraph:
    """Evidence texts name tasks by their inferred ids; show the ids the user chose instead."""
    for up, down in graph.edges:
        evidence = graph.edges[up, down].get("evidence", ())
        graph.edges[up, down]["evidence"] = [
            replace(e, detail=_renamed(e.detail, renames)) for e in evidence
        ]
    return graph


def _renamed(text: str, renames: dict[str, str]) -> str:
    pattern = re.compile(r"\b(" + "|".join(re.escape(old) for old in renames) + r")\b")
    return pattern.sub(lambda m: renames[m.group(1)], text)


def _same_calendar(a: Job, b: Job) -> bool:
    return a.timing is not None and b.timing is not None and a.timing.key == b.timing.key


# -- DAGs ---------------------------------------------------------------------------------------


def _build_dags(
    crontab: CronTab,
    jobs: list[Job],
    graph: nx.DiGraph,
    inference: Inference,
    task_ids: dict[int, str],
    plan: _Plan,
    overrides: Overrides | None,
) -> tuple[list[PipelineDag], dict[int, str]]:
    groups = sorted(weakly_connected_groups(graph), key=lambda g: min(jobs[i].line for i in g))
    stem_id = _file_stem(crontab.path)
    multi = [g for g in groups if len(g) > 1]
    names: list[str] = []
    for group in groups:
        if len(group) == 1:
            names.append(task_ids[next(iter(group))])
        elif len(multi) == 1:
            names.append(stem_id)
        else:
            names.append(f"{stem_id}_{_label(group, jobs, task_ids)}")
    names = _unique(names)
    dag_of: dict[int, str] = {}
    dags: list[PipelineDag] = []
    used: dict[str, Ref | None] = {}
    for group, inferred in zip(groups, names):
        dag_id = inferred
        if inferred in plan.dag_renames:
            dag_id, ref = plan.dag_renames[inferred]
        chosen = {plan.dag_ids[i] for i in group if i in plan.dag_ids}
        if len({name for name, _ in chosen}) > 1 and overrides is not None:
            ref = max(chosen, key=lambda c: c[1].line or 0)[1]
            raise overrides.error(
                f"jobs of one DAG ask for different dag_ids: "
                f"{', '.join(sorted(n for n, _ in chosen))}",
                ref,
            )
        ref = None
        if chosen:
            dag_id, ref = next(iter(chosen))
        if dag_id in used and overrides is not None:
            raise overrides.error(
                f"dag_id '{dag_id}' is already used by another DAG", ref or used[dag_id]
            )
        used[dag_id] = ref
        dags.append(_dag(dag_id, group, jobs, graph, inference, task_ids))
        for index in group:
            dag_of[index] = dag_id
    if overrides is not None:
        inferred_names = set(names)
        for name, (_, ref) in plan.dag_renames.items():
            if name not in inferred_names:
                raise overrides.error(
                    f"unknown DAG '{name}'; inferred DAGs: {', '.join(sorted(names)[:8])}", ref
                )
    return dags, dag_of


def _dag(
    dag_id: str,
    group: set[int],
    jobs: list[Job],
    graph: nx.DiGraph,
    inference: Inference,
    task_ids: dict[int, str],
) -> PipelineDag:
    sub = graph.subgraph(group)

    def place(index: int) -> tuple[int, int]:
        return (inference.positions.get(index, 0), jobs[index].line)

    order = _topological(sub, place)
    first = jobs[order[0]]
    assert first.timing is not None
    tasks = []
    for index in order:
        job = jobs[index]
        note = None
        if len(group) == 1:
            note = job.independent or inference.unlinked.get(index)
        tasks.append(
            PipelineTask(task_ids[index], job.entry, timedelta(minutes=_offset(first, job)), note)
        )
    rank = {index: k for k, index in enumerate(order)}
    edges = []
    for up, down in sorted(sub.edges, key=lambda e: (rank[e[0]], rank[e[1]])):
        evidence = tuple(sub.edges[up, down].get("evidence", ()))
        edges.append(Edge(task_ids[up], task_ids[down], combine(evidence), evidence))
    return PipelineDag(
        dag_id=dag_id,
        schedule=_canonical(first.entry.schedule),
        timezone=first.zone,
        tasks=tuple(tasks),
        edges=tuple(edges),
    )


def _topological(graph: nx.DiGraph, key: Callable[[int], tuple[int, int]]) -> list[int]:
    """Kahn's algorithm taking the smallest `key` first: cycle position, then line.

    The same order as `stable_topological_order`, without its per-call overhead, which counts
    when a crontab yields thousands of small DAGs.
    """
    if graph.number_of_nodes() == 1:
        return list(graph.nodes)
    waiting = {node: graph.in_degree(node) for node in graph}
    ready = [(key(node), node) for node, count in waiting.items() if count == 0]
    heapq.heapify(ready)
    order: list[int] = []
    while ready:
        _, node = heapq.heappop(ready)
        order.append(node)
        for successor in graph.successors(node):
            waiting[successor] -= 1
            if waiting[successor] == 0:
                heapq.heappush(ready, (key(successor), successor))
    assert len(order) == graph.number_of_nodes(), "inferred DAG has a cycle"
    return order


def _offset(first: Job, job: Job) -> int:
    a, b = first.timing, job.timing
    assert a is not None and b is not None
    if a.key != b.key:
        return 0
    return (b.anchor - a.anchor) % a.period


def _canonical(schedule: Schedule) -> str:
    try:
        from migrator.crontab.schedule import canonical
    except ImportError:  # pragma: no cover - until the schedule module lands
        return schedule.text
    return canonical(schedule)


def crontab_stem(path: str) -> str:
    """A crontab's file name as an identifier: `etl.crontab` -> `etl` (the one DAG's id)."""
    return _file_stem(path)


def _file_stem(path: str) -> str:
    name = Path(path).name
    for suffix in (".crontab", ".cron", ".txt", ".tab", ".conf"):
        if name.endswith(suffix) and len(name) > len(suffix):
            name = name[: -len(suffix)]
            break
    return identifier(name, fallback="crontab")


def _label(group: set[int], jobs: list[Job], task_ids: dict[int, str]) -> str:
    """The word most of the DAG's task names share (`sales`), else its first task's id."""
    counts: dict[str, int] = defaultdict(int)
    shown: dict[str, str] = {}
    for index in group:
        for word in dict.fromkeys(split_words(task_ids[index])):
            if is_noise(word) or stem(word) in VERB_STEMS:
                continue
            counts[stem(word)] += 1
            shown.setdefault(stem(word), word)
    if counts:
        best = max(counts.items(), key=lambda item: (item[1], -len(item[0]), item[0]))
        if best[1] >= 2:
            return shown[best[0]]
    first = min(group, key=lambda i: jobs[i].line)
    return task_ids[first]


def _unique(names: list[str]) -> list[str]:
    out: list[str] = []
    seen: dict[str, int] = {}
    for name in names:
        if name in seen:
            seen[name] += 1
            candidate = f"{name}_{seen[name]}"
            while candidate in seen:
                seen[name] += 1
                candidate = f"{name}_{seen[name]}"
            name = candidate
        seen.setdefault(name, 1)
        out.append(name)
    return out


# -- cross-DAG edges ----------------------------------------------------------------------------


def _cross_edges(
    cross: dict[tuple[int, int], list[Evidence]],
    graph: nx.DiGraph,
    dag_of: dict[int, str],
    task_ids: dict[int, str],
    dags: list[PipelineDag],
) -> list[CrossDagEdge]:
    """Cross-DAG links, minus those implied by another link plus edges inside either DAG."""
    pairs = [
        (up, down)
        for up, down in cross
        if up in dag_of and down in dag_of and dag_of[up] != dag_of[down]
    ]
    keep = []
    pair_set = set(pairs)
    for up, down in pairs:
        implied = any(
            (other_up, other_down) != (up, down)
            and (other_up == up or nx.has_path(graph, up, other_up))
            and (other_down == down or nx.has_path(graph, other_down, down))
            for other_up, other_down in pair_set
            if dag_of[other_up] == dag_of[up] and dag_of[other_down] == dag_of[down]
        )
        if not implied:
            keep.append((up, down))
    dag_rank = {dag.dag_id: k for k, dag in enumerate(dags)}
    keep.sort(
        key=lambda p: (
            dag_rank[dag_of[p[0]]],
            dag_rank[dag_of[p[1]]],
            task_ids[p[0]],
            task_ids[p[1]],
        )
    )
    return [
        CrossDagEdge(
            dag_of[up],
            task_ids[up],
            dag_of[down],
            task_ids[down],
            combine(cross[(up, down)]),
            tuple(cross[(up, down)]),
        )
        for up, down in keep
    ]


# -- suggestions --------------------------------------------------------------------------------

SUGGESTIONS_PER_JOB = 2


def _suggestions(
    suggested: dict[tuple[int, int], list[Evidence]],
    graph: nx.DiGraph,
    cross: dict[tuple[int, int], list[Evidence]],
    dag_of: dict[int, str],
    task_ids: dict[int, str],
    dags: list[PipelineDag],
) -> list[Suggestion]:
    """Weak links worth showing: both jobs are in DAGs and no applied edge already orders them."""
    dag_rank = {dag.dag_id: k for k, dag in enumerate(dags)}
    found = []
    for (up, down), evidence in suggested.items():
        if up not in dag_of or down not in dag_of or (up, down) in cross:
            continue
        if up in graph and down in graph and nx.has_path(graph, up, down):
            continue
        found.append(
            Suggestion(
                dag_of[up],
                task_ids[up],
                dag_of[down],
                task_ids[down],
                combine(evidence),
                tuple(evidence),
            )
        )
    # a few per job, the strongest: a long list of guesses is read by nobody
    per_job: dict[str, list[Suggestion]] = defaultdict(list)
    for suggestion in sorted(found, key=lambda s: -s.confidence):
        key = f"{suggestion.downstream_dag}.{suggestion.downstream}"
        if len(per_job[key]) < SUGGESTIONS_PER_JOB:
            per_job[key].append(suggestion)
    kept = [s for group in per_job.values() for s in group]
    kept.sort(
        key=lambda s: (
            dag_rank[s.downstream_dag],
            s.downstream,
            dag_rank[s.upstream_dag],
            s.upstream,
        )
    )
    return kept


__all__ = ["infer_pipeline", "is_identifier"]
