"""`DAG` and `@dag`."""

from __future__ import annotations

import datetime
import functools
import inspect
import os
import sys
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from migrator.runner.sdk.context import DagContext
from migrator.runner.sdk.exceptions import (
    AirflowException,
    DuplicateTaskIdFound,
    NotSupportedByRunner,
)
from migrator.runner.sdk.params import NOTSET, DagParam, Param, ParamsDict
from migrator.runner.timetables import (
    AssetTriggeredTimetable,
    CronDataIntervalTimetable,
    DeltaDataIntervalTimetable,
    Timetable,
    TimetableError,
    timetable_from_schedule,
)
from migrator.runner.timezone import UTC, convert_to_utc, parse

if TYPE_CHECKING:
    from migrator.runner.sdk.baseoperator import BaseOperator
    from migrator.runner.sdk.taskgroup import TaskGroup


def _caller_file() -> str:
    frame = sys._getframe(2)
    while frame is not None and frame.f_globals.get("__name__", "").startswith("migrator.runner.sdk"):
        frame = frame.f_back  # type: ignore[assignment]
    return frame.f_code.co_filename if frame is not None else ""


class DAG:
    """A DAG definition (`airflow.sdk.DAG`, also `airflow.DAG` / `airflow.models.DAG`)."""

    def __init__(
        self,
        dag_id: str,
        description: str | None = None,
        schedule: Any = None,
        start_date: datetime.datetime | None = None,
        end_date: datetime.datetime | None = None,
        default_args: dict[str, Any] | None = None,
        template_searchpath: str | Iterable[str] | None = None,
        template_undefined: Any = None,  # jinja2.StrictUndefined unless given (jinja2 is imported lazily)
        user_defined_macros: dict | None = None,
        user_defined_filters: dict | None = None,
        max_active_tasks: int | None = None,
        max_active_runs: int | None = None,
        max_consecutive_failed_dag_runs: int | None = 0,
        dagrun_timeout: datetime.timedelta | None = None,
        catchup: bool = False,
        on_success_callback: Any = None,
        on_failure_callback: Any = None,
        doc_md: str | None = None,
        params: dict | ParamsDict | None = None,
        access_control: dict | None = None,
        is_paused_upon_creation: bool | None = None,
        jinja_environment_kwargs: dict | None = None,
        render_template_as_native_obj: bool = False,
        tags: Iterable[str] | None = None,
        owner_links: dict[str, str] | None = None,
        auto_register: bool = True,
        fail_fast: bool = False,
        dag_display_name: str | None = None,
        deadline: Any = None,
        allowed_run_types: Any = None,
        rerun_with_latest_version: bool | None = None,
        disable_bundle_versioning: bool = False,
        # Airflow 2 spellings, accepted for Airflow 2 DAG files:
        schedule_interval: Any = NOTSET,
        timetable: Timetable | None = None,
        concurrency: int | None = None,
        sla_miss_callback: Any = None,
        dataset_triggers: Any = None,
    ) -> None:
        from migrator.runner.sdk.baseoperator import validate_key
        from migrator.runner.sdk.taskgroup import TaskGroup

        validate_key(dag_id, "dag_id")
        from migrator.runner.sdk.deadline import alerts_of

        self.deadline = alerts_of(deadline)
        self.dag_id = dag_id
        self.description = description
        self.default_args = dict(default_args or {})
        self.fileloc = _caller_file()
        start = start_date if start_date is not None else self.default_args.get("start_date")
        self.timezone = self._extract_tz(start)
        for key in ("start_date", "end_date"):
            if isinstance(self.default_args.get(key), str):
                self.default_args[key] = parse(self.default_args[key], self.timezone)
            if self.default_args.get(key) is not None:
                self.default_args[key] = convert_to_utc(self.default_args[key])
        if isinstance(start_date, str):
            start_date = parse(start_date, self.timezone)
        self.start_date = convert_to_utc(start_date)
        self.end_date = convert_to_utc(end_date)
        if schedule_interval is not NOTSET or timetable is not None:
            # Airflow 2: `schedule_interval` strings meant data intervals (CronDataIntervalTimetable).
            if schedule is not None:
                raise AirflowException("Only one of schedule, schedule_interval and timetable may be set")
            if timetable is not None:
                schedule = timetable
            elif isinstance(schedule_interval, str) and schedule_interval not in ("@once", "@continuous"):
                schedule = CronDataIntervalTimetable(schedule_interval, self.timezone)
            elif isinstance(schedule_interval, datetime.timedelta):
                schedule = DeltaDataIntervalTimetable(schedule_interval)
            else:
                schedule = schedule_interval
        if dataset_triggers is not None:
            schedule = dataset_triggers
        self.schedule = schedule
        self.timetable = self._make_timetable(schedule)
        self.template_searchpath = [template_searchpath] if isinstance(template_searchpath, str) else list(template_searchpath or [])
        self.template_undefined = template_undefined
        self.user_defined_macros = user_defined_macros
        self.user_defined_filters = user_defined_filters
        from migrator.runner import config

        if max_active_tasks is None:
            max_active_tasks = concurrency if concurrency is not None else config.max_active_tasks_per_dag()
        self.max_active_tasks = int(max_active_tasks)
        self.max_active_runs = int(max_active_runs if max_active_runs is not None else config.max_active_runs_per_dag())
        if self.max_active_tasks < 1 or self.max_active_runs < 1:
            raise AirflowException("max_active_tasks and max_active_runs must be at least 1")
        self.max_consecutive_failed_dag_runs = max_consecutive_failed_dag_runs or 0
        if dagrun_timeout is not None and not isinstance(dagrun_timeout, datetime.timedelta):
            raise AirflowException("dagrun_timeout must be a timedelta")
        self.dagrun_timeout = dagrun_timeout
        self.catchup = catchup
        from migrator.runner.sdk.baseoperator import collect_callbacks

        self.on_success_callback = collect_callbacks(on_success_callback)
        self.on_failure_callback = collect_callbacks(on_failure_callback)
        self.doc_md = doc_md
        self.params = ParamsDict(self.default_args.get("params") or {})
        self.params.update(params if isinstance(params, ParamsDict) else (params or {}))
        self.access_control = access_control
        self.is_paused_upon_creation = is_paused_upon_creation
        self.jinja_environment_kwargs = jinja_environment_kwargs
        self.render_template_as_native_obj = bool(render_template_as_native_obj)
        self.tags = set(tags or ())
        self.owner_links = owner_links or {}
        self.auto_register = auto_register
        self.fail_fast = fail_fast
        self.dag_display_name = dag_display_name or dag_id
        self.task_dict: dict[str, BaseOperator] = {}
        self.task_group_dict: dict[str, TaskGroup] = {}
        self.task_group = TaskGroup(None, dag=self)
        self.edge_info: dict[str, dict[str, Any]] = {}

    @staticmethod
    def _extract_tz(start: Any) -> datetime.tzinfo:
        import pendulum

        if start is None:
            return UTC
        if isinstance(start, str):
            start = parse(start)
        if not isinstance(start, datetime.datetime):
            raise AirflowException(f"start_date must be a datetime, not {type(start).__name__}")
        return pendulum.instance(start, tz=start.tzinfo or UTC).timezone

    def _make_timetable(self, schedule: Any) -> Timetable:
        from migrator.runner.sdk.assets import AssetAll, BaseAsset

        if isinstance(schedule, BaseAsset):
            return AssetTriggeredTimetable(schedule)
        if isinstance(schedule, (list, tuple, set)) and not isinstance(schedule, str):
            if not all(isinstance(item, BaseAsset) for item in schedule):
                raise AirflowException("All elements in 'schedule' should be either assets, asset references, or asset aliases")
            return AssetTriggeredTimetable(AssetAll(*schedule))
        if schedule is not None and not isinstance(schedule, (str, datetime.timedelta, Timetable)):
            from dateutil.relativedelta import relativedelta

            if not isinstance(schedule, relativedelta):
                raise NotSupportedByRunner(
                    f"schedule of type {type(schedule).__name__} is not supported by the local runner"
                )
        try:
            return timetable_from_schedule(schedule, self.timezone)
        except TimetableError as error:
            if "not supported" in str(error):
                raise NotSupportedByRunner(str(error)) from None
            raise AirflowException(str(error)) from None

    # -- context manager -----------------------------------------------------------------------------
    def __enter__(self) -> DAG:
        DagContext.push(self)
        return self

    def __exit__(self, *exc: object) -> None:
        DagContext.pop()

    # -- tasks ------------------------------------------------------------------------------------------
    def add_task(self, task: BaseOperator) -> None:
        existing = self.task_dict.get(task.task_id)
        if existing is not None and existing is not task:
            raise DuplicateTaskIdFound(f"Task id {task.task_id!r} has already been added to the DAG")
        if task.task_id in self.task_group_dict:
            raise DuplicateTaskIdFound(f"Task id {task.task_id!r} has already been added to the DAG as a group")
        self.task_dict[task.task_id] = task
        if task.task_group is None:
            self.task_group.add(task)
            task.task_group = self.task_group
        task._dag = self

    def add_tasks(self, tasks: Iterable[BaseOperator]) -> None:
        for task in tasks:
            task.dag = self

    @property
    def tasks(self) -> list[BaseOperator]:
        return list(self.task_dict.values())

    @property
    def task_ids(self) -> list[str]:
        return list(self.task_dict)

    def get_task(self, task_id: str) -> BaseOperator:
        if task_id not in self.task_dict:
            raise AirflowException(f"Task {task_id} not found")
        return self.task_dict[task_id]

    def has_task(self, task_id: str) -> bool:
        return task_id in self.task_dict

    @property
    def roots(self) -> list[BaseOperator]:
        return [t for t in self.tasks if not t.upstream_task_ids]

    @property
    def leaves(self) -> list[BaseOperator]:
        return [t for t in self.tasks if not t.downstream_task_ids]

    @property
    def folder(self) -> str:
        return os.path.dirname(self.fileloc)

    @property
    def owner(self) -> str:
        return ", ".join(sorted({t.owner for t in self.tasks})) or "airflow"

    def set_dependency(self, upstream_task_id: str, downstream_task_id: str) -> None:
        self.get_task(upstream_task_id)._add_edge(self.get_task(downstream_task_id))

    def get_template_env(self, *, force_sandboxed: bool = False) -> Any:
        from migrator.runner.templating import template_env

        return template_env(self, native=self.render_template_as_native_obj and not force_sandboxed)

    def test(self, *args: Any, **kwargs: Any) -> Any:
        raise NotSupportedByRunner("dag.test() inside a DAG file; use `cron2dag run` instead")

    def cli(self) -> None:
        raise NotSupportedByRunner("dag.cli() is not supported by the local runner")

    def __repr__(self) -> str:
        return f"<DAG: {self.dag_id}>"

    def __hash__(self) -> int:
        return id(self)


def dag(dag_id: Any = "", **decorator_kwargs: Any) -> Any:
    """`@dag` / `@dag(...)`: calling the function builds the DAG; its arguments become DAG params."""

    def decorator(func: Callable[..., Any]) -> Callable[..., DAG]:
        signature = inspect.signature(func)

        @functools.wraps(func)
        def factory(*args: Any, **kwargs: Any) -> DAG:
            bound = signature.bind_partial(*args, **kwargs)
            bound.apply_defaults()
            options = dict(decorator_kwargs)
            params = ParamsDict(options.pop("params", None) or {})
            for name, value in bound.arguments.items():
                parameter = signature.parameters[name]
                if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
                    continue
                if name not in params:
                    params[name] = value if isinstance(value, Param) else Param(value)
            with DAG(dag_id or func.__name__, params=params, **options) as instance:
                instance.fileloc = func.__code__.co_filename
                if func.__doc__ and not instance.doc_md:
                    instance.doc_md = func.__doc__
                call_kwargs = {
                    name: DagParam(name, params.get_param(name).value)
                    for name, parameter in signature.parameters.items()
                    if parameter.kind not in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD)
                }
                func(**call_kwargs)
            return instance

        return factory

    if callable(dag_id):
        func, dag_id = dag_id, ""
        return decorator(func)
    return decorator
