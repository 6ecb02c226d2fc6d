"""The scheduler loop: decide, claim, launch, record, for any number of DAG runs at once.

Per run it keeps the task instances in memory (mirroring the store) and re-evaluates only the tasks
whose upstreams changed. Decisions come from `trigger_rules.evaluate` (one pure function); the final
state of a run from its leaves, as `DagRun.update_state` does. Every state change is written to the
store before it is acted upon, so a runner killed at any instant can be replaced by another one: tasks
recorded as done stay done; attempts in flight are found (their runner is gone), their processes
killed, and they run again without using up a retry.
"""

from __future__ import annotations

import copy
import datetime
import heapq
import logging
import os
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from migrator.runner import attempts as att
from migrator.runner.context import DagRunView, RuntimeTaskInstance, build_context
from migrator.runner.executor import Executor, TaskProcess, kill_orphan
from migrator.runner.logs import TaskLog, log_path
from migrator.runner.mapping import expansion_length, initial_instances
from migrator.runner.sdk.asset_events import emitted_events
from migrator.runner.sdk.mapped import closest_mapped_group, expansion_dependencies, is_mapped, needs_expansion
from migrator.runner.retries import retry_delay
from migrator.runner.sdk.params import process_params
from migrator.runner.states import (
    CLAIMED_STATES,
    FAILED_STATES,
    FINISHED,
    SUCCESS_STATES,
    DagRunState,
    TaskInstanceState,
)
from migrator.runner.store import AssetEventRow, RunRow, Store, TIKey, TIRow
from migrator.runner.setup_teardown_plan import SetupTeardownPlan
from migrator.runner.setup_teardown_plan import plan as setup_teardown_plan
from migrator.runner.trigger_rules import Decision, TriggerRule, UpstreamCounts, evaluate, evaluate_setups
from migrator.runner.watchdog import Watchdog

if TYPE_CHECKING:
    from migrator.runner.sdk.baseoperator import BaseOperator
    from migrator.runner.sdk.dag import DAG

TIS = TaskInstanceState
# Rules a subset of upstreams can satisfy: an unexpanded instance waits for every upstream instance.
FAST_TRIGGERED = frozenset({TriggerRule.ONE_SUCCESS, TriggerRule.ONE_FAILED, TriggerRule.ONE_DONE,
                            TriggerRule.NONE_FAILED_MIN_ONE_SUCCESS})
RECOVERY_INTERVAL = 1.0
FOREIGN_POLL_INTERVAL = 0.05


class Observer(Protocol):
    def run_started(self, run: RunProgress) -> None: ...
    def task_changed(self, run: RunProgress, key: TIKey, ti: TIRow) -> None: ...
    def run_finished(self, run: RunProgress) -> None: ...
    def tick(self) -> None: ...


class NullObserver:
    def run_started(self, run: RunProgress) -> None:
        pass

    def task_changed(self, run: RunProgress, key: TIKey, ti: TIRow) -> None:
        pass

    def run_finished(self, run: RunProgress) -> None:
        pass

    def tick(self) -> None:
        pass


@dataclass
class RunProgress:
    """One DAG run as the scheduler works on it."""

    row: RunRow
    dag: DAG
    tis: dict[TIKey, TIRow] = field(default_factory=dict)
    dirty: set[TIKey] = field(default_factory=set)
    ready: set[TIKey] = field(default_factory=set)
    blocked: dict[TIKey, tuple[str, bool]] = field(default_factory=dict)  # instance -> (why, can it change here?)
    first_in_backfill: bool = False
    triggered: bool = False  # started by a TriggerDagRunOperator of another run: not counted in max_active_runs
    # Indexes kept in step with `tis` (see Scheduler._index), so each loop costs O(changes), not O(tasks):
    by_task: dict[str, set[TIKey]] = field(default_factory=dict)  # a mapped task has one key per instance
    unfinished: set[TIKey] = field(default_factory=set)
    waiting: set[TIKey] = field(default_factory=set)  # up_for_retry / up_for_reschedule, unclaimed
    foreign: set[TIKey] = field(default_factory=set)  # claimed by another runner
    final_state: DagRunState | None = None
    outcome_note: str | None = None
    timed_out: bool = False
    finished_here: bool = False  # this runner recorded the final state (another one may have, first)
    started_mono: float = field(default_factory=time.monotonic)

    @property
    def key(self) -> tuple[str, str]:
        return (self.row.dag_id, self.row.run_id)

    def keys_of(self, task_id: str) -> list[TIKey]:
        """The instances of one task, by map index."""
        return sorted(self.by_task.get(task_id, ()), key=lambda key: key.map_index)

    def downstream_keys(self, task_id: str) -> set[TIKey]:
        found: set[TIKey] = set()
        for down in self.dag.task_dict[task_id].downstream_task_ids:
            found.update(self.by_task.get(down, ()))
        return found


@dataclass
class Attempt:
    run: RunProgress
    key: TIKey
    try_number: int
    max_tries: int
    kind: str
    log: TaskLog | None = None
    process: TaskProcess | None = None
    sensor: att.SensorWait | None = None
    launch: att.BashLaunch | None = None
    context: dict[str, Any] | None = None
    task: Any = None  # the operator this attempt runs (a mapped task's instance is its own operator)
    stop_reason: str | None = None

    @property
    def task_id(self) -> str:
        return self.key.task_id

    @property
    def map_index(self) -> int:
        return self.key.map_index

    @property
    def holds_slot(self) -> bool:
        return self.sensor is None or self.sensor.mode == "poke"


def _parse(value: str | None) -> Any:
    if value is None:
        return None
    import pendulum

    return pendulum.parse(value)


def run_view(row: RunRow) -> DagRunView:
    return DagRunView(
        dag_id=row.dag_id, run_id=row.run_id, logical_date=_parse(row.logical_date),
        data_interval_start=_parse(row.data_interval_start), data_interval_end=_parse(row.data_interval_end),
        run_after=_parse(row.run_after), run_type=row.run_type, conf=dict(row.conf),
        start_date=_parse(row.start_date), end_date=_parse(row.end_date), state=str(row.state),
        clear_number=row.clear_number,
    )


def priority_weights(dag: DAG) -> dict[str, int]:
    """Airflow's priority_weight_total under each task's weight_rule (downstream by default): the task's
    weight plus those of all its descendants (or ancestors), each counted once.

    Relatives are bit sets (Python ints) filled in topological order, so a 1,000-task chain costs a
    thousand ORs rather than a million set insertions; with equal weights a sum is a bit count.
    """
    ids = list(dag.task_dict)
    index = {task_id: position for position, task_id in enumerate(ids)}
    weight = [dag.task_dict[task_id].priority_weight for task_id in ids]
    uniform = len(set(weight)) <= 1
    rules = {task.weight_rule for task in dag.task_dict.values()}

    def relatives(upstream: bool) -> dict[str, int]:
        bits: dict[str, int] = {}
        for task_id in (order if upstream else reversed(order)):
            task = dag.task_dict[task_id]
            found = 0
            for other in (task.upstream_task_ids if upstream else task.downstream_task_ids):
                found |= bits[other] | (1 << index[other])
            bits[task_id] = found
        return bits

    def total(members: int) -> int:
        if uniform:
            return (weight[0] if weight else 0) * members.bit_count()
        result = 0
        while members:
            lowest = members & -members
            result += weight[lowest.bit_length() - 1]
            members ^= lowest
        return result

    order = _topological_order(dag)
    down = relatives(upstream=False) if "downstream" in rules else {}
    up = relatives(upstream=True) if "upstream" in rules else {}
    weights = {}
    for task_id, task in dag.task_dict.items():
        if task.weight_rule == "absolute":
            weights[task_id] = task.priority_weight
        else:
            members = (up if task.weight_rule == "upstream" else down)[task_id]
            weights[task_id] = task.priority_weight + total(members)
    return weights


def _topological_order(dag: DAG) -> list[str]:
    """Upstream tasks first (the loader has already refused cycles)."""
    remaining = {task_id: len(task.upstream_task_ids) for task_id, task in dag.task_dict.items()}
    ready = [task_id for task_id, count in remaining.items() if count == 0]
    order = []
    while ready:
        task_id = ready.pop()
        order.append(task_id)
        for other in dag.task_dict[task_id].downstream_task_ids:
            remaining[other] -= 1
            if remaining[other] == 0:
                ready.append(other)
    return order


def recover_from_dead_runners(store: Store, home: Path) -> set[tuple[str, str]]:
    """Attempts claimed by runners that died: kill what they left running, make them runnable again
    (not counted against retries). Returns the (dag_id, run_id) of the runs that changed."""
    dead = store.dead_runners()
    changed = set()
    for dag_id, run_id, ti in store.claimed_by_dead(dead):
        killed = kill_orphan(ti.pid, ti.proc_start)
        note = f"interrupted: the runner working on it ({ti.claimed_by}) stopped" + (
            "; its process group was killed" if killed else "")
        if store.release_interrupted(dag_id, run_id, ti, note):
            if ti.try_number > 0:
                path = log_path(home, dag_id, run_id, ti.task_id, ti.try_number, ti.map_index)
                if path.parent.is_dir():
                    row = store.get_run(dag_id, run_id)
                    log = TaskLog(path, run_id, row.logical_date if row else None, ti.try_number)
                    log.info(f"[recovery] attempt {ti.try_number} {note}; it will run again")
                    log.close()
            changed.add((dag_id, run_id))
    store.forget_runners(dead)
    return changed


class Scheduler:
    def __init__(self, store: Store, *, home: Path, observer: Observer | None = None,
                 runner_id: str | None = None, only_task: str | None = None,
                 parallelism: int | None = None) -> None:
        self.store = store
        self.home = home
        self.observer = observer or NullObserver()
        self.runner_id = runner_id or f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.only_task = only_task
        from migrator.runner import config

        self.parallelism = parallelism if parallelism is not None else config.parallelism()
        self.watchdog = Watchdog(self.runner_id)
        self.executor = Executor(self.watchdog)
        self.attempts: dict[tuple[str, str, TIKey], Attempt] = {}
        self.active: dict[tuple[str, str], RunProgress] = {}
        self.by_process: dict[int, Attempt] = {}
        self.stop_requested = False
        self.stop_grace: float | None = None
        self.stopped = False
        self._data_version = store.data_version()
        self._last_recovery = 0.0
        self._weights: dict[int, dict[str, int]] = {}
        self._plans: dict[int, SetupTeardownPlan] = {}
        self.xcoms = att.StoreXComs(store)
        self.state_reader = att.StoreStateReader(store)

    # -- public -------------------------------------------------------------------------------------
    def request_stop(self) -> None:
        """Ctrl-C (safe from a signal handler): stop starting tasks, terminate running ones.

        Asked a second time, running tasks are killed at once instead of after a grace period.
        """
        self.stop_grace = 0.0 if self.stop_requested else 5.0
        self.stop_requested = True

    def _apply_stop(self) -> None:
        grace = self.stop_grace if self.stop_grace is not None else 5.0
        self.executor.terminate_all("stopped", grace=grace)
        if grace == 0.0:
            for process in list(self.executor.processes.values()):
                process.kill_at = time.monotonic()
        self.stop_grace = None
        for attempt in self.attempts.values():
            attempt.stop_reason = attempt.stop_reason or "stopped"

    def execute(self, runs: list[tuple[RunRow, DAG]], *, max_active_runs: int,
                first_in_backfill: str | None = None) -> list[RunProgress]:
        """Run these DAG runs to completion (or until stopped); returns them with their final states."""
        self.store.register_runner(self.runner_id)
        self.watchdog.start()
        pending = [RunProgress(row, dag, first_in_backfill=(row.run_id == first_in_backfill)) for row, dag in runs]
        done: list[RunProgress] = []
        try:
            self._recover(force=True)
            while True:
                if not self.stop_requested:
                    while pending and self._own_runs() < max_active_runs:
                        self._activate(pending.pop(0))
                self._refresh()
                self._recover()
                if not self.stop_requested:
                    for run in list(self.active.values()):
                        self._schedule(run)
                    self._launch()
                for run in list(self.active.values()):
                    if self._settle(run):
                        done.append(run)
                if not self.active and (not pending or self.stop_requested):
                    break
                room_for_more = bool(pending) and self._own_runs() < max_active_runs and not self.stop_requested
                finished = self.executor.poll(0.0 if room_for_more else self._wait_time())
                for process in finished:
                    self._process_done(process)
                self._tick_sensors()
                self.observer.tick()
                if self.stop_requested:
                    if self.stop_grace is not None:
                        self._apply_stop()
                    self._stop_sensors()
                    if not self.executor.busy:
                        for run in list(self.active.values()):
                            self._interrupt(run)
                            done.append(run)
                        break
        finally:
            self.executor.abandon()  # empty unless an error ends the loop with tasks still running
            self.executor.close()
            self.watchdog.stop()
            self.store.unregister_runner(self.runner_id)
        self.stopped = self.stop_requested
        for run in pending:
            run.final_state = None
        return done

    # -- runs -----------------------------------------------------------------------------------------
    def _own_runs(self) -> int:
        return sum(1 for run in self.active.values() if not run.triggered)

    def _activate(self, run: RunProgress) -> None:
        dag = run.dag
        self.store.ensure_task_instances(run.row.dag_id, run.row.run_id,
                                         initial_instances(dag, _parse(run.row.logical_date), run.row.run_type))
        self._collapse_stale_expansions(run)
        # unless another runner finished it meanwhile (this one planned to resume it): then it only settles
        self.store.set_run_state(run.row.dag_id, run.row.run_id, DagRunState.RUNNING, start=True, unless_finished=True)
        run.row = self.store.get_run(run.row.dag_id, run.row.run_id) or run.row
        run.tis = {key: ti for key, ti in self.store.load_tis(*run.key).items() if key.task_id in dag.task_dict}
        for key, ti in run.tis.items():
            self._index(run, key, ti)
        run.dirty = set(run.tis)
        self.active[run.key] = run
        self._weights.setdefault(id(dag), priority_weights(dag))
        if id(dag) not in self._plans:
            self._plans[id(dag)] = setup_teardown_plan(dag)
        self.observer.run_started(run)

    def _collapse_stale_expansions(self, run: RunProgress) -> None:
        """A mapped task expanded in an earlier attempt of this run whose values are gone (the run was
        cleared) expands afresh: back to one placeholder while nothing of it has run."""
        for task in run.dag.tasks:
            if not needs_expansion(task) or expansion_length(task, self.store, *run.key) is not None:
                continue
            self.store.collapse(run.row.dag_id, run.row.run_id, task.task_id)

    def _refresh(self) -> None:
        """Pick up what other runners committed (PRAGMA data_version moves only for their writes)."""
        version = self.store.data_version()
        if version == self._data_version:
            return
        self._data_version = version
        for run in self.active.values():
            self._reload(run)

    def _reload(self, run: RunProgress) -> None:
        fresh = self.store.load_tis(*run.key)
        for key in [key for key in run.tis if key not in fresh]:  # a placeholder another runner expanded
            self._forget(run, key)
        for key, ti in fresh.items():
            if key.task_id not in run.dag.task_dict:
                continue
            old = run.tis.get(key)
            if old != ti:
                run.tis[key] = ti
                self._index(run, key, ti)
                run.dirty.add(key)
                run.dirty.update(run.downstream_keys(key.task_id))
                run.ready.discard(key)
                self.observer.task_changed(run, key, ti)

    def _recover(self, force: bool = False) -> None:
        """Attempts claimed by runners that died: kill what they left running, make them runnable again."""
        now = time.monotonic()
        if not force and now - self._last_recovery < RECOVERY_INTERVAL:
            return
        self._last_recovery = now
        for key in recover_from_dead_runners(self.store, self.home):
            run = self.active.get(key)
            if run is not None:
                self._reload(run)

    def _settle(self, run: RunProgress) -> bool:
        """Finish the run if every task instance is done, or report why it cannot progress."""
        dag = run.dag
        if self.only_task is not None:
            keys = run.keys_of(self.only_task)
            if keys and all(run.tis[key].state in FINISHED for key in keys) and not self._has_attempts(run):
                run.final_state = None
                run.outcome_note = f"task {self.only_task} " + ", ".join(sorted({str(run.tis[k].state) for k in keys}))
                self.store.set_run_state(run.row.dag_id, run.row.run_id, self._state_without_only(run),
                                         note=run.outcome_note)
                self._finish(run)
                return True
            return False
        if (dag.dagrun_timeout is not None and not run.timed_out
                and time.monotonic() - run.started_mono > dag.dagrun_timeout.total_seconds()):
            self._time_out(run)
        if run.timed_out:
            if self._has_attempts(run):
                return False
            self._skip_unfinished(run)
            run.final_state = DagRunState.FAILED
            run.finished_here = self.store.set_run_state(run.row.dag_id, run.row.run_id, DagRunState.FAILED, end=True,
                                                         note=run.outcome_note, unless_finished=True)
            self._finish(run)
            return True
        unfinished = run.unfinished
        if not unfinished:
            if self._has_attempts(run):
                return False
            if not run.tis:  # as in Airflow, an empty run succeeds
                run.outcome_note = "no task instances: no task's start and end dates cover the logical date"
            leaf_states = self._leaf_states(run)
            if any(s in FAILED_STATES for s in leaf_states):
                run.final_state = DagRunState.FAILED
            else:
                run.final_state = DagRunState.SUCCESS if all(s in SUCCESS_STATES for s in leaf_states) else DagRunState.FAILED
            run.finished_here = self.store.set_run_state(run.row.dag_id, run.row.run_id, run.final_state, end=True,
                                                         note=run.outcome_note, unless_finished=True)
            self._finish(run)
            return True
        if self._has_attempts(run) or run.dirty:
            return False
        if self.stop_requested:
            return False  # nothing is scheduled after Ctrl-C: the run is interrupted, not deadlocked
        waiting_here = [t for t in run.ready if t not in run.blocked or run.blocked[t][1]]
        if waiting_here:
            return False
        if run.foreign or run.waiting:
            return False  # another runner's work, or a retry / reschedule timer
        if run.blocked:
            # Airflow keeps such a run waiting; here nothing else can unblock it: leave it queued.
            reasons = "; ".join(f"{t}: {why}" for t, (why, _) in sorted(run.blocked.items()))
            run.outcome_note = f"blocked by depends_on_past ({reasons})"
            run.final_state = None
            self.store.set_run_state(run.row.dag_id, run.row.run_id, DagRunState.QUEUED, note=run.outcome_note,
                                     unless_finished=True)
        else:
            run.outcome_note = "task deadlock (no runnable tasks): " + ", ".join(sorted(map(str, unfinished)))
            run.final_state = DagRunState.FAILED
            run.finished_here = self.store.set_run_state(run.row.dag_id, run.row.run_id, DagRunState.FAILED, end=True,
                                                         note=run.outcome_note, unless_finished=True)
        self._finish(run)
        return True

    def _state_without_only(self, run: RunProgress) -> DagRunState:
        unfinished = [ti for ti in run.tis.values() if ti.state not in FINISHED]
        if unfinished:
            return DagRunState.QUEUED
        if any(state in FAILED_STATES for state in self._leaf_states(run)):
            return DagRunState.FAILED
        return DagRunState.SUCCESS

    def _leaf_states(self, run: RunProgress) -> list[TaskInstanceState | None]:
        """The states that decide the run's (DagRun._tis_for_dagrun_state): every instance of the leaves,
        teardowns left out unless they say on_failure_fail_dagrun."""
        leaves = self._plans[id(run.dag)].state_leaves
        return [run.tis[key].state for leaf in leaves for key in run.keys_of(leaf)
                if run.tis[key].state != TIS.REMOVED]

    def _finish(self, run: RunProgress) -> None:
        self.active.pop(run.key, None)
        if run.final_state is not None and run.finished_here:  # DAG callbacks run once, by the runner that finished it
            self._run_dag_callbacks(run)
            self._check_deadlines(run)
        self.observer.run_finished(run)

    def _interrupt(self, run: RunProgress) -> None:
        run.final_state = None
        run.outcome_note = "interrupted"
        self.store.set_run_state(run.row.dag_id, run.row.run_id, DagRunState.QUEUED, note="interrupted",
                                 unless_finished=True)
        self.active.pop(run.key, None)
        self.observer.run_finished(run)

    def _has_attempts(self, run: RunProgress) -> bool:
        return any(a.run is run for a in self.attempts.values())

    # -- decisions ------------------------------------------------------------------------------------
    def _schedule(self, run: RunProgress) -> None:
        if self.only_task is not None:
            run.dirty.clear()
            task = run.dag.task_dict[self.only_task]
            for key in run.keys_of(self.only_task):
                if run.tis[key].state is None and key.map_index < 0 and needs_expansion(task):
                    self._expand(run, task, key)
            run.dirty.clear()
            for key in run.keys_of(self.only_task):
                if run.tis[key].state is None:
                    run.ready.add(key)
            return
        dag = run.dag
        while run.dirty:
            key = run.dirty.pop()
            ti = run.tis.get(key)
            if ti is None or ti.state is not None:
                run.ready.discard(key)
                continue
            task = dag.task_dict[key.task_id]
            decision = self._decide(run, task, key)
            if decision.new_state is not None:
                self._force(run, key, decision.new_state)
            elif decision.runnable:
                if key.map_index < 0 and needs_expansion(task):
                    self._expand(run, task, key)
                else:
                    run.ready.add(key)
            else:
                run.ready.discard(key)

    def _decide(self, run: RunProgress, task: BaseOperator, key: TIKey) -> Decision:
        """The trigger rule over the relevant upstream instances, with the setup/teardown constraints
        (Airflow's TriggerRuleDep: setups first, then direct upstreams, then a teardown's scope)."""
        plan = self._plans[id(run.dag)]
        tasks = run.dag.task_dict

        def counts(keys: Iterable[TIKey]) -> UpstreamCounts:
            return UpstreamCounts.of((run.tis[k].state, tasks[k.task_id].is_setup) for k in keys)

        setups = None
        if not task.is_teardown and key.task_id in plan.indirect_setups:
            setups = evaluate_setups(counts(k for s in plan.indirect_setups[key.task_id] for k in run.by_task.get(s, ())))
            if setups.new_state is not None:
                return setups
        # An upstream task without instances in this run (its dates do not cover the logical date) is
        # an upstream that never finishes, as Airflow counts upstream tasks, not just instances.
        absent = [(None, tasks[u].is_setup) for u in task.upstream_task_ids if not run.by_task.get(u)]
        upstream = [(run.tis[k].state, tasks[k.task_id].is_setup) for k in self._relevant_upstreams(run, task, key)]
        decision = evaluate(task.trigger_rule, UpstreamCounts.of(upstream + absent))
        if decision.new_state is not None or not decision.runnable:
            return decision
        if setups is not None and not setups.runnable:
            return setups
        scope = plan.teardown_scope.get(key.task_id)
        if task.is_teardown and scope:
            waiting = [k for other in scope for k in run.by_task.get(other, ()) if run.tis[k].state not in FINISHED]
            if waiting:
                return Decision(None, False, f"the tasks between its setups and it are not done: {waiting[0]}")
        return decision

    def _expand(self, run: RunProgress, task: BaseOperator, key: TIKey) -> None:
        """A mapped task's placeholder whose upstreams are done: one instance per value (none: skipped;
        values that cannot be known: upstream_failed), as TaskMap.expand_mapped_task."""
        length = expansion_length(task, self.store, *run.key)
        if length is None:
            self._force(run, key, TIS.UPSTREAM_FAILED)
        elif length == 0:
            self._force(run, key, TIS.SKIPPED)
        elif not self.store.expand(run.row.dag_id, run.row.run_id, key.task_id, length):
            self._reload(run)
        else:
            self._forget(run, key)
            for row in self.store.task_instances_of(run.row.dag_id, run.row.run_id, key.task_id):
                self._changed(run, row.key, row)
                run.dirty.add(row.key)

    def _relevant_upstreams(self, run: RunProgress, task: BaseOperator, key: TIKey) -> list[TIKey]:
        """The upstream task instances whose states count for this one: every instance of each upstream,
        except inside a mapped task group, where an instance depends on the same instance of the tasks
        before it in the group (Airflow's _get_relevant_upstream_map_indexes)."""
        group = closest_mapped_group(task)
        found: list[TIKey] = []
        for upstream in task.upstream_task_ids:
            keys = run.by_task.get(upstream, ())
            if group is None or closest_mapped_group(run.dag.task_dict[upstream]) is not group:
                found.extend(keys)
                continue
            if key.map_index < 0:
                fast = task.trigger_rule in FAST_TRIGGERED and upstream not in expansion_dependencies(task)
                if fast or expansion_length(task, self.store, *run.key) is None:
                    found.extend(keys)
                    continue
            found.extend(up for up in keys if up.map_index < 0 or up.map_index == key.map_index)
        return found

    def _force(self, run: RunProgress, key: TIKey, state: TaskInstanceState) -> None:
        if self.store.force_state(run.row.dag_id, run.row.run_id, key.task_id, None, state, map_index=key.map_index):
            fresh = self.store.get_ti(run.row.dag_id, run.row.run_id, key.task_id, key.map_index)
            if fresh is not None:
                self._changed(run, key, fresh)
        else:
            self._reload(run)

    def _index(self, run: RunProgress, key: TIKey, ti: TIRow) -> None:
        run.by_task.setdefault(key.task_id, set()).add(key)
        for index, member in (
            (run.unfinished, ti.state not in FINISHED),
            (run.waiting, ti.state in (TIS.UP_FOR_RETRY, TIS.UP_FOR_RESCHEDULE) and ti.claimed_by is None),
            (run.foreign, ti.claimed_by not in (None, self.runner_id)),
        ):
            if member:
                index.add(key)
            else:
                index.discard(key)

    def _forget(self, run: RunProgress, key: TIKey) -> None:
        """A task instance that no longer exists (a mapped task's placeholder, once expanded)."""
        run.tis.pop(key, None)
        run.by_task.get(key.task_id, set()).discard(key)
        for index in (run.unfinished, run.waiting, run.foreign, run.ready, run.dirty):
            index.discard(key)
        run.blocked.pop(key, None)

    def _changed(self, run: RunProgress, key: TIKey, ti: TIRow) -> None:
        run.tis[key] = ti
        self._index(run, key, ti)
        run.ready.discard(key)
        if ti.state in FINISHED:
            run.dirty.update(run.downstream_keys(key.task_id))
            for waiter in self._plans[id(run.dag)].waiters.get(key.task_id, ()):
                run.dirty.update(run.by_task.get(waiter, ()))
        self.observer.task_changed(run, key, ti)

    def _candidates(self, runs_with_room: set[tuple[str, str]]) -> Iterator[tuple[TIKey, RunProgress]]:
        """Launchable task instances, highest priority first (lazily: a heap, not a full sort)."""
        now = time.time()
        found = []
        for order, run in enumerate(self.active.values()):
            if run.key not in runs_with_room or run.timed_out:
                continue
            weights = self._weights[id(run.dag)]
            for key in run.ready:
                ti = run.tis[key]
                if ti.state is None and (run.row.dag_id, run.row.run_id, key) not in self.attempts:
                    found.append((-weights[key.task_id], order, key, run))
            for key in run.waiting:
                ti = run.tis[key]
                if (ti.next_try_at is None or ti.next_try_at <= now) \
                        and (self.only_task is None or key.task_id == self.only_task):
                    found.append((-weights[key.task_id], order, key, run))
        heap = [(weight, order, key, index) for index, (weight, order, key, _) in enumerate(found)]
        heapq.heapify(heap)
        while heap:
            _, _, key, index = heapq.heappop(heap)
            yield key, found[index][3]

    def _launch(self) -> None:
        running = sum(1 for a in self.attempts.values() if a.holds_slot)
        per_run: dict[tuple[str, str], int] = {}
        per_task: dict[tuple[str, str], int] = {}
        for attempt in self.attempts.values():
            if attempt.holds_slot:
                per_run[attempt.run.key] = per_run.get(attempt.run.key, 0) + 1
                task_key = (attempt.run.row.dag_id, attempt.task_id)
                per_task[task_key] = per_task.get(task_key, 0) + 1
        foreign = {key: self._foreign_running(run) for key, run in self.active.items()}
        if running >= self.parallelism:
            return
        room = {key for key, run in self.active.items()
                if per_run.get(key, 0) + foreign[key] < run.dag.max_active_tasks}
        if not room:
            return
        for key, run in self._candidates(room):
            if running >= self.parallelism:
                return
            if not self._still_candidate(run, key):
                continue  # a failed claim reloaded the run meanwhile: decide on fresh rows next round
            dag = run.dag
            task_id = key.task_id
            task = dag.task_dict[task_id]
            if per_run.get(run.key, 0) + foreign[run.key] >= dag.max_active_tasks:
                continue
            limit = task.max_active_tis_per_dag
            if limit is not None and per_task.get((run.row.dag_id, task_id), 0) >= limit:
                continue
            if task.depends_on_past and self.only_task is None:
                unmet = self._past_unmet(run, task, key)
                if unmet is not None:
                    run.blocked[key] = unmet
                    continue
                run.blocked.pop(key, None)
            if self._start(run, task, key):
                running += 1
                per_run[run.key] = per_run.get(run.key, 0) + 1
                per_task[(run.row.dag_id, task_id)] = per_task.get((run.row.dag_id, task_id), 0) + 1

    def _still_candidate(self, run: RunProgress, key: TIKey) -> bool:
        if key in run.dirty:
            return False
        ti = run.tis.get(key)
        if ti is None:
            return False
        if key in run.ready:
            return ti.state is None
        return key in run.waiting and (ti.next_try_at is None or ti.next_try_at <= time.time())

    def _foreign_running(self, run: RunProgress) -> int:
        return sum(1 for key in run.foreign if run.tis[key].state in (TIS.RUNNING, TIS.QUEUED))

    def _past_unmet(self, run: RunProgress, task: BaseOperator, key: TIKey) -> tuple[str, bool] | None:
        """PrevDagrunDep: the previous run's instance of this task must have succeeded or been skipped.

        Returns why not, and whether that can still change while this scheduler runs.
        """
        if run.first_in_backfill or run.row.logical_date is None:
            return None
        prev = self.store.previous_run(run.row.dag_id, run.row.logical_date)
        if prev is None:
            return None
        prev_progress = self.active.get((prev.dag_id, prev.run_id))
        prev_tis = prev_progress.tis if prev_progress else self.store.load_tis(prev.dag_id, prev.run_id)

        def may_change(ti: TIRow | None) -> bool:
            if ti is not None and ti.state in FINISHED:
                return False
            foreign = ti is not None and ti.claimed_by not in (None, self.runner_id)
            return prev_progress is not None or foreign

        prev_ti = prev_tis.get(key)
        if prev_ti is None:
            if task.ignore_first_depends_on_past and not self.store.has_prior_ti(run.row.dag_id, task.task_id, run.row.logical_date):
                return None
            return "the previous task instance has not run yet", False
        if prev_ti.state not in SUCCESS_STATES:
            return f"previous run {prev.run_id}: {task.task_id} is {prev_ti.state or 'not done'}", may_change(prev_ti)
        if task.wait_for_downstream:
            for down in task.downstream_task_ids:
                down_ti = prev_tis.get(TIKey(down, key.map_index)) or prev_tis.get(TIKey(down))
                state = down_ti.state if down_ti else None
                if state not in SUCCESS_STATES:
                    return (f"previous run {prev.run_id}: downstream {down} is {state or 'not done'} (wait_for_downstream)",
                            may_change(down_ti))
        return None

    # -- attempts ---------------------------------------------------------------------------------------
    def _start(self, run: RunProgress, task: BaseOperator, key: TIKey) -> bool:
        ti = run.tis[key]
        kind = "fork" if is_mapped(task) else att.kind_of(task)  # a mapped task's kind is its instance's
        resuming_reschedule = ti.state == TIS.UP_FOR_RESCHEDULE
        claimed = self.store.start_attempt(run.row.dag_id, run.row.run_id, ti, runner_id=self.runner_id,
                                           state=TIS.RUNNING, new_try=not resuming_reschedule)
        if claimed is None:
            self._reload(run)
            return False
        self._changed(run, key, claimed)
        attempt = Attempt(run, key, claimed.try_number, claimed.max_tries, kind)
        self.attempts[(run.row.dag_id, run.row.run_id, key)] = attempt
        if kind == "empty":
            self._complete(attempt, att.Outcome("success"))
            return True
        attempt.log = TaskLog(log_path(self.home, run.row.dag_id, run.row.run_id, task.task_id, claimed.try_number,
                                       key.map_index),
                              run.row.run_id, run.row.logical_date, claimed.try_number)
        attempt.log.info(f"Executing <Task({task.task_type}): {key}> on {run.row.logical_date or '-'} "
                         f"(attempt {claimed.try_number} of {claimed.max_tries + 1}, runner {self.runner_id})")
        try:
            context = self._context(run, task, claimed)
            if needs_expansion(task):
                context["expanded_ti_count"] = len(run.by_task.get(task.task_id, ()))
            if is_mapped(task):
                # This instance's operator: the partial arguments plus its mapped values (Airflow's unmap).
                task = task.unmap(context)
                context["task"] = context["ti"].task = task
                context["params"] = {**context["params"], **task.params}
                attempt.kind = kind = att.kind_of(task)
        except Exception as error:  # params that do not validate, a broken template context, ...
            attempt.log.error(att.format_error(error))
            self._complete(attempt, att.failure_outcome(task, error, None))
            return True
        attempt.task = task
        attempt.context = context
        if kind == "empty":
            self._complete(attempt, att.Outcome("success"))
            return True
        try:
            if kind == "bash":
                self._start_bash(attempt, task, context)
            elif kind == "sensor":
                self._start_sensor(attempt, task, context)
            elif kind == "trigger":
                self._start_trigger(attempt, task, context)
            else:
                self._start_fork(attempt, task, context)
        except Exception as error:
            attempt.log.error("Task failed with exception\n" + att.format_error(error))
            self._complete(attempt, att.failure_outcome(task, error, None))
        return True

    def _context(self, run: RunProgress, task: BaseOperator, ti: TIRow) -> dict[str, Any]:
        view = run_view(run.row)
        params = process_params(run.dag.params, task.params, run.row.conf)
        runtime_ti = RuntimeTaskInstance(task=task, run=view, try_number=ti.try_number, max_tries=ti.max_tries,
                                         xcoms=self.xcoms, state_reader=self.state_reader,
                                         start_date=_parse(ti.start_date), map_index=ti.map_index)

        def previous() -> DagRunView | None:
            if run.row.logical_date is None:
                return None
            prev = self.store.previous_success(run.row.dag_id, run.row.logical_date)
            return run_view(prev) if prev else None

        if ti.first_poke_at is not None:
            import pendulum

            runtime_ti.first_reschedule_date = pendulum.from_timestamp(ti.first_poke_at)
        return build_context(dag=run.dag, task=task, run=view, ti=runtime_ti, params=params,
                             previous_success=previous, task_reschedule_count=ti.reschedule_count)

    def _start_bash(self, attempt: Attempt, task: Any, context: dict[str, Any]) -> None:
        launch = att.prepare_bash(task, context)
        attempt.launch = launch
        assert attempt.log is not None
        attempt.log.info(f"Tmp dir root location: {os.path.dirname(launch.cwd) if launch.cwd else '-'}")
        attempt.log.info(f"Running command: {launch.argv}")
        attempt.log.info("Output:")
        timeout = att.seconds(task.execution_timeout)
        try:
            process = self.executor.spawn(attempt, launch.argv, env=launch.env, cwd=launch.cwd,
                                          log=attempt.log, timeout=timeout)
        except OSError:
            launch.cleanup()
            raise
        process.cleanup = launch.cleanup
        attempt.process = process
        self.by_process[process.pid] = attempt
        self.store.set_process(attempt.run.row.dag_id, attempt.run.row.run_id, attempt.task_id, self.runner_id,
                               process.pid, map_index=attempt.map_index)

    def _start_fork(self, attempt: Attempt, task: Any, context: dict[str, Any]) -> None:
        assert attempt.log is not None
        child_task = copy.copy(task)
        ti: RuntimeTaskInstance = context["ti"]
        ti.xcoms = att.BufferedXComs()
        ti.state_reader = None  # the task process must not use the runner's SQLite connection
        context["task"] = child_task
        ti.task = child_task
        try_number, max_tries = attempt.try_number, attempt.max_tries

        def body() -> dict[str, Any]:
            ti.state_reader = att.ChannelStateReader()
            return att.run_in_task_process(child_task, context, try_number=try_number, max_tries=max_tries)

        timeout = att.seconds(task.execution_timeout)
        # The task process enforces execution_timeout itself (AirflowTaskTimeout, callbacks run);
        # the runner's deadline is a backstop for a process that ignores it.
        backstop = None if timeout is None else timeout + 10.0
        process = self.executor.fork(attempt, body, log=attempt.log, timeout=backstop,
                                     handler=lambda request: att.answer_task_request(self.store, request))
        attempt.process = process
        self.by_process[process.pid] = attempt
        self.store.set_process(attempt.run.row.dag_id, attempt.run.row.run_id, attempt.task_id, self.runner_id,
                               process.pid, map_index=attempt.map_index)

    def _start_trigger(self, attempt: Attempt, task: Any, context: dict[str, Any]) -> None:
        """TriggerDagRunOperator: create the target's run here and run it alongside (sdk/trigger_dagrun.py)."""
        from migrator.runner import triggering, xcom_codec
        from migrator.runner.sdk.trigger_dagrun import XCOM_RUN_ID, triggered_run_sensor
        from migrator.runner.templating import rendered_fields, rendered_for_record

        assert attempt.log is not None
        values = rendered_fields(task, context)
        rendered = rendered_for_record(values)
        request = triggering.request_from(values, task)
        target = triggering.find_dag(request.dag_id, attempt.run.dag, self.store)
        if target is None:
            self._complete(attempt, att.Outcome("failed", error=f"Dag {request.dag_id} not found", rendered=rendered))
            return
        row, problem = triggering.create_run(self.store, target, request, reset=bool(task.reset_dag_run))
        if row is None:
            skip = bool(values["skip_when_already_exists"])
            self._complete(attempt, att.Outcome("skipped" if skip else "failed", retryable=False, error=problem,
                                                rendered=rendered))
            return
        attempt.log.info(f"Triggered DAG {target.dag_id}: run {row.run_id} (run here, alongside this one)")
        self.store.set_xcom(attempt.run.row.dag_id, attempt.run.row.run_id, attempt.task_id, XCOM_RUN_ID,
                            xcom_codec.encode(row.run_id), attempt.map_index)
        self._activate(RunProgress(row, target, triggered=True))
        if not values["wait_for_completion"]:
            self._complete(attempt, att.Outcome("success", rendered=rendered))
            return
        self._start_sensor(attempt, triggered_run_sensor(task, target.dag_id, row.run_id), context)
        if attempt.sensor is not None:
            attempt.sensor.rendered = rendered

    def _start_sensor(self, attempt: Attempt, task: Any, context: dict[str, Any]) -> None:
        assert attempt.log is not None
        wait, outcome = att.start_sensor(task, context)
        if outcome is not None:
            self._complete(attempt, outcome)
            return
        assert wait is not None
        attempt.sensor = wait
        if wait.mode != "poke":
            state = TIS.DEFERRED if wait.mode == "deferred" else TIS.UP_FOR_RESCHEDULE
            self.store.set_process(attempt.run.row.dag_id, attempt.run.row.run_id, attempt.task_id, self.runner_id,
                                   None, state=state, map_index=attempt.map_index)
            ti = self.store.get_ti(attempt.run.row.dag_id, attempt.run.row.run_id, attempt.task_id, attempt.map_index)
            if ti is not None:
                self._changed(attempt.run, attempt.key, ti)
        attempt.log.info(f"Sensor started in {wait.mode} mode (poke_interval={task.poke_interval}s, timeout={task.timeout}s)")
        if wait.mode == "deferred":
            self._tick_sensor(attempt, time.time())

    def _tick_sensors(self) -> None:
        now = time.time()
        for attempt in [a for a in self.attempts.values() if a.sensor is not None]:
            if attempt.sensor is not None and attempt.sensor.next_poke_at <= now and attempt.stop_reason is None:
                self._tick_sensor(attempt, now)

    def _tick_sensor(self, attempt: Attempt, now: float) -> None:
        wait = attempt.sensor
        assert wait is not None and attempt.log is not None
        if wait.next_poke_at > now:
            return
        outcome = att.poke_sensor(wait)
        if outcome is None:
            attempt.log.info(f"Poke {wait.poke_count - 1}: criteria not met; next check at "
                             f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(wait.next_poke_at))}")
            return
        attempt.sensor = None
        self._complete(attempt, outcome)

    def _stop_sensors(self) -> None:
        for attempt in [a for a in self.attempts.values() if a.sensor is not None]:
            attempt.sensor = None
            self._interrupt_attempt(attempt, "interrupted by the user (Ctrl-C)")

    def _process_done(self, process: TaskProcess) -> None:
        attempt = self.by_process.pop(process.pid, None)
        if attempt is None:
            return
        task = attempt.task or attempt.run.dag.task_dict[attempt.task_id]
        assert attempt.log is not None
        reason = process.stop_reason
        if reason == "stopped":
            attempt.log.info(f"Task process terminated (exit status {process.exit_status})")
            self._interrupt_attempt(attempt, "interrupted by the user (Ctrl-C)")
            return
        if reason == "dagrun_timeout":
            attempt.log.info(f"Task process terminated (exit status {process.exit_status})")
            self._complete(attempt, att.Outcome("skipped", error=attempt.run.outcome_note))
            return
        if attempt.kind == "bash":
            assert attempt.launch is not None
            attempt.log.info(f"Command exited with return code {process.exit_status}")
            if reason == "timeout":
                outcome = att.Outcome("failed", error=f"AirflowTaskTimeout: Timeout, PID: {process.pid}",
                                      rendered=attempt.launch.rendered)
            elif reason is not None:
                outcome = att.Outcome("failed", retryable=False, error=reason, rendered=attempt.launch.rendered)
            else:
                outcome = att.bash_result(task, process.exit_status if process.exit_status is not None else -1,
                                          process.last_line, attempt.launch.rendered, attempt.map_index)
        else:
            outcome = att.outcome_from_process(process.result_message(), process.exit_status)
            if reason == "timeout" and outcome.state != "failed":
                outcome = att.Outcome("failed", error="AirflowTaskTimeout: task process did not stop after its timeout")
            elif reason not in (None, "timeout"):
                outcome = att.Outcome("failed", retryable=False, error=reason, rendered=outcome.rendered)
        self._complete(attempt, outcome)

    def _interrupt_attempt(self, attempt: Attempt, note: str) -> None:
        run = attempt.run
        self.attempts.pop((run.row.dag_id, run.row.run_id, attempt.key), None)
        if attempt.log is not None:
            attempt.log.info(f"Attempt {attempt.try_number} {note}; it will run again when the run is resumed")
            attempt.log.close()
        ti = self.store.get_ti(run.row.dag_id, run.row.run_id, attempt.task_id, attempt.map_index)
        if ti is not None and ti.claimed_by == self.runner_id:
            self.store.release_interrupted(run.row.dag_id, run.row.run_id, ti, note)
            fresh = self.store.get_ti(run.row.dag_id, run.row.run_id, attempt.task_id, attempt.map_index)
            if fresh is not None:
                self._changed(run, attempt.key, fresh)

    def _complete(self, attempt: Attempt, outcome: att.Outcome) -> None:
        """Record an attempt's outcome: state, retry timer, XComs, skips of downstream tasks, assets."""
        run = attempt.run
        dag = run.dag
        task = attempt.task or dag.task_dict[attempt.task_id]
        log = attempt.log
        next_try_at = None
        release = True
        reschedule = False
        first_poke_at: float | None = None  # kept from the first reschedule of this try (the store keeps the first)
        if outcome.state == "success":
            state = TIS.SUCCESS
        elif outcome.state == "skipped":
            state = TIS.SKIPPED
        elif outcome.state == "reschedule":
            state = TIS.UP_FOR_RESCHEDULE
            next_try_at = outcome.reschedule_at or time.time()
            reschedule = True
            started = run.tis[attempt.key].start_date
            first_poke_at = _parse(started).timestamp() if started else time.time()
        elif outcome.retryable and attempt.try_number <= attempt.max_tries and not self._policy_fails(
                task, attempt, outcome, log):
            state = TIS.UP_FOR_RETRY
            end = time.time()
            delay = datetime.timedelta(seconds=outcome.retry_delay) if outcome.retry_delay is not None else retry_delay(
                retry_delay=task.retry_delay, retry_exponential_backoff=task.retry_exponential_backoff,
                max_retry_delay=task.max_retry_delay, try_number=attempt.try_number, dag_id=dag.dag_id,
                task_id=task.task_id, logical_date=_parse(run.row.logical_date))
            next_try_at = end + delay.total_seconds()
        else:
            state = TIS.FAILED
        if log is not None and attempt.kind != "fork" and attempt.context is not None:
            kind = {TIS.SUCCESS: "on_success_callback", TIS.SKIPPED: "on_skipped_callback",
                    TIS.UP_FOR_RETRY: "on_retry_callback", TIS.FAILED: "on_failure_callback"}.get(state)
            if kind and getattr(task, kind):
                context = dict(attempt.context)
                if outcome.error:
                    context["exception"] = outcome.error
                context["reason"] = str(state)
                att.run_native_callbacks(getattr(task, kind), context, log)
        if log is not None:
            if outcome.error:
                (log.info if state in (TIS.SKIPPED,) else log.error)(outcome.error)
            if state == TIS.UP_FOR_RETRY:
                log.info(f"Marking task as UP_FOR_RETRY. Retry {attempt.try_number} of {attempt.max_tries}, "
                         f"next attempt at {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(next_try_at or 0))}")
            elif state == TIS.FAILED:
                log.info("Marking task as FAILED.")
            elif state == TIS.UP_FOR_RESCHEDULE:
                log.info("Rescheduling task, marking task as UP_FOR_RESCHEDULE")
            else:
                log.info(f"Marking task as {state.name}.")
            log.close()
        skip = [t for t in outcome.skip if t in run.by_task]
        assets = []
        if state == TIS.SUCCESS:
            events = outcome.assets
            if events is None:
                events = emitted_events(task.outlets, (attempt.context or {}).get("outlet_events"))
            assets = [AssetEventRow(e["uri"], e["name"], e["extra"], tuple(e["aliases"])) for e in events]
        self.attempts.pop((run.row.dag_id, run.row.run_id, attempt.key), None)
        end, skipped = self.store.finish_attempt(
            run.row.dag_id, run.row.run_id, attempt.task_id, runner_id=self.runner_id, try_number=attempt.try_number,
            state=state, next_try_at=next_try_at, note=outcome.error, xcoms=outcome.xcoms, skip=skip,
            rendered=outcome.rendered, release=release, reschedule=reschedule, assets=assets, first_poke_at=first_poke_at,
            map_index=attempt.map_index,
        )
        current = run.tis[attempt.key]
        if end is not None and current.try_number == attempt.try_number:
            self._changed(run, attempt.key, replace(
                current, state=state, end_date=end, next_try_at=next_try_at, note=outcome.error, pid=None,
                proc_start=None, claimed_by=None if release else current.claimed_by,
                reschedule_count=current.reschedule_count + (1 if reschedule else 0),
                first_poke_at=current.first_poke_at if current.first_poke_at is not None else first_poke_at))
        else:  # someone else recorded this task meanwhile: believe the store
            fresh = self.store.get_ti(run.row.dag_id, run.row.run_id, attempt.task_id, attempt.map_index)
            if fresh is not None:
                self._changed(run, attempt.key, fresh)
        for other in skipped:
            other_ti = self.store.get_ti(run.row.dag_id, run.row.run_id, other.task_id, other.map_index)
            if other_ti is not None:
                self._changed(run, other, other_ti)
        if state == TIS.FAILED and dag.fail_fast:
            self._fail_fast(run, attempt.task_id)

    def _fail_fast(self, run: RunProgress, failed_task: str) -> None:
        """DAG(fail_fast=True): stop the run's other tasks (running ones fail, the rest are skipped)."""
        for attempt in [a for a in self.attempts.values() if a.run is run]:
            if attempt.process is not None:
                self.executor.terminate(attempt.process, f"stopped by fail_fast after {failed_task} failed", grace=1.0)
                attempt.stop_reason = "fail_fast"
            elif attempt.sensor is not None:
                attempt.sensor = None
                self._complete(attempt, att.Outcome("failed", retryable=False, error=f"stopped by fail_fast after {failed_task} failed"))
        for key, ti in list(run.tis.items()):
            if ti.state in (None, TIS.UP_FOR_RETRY, TIS.UP_FOR_RESCHEDULE, TIS.SCHEDULED) and self.store.force_state(
                    run.row.dag_id, run.row.run_id, key.task_id, ti.state, TIS.SKIPPED, map_index=key.map_index):
                    fresh = self.store.get_ti(run.row.dag_id, run.row.run_id, key.task_id, key.map_index)
                    if fresh is not None:
                        self._changed(run, key, fresh)

    def _time_out(self, run: RunProgress) -> None:
        """dagrun_timeout (as Airflow's scheduler): the run fails, every unfinished task instance, running
        ones included, is set to skipped, and running task processes are stopped."""
        run.timed_out = True
        run.outcome_note = f"DAG run timed out after {run.dag.dagrun_timeout}"
        run.ready.clear()
        for attempt in [a for a in self.attempts.values() if a.run is run]:
            if attempt.process is not None:
                self.executor.terminate(attempt.process, "dagrun_timeout", grace=1.0)
            elif attempt.sensor is not None:
                attempt.sensor = None
                self._complete(attempt, att.Outcome("skipped", error=run.outcome_note))
        self._skip_unfinished(run)

    @staticmethod
    def _policy_fails(task: Any, attempt: Any, outcome: att.Outcome, log: Any) -> bool:
        """True when the task's retry policy fails this attempt without the remaining retries."""
        att.apply_retry_policy(task, outcome, attempt.try_number, attempt.max_tries, attempt.context,
                               log if log is not None else logging.getLogger("airflow.task"))
        return not outcome.retryable

    def _skip_unfinished(self, run: RunProgress) -> None:
        for key in list(run.unfinished):
            ti = run.tis[key]
            if ti.claimed_by is None and self.store.force_state(run.row.dag_id, run.row.run_id, key.task_id, ti.state,
                                                                TIS.SKIPPED, map_index=key.map_index):
                fresh = self.store.get_ti(run.row.dag_id, run.row.run_id, key.task_id, key.map_index)
                if fresh is not None:
                    self._changed(run, key, fresh)

    def _run_dag_callbacks(self, run: RunProgress) -> None:
        callbacks = run.dag.on_success_callback if run.final_state == DagRunState.SUCCESS else run.dag.on_failure_callback
        if not callbacks:
            return
        context = {"dag": run.dag, "dag_run": run_view(run.row), "run_id": run.row.run_id,
                   "reason": "success" if run.final_state == DagRunState.SUCCESS else "task_failure"}
        self._in_callback_process(run, [lambda callback=callback: callback(context) for callback in callbacks],
                                  "Error in DAG callback")

    def _check_deadlines(self, run: RunProgress) -> None:
        """Deadline Alerts (see `sdk.deadline`): a run that ended after its deadline runs the alert."""
        alerts = getattr(run.dag, "deadline", None) or []
        if not alerts:
            return
        view = run_view(self.store.get_run(run.row.dag_id, run.row.run_id) or run.row)
        ended = view.end_date or datetime.datetime.now(datetime.timezone.utc)
        missed = []
        for alert in alerts:
            due = alert.deadline_time(view)
            if due is not None and ended > due:
                context = {"dag_run": view, "deadline": {"deadline_time": due.isoformat()}}
                missed.append(lambda alert=alert, context=context: alert.callback.run(context))
        if missed:
            self._in_callback_process(run, missed, "Error in deadline callback")

    def _in_callback_process(self, run: RunProgress, calls: list[Callable[[], Any]], failure: str) -> None:
        """DAG-level callbacks are user code: run them in a process of their own, wait (bounded) and log."""
        path = log_path(self.home, run.row.dag_id, run.row.run_id, "__dag_callbacks__", 1)
        log = TaskLog(path, run.row.run_id, run.row.logical_date, 1)

        def body() -> dict[str, Any]:
            att._configure_child_logging()
            for one in calls:
                try:
                    one()
                except Exception:
                    logging.getLogger("airflow.dag").exception(failure)
            return {}

        executor = Executor(self.watchdog)
        try:
            executor.fork(None, body, log=log, timeout=60.0)
            deadline = time.monotonic() + 70.0
            while executor.busy and time.monotonic() < deadline:
                executor.poll(0.5)
        finally:
            executor.close()
            log.close()

    # -- waiting --------------------------------------------------------------------------------------
    def _wait_time(self) -> float:
        now = time.time()
        wait = 1.0
        for run in self.active.values():
            if run.dirty:
                return 0.0
            for key in run.waiting:
                next_try_at = run.tis[key].next_try_at
                if next_try_at is not None:
                    wait = min(wait, max(0.0, next_try_at - now))
            if any(run.tis[key].state in CLAIMED_STATES for key in run.foreign):
                wait = min(wait, FOREIGN_POLL_INTERVAL)
        for attempt in self.attempts.values():
            if attempt.sensor is not None:
                wait = min(wait, max(0.0, attempt.sensor.next_poke_at - now))
        if self.stop_requested:
            wait = min(wait, 0.1)
        return wait


def new_runner_id() -> str:
    return f"{os.getpid()}-{uuid.uuid4().hex[:8]}"


__all__ = [
    "Callable",
    "NullObserver",
    "Observer",
    "RunProgress",
    "Scheduler",
    "TriggerRule",
    "priority_weights",
    "replace",
    "run_view",
]
