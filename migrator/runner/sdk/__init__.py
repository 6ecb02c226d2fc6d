"""The Airflow authoring API subset the local runner provides (served as `airflow.sdk` and friends).

Everything a DAG file may use comes from here, whether or not Airflow is installed; the runner never
uses Airflow's own classes. Names of the real API that are not provided raise `NotSupportedByRunner`,
which the loader reports at the DAG file's line.
"""

from __future__ import annotations

from typing import Any

from migrator.runner.sdk import macros
from migrator.runner.sdk.asset_decorator import asset
from migrator.runner.sdk.asset_events import Metadata
from migrator.runner.sdk.assets import Asset, AssetAccessControl, AssetAlias, AssetAll, AssetAny, Dataset
from migrator.runner.sdk.baseoperator import BaseAsyncOperator, BaseOperator
from migrator.runner.sdk.context import Context, get_current_context
from migrator.runner.sdk.dag import DAG, dag
from migrator.runner.sdk.deadline import (
    AsyncCallback,
    BaseDeadlineReference,
    DeadlineAlert,
    DeadlineReference,
    SyncCallback,
)
from migrator.runner.sdk.decorators import setup, task, teardown
from migrator.runner.sdk.exceptions import NotSupportedByRunner
from migrator.runner.sdk.nodes import EdgeModifier, Label, chain, chain_linear, cross_downstream
from migrator.runner.sdk.retry_policy import (
    ExceptionRetryPolicy,
    RetryAction,
    RetryDecision,
    RetryPolicy,
    RetryRule,
)
from migrator.runner.sdk.notifiers import BaseNotifier
from migrator.runner.sdk.operators import BaseBranchOperator, BranchMixIn, SkipMixin
from migrator.runner.sdk.params import Param, ParamsDict
from migrator.runner.sdk.sensors import BaseSensorOperator, PokeReturnValue
from migrator.runner.sdk.state_store import NEVER_EXPIRE
from migrator.runner.sdk.taskgroup import TaskGroup, task_group
from migrator.runner.sdk.watchers import AssetWatcher
from migrator.runner.sdk.variables import Connection, Variable
from migrator.runner.sdk.xcom_arg import XComArg
from migrator.runner.states import DagRunState, TaskInstanceState
from migrator.runner.timetables import (
    AssetOrTimeSchedule,
    CronDataIntervalTimetable,
    CronTriggerTimetable,
    DeltaDataIntervalTimetable,
    DeltaTriggerTimetable,
    MultipleCronTriggerTimetable,
)
from migrator.runner.trigger_rules import TriggerRule

__version__ = "1.3.2+cron2dag"

# Names of the real `airflow.sdk` that the runner does not provide.
UNSUPPORTED = frozenset({
    "BaseHook", "BaseOperatorLink", "BaseXCom", "EventsTimetable", "ObjectStoragePath", "ResumableJobMixin",
    "WeightRule", "conf", "deadline_reference", "get_parsing_context", "literal", "lineage", "result",
})


def __getattr__(name: str) -> Any:
    import importlib

    partitions = importlib.import_module("migrator.runner.sdk.partitions")
    if name in partitions.NAMES:
        return getattr(partitions, name)
    if name == "TaskInstance":  # a type for annotations: the running attempt's `ti`
        from migrator.runner.context import RuntimeTaskInstance

        return RuntimeTaskInstance
    if name in UNSUPPORTED:
        raise NotSupportedByRunner(f"airflow.sdk.{name} is not supported by the local runner")
    from migrator.runner.shim import SUPPORTED_MODULES

    if f"airflow.sdk.{name}" in SUPPORTED_MODULES:
        # `from airflow.sdk import timezone`: Python would look for the submodule under this module's
        # own name (migrator.runner.sdk.timezone); serve the shim's airflow.sdk.timezone instead.
        return importlib.import_module(f"airflow.sdk.{name}")
    raise AttributeError(f"module 'airflow.sdk' has no attribute {name!r}")


__all__ = [
    "DAG",
    "AsyncCallback",
    "BaseDeadlineReference",
    "DeadlineAlert",
    "DeadlineReference",
    "ExceptionRetryPolicy",
    "RetryAction",
    "RetryDecision",
    "RetryPolicy",
    "RetryRule",
    "SyncCallback",
    "Asset",
    "AssetAccessControl",
    "AssetAlias",
    "AssetAll",
    "AssetAny",
    "AssetOrTimeSchedule",
    "AssetWatcher",
    "BaseAsyncOperator",
    "BaseBranchOperator",
    "BaseNotifier",
    "BaseOperator",
    "BaseSensorOperator",
    "BranchMixIn",
    "Connection",
    "Context",
    "CronDataIntervalTimetable",
    "CronTriggerTimetable",
    "DagRunState",
    "Dataset",
    "DeltaDataIntervalTimetable",
    "DeltaTriggerTimetable",
    "EdgeModifier",
    "Label",
    "Metadata",
    "MultipleCronTriggerTimetable",
    "NEVER_EXPIRE",
    "Param",
    "ParamsDict",
    "PokeReturnValue",
    "SkipMixin",
    "TaskGroup",
    "TaskInstanceState",
    "TriggerRule",
    "Variable",
    "XComArg",
    "asset",
    "chain",
    "chain_linear",
    "cross_downstream",
    "dag",
    "get_current_context",
    "macros",
    "setup",
    "task",
    "task_group",
    "teardown",
]
