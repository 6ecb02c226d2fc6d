"""Serve `airflow.*` imports from the runner's own authoring API while DAG files load and run.

A meta-path finder placed first on `sys.meta_path` answers every `airflow` module name: the ones in
MODULES get a module filled with the runner's classes (Airflow 3 paths and Airflow 2 paths alike);
any other raises `NotSupportedByRunner` naming the module, which the loader reports at the importing
line. A real Airflow installation, if present, is hidden for as long as the shim is active.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from migrator.runner.sdk.exceptions import NotSupportedByRunner

_SDK = "migrator.runner.sdk"


def _from(module: str, *names: str, **renamed: str) -> Callable[[], dict[str, Any]]:
    def build() -> dict[str, Any]:
        source = importlib.import_module(module)
        namespace = {name: getattr(source, name) for name in names}
        namespace.update({alias: getattr(source, name) for alias, name in renamed.items()})
        return namespace

    return build


def _merge(*builders: Callable[[], dict[str, Any]]) -> Callable[[], dict[str, Any]]:
    def build() -> dict[str, Any]:
        namespace: dict[str, Any] = {}
        for builder in builders:
            namespace.update(builder())
        return namespace

    return build


def _package() -> dict[str, Any]:
    return {}


_EXC = _from(f"{_SDK}.exceptions", "AirflowException", "AirflowSkipException", "AirflowFailException",
             "AirflowSensorTimeout", "AirflowTaskTimeout", "AirflowNotFoundException", "AirflowRescheduleException",
             "DownstreamTasksSkipped", "ParamValidationError", "DuplicateTaskIdFound")
_BASH = _from(f"{_SDK}.operators", "BashOperator")
_PYTHON = _merge(_from(f"{_SDK}.operators", "PythonOperator", "BranchPythonOperator", "ShortCircuitOperator"),
                 _from(f"{_SDK}.virtualenv", "PythonVirtualenvOperator", "ExternalPythonOperator",
                       "BranchPythonVirtualenvOperator", "BranchExternalPythonOperator"),
                 _from(f"{_SDK}.context", "get_current_context"))
_EMPTY = _from(f"{_SDK}.operators", "EmptyOperator")
_BRANCH = _from(f"{_SDK}.operators", "BaseBranchOperator", "BranchMixIn")
_FILE = _from(f"{_SDK}.sensors", "FileSensor")
_TIME = _from(f"{_SDK}.sensors", "TimeSensor", "TimeSensorAsync")
_TIME_DELTA = _from(f"{_SDK}.sensors", "TimeDeltaSensor", "TimeDeltaSensorAsync", "WaitSensor")
_DATE_TIME = _from(f"{_SDK}.sensors", "DateTimeSensor", "DateTimeSensorAsync")
_EXTERNAL = _from(f"{_SDK}.sensors", "ExternalTaskSensor", "ExternalTaskMarker")
_BASH_SENSOR = _from(f"{_SDK}.sensors", "BashSensor")
_PYTHON_SENSOR = _from(f"{_SDK}.sensors", "PythonSensor")
_WEEKDAY_SENSOR = _from(f"{_SDK}.sensors", "DayOfWeekSensor")
_WEEKDAY = _from(f"{_SDK}.weekday", "WeekDay")
_LATEST_ONLY = _from(f"{_SDK}.branches", "LatestOnlyOperator")
_DATETIME_BRANCH = _from(f"{_SDK}.branches", "BranchDateTimeOperator", "target_times_as_dates")
_WEEKDAY_BRANCH = _from(f"{_SDK}.branches", "BranchDayOfWeekOperator")
_TI = _from("migrator.runner.context", TaskInstance="RuntimeTaskInstance")
_TRIGGER = _from(f"{_SDK}.trigger_dagrun", "TriggerDagRunOperator")
_SKIPMIXIN = _merge(_from(f"{_SDK}.operators", "SkipMixin", XCOM_SKIPMIXIN_KEY="XCOM_SKIPMIXIN_KEY"),
                    lambda: {"XCOM_SKIPMIXIN_SKIPPED": "skipped", "XCOM_SKIPMIXIN_FOLLOWED": "followed"})
_SENSOR_BASE = _from(f"{_SDK}.sensors", "BaseSensorOperator", "PokeReturnValue")
_BASEOP = _merge(_from(f"{_SDK}.baseoperator", "BaseOperator", "BaseAsyncOperator"),
                 _from(f"{_SDK}.nodes", "chain", "chain_linear", "cross_downstream"))
_TIMEZONE = _from("migrator.runner.timezone", "utcnow", "parse", "convert_to_utc", "make_aware", "make_naive",
                  "coerce_datetime", "parse_timezone", utc="UTC")
_TRIGGER_TT = _from("migrator.runner.timetables", "CronTriggerTimetable", "DeltaTriggerTimetable",
                    "MultipleCronTriggerTimetable")
_INTERVAL_TT = _from("migrator.runner.timetables", "CronDataIntervalTimetable", "DeltaDataIntervalTimetable")


def _timezone_module() -> dict[str, Any]:
    import datetime as dt

    import pendulum

    namespace = _TIMEZONE()

    def datetime(*args: Any, **kwargs: Any) -> dt.datetime:
        kwargs.setdefault("tzinfo", pendulum.UTC)
        return dt.datetime(*args, **kwargs)

    namespace["datetime"] = datetime
    namespace["timezone"] = pendulum.timezone
    return namespace


def _dates_module() -> dict[str, Any]:
    import datetime as dt

    import pendulum

    def days_ago(n: int, hour: int = 0, minute: int = 0, second: int = 0, microsecond: int = 0) -> dt.datetime:
        today = pendulum.now("UTC").replace(hour=hour, minute=minute, second=second, microsecond=microsecond)
        return today - dt.timedelta(days=n)

    from migrator.runner.timetables import CRON_PRESETS

    return {"days_ago": days_ago, "cron_presets": dict(CRON_PRESETS)}


def _state_module() -> dict[str, Any]:
    from migrator.runner import states

    class State:
        SUCCESS = states.TaskInstanceState.SUCCESS
        RUNNING = states.TaskInstanceState.RUNNING
        FAILED = states.TaskInstanceState.FAILED
        NONE = None
        REMOVED = states.TaskInstanceState.REMOVED
        SCHEDULED = states.TaskInstanceState.SCHEDULED
        QUEUED = states.TaskInstanceState.QUEUED
        UP_FOR_RETRY = states.TaskInstanceState.UP_FOR_RETRY
        UP_FOR_RESCHEDULE = states.TaskInstanceState.UP_FOR_RESCHEDULE
        UPSTREAM_FAILED = states.TaskInstanceState.UPSTREAM_FAILED
        SKIPPED = states.TaskInstanceState.SKIPPED
        DEFERRED = states.TaskInstanceState.DEFERRED
        finished = states.FINISHED
        unfinished = states.UNFINISHED
        failed_states = states.FAILED_STATES
        success_states = states.SUCCESS_STATES
        task_states = (None, *states.TaskInstanceState)
        dag_states = tuple(states.DagRunState)

    return {"State": State, "TaskInstanceState": states.TaskInstanceState, "DagRunState": states.DagRunState}


def _sdk_module() -> types.ModuleType:
    return importlib.import_module(_SDK)


def _compat_sdk() -> dict[str, Any]:
    """`airflow.providers.common.compat.sdk`: on Airflow 3 the names of `airflow.sdk` and its exceptions,
    plus a few helpers; a name it has that the runner lacks fails at its import, naming it."""
    sdk = importlib.import_module(_SDK)
    namespace = {name: getattr(sdk, name) for name in sdk.__all__}
    namespace.update(_EXC())
    namespace["timezone"] = importlib.import_module("airflow.sdk.timezone")
    namespace["XCOM_RETURN_KEY"] = "return_value"
    from migrator.runner.context import context_to_airflow_vars
    from migrator.runner.sdk.mapped import MappedOperator

    namespace.update(context_to_airflow_vars=context_to_airflow_vars, MappedOperator=MappedOperator)
    return namespace


# Module name -> builder of its namespace. A builder returning a module serves that module itself.
MODULES: dict[str, Callable[[], Any]] = {
    "airflow": _merge(_from(_SDK, "DAG", "Dataset", "Asset", "XComArg"), lambda: {"__version__": "3.0.0+cron2dag"}),
    "airflow.sdk": _sdk_module,
    "airflow.sdk.definitions": _package,
    "airflow.sdk.definitions.dag": _from(_SDK, "DAG", "dag"),
    "airflow.sdk.definitions.taskgroup": _from(_SDK, "TaskGroup"),
    "airflow.sdk.definitions.param": _from(_SDK, "Param", "ParamsDict"),
    "airflow.sdk.definitions.asset": _from(_SDK, "Asset", "AssetAlias", "AssetAll", "AssetAny"),
    "airflow.sdk.definitions.context": _from(_SDK, "Context", "get_current_context"),
    "airflow.sdk.execution_time": _package,
    "airflow.triggers": _package,
    "airflow.triggers.base": _from(f"{_SDK}.watchers", "BaseTrigger", "BaseEventTrigger", "TriggerEvent"),
    "airflow.providers.standard.triggers": _package,
    "airflow.providers.standard.triggers.file": _from(f"{_SDK}.watchers", "FileTrigger", "FileDeleteTrigger",
                                                      "DirectoryFileDeleteTrigger"),
    "airflow.sdk.execution_time.context": _merge(
        _from(_SDK, "get_current_context"),
        _from(f"{_SDK}.state_store", "NEVER_EXPIRE", "TaskStateStoreAccessor", "AssetStateStoreAccessor",
              "AssetStateStoreAccessors"),
        _from("migrator.runner.context", "context_to_airflow_vars")),
    "airflow.sdk.definitions.edges": _from(_SDK, "Label", "EdgeModifier"),
    "airflow.sdk.definitions.xcom_arg": _from(_SDK, "XComArg"),
    "airflow.sdk.definitions.timetables": _package,
    "airflow.sdk.definitions.timetables.trigger": _TRIGGER_TT,
    "airflow.sdk.definitions.timetables.interval": _INTERVAL_TT,
    "airflow.sdk.bases": _package,
    "airflow.sdk.bases.operator": _BASEOP,
    "airflow.sdk.bases.sensor": _SENSOR_BASE,
    "airflow.sdk.bases.branch": _BRANCH,
    "airflow.sdk.exceptions": _EXC,
    "airflow.sdk.timezone": _timezone_module,
    "airflow.sdk.bases.skipmixin": _SKIPMIXIN,
    "airflow.sdk.definitions.mappedoperator": _from(f"{_SDK}.mapped", "MappedOperator", "OperatorPartial"),
    "airflow.exceptions": _EXC,
    "airflow.providers": _package,
    "airflow.providers.standard": _package,
    "airflow.providers.standard.operators": _package,
    "airflow.providers.standard.operators.bash": _BASH,
    "airflow.providers.standard.operators.python": _PYTHON,
    "airflow.providers.standard.operators.empty": _EMPTY,
    "airflow.providers.standard.operators.branch": _BRANCH,
    "airflow.providers.standard.sensors": _package,
    "airflow.providers.standard.sensors.filesystem": _FILE,
    "airflow.providers.standard.sensors.time": _TIME,
    "airflow.providers.standard.sensors.time_delta": _TIME_DELTA,
    "airflow.providers.standard.sensors.date_time": _DATE_TIME,
    "airflow.providers.standard.sensors.external_task": _EXTERNAL,
    "airflow.providers.standard.sensors.bash": _BASH_SENSOR,
    "airflow.providers.standard.sensors.python": _PYTHON_SENSOR,
    "airflow.providers.standard.sensors.weekday": _WEEKDAY_SENSOR,
    "airflow.providers.standard.operators.latest_only": _LATEST_ONLY,
    "airflow.providers.standard.operators.datetime": _DATETIME_BRANCH,
    "airflow.providers.standard.operators.weekday": _WEEKDAY_BRANCH,
    "airflow.providers.standard.operators.trigger_dagrun": _TRIGGER,
    "airflow.providers.standard.utils": _package,
    "airflow.providers.standard.utils.weekday": _WEEKDAY,
    "airflow.providers.standard.utils.skipmixin": _SKIPMIXIN,
    "airflow.providers.common": _package,
    "airflow.providers.common.compat": _package,
    "airflow.providers.common.compat.sdk": _compat_sdk,
    "airflow.providers.common.compat.assets": _from(f"{_SDK}.assets", "Asset", "AssetAlias", "AssetAll", "AssetAny"),
    "airflow.providers.common.compat.notifier": _from(f"{_SDK}.notifiers", "BaseNotifier"),
    "airflow.providers.common.compat.standard": _package,
    "airflow.providers.common.compat.standard.operators": _merge(
        _from(f"{_SDK}.operators", "PythonOperator", "ShortCircuitOperator", "BaseBranchOperator", "BranchMixIn"),
        _from(f"{_SDK}.baseoperator", "BaseOperator"), _from(f"{_SDK}.context", "get_current_context")),
    "airflow.providers.common.compat.standard.utils": _SKIPMIXIN,
    "airflow.timetables": _package,
    "airflow.timetables.trigger": _TRIGGER_TT,
    "airflow.timetables.interval": _INTERVAL_TT,
    "airflow.timetables.simple": _from("migrator.runner.timetables", "NullTimetable", "OnceTimetable"),
    "airflow.timetables.assets": _from("migrator.runner.timetables", "AssetOrTimeSchedule"),
    "airflow.timetables.datasets": _from("migrator.runner.timetables", DatasetOrTimeSchedule="AssetOrTimeSchedule"),
    "airflow.timetables.base": _from("migrator.runner.timetables", "Timetable", "DataInterval", "DagRunInfo",
                                     "TimeRestriction"),
    "airflow.utils": _package,
    "airflow.utils.trigger_rule": _from(_SDK, "TriggerRule"),
    "airflow.utils.task_group": _from(_SDK, "TaskGroup"),
    "airflow.utils.edgemodifier": _from(_SDK, "Label", "EdgeModifier"),
    "airflow.utils.helpers": _from(f"{_SDK}.nodes", "chain", "cross_downstream"),
    "airflow.utils.dates": _dates_module,
    "airflow.utils.timezone": _timezone_module,
    "airflow.utils.state": _state_module,
    "airflow.utils.context": _from(_SDK, "Context", "get_current_context"),
    "airflow.models": _merge(_from(_SDK, "DAG", "BaseOperator", "Variable", "Param", "Connection"),
                             _from(f"{_SDK}.baseoperator", "BaseOperator"), _TI),
    # As a type (annotations, isinstance): the running attempt's `ti`. Queries of the metadata
    # database through it fail, as Airflow 3 forbids them in task code.
    "airflow.models.taskinstance": _TI,
    "airflow.sdk.types": _merge(_TI, _from("migrator.runner.context", RuntimeTaskInstanceProtocol="RuntimeTaskInstance")),
    "airflow.models.dag": _from(_SDK, "DAG"),
    "airflow.models.baseoperator": _BASEOP,
    "airflow.models.param": _from(_SDK, "Param", "ParamsDict"),
    "airflow.models.variable": _from(_SDK, "Variable"),
    "airflow.models.connection": _from(_SDK, "Connection"),
    "airflow.decorators": _from(_SDK, "dag", "task", "task_group", "setup", "teardown"),
    "airflow.datasets": _from(f"{_SDK}.assets", "Dataset", "DatasetAlias", "DatasetAll", "DatasetAny"),
    "airflow.datasets.metadata": _from(f"{_SDK}.asset_events", "Metadata"),
    "airflow.sdk.definitions.asset.metadata": _from(f"{_SDK}.asset_events", "Metadata"),
    "airflow.operators": _package,
    "airflow.operators.bash": _BASH,
    "airflow.operators.python": _PYTHON,
    "airflow.operators.empty": _EMPTY,
    "airflow.operators.dummy": _from(f"{_SDK}.operators", "DummyOperator", "EmptyOperator"),
    "airflow.operators.branch": _BRANCH,
    "airflow.sensors": _package,
    "airflow.sensors.base": _SENSOR_BASE,
    "airflow.sensors.filesystem": _FILE,
    "airflow.sensors.time_sensor": _TIME,
    "airflow.sensors.time_delta": _TIME_DELTA,
    "airflow.sensors.date_time": _DATE_TIME,
    "airflow.sensors.external_task": _EXTERNAL,
    "airflow.sensors.bash": _BASH_SENSOR,
    "airflow.sensors.python": _PYTHON_SENSOR,
    "airflow.sensors.weekday": _WEEKDAY_SENSOR,
    "airflow.operators.latest_only": _LATEST_ONLY,
    "airflow.operators.datetime": _DATETIME_BRANCH,
    "airflow.operators.weekday": _WEEKDAY_BRANCH,
    "airflow.operators.trigger_dagrun": _TRIGGER,
    "airflow.utils.weekday": _WEEKDAY,
    "airflow.models.skipmixin": _SKIPMIXIN,
    "airflow.models.mappedoperator": _from(f"{_SDK}.mapped", "MappedOperator", "OperatorPartial"),
    "airflow.models.xcom_arg": _from(_SDK, "XComArg"),
    "airflow.providers.amazon": _package,
    "airflow.providers.amazon.aws": _package,
    "airflow.providers.amazon.aws.sensors": _package,
    "airflow.providers.amazon.aws.sensors.s3": _from(f"{_SDK}.cloud_sensors", "S3KeySensor"),
    "airflow.providers.google": _package,
    "airflow.providers.google.cloud": _package,
    "airflow.providers.google.cloud.sensors": _package,
    "airflow.providers.google.cloud.sensors.gcs": _from(f"{_SDK}.cloud_sensors", "GCSObjectExistenceSensor"),
    "airflow.providers.apache": _package,
    "airflow.providers.apache.hdfs": _package,
    "airflow.providers.apache.hdfs.sensors": _package,
    "airflow.providers.apache.hdfs.sensors.web_hdfs": _from(f"{_SDK}.cloud_sensors", "WebHdfsSensor"),
    "airflow.sdk.definitions.deadline": _from(f"{_SDK}.deadline", "DeadlineAlert", "DeadlineReference",
                                              "BaseDeadlineReference"),
    "airflow.sdk.definitions.callback": _from(f"{_SDK}.deadline", "AsyncCallback", "SyncCallback", "Callback"),
    "airflow.sdk.definitions.retry_policy": _from(f"{_SDK}.retry_policy", "RetryPolicy", "RetryDecision",
                                                  "RetryAction", "RetryRule", "ExceptionRetryPolicy"),
    "airflow.providers.smtp": _package,
    "airflow.providers.smtp.notifications": _package,
    "airflow.providers.smtp.notifications.smtp": _from(f"{_SDK}.notifiers", "SmtpNotifier"),
    "airflow.notifications": _package,
    "airflow.notifications.basenotifier": _from(f"{_SDK}.notifiers", "BaseNotifier"),
    "airflow.sdk.bases.notifier": _from(f"{_SDK}.notifiers", "BaseNotifier"),
    "airflow.macros": _from(f"{_SDK}.macros", "ds_add", "ds_format", "datetime_diff_for_humans", "datetime",
                            "timedelta", "json", "time", "uuid", "random", "dateutil"),
}

SUPPORTED_MODULES = frozenset(MODULES)


class _ShimLoader(importlib.abc.Loader):
    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType | None:
        builder = MODULES.get(spec.name)
        if builder is None:
            return None
        built = builder()
        return built if isinstance(built, types.ModuleType) else None

    def exec_module(self, module: types.ModuleType) -> None:
        name = module.__spec__.name if module.__spec__ else module.__name__
        builder = MODULES.get(name)
        if builder is None:
            raise NotSupportedByRunner(
                f"module {name!r} is outside the local runner's subset of the Airflow API"
            )
        built = builder()
        if isinstance(built, types.ModuleType):
            return
        module.__dict__.update(built)
        is_package = module.__spec__ is not None and module.__spec__.submodule_search_locations is not None

        def __getattr__(attr: str) -> Any:
            # In a package an unknown name may be a submodule: let the import system look for it.
            if attr.startswith("__") or is_package:
                raise AttributeError(f"module {name!r} has no attribute {attr!r}")
            raise NotSupportedByRunner(f"{name}.{attr} is not supported by the local runner")

        module.__dict__.setdefault("__getattr__", __getattr__)


# Airflow's bundled example DAGs import helpers from their own package (`airflow.example_dags.libs...`):
# user code shipped with Airflow, loaded from the files next to the example being run.
_EXAMPLES_PACKAGE = "airflow.example_dags"


def _examples_spec(fullname: str, path: Any) -> importlib.machinery.ModuleSpec | None:
    if fullname == _EXAMPLES_PACKAGE:
        folders = [entry for entry in sys.path if entry.replace("\\", "/").rstrip("/").endswith("airflow/example_dags")]
        if not folders:
            return None
        spec = importlib.machinery.ModuleSpec(fullname, None, is_package=True)
        spec.submodule_search_locations = folders[:1]
        return spec
    return importlib.machinery.PathFinder.find_spec(fullname, path)


class AirflowShimFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        if fullname != "airflow" and not fullname.startswith("airflow."):
            return None
        if fullname == _EXAMPLES_PACKAGE or fullname.startswith(_EXAMPLES_PACKAGE + "."):
            found = _examples_spec(fullname, path)
            if found is not None:
                return found
        is_package = any(other.startswith(fullname + ".") for other in MODULES) or fullname not in MODULES
        spec = importlib.machinery.ModuleSpec(fullname, _ShimLoader(), is_package=is_package)
        if is_package:
            spec.submodule_search_locations = []
        return spec


_FINDER = AirflowShimFinder()
_depth = 0
_hidden: dict[str, types.ModuleType] = {}


def _airflow_names() -> list[str]:
    return [name for name in sys.modules if name == "airflow" or name.startswith("airflow.")]


@contextmanager
def airflow_shim() -> Iterator[None]:
    """Make `import airflow...` resolve to the runner's API for the duration of the block (re-entrant)."""
    global _depth
    if _depth == 0:
        for name in _airflow_names():  # hide a real Airflow that was imported before
            _hidden[name] = sys.modules.pop(name)
        sys.meta_path.insert(0, _FINDER)
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1
        if _depth == 0:
            sys.meta_path.remove(_FINDER)
            for name in _airflow_names():
                del sys.modules[name]
            sys.modules.update(_hidden)
            _hidden.clear()
