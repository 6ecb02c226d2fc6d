"""Which setups and teardowns matter for each task of a DAG, worked out once per DAG.

Airflow's rules (`get_upstreams_only_setups`, `_evaluate_teardown_scope`, `_tis_for_dagrun_state`):
- a task (not a teardown) also waits for the setups upstream of it that are not its direct upstreams,
  when they have no teardown or a teardown downstream of the task: a failed or skipped one decides
  the task's state without running it;
- a teardown also waits for every task between its setups and itself;
- the run's state ignores teardown leaves, unless they say `on_failure_fail_dagrun`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from migrator.runner.sdk.dag import DAG


@dataclass(frozen=True)
class SetupTeardownPlan:
    indirect_setups: dict[str, frozenset[str]] = field(default_factory=dict)  # task -> setups it also waits for
    teardown_scope: dict[str, frozenset[str]] = field(default_factory=dict)  # teardown -> tasks it waits for
    state_leaves: tuple[str, ...] = ()  # the tasks whose states decide the run's
    waiters: dict[str, frozenset[str]] = field(default_factory=dict)  # task -> tasks its end may unblock


def _closure(dag: DAG, start: str, upstream: bool) -> set[str]:
    found: set[str] = set()
    stack = [start]
    while stack:
        task = dag.task_dict[stack.pop()]
        for other in (task.upstream_task_ids if upstream else task.downstream_task_ids):
            if other not in found:
                found.add(other)
                stack.append(other)
    return found


def plan(dag: DAG) -> SetupTeardownPlan:
    tasks = dag.task_dict
    leaves = tuple(t.task_id for t in dag.tasks if _state_leaf(dag, t.task_id))
    if not leaves:  # a DAG of teardowns only
        leaves = tuple(t.task_id for t in dag.tasks if not t.downstream_task_ids)
    if not any(t.is_setup or t.is_teardown for t in dag.tasks):
        return SetupTeardownPlan(state_leaves=leaves)
    down = {task_id: _closure(dag, task_id, upstream=False) for task_id in tasks}
    up = {task_id: _closure(dag, task_id, upstream=True) for task_id in tasks}
    indirect: dict[str, frozenset[str]] = {}
    scope: dict[str, frozenset[str]] = {}
    for task_id, task in tasks.items():
        if task.is_teardown:
            setups = [s for s in task.upstream_task_ids if tasks[s].is_setup]
            between = up[task_id] - task.upstream_task_ids
            in_scope = set().union(*(between & down[s] for s in setups)) if setups else set()
            if in_scope:
                scope[task_id] = frozenset(in_scope)
            continue
        downstream_teardowns = {t for t in down[task_id] if tasks[t].is_teardown}
        relevant = set()
        for other in up[task_id]:
            setup = tasks[other]
            if not setup.is_setup:
                continue
            teardowns = {t for t in setup.downstream_task_ids if tasks[t].is_teardown}
            if not teardowns or teardowns & downstream_teardowns:
                relevant.add(other)
        relevant -= task.upstream_task_ids
        if relevant:
            indirect[task_id] = frozenset(relevant)
    waiters: dict[str, set[str]] = {}
    for task_id, waited in [*indirect.items(), *scope.items()]:
        for other in waited:
            waiters.setdefault(other, set()).add(task_id)
    return SetupTeardownPlan(indirect, scope, leaves, {k: frozenset(v) for k, v in waiters.items()})


def _state_leaf(dag: DAG, task_id: str) -> bool:
    def ignorable(other: str) -> bool:
        task = dag.task_dict[other]
        return task.is_teardown and not task.on_failure_fail_dagrun

    task = dag.task_dict[task_id]
    return all(ignorable(down) for down in task.downstream_task_ids) and not ignorable(task_id)
