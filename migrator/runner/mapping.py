"""Dynamic task mapping at run time: which instances a task has, and when a placeholder expands.

Airflow creates a mapped task's instances when its DAG run is created if the length is known from
literals alone, otherwise one placeholder instance (map_index -1) that the scheduler expands once the
upstream XComs it maps over exist (`DagRun._create_tasks`, `TaskMap.expand_mapped_task`). The same
happens here, with lengths read from the runner's XCom table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from migrator.runner.sdk.dag import DAG


def initial_instances(dag: DAG) -> list[tuple[str, int, int]]:
    """(task_id, map_index, retries) of the task instances a new run of this DAG starts with."""
    return [(task.task_id, -1, task.retries) for task in dag.tasks]
