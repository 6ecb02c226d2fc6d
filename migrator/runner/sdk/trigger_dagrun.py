"""`TriggerDagRunOperator`: start a run of another DAG (in the runner's own store, run by the same runner).

The runner, which owns the state database, carries it out (runner kind "trigger"): it renders the
templated fields, finds the target DAG (in the same file, where an earlier run of it came from, or in a
file of the same folder that names it), creates the run and runs it alongside. With
`wait_for_completion` the task waits for that run to reach an allowed state, checking every
`poke_interval` seconds, and fails when it reaches a failed state. An existing run with the same run
id fails the task, is skipped (`skip_when_already_exists`) or cleared and run again (`reset_dag_run`).
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any, ClassVar

from migrator.runner.sdk.baseoperator import BaseOperator
from migrator.runner.sdk.exceptions import AirflowException
from migrator.runner.states import DagRunState

XCOM_RUN_ID = "trigger_run_id"
XCOM_LOGICAL_DATE_ISO = "trigger_logical_date_iso"


class _NotSet:
    def __repr__(self) -> str:
        return "NOTSET"


NOTSET: Any = _NotSet()


def _check_datetime_param(name: str, value: Any) -> Any:
    if value is NOTSET or value is None or isinstance(value, (str, datetime.datetime)):
        return value
    raise TypeError(f"Expected str, datetime.datetime, or None for parameter '{name}'. Got {type(value).__name__}")


class TriggerDagRunOperator(BaseOperator):
    template_fields: ClassVar[Sequence[str]] = ("trigger_dag_id", "trigger_run_id", "logical_date", "conf",
                                                "wait_for_completion", "skip_when_already_exists")
    template_fields_renderers: ClassVar[dict[str, str]] = {"conf": "py"}
    ui_color = "#ffefeb"
    runner_kind: ClassVar[str] = "trigger"

    def __init__(
        self,
        *,
        trigger_dag_id: str,
        trigger_run_id: str | None = None,
        conf: dict | None = None,
        logical_date: str | datetime.datetime | None = NOTSET,
        run_after: str | datetime.datetime | None = NOTSET,
        reset_dag_run: bool = False,
        wait_for_completion: bool = False,
        poke_interval: int = 60,
        allowed_states: list[str] | None = None,
        failed_states: list[str] | None = None,
        skip_when_already_exists: bool = False,
        fail_when_dag_is_paused: bool = False,
        note: str | None = None,
        deferrable: bool = False,
        openlineage_inject_parent_info: bool = True,
        execution_date: Any = None,  # Airflow 2 spelling of logical_date
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.trigger_dag_id = trigger_dag_id
        self.trigger_run_id = trigger_run_id
        self.conf = conf
        self.reset_dag_run = reset_dag_run
        self.wait_for_completion = wait_for_completion
        self.poke_interval = poke_interval
        self.allowed_states = [DagRunState(s) for s in allowed_states] if allowed_states else [DagRunState.SUCCESS]
        self.failed_states = [DagRunState(s) for s in failed_states] if failed_states is not None else [DagRunState.FAILED]
        self.skip_when_already_exists = skip_when_already_exists
        self.fail_when_dag_is_paused = fail_when_dag_is_paused
        self.note = note
        self.deferrable = deferrable
        if execution_date is not None and logical_date is NOTSET:
            logical_date = execution_date
        self.logical_date = logical_date
        self.run_after = _check_datetime_param("run_after", run_after)

    def execute(self, context: Any) -> Any:
        raise AirflowException("TriggerDagRunOperator is carried out by the runner, not in a task process")


def triggered_run_sensor(task: TriggerDagRunOperator, dag_id: str, run_id: str) -> Any:
    """What a trigger with `wait_for_completion` waits on: the triggered run's state, checked every
    `poke_interval` seconds (a runtime-only sensor, not a member of any DAG)."""
    from migrator.runner.sdk.sensors import BaseSensorOperator

    class TriggeredRunSensor(BaseSensorOperator):
        runner_kind: ClassVar[str] = "sensor"

        def poke(self, context: Any) -> bool:
            state = context["ti"].state_reader.dag_run_state(dag_id, run_id)
            self.log.info("Waiting for dag run %s of %s: %s", run_id, dag_id, state)
            if state in task.failed_states:
                raise AirflowException(f"{dag_id} failed with failed state {state}")
            return state in task.allowed_states

    return TriggeredRunSensor(task_id=task.task_id, poke_interval=task.poke_interval, dag=task._dag,
                              _airflow_from_mapped=True)
