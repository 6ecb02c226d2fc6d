"""Task-instance and DAG-run states, valued with Airflow's stored names.

"No state yet" is `None`, as in Airflow. The groups are defined here once and used everywhere
(scheduler, store queries, summaries); they mirror `airflow.utils.state.State`.
"""

from __future__ import annotations

from migrator.compat import StrEnum


class TaskInstanceState(StrEnum):
    REMOVED = "removed"
    SCHEDULED = "scheduled"
    QUEUED = "queued"
    RUNNING = "running"
    SUCCESS = "success"
    RESTARTING = "restarting"
    FAILED = "failed"
    UP_FOR_RETRY = "up_for_retry"
    UP_FOR_RESCHEDULE = "up_for_reschedule"
    UPSTREAM_FAILED = "upstream_failed"
    SKIPPED = "skipped"
    DEFERRED = "deferred"


class DagRunState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCESS = "success"
    FAILED = "failed"


TI = TaskInstanceState

FINISHED: frozenset[TaskInstanceState] = frozenset(
    {TI.SUCCESS, TI.FAILED, TI.SKIPPED, TI.UPSTREAM_FAILED, TI.REMOVED}
)
UNFINISHED: frozenset[TaskInstanceState | None] = frozenset(
    {None, TI.SCHEDULED, TI.QUEUED, TI.RUNNING, TI.RESTARTING, TI.UP_FOR_RETRY, TI.UP_FOR_RESCHEDULE, TI.DEFERRED}
)
FAILED_STATES: frozenset[TaskInstanceState] = frozenset({TI.FAILED, TI.UPSTREAM_FAILED})
SUCCESS_STATES: frozenset[TaskInstanceState] = frozenset({TI.SUCCESS, TI.SKIPPED})
# States in which a task holds a runner's claim: a process or a poll loop is working on it.
CLAIMED_STATES: frozenset[TaskInstanceState] = frozenset({TI.QUEUED, TI.RUNNING, TI.DEFERRED})
# States from which the scheduler may start a new attempt (once its wait, if any, is over).
SCHEDULABLE_STATES: frozenset[TaskInstanceState | None] = frozenset({None, TI.UP_FOR_RETRY, TI.UP_FOR_RESCHEDULE})

FINISHED_RUN_STATES: frozenset[DagRunState] = frozenset({DagRunState.SUCCESS, DagRunState.FAILED})


def parse_ti_state(value: str | None) -> TaskInstanceState | None:
    return None if value is None else TaskInstanceState(value)
