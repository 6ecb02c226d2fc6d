"""TriggerDagRunOperator, carried out by the runner: find the target DAG, create its run, judge waits.

The target DAG is looked up where a user would expect the local runner to find it: among the DAGs
already loaded (the same file), then in the file an earlier local run of it came from, then in the
Python files of the triggering DAG's folder that mention its id. The run is a manual one, as
Airflow's triggered runs are (run id `manual__<logical date>` unless given).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from migrator.runner.states import DagRunState
from migrator.runner.store import RunRow, now_iso

if TYPE_CHECKING:
    from migrator.runner.sdk.dag import DAG
    from migrator.runner.store import Store


@dataclass(frozen=True)
class TriggerRequest:
    dag_id: str
    run_id: str
    logical_date: Any  # pendulum DateTime or None
    run_after: Any
    conf: dict[str, Any]


def request_from(values: dict[str, Any], task: Any) -> TriggerRequest:
    """The run a trigger asks for, from its rendered fields (as TriggerDagRunOperator.execute decides)."""
    from migrator.runner.sdk.trigger_dagrun import NOTSET, _check_datetime_param
    from migrator.runner.timezone import coerce_datetime, parse, utcnow

    def moment(value: Any) -> Any:
        if value is None:
            return None
        return coerce_datetime(value) if not isinstance(value, str) else parse(value)

    logical = _check_datetime_param("logical_date", values["logical_date"])
    if logical is NOTSET:
        logical_date = None if task.run_after is not NOTSET else utcnow()
    else:
        logical_date = moment(logical)
    run_after = logical_date if task.run_after is NOTSET else moment(task.run_after)
    conf = values["conf"]
    if isinstance(conf, str) and conf:
        conf = json.loads(conf)
    try:
        json.dumps(conf)
    except (TypeError, ValueError):
        raise ValueError(f"conf parameter should be JSON Serializable: {conf}") from None
    stamp = (logical_date or run_after or utcnow()).isoformat()
    run_id = str(values["trigger_run_id"]) if values["trigger_run_id"] else f"manual__{stamp}"
    return TriggerRequest(str(values["trigger_dag_id"]), run_id, logical_date, run_after or utcnow(), conf or {})


def find_dag(dag_id: str, near: DAG, store: Store) -> DAG | None:
    """The target DAG: loaded already, from the file of an earlier run, or from the triggering DAG's folder."""
    from migrator.errors import InputError
    from migrator.runner.isolation import load_isolated  # a neighbour that hangs its import cannot hang the run
    from migrator.runner.loader import loaded_dag

    found = loaded_dag(dag_id)
    if found is not None:
        return found
    candidates: list[str] = []
    for run in store.list_runs(dag_id)[:1]:
        if run.dag_file:
            candidates.append(run.dag_file)
    folder = Path(near.folder)
    if folder.is_dir():
        needle = dag_id.encode()
        for path in sorted(folder.glob("*.py")):
            try:
                if needle in path.read_bytes() and str(path) not in candidates:
                    candidates.append(str(path))
            except OSError:
                continue
    for candidate in candidates:
        if not os.path.isfile(candidate) or os.path.abspath(candidate) == os.path.abspath(near.fileloc):
            continue
        try:
            loaded = load_isolated(candidate)
        except InputError:
            continue  # a broken neighbour is not the target's problem
        if dag_id in loaded.dags:
            return loaded.dags[dag_id]
    return None


def create_run(store: Store, dag: DAG, request: TriggerRequest, *, reset: bool) -> tuple[RunRow | None, str | None]:
    """The new run (None and why when a run with that id exists and is not to be reset)."""
    from migrator.runner.mapping import initial_instances

    existing = store.get_run(dag.dag_id, request.run_id)
    if existing is not None:
        if not reset:
            return None, f"A Dag Run already exists for Dag {dag.dag_id} with run id {request.run_id}"
        store.clear(dag.dag_id, request.run_id)
        return store.get_run(dag.dag_id, request.run_id), None
    interval = dag.timetable.infer_manual_data_interval(run_after=request.run_after)
    row = RunRow(
        dag_id=dag.dag_id, run_id=request.run_id,
        logical_date=request.logical_date.isoformat() if request.logical_date is not None else None,
        data_interval_start=interval.start.isoformat(), data_interval_end=interval.end.isoformat(),
        run_after=request.run_after.isoformat(), run_type="manual", state=DagRunState.QUEUED, conf=request.conf,
        dag_file=str(Path(dag.fileloc).resolve()) if dag.fileloc else None, created_at=now_iso(),
    )
    if not store.create_run(row, initial_instances(dag, request.logical_date, "manual")):
        return None, f"A Dag Run already exists for Dag {dag.dag_id} with run id {request.run_id}"
    return row, None
