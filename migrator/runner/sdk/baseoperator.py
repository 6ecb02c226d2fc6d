"""`BaseOperator`: the task definition every operator builds on.

As in Airflow, a metaclass wraps each operator's `__init__` so that `default_args` (of the DAG, the
enclosing task groups and the call) fill in the keyword arguments that signature accepts, and missing
required arguments are reported. Operators are definitions only: the runner never mutates them while
running; it renders templates into copies.
"""

from __future__ import annotations

import datetime
import functools
import inspect
import logging
import re
from collections.abc import Callable, Collection, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from migrator.runner.sdk.context import DagContext
from migrator.runner.sdk.exceptions import (
    AirflowException,
    DuplicateTaskIdFound,
    NotSupportedByRunner,
)
from migrator.runner.sdk.nodes import DependencyMixin
from migrator.runner.sdk.params import ParamsDict
from migrator.runner.sdk.xcom_arg import XComArg, iter_references
from migrator.runner.trigger_rules import TriggerRule

if TYPE_CHECKING:
    from migrator.runner.sdk.dag import DAG
    from migrator.runner.sdk.taskgroup import TaskGroup

KEY_REGEX = re.compile(r"[\w.-]+")  # matched with fullmatch: `$` would accept a trailing newline
WEIGHT_RULES = ("downstream", "upstream", "absolute")

# Arguments whose effect is a deployment concern (queues, pools, alerting): accepted and recorded,
# without local effect. Anything else unknown is a TypeError, as in Airflow.
_METADATA_ONLY = (
    "email", "email_on_retry", "email_on_failure", "queue", "pool", "pool_slots", "executor",
    "executor_config", "resources", "doc", "doc_md", "doc_json", "doc_yaml", "doc_rst",
    "task_display_name", "logger_name", "allow_nested_operators", "inlets", "owner", "sla",
    "max_active_tis_per_dagrun",
)


def validate_key(key: str, what: str = "task_id") -> None:
    if not isinstance(key, str):
        raise TypeError(f"The key has to be a string and is {type(key)}:{key}")
    if len(key) > 250:
        raise AirflowException(f"The key has to be less than 250 characters, not {len(key)}")
    if not KEY_REGEX.fullmatch(key):
        raise AirflowException(
            f"The key {key!r} has to be made of alphanumeric characters, dashes, dots and underscores exclusively"
        )


def _to_timedelta(value: Any, name: str) -> datetime.timedelta | None:
    if value is None or isinstance(value, datetime.timedelta):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.timedelta(seconds=value)
    raise TypeError(f"{name} must be a timedelta or a number of seconds, not {type(value).__name__}")


def _collect(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, (list, tuple, set)):
        return list(value)
    return [value]


def _merged_default_args(dag: DAG | None, group: TaskGroup | None, call_args: dict | None) -> dict[str, Any]:
    merged: dict[str, Any] = dict(dag.default_args) if dag is not None else {}
    chain_of_groups = []
    while group is not None:
        chain_of_groups.append(group)
        group = group.parent_group
    for item in reversed(chain_of_groups):
        merged.update(item.default_args)
    merged.update(call_args or {})
    return merged


def _apply_defaults(func: Callable[..., None]) -> Callable[..., None]:
    signature = inspect.signature(func)
    names = [
        p.name for p in signature.parameters.values()
        if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]
    required = {
        p.name for p in signature.parameters.values()
        if p.name != "self" and p.default is p.empty and p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)
    }

    @functools.wraps(func)
    def wrapper(self: BaseOperator, *args: Any, **kwargs: Any) -> None:
        if args:
            raise AirflowException("Use keyword arguments when initializing operators")
        dag = kwargs.get("dag") or DagContext.get_current()
        if dag is not None and "dag" in names:
            kwargs["dag"] = dag
        group = kwargs.get("task_group") or DagContext.current_group(dag)
        if "task_group" in names and group is not None:
            kwargs.setdefault("task_group", group)
        default_args = _merged_default_args(dag, group, kwargs.get("default_args"))
        for name in names:
            if name not in kwargs and name in default_args:
                kwargs[name] = default_args[name]
        if "params" in default_args and "params" in names:
            params = ParamsDict(default_args["params"])
            params.update(kwargs.get("params") or {})
            kwargs["params"] = params
        missing = sorted(required - set(kwargs))
        if missing:
            task = kwargs.get("task_id", "")
            raise TypeError(f"missing keyword argument {missing[0]!r}" + (f" (task {task!r})" if task else ""))
        self._init_depth = getattr(self, "_init_depth", 0) + 1
        if self._init_depth == 1:
            self._from_mapped = bool(kwargs.get("_airflow_from_mapped", False))
        elif "_airflow_from_mapped" not in kwargs and self._from_mapped:
            kwargs["_airflow_from_mapped"] = True  # a subclass's super().__init__(**kwargs) keeps the flag
        try:
            func(self, **kwargs)
        finally:
            self._init_depth -= 1
        if self._init_depth == 0 and not self._from_mapped:
            self._after_init()

    wrapper.__signature__ = signature  # type: ignore[attr-defined]
    return wrapper


class BaseOperatorMeta(type):
    def __new__(mcls, name: str, bases: tuple[type, ...], namespace: dict[str, Any]) -> BaseOperatorMeta:
        init = namespace.get("__init__")
        if init is not None and not getattr(init, "_cron2dag_defaults", False):
            wrapped = _apply_defaults(init)
            wrapped._cron2dag_defaults = True  # type: ignore[attr-defined]
            namespace["__init__"] = wrapped
        return super().__new__(mcls, name, bases, namespace)


class TaskNode(DependencyMixin):
    """What a task of a DAG is as a node, for operators and mapped operators alike: its DAG, its relatives,
    its edges, setup/teardown marks. Subclasses set task_id, _dag, upstream/downstream_task_ids, is_setup,
    is_teardown and _on_failure_fail_dagrun."""

    task_id: str
    _dag: DAG | None
    upstream_task_ids: set[str]
    downstream_task_ids: set[str]
    is_setup: bool
    is_teardown: bool
    _on_failure_fail_dagrun: bool

    # -- DAG membership ---------------------------------------------------------------------------
    @property
    def dag(self) -> DAG:
        if self._dag is None:
            raise AirflowException(f"Operator {self.task_id!r} has not been assigned to a DAG yet")
        return self._dag

    @dag.setter
    def dag(self, dag: DAG) -> None:
        if self._dag is dag:
            return
        if self._dag is not None:
            raise AirflowException(f"The DAG assigned to {self} can not be changed.")
        dag.add_task(self)
        self._dag = dag

    def has_dag(self) -> bool:
        return self._dag is not None

    @property
    def dag_id(self) -> str:
        return self._dag.dag_id if self._dag is not None else f"adhoc_{self.owner}"

    @property
    def output(self) -> XComArg:
        return XComArg(self)

    @property
    def upstream_list(self) -> list[BaseOperator]:
        return [self.dag.task_dict[t] for t in sorted(self.upstream_task_ids)]

    @property
    def downstream_list(self) -> list[BaseOperator]:
        return [self.dag.task_dict[t] for t in sorted(self.downstream_task_ids)]

    def get_direct_relative_ids(self, upstream: bool = False) -> set[str]:
        return set(self.upstream_task_ids if upstream else self.downstream_task_ids)

    def get_direct_relatives(self, upstream: bool = False) -> list[BaseOperator]:
        return self.upstream_list if upstream else self.downstream_list

    def get_flat_relative_ids(self, *, upstream: bool = False) -> set[str]:
        found: set[str] = set()
        stack = list(self.get_direct_relative_ids(upstream))
        while stack:
            task_id = stack.pop()
            if task_id in found:
                continue
            found.add(task_id)
            stack.extend(self.dag.task_dict[task_id].get_direct_relative_ids(upstream))
        return found

    def get_flat_relatives(self, upstream: bool = False) -> list[BaseOperator]:
        return [self.dag.task_dict[t] for t in sorted(self.get_flat_relative_ids(upstream=upstream))]

    # -- relationships ----------------------------------------------------------------------------
    def _upstream_ends(self) -> list[BaseOperator]:
        return [self]

    def _downstream_ends(self) -> list[BaseOperator]:
        return [self]

    def _add_edge(self, downstream: BaseOperator) -> None:
        if downstream is self:
            raise AirflowException(f"Relationships can only be set between different tasks; {self.task_id!r} >> itself")
        dag = self._dag or downstream._dag
        if dag is None:
            raise AirflowException(
                f"Tried to create relationships between tasks that don't have DAGs yet. "
                f"Set the DAG for at least one task and try again: {[self, downstream]}"
            )
        if self._dag is None:
            self.dag = dag
        if downstream._dag is None:
            downstream.dag = dag
        if self._dag is not downstream._dag:
            raise AirflowException(f"Tried to set relationships between tasks in more than one DAG: {self.dag_id}, {downstream.dag_id}")
        self.downstream_task_ids.add(downstream.task_id)
        downstream.upstream_task_ids.add(self.task_id)

    # -- setup and teardown -----------------------------------------------------------------------------
    @property
    def on_failure_fail_dagrun(self) -> bool:
        return self._on_failure_fail_dagrun

    @on_failure_fail_dagrun.setter
    def on_failure_fail_dagrun(self, value: bool) -> None:
        if value is True and self.is_teardown is not True:
            raise ValueError(f"Cannot set task on_failure_fail_dagrun for '{self.task_id}' because it is not a "
                             "teardown task.")
        self._on_failure_fail_dagrun = value

    def as_setup(self) -> Any:
        self.is_setup = True
        return self

    def as_teardown(self, *, setups: Any = None, on_failure_fail_dagrun: bool | None = None) -> Any:
        """Mark as a teardown: it runs once the tasks between its setups and it are done, whatever their
        state, when at least one setup succeeded (trigger rule all_done_setup_success)."""
        self.is_teardown = True
        self.trigger_rule = TriggerRule.ALL_DONE_SETUP_SUCCESS
        if on_failure_fail_dagrun is not None:
            self.on_failure_fail_dagrun = on_failure_fail_dagrun
        if setups is not None:
            for setup in [setups] if isinstance(setups, DependencyMixin) else setups:
                setup.is_setup = True
                setup >> self
        return self

    def __enter__(self) -> Any:
        from migrator.runner.sdk.setup_teardown import SetupTeardownContext

        return SetupTeardownContext.enter(self)

    def __exit__(self, *exc: object) -> None:
        from migrator.runner.sdk.setup_teardown import SetupTeardownContext

        SetupTeardownContext.exit()



class BaseOperator(TaskNode, metaclass=BaseOperatorMeta):
    """A task definition (`airflow.sdk.BaseOperator`); subclasses implement `execute(context)`."""

    template_fields: ClassVar[Sequence[str]] = ()
    template_ext: ClassVar[Sequence[str]] = ()
    template_fields_renderers: ClassVar[dict[str, str]] = {}
    ui_color: ClassVar[str] = "#fff"
    ui_fgcolor: ClassVar[str] = "#000"
    # How the runner executes instances: "fork" runs `execute` in a child process (the general path).
    runner_kind: ClassVar[str] = "fork"
    _is_sensor: ClassVar[bool] = False

    def __init__(
        self,
        *,
        task_id: str,
        owner: str = "airflow",
        email: str | Sequence[str] | None = None,
        email_on_retry: bool = True,
        email_on_failure: bool = True,
        retries: int | None = None,
        retry_delay: datetime.timedelta | float | None = None,
        retry_exponential_backoff: float = 0,
        max_retry_delay: datetime.timedelta | float | None = None,
        retry_policy: Any = None,
        start_date: datetime.datetime | None = None,
        end_date: datetime.datetime | None = None,
        depends_on_past: bool = False,
        ignore_first_depends_on_past: bool = False,
        wait_for_past_depends_before_skipping: bool = False,
        wait_for_downstream: bool = False,
        dag: DAG | None = None,
        params: dict | ParamsDict | None = None,
        default_args: dict | None = None,
        priority_weight: int = 1,
        weight_rule: str = "downstream",
        queue: str = "default",
        pool: str | None = None,
        pool_slots: int = 1,
        sla: datetime.timedelta | None = None,
        execution_timeout: datetime.timedelta | None = None,
        on_execute_callback: Any = None,
        on_failure_callback: Any = None,
        on_success_callback: Any = None,
        on_retry_callback: Any = None,
        on_skipped_callback: Any = None,
        pre_execute: Callable[..., Any] | None = None,
        post_execute: Callable[..., Any] | None = None,
        trigger_rule: str = TriggerRule.ALL_SUCCESS,
        resources: dict[str, Any] | None = None,
        run_as_user: str | None = None,
        map_index_template: str | None = None,
        max_active_tis_per_dag: int | None = None,
        max_active_tis_per_dagrun: int | None = None,
        executor: str | None = None,
        executor_config: dict | None = None,
        do_xcom_push: bool = True,
        multiple_outputs: bool = False,
        inlets: Any = None,
        outlets: Any = None,
        task_group: TaskGroup | None = None,
        doc: str | None = None,
        doc_md: str | None = None,
        doc_json: str | None = None,
        doc_yaml: str | None = None,
        doc_rst: str | None = None,
        task_display_name: str | None = None,
        logger_name: str | None = None,
        allow_nested_operators: bool = True,
        render_template_as_native_obj: bool | None = None,
        **kwargs: Any,
    ) -> None:
        from_mapped = bool(kwargs.pop("_airflow_from_mapped", False))
        if kwargs:
            raise TypeError(
                f"Invalid arguments were passed to {type(self).__name__} (task_id: {task_id}). "
                f"Invalid arguments were:\n**kwargs: {kwargs}"
            )
        validate_key(task_id)
        if run_as_user is not None:
            raise NotSupportedByRunner("run_as_user (impersonation) is not supported by the local runner")
        self.task_group = task_group
        # An instance of a mapped task is built from the mapped task's arguments: its id is already the
        # full one, and the mapped task, not this copy, is the DAG's member.
        self._task_id = task_group.child_id(task_id) if task_group is not None and not from_mapped else task_id
        self.upstream_task_ids: set[str] = set()
        self.downstream_task_ids: set[str] = set()
        self.owner = owner
        self.email = email
        self.email_on_retry = email_on_retry
        self.email_on_failure = email_on_failure
        from migrator.runner import config

        if retries is None:
            retries = config.default_task_retries()
        if isinstance(retries, str):
            retries = int(retries)
        self.retries = int(retries or 0)
        self.retry_policy = retry_policy
        if retry_delay is None:
            retry_delay = datetime.timedelta(seconds=config.default_task_retry_delay())
        self.retry_delay = _to_timedelta(retry_delay, "retry_delay") or datetime.timedelta(0)
        if isinstance(retry_exponential_backoff, bool):
            # Airflow's serializer maps True to a multiplier of 2.0 (classic doubling) and False to 0.
            retry_exponential_backoff = 2.0 if retry_exponential_backoff else 0
        self.retry_exponential_backoff = float(retry_exponential_backoff)
        self.max_retry_delay = _to_timedelta(max_retry_delay, "max_retry_delay")
        from migrator.runner.timezone import convert_to_utc

        self.start_date = convert_to_utc(start_date) if start_date is not None else None
        self.end_date = convert_to_utc(end_date) if end_date is not None else None
        self.depends_on_past = bool(depends_on_past or wait_for_downstream)
        self.ignore_first_depends_on_past = ignore_first_depends_on_past
        self.wait_for_past_depends_before_skipping = wait_for_past_depends_before_skipping
        self.wait_for_downstream = wait_for_downstream
        self.params = params if isinstance(params, ParamsDict) else ParamsDict(params)
        self.default_args = default_args or {}
        self.priority_weight = int(priority_weight)
        if weight_rule not in WEIGHT_RULES:
            raise AirflowException(f"The weight_rule must be one of {list(WEIGHT_RULES)}; received {weight_rule!r}.")
        self.weight_rule = weight_rule
        self.queue = queue
        self.pool = pool or "default_pool"
        self.pool_slots = pool_slots
        self.sla = sla
        if execution_timeout is not None and not isinstance(execution_timeout, datetime.timedelta):
            raise ValueError(
                f"execution_timeout must be timedelta object but passed as type: {type(execution_timeout)}"
            )
        self.execution_timeout = execution_timeout
        self.on_execute_callback = _collect(on_execute_callback)
        self.on_failure_callback = _collect(on_failure_callback)
        self.on_success_callback = _collect(on_success_callback)
        self.on_retry_callback = _collect(on_retry_callback)
        self.on_skipped_callback = _collect(on_skipped_callback)
        self._pre_execute_hook = pre_execute
        self._post_execute_hook = post_execute
        if not TriggerRule.is_valid(str(trigger_rule)):
            raise AirflowException(
                f"The trigger_rule must be one of {sorted(TriggerRule.all_triggers())},"
                f"'{dag.dag_id if dag else ''}.{task_id}'; received '{trigger_rule}'."
            )
        self.trigger_rule = TriggerRule(str(trigger_rule))
        self.resources = resources
        self.map_index_template = map_index_template
        self.max_active_tis_per_dag = max_active_tis_per_dag
        self.max_active_tis_per_dagrun = max_active_tis_per_dagrun
        self.executor = executor
        self.executor_config = executor_config or {}
        self.do_xcom_push = do_xcom_push
        self.multiple_outputs = multiple_outputs
        self.inlets = _collect(inlets)
        self.outlets = _collect(outlets)
        self.doc, self.doc_md, self.doc_json, self.doc_yaml, self.doc_rst = doc, doc_md, doc_json, doc_yaml, doc_rst
        self.task_display_name = task_display_name or task_id
        self.logger_name = logger_name
        self.allow_nested_operators = allow_nested_operators
        self.render_template_as_native_obj = render_template_as_native_obj
        self.is_setup = False
        self.is_teardown = False
        self._on_failure_fail_dagrun = False
        self._render_skip_ids: set[int] = set()
        self._dag: DAG | None = None
        if from_mapped:
            self._dag = dag
            return
        from migrator.runner.sdk.setup_teardown import SetupTeardownContext

        SetupTeardownContext.record(self)
        if task_group is not None:
            task_group.add(self)
        if dag is not None:
            self.dag = dag

    def _after_init(self) -> None:
        """Once the outermost `__init__` ran: XComArgs in templated fields become dependencies, and a
        deferrable operator of the user's own (one with execute_complete) is refused where it is made."""
        if getattr(self, "deferrable", False):
            for klass in type(self).__mro__:
                if klass.__module__.startswith("migrator.runner"):
                    break
                if "execute_complete" in vars(klass):
                    raise NotSupportedByRunner(
                        f"{type(self).__name__}(deferrable=True) defers to a trigger: deferrable operators other "
                        "than the standard sensors are not supported by the local runner (pass deferrable=False)")
        for field in self.template_fields:
            for referenced, _ in iter_references(getattr(self, field, None)):
                if referenced is not self:
                    referenced._add_edge(self)

    # -- identity ----------------------------------------------------------------------------------------
    @property
    def task_id(self) -> str:
        return self._task_id

    @task_id.setter
    def task_id(self, value: str) -> None:
        # A DAG keys its tasks (and their edges) by the id they were added with; Airflow's `dags test` of
        # a renamed task stops with a bare KeyError. Refuse the rename where it is written instead.
        old = getattr(self, "_task_id", None)
        dag = getattr(self, "_dag", None)
        if old is not None and value != old and dag is not None and dag.task_dict.get(old) is self:
            raise AirflowException(
                f"task_id {old!r} cannot be changed to {value!r}: the task is already in DAG {dag.dag_id!r}, "
                "which knows it by its first id; pass the id when creating the task")
        validate_key(value)
        self._task_id = value

    @property
    def task_type(self) -> str:
        return type(self).__name__

    @property
    def operator_name(self) -> str:
        return type(self).__name__

    @property
    def label(self) -> str:
        if self.task_group is not None and self.task_group.prefix_group_id and self.task_group.group_id:
            prefix = self.task_group.group_id + "."
            if self.task_id.startswith(prefix):
                return self.task_id[len(prefix):]
        return self.task_id

    @property
    def log(self) -> logging.Logger:
        return logging.getLogger(self.logger_name or f"airflow.task.operators.{type(self).__module__}.{type(self).__name__}")

    # -- dynamic task mapping -----------------------------------------------------------------------
    @classmethod
    def partial(cls, **kwargs: Any) -> Any:
        """`Operator.partial(task_id=..., fixed=...)`; then `.expand(mapped=[...])` (see sdk/mapped.py)."""
        from migrator.runner.sdk.mapped import make_partial

        return make_partial(cls, **kwargs)

    def defer(self, *, trigger: Any = None, method_name: str = "", kwargs: Any = None, timeout: Any = None) -> Any:
        raise NotSupportedByRunner(f"{type(self).__name__} defers to a trigger (self.defer): deferrable operators "
                                   "other than the standard sensors are not supported by the local runner")

    # -- execution hooks (called by the runner in the task process) --------------------------------
    def execute(self, context: dict[str, Any]) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not implement execute()")

    def pre_execute(self, context: dict[str, Any]) -> None:
        """Subclasses may override; `pre_execute=` callables run too."""

    def post_execute(self, context: dict[str, Any], result: Any = None) -> None:
        """Subclasses may override; `post_execute=` callables run too."""

    def on_kill(self) -> None:
        """Called in the task process when it is terminated."""

    def prepare_template(self) -> None:
        """Called after template files were read into fields, before rendering."""

    def render_template(self, content: Any, context: dict[str, Any], jinja_env: Any = None, seen_oids: set | None = None) -> Any:
        from migrator.runner.templating import render_value

        return render_value(self, content, context, jinja_env)

    def get_template_env(self) -> Any:
        from migrator.runner.templating import template_env

        return template_env(self._dag, native=False)

    def xcom_push(self, context: dict[str, Any], key: str, value: Any) -> None:
        context["ti"].xcom_push(key=key, value=value)

    def xcom_pull(self, context: dict[str, Any], task_ids: Any = None, key: str = "return_value", **kwargs: Any) -> Any:
        return context["ti"].xcom_pull(task_ids=task_ids, key=key, **kwargs)

    def __repr__(self) -> str:
        return f"<Task({type(self).__name__}): {self.task_id}>"

    def __hash__(self) -> int:
        return id(self)


class BaseAsyncOperator(BaseOperator):
    """Airflow 3.2+: an operator whose `aexecute` runs in an event loop in the task's process."""

    @property
    def is_async(self) -> bool:
        return True

    async def aexecute(self, context: dict[str, Any]) -> Any:
        raise NotImplementedError()

    def execute(self, context: dict[str, Any]) -> Any:
        import asyncio

        return asyncio.run(self.aexecute(context))


def add_task_to_dag(dag: DAG, task: BaseOperator) -> None:
    if task.task_id in dag.task_dict and dag.task_dict[task.task_id] is not task:
        raise DuplicateTaskIdFound(f"Task id {task.task_id!r} has already been added to the DAG")


def collect_callbacks(value: Any) -> list[Callable[..., Any]]:
    return _collect(value)


__all__ = ["BaseOperator", "BaseOperatorMeta", "Collection", "validate_key"]
