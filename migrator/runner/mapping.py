"""Dynamic task mapping at run time: which instances a task has, and when a placeholder expands.

Airflow creates a mapped task's instances when its DAG run is created if the length is known from
literals alone, otherwise one placeholder instance (map_index -1) that the scheduler expands once the
upstream XComs it maps over exist (`DagRun._create_tasks`, `TaskMap.expand_mapped_task`). The same
happens here, with lengths read from the runner's XCom table:
- an unmapped upstream's return value is mapped over: its length (list or dict);
- a mapped upstream: the number of its instances that pushed a value, once all of them finished;
- `.map()` keeps the length, `.zip()` takes the shortest (longest with a fillvalue), `.concat()` sums.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from migrator.runner import xcom_codec
from migrator.runner.sdk.mapped import (
    NotFullyPopulated,
    is_mappable_value,
    is_mapped,
    needs_expansion,
    parse_time_length,
    run_time_length,
)
from migrator.runner.sdk.xcom_arg import (
    NOTSET,
    XCOM_RETURN_KEY,
    ConcatXComArg,
    MapXComArg,
    XComArg,
    ZipXComArg,
)
from migrator.runner.states import FINISHED

if TYPE_CHECKING:
    from migrator.runner.sdk.dag import DAG
    from migrator.runner.store import Store


def in_date_range(task: Any, dag: DAG, logical_date: datetime.datetime | None) -> bool:
    """Whether a run at this logical date has an instance of the task: its start date (the later of its
    own and the DAG's) is not after it, its end date (the earlier) not before (DagRun.verify_integrity)."""
    if logical_date is None:
        return True
    starts = [d for d in (task.start_date, dag.start_date) if d is not None]
    ends = [d for d in (task.end_date, dag.end_date) if d is not None]
    return (not starts or max(starts) <= logical_date) and (not ends or logical_date <= min(ends))


def initial_instances(dag: DAG, logical_date: datetime.datetime | None = None,
                      run_type: str = "manual") -> list[tuple[str, int, int]]:
    """(task_id, map_index, retries) of the task instances a new run of this DAG starts with. Tasks whose
    dates do not cover the logical date get none, except in a backfill (as Airflow)."""
    rows = []
    for task in dag.tasks:
        if run_type != "backfill" and not in_date_range(task, dag, logical_date):
            continue
        indexes: range | tuple[int, ...] = (-1,)
        if needs_expansion(task):
            try:
                count = parse_time_length(task)
            except NotFullyPopulated:
                count = 0
            if count:
                indexes = range(count)
        rows.extend((task.task_id, index, task.retries) for index in indexes)
    return rows


def length_reader(store: Store, dag_id: str, run_id: str) -> Callable[[XComArg], int | None]:
    """How many values an XCom reference holds in one run, or None while that is not known yet."""

    def plain(arg: XComArg) -> int | None:
        task_id = arg.operator.task_id
        if is_mapped(arg.operator):
            states = [row.state for row in store.task_instances_of(dag_id, run_id, task_id)]
            if not states or any(state not in FINISHED for state in states):
                return None
            return len([index for index, _ in store.get_xcoms(dag_id, run_id, task_id, XCOM_RETURN_KEY) if index >= 0])
        text = store.get_xcom(dag_id, run_id, task_id, XCOM_RETURN_KEY)
        if text is None:
            return None
        value = xcom_codec.decode(text)
        return len(value) if is_mappable_value(value) else None

    def length_of(arg: XComArg) -> int | None:
        if isinstance(arg, MapXComArg):
            return length_of(arg.arg)
        if isinstance(arg, (ZipXComArg, ConcatXComArg)):
            lengths = [length_of(item) for item in arg.args]
            if any(length is None for length in lengths):
                return None
            if isinstance(arg, ConcatXComArg):
                return sum(lengths)  # type: ignore[arg-type]
            return max(lengths) if arg.fillvalue is not NOTSET else min(lengths)  # type: ignore[type-var]
        return plain(arg)

    return length_of


def expansion_length(task: Any, store: Store, dag_id: str, run_id: str) -> int | None:
    """The number of instances a placeholder expands into now, or None if an upstream value is missing."""
    try:
        return run_time_length(task, length_reader(store, dag_id, run_id))
    except NotFullyPopulated:
        return None


def mapping_push_error(result: Any) -> str | None:
    """Why a task's return value cannot feed the mapped tasks downstream of it (Airflow's checks)."""
    if result is None:
        return "XComForMappingNotPushed: did not push XCom for task mapping"
    if not is_mappable_value(result):
        return f"UnmappableXComTypePushed: unmappable return type {type(result).__qualname__!r}"
    from migrator.runner.sdk.mapped import MAX_MAP_LENGTH

    if len(result) > MAX_MAP_LENGTH:
        return f"UnmappableXComLengthPushed: unmappable return value length: {len(result)} > {MAX_MAP_LENGTH}"
    return None


__all__ = ["expansion_length", "initial_instances", "length_reader", "mapping_push_error"]
