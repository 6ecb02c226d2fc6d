"""The task context: what templates and task code see, with Airflow 3's keys and types.

Built once per attempt in the runner (dates are pendulum DateTimes in UTC, as Airflow gives them),
handed to the task process by fork. `context_to_airflow_vars` gives the `AIRFLOW_CTX_*` variables.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pendulum import DateTime

from migrator.runner.sdk.xcom_arg import XCOM_RETURN_KEY

if TYPE_CHECKING:
    from migrator.runner.sdk.baseoperator import BaseOperator
    from migrator.runner.sdk.dag import DAG

_NOTSET = object()
MISSING = _NOTSET  # what XComStore.get returns for an absent XCom


@dataclass
class DagRunView:
    """`context["dag_run"]`: the fields of Airflow 3's DagRun the task side sees."""

    dag_id: str
    run_id: str
    logical_date: DateTime | None
    data_interval_start: DateTime | None
    data_interval_end: DateTime | None
    run_after: DateTime
    run_type: str
    conf: dict[str, Any] = field(default_factory=dict)
    start_date: DateTime | None = None
    end_date: DateTime | None = None
    state: str = "running"
    clear_number: int = 0
    triggered_by: str = "cli"
    partition_key: str | None = None
    partition_date: DateTime | None = None
    consumed_asset_events: list[Any] = field(default_factory=list)
    triggering_user_name: str | None = None
    note: str | None = None
    team_name: str | None = None

    @property
    def external_trigger(self) -> bool:
        return self.run_type == "manual"


class XComStore:
    """Where a task instance reads and writes XComs (the store in the runner, a buffer in a task process).

    `map_index` None in `get` means any instance (the lowest index that has a value), as Airflow's
    XCom.get_one; `get_all` is every instance's value in map index order (XCom.get_all)."""

    def get(self, dag_id: str, run_id: str, task_id: str, key: str, map_index: int | None = -1) -> Any:
        raise NotImplementedError

    def get_all(self, dag_id: str, run_id: str, task_id: str, key: str) -> list[Any]:
        raise NotImplementedError

    def set(self, dag_id: str, run_id: str, task_id: str, key: str, value: Any, map_index: int = -1) -> None:
        raise NotImplementedError


class StateReader:
    """Read-only view of other DAG runs' states (for ExternalTaskSensor)."""

    def count_task_instances(self, dag_id: str, task_ids: list[str], logical_dates: list[Any], states: list[str]) -> int:
        raise NotImplementedError

    def count_group(self, dag_id: str, group_id: str, logical_dates: list[Any], states: list[str]) -> int:
        raise NotImplementedError

    def count_dag_runs(self, dag_id: str, logical_dates: list[Any], states: list[str]) -> int:
        raise NotImplementedError

    def group_known(self, dag_id: str, group_id: str) -> bool | None:
        """Whether the latest recorded run of a DAG has tasks in this group (None: the DAG never ran)."""
        raise NotImplementedError

    def dag_run_state(self, dag_id: str, run_id: str) -> str | None:
        raise NotImplementedError

    def asset_events(self, kind: str, name: str | None, uri: str | None) -> list[dict[str, Any]]:
        raise NotImplementedError

    def state_store(self, request: dict[str, Any]) -> Any:
        """One operation on a task's or an asset's state store (sdk/state_store.py) — the one write."""
        raise NotImplementedError


class RuntimeTaskInstance:
    """`context["ti"]`: the running attempt, with XCom access."""

    def __init__(self, *, task: BaseOperator, run: DagRunView, try_number: int, max_tries: int,
                 xcoms: XComStore, state_reader: StateReader | None = None,
                 start_date: DateTime | None = None, map_index: int = -1) -> None:
        self.task = task
        self.dag_id = run.dag_id
        self.task_id = task.task_id
        self.run_id = run.run_id
        self.try_number = try_number
        self.max_tries = max_tries
        self.map_index = map_index
        self.start_date = start_date
        self.logical_date = run.logical_date
        self.hostname = _hostname()
        self.state = "running"
        self.xcoms = xcoms
        self.state_reader = state_reader
        self.dag_run = run
        self.first_reschedule_date: DateTime | None = None  # when a sensor in reschedule mode first poked

    @property
    def operator(self) -> str:
        return type(self.task).__name__

    @property
    def is_mapped(self) -> bool:
        return self.map_index >= 0

    def xcom_push(self, key: str, value: Any) -> None:
        self.xcoms.set(self.dag_id, self.run_id, self.task_id, key, value, self.map_index)

    def xcom_pull(self, task_ids: str | Iterable[str] | None = None, dag_id: str | None = None,
                  key: str = XCOM_RETURN_KEY, include_prior_dates: bool = False, *,
                  map_indexes: Any = _NOTSET, default: Any = None, run_id: str | None = None) -> Any:
        """Airflow 3's RuntimeTaskInstance.xcom_pull: without `map_indexes`, every instance's value (one
        task with one value gives that value, with none gives None); with them, one value per
        (task, index), `default` where there is none."""
        dag_id = dag_id or self.dag_id
        run_id = run_id or self.run_id
        single_task = isinstance(task_ids, (str, type(None)))
        ids = [self.task_id] if task_ids is None else [task_ids] if isinstance(task_ids, str) else list(task_ids)
        if map_indexes is _NOTSET:
            values: list[Any] = []
            for task_id in ids:
                found = self.xcoms.get_all(dag_id, run_id, task_id, key)
                values.extend(found if found else [None])
            return values[0] if single_task and len(values) == 1 else values
        single_index = isinstance(map_indexes, (int, type(None)))
        if not single_index and not isinstance(map_indexes, Iterable):
            raise TypeError(f"Invalid type for map_indexes: expected int, iterable of ints, or None, "
                            f"got {type(map_indexes)}")
        indexes = [map_indexes] if single_index else list(map_indexes)
        values = []
        for task_id in ids:
            for index in indexes:
                value = self.xcoms.get(dag_id, run_id, task_id, key, index)
                values.append(default if value is _NOTSET else value)
        return values[0] if single_task and single_index else values

    def get_template_context(self) -> dict[str, Any]:
        from migrator.runner.sdk.context import get_current_context

        return get_current_context()

    def __repr__(self) -> str:
        return f"<TaskInstance: {self.dag_id}.{self.task_id} {self.run_id} [{self.state}]>"


_HOSTNAME: str | None = None


def _hostname() -> str:
    global _HOSTNAME
    if _HOSTNAME is None:
        import socket

        _HOSTNAME = socket.getfqdn()
    return _HOSTNAME


def build_context(
    *,
    dag: DAG,
    task: BaseOperator,
    run: DagRunView,
    ti: RuntimeTaskInstance,
    params: Mapping[str, Any],
    previous_success: Callable[[], DagRunView | None] | None = None,
    task_reschedule_count: int = 0,
) -> dict[str, Any]:
    """Airflow 3's `RuntimeTaskInstance.get_template_context()` for one attempt."""
    from migrator.runner.sdk import macros
    from migrator.runner.sdk.asset_events import InletEventsAccessors, OutletEventAccessors
    from migrator.runner.sdk.state_store import (
        AssetStateStoreAccessors,
        TaskStateStoreAccessor,
        has_asset_state,
    )
    from migrator.runner.sdk.variables import ConnectionAccessor, VariableAccessor

    prev = previous_success() if previous_success is not None else None
    context: dict[str, Any] = {
        "dag": dag,
        "inlets": task.inlets,
        "map_index_template": task.map_index_template,
        "outlets": task.outlets,
        "run_id": run.run_id,
        "task": task,
        "task_instance": ti,
        "ti": ti,
        "outlet_events": OutletEventAccessors(),
        "inlet_events": InletEventsAccessors(task.inlets, lambda kind, name, uri: ti.state_reader.asset_events(kind, name, uri)),
        "macros": macros,
        "params": dict(params),
        "var": {"json": VariableAccessor(True), "value": VariableAccessor(False)},
        "conn": ConnectionAccessor(),
        "dag_run": run,
        "partition_key": None,
        "partition_date": None,
        "triggering_asset_events": {},
        "task_instance_key_str": f"{dag.dag_id}__{task.task_id}__{run.run_id}",
        "task_reschedule_count": task_reschedule_count,
        "prev_start_date_success": prev.start_date if prev else None,
        "prev_end_date_success": prev.end_date if prev else None,
        "task_state_store": TaskStateStoreAccessor(ti),
    }
    if has_asset_state(task):
        context["asset_state_store"] = AssetStateStoreAccessors(ti, list(task.inlets), list(task.outlets))
    logical_date = run.logical_date
    if logical_date is not None:
        ds = logical_date.strftime("%Y-%m-%d")
        ds_nodash = ds.replace("-", "")
        ts = logical_date.isoformat()
        context.update({
            "logical_date": logical_date,
            "ds": ds,
            "ds_nodash": ds_nodash,
            "task_instance_key_str": f"{dag.dag_id}__{task.task_id}__{ds_nodash}",
            "ts": ts,
            "ts_nodash": logical_date.strftime("%Y%m%dT%H%M%S"),
            "ts_nodash_with_tz": ts.replace("-", "").replace(":", ""),
            "data_interval_end": run.data_interval_end,
            "data_interval_start": run.data_interval_start,
            "prev_data_interval_start_success": prev.data_interval_start if prev else None,
            "prev_data_interval_end_success": prev.data_interval_end if prev else None,
        })
    return context


def context_to_airflow_vars(context: Mapping[str, Any]) -> dict[str, str]:
    """The `AIRFLOW_CTX_*` variables (`airflow.sdk.execution_time.context.context_to_airflow_vars`)."""
    import datetime

    task = context.get("task")
    ti = context.get("task_instance")
    run = context.get("dag_run")
    result: dict[str, str] = {}
    for subject, attr, name in (
        (task, "email", "AIRFLOW_CTX_DAG_EMAIL"),
        (task, "owner", "AIRFLOW_CTX_DAG_OWNER"),
        (ti, "dag_id", "AIRFLOW_CTX_DAG_ID"),
        (ti, "task_id", "AIRFLOW_CTX_TASK_ID"),
        (run, "logical_date", "AIRFLOW_CTX_LOGICAL_DATE"),
        (ti, "try_number", "AIRFLOW_CTX_TRY_NUMBER"),
        (run, "run_id", "AIRFLOW_CTX_DAG_RUN_ID"),
    ):
        value = getattr(subject, attr, None)
        if not (subject and value):
            continue
        if isinstance(value, str):
            result[name] = value
        elif isinstance(value, datetime.datetime):
            result[name] = value.isoformat()
        elif isinstance(value, list):
            result[name] = ",".join(value)
        else:
            result[name] = str(value)
    return result
