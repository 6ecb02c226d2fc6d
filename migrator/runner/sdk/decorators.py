"""TaskFlow: `@task` and its variants (`.python`, `.branch`, `.short_circuit`, `.bash`)."""

from __future__ import annotations

import functools
import inspect
import re
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

from migrator.runner.sdk.context import DagContext
from migrator.runner.sdk.exceptions import NotSupportedByRunner
from migrator.runner.sdk.operators import (
    BashOperator,
    BranchPythonOperator,
    PythonOperator,
    ShortCircuitOperator,
    determine_kwargs,
)
from migrator.runner.sdk.sensors import PythonSensor
from migrator.runner.sdk.virtualenv import (
    BranchExternalPythonOperator,
    BranchPythonVirtualenvOperator,
    ExternalPythonOperator,
    PythonVirtualenvOperator,
)
from migrator.runner.sdk.xcom_arg import XComArg
from migrator.runner.trigger_rules import TriggerRule

# The keys of Airflow 3's task context (`airflow.sdk.definitions.context.Context`).
KNOWN_CONTEXT_KEYS = frozenset({
    "conn", "dag", "dag_run", "data_interval_end", "data_interval_start", "ds", "ds_nodash",
    "expanded_ti_count", "exception", "inlets", "inlet_events", "logical_date", "macros",
    "map_index_template", "outlets", "outlet_events", "params", "prev_data_interval_start_success",
    "prev_data_interval_end_success", "prev_start_date_success", "prev_end_date_success",
    "reason", "run_id", "start_date", "task", "task_reschedule_count", "task_instance",
    "task_instance_key_str", "test_mode", "templates_dict", "ti", "triggering_asset_events",
    "ts", "ts_nodash", "ts_nodash_with_tz", "try_number", "var", "partition_key", "partition_date", "task_state_store", "asset_state_store",
})


def get_unique_task_id(task_id: str, dag: Any = None, task_group: Any = None) -> str:
    dag = dag or DagContext.get_current()
    if dag is None:
        return task_id
    task_group = task_group or DagContext.current_group(dag)
    full_id = task_group.child_id(task_id) if task_group is not None else task_id
    if full_id not in dag.task_dict:
        return task_id
    prefix = re.split(r"__\d+$", full_id)[0]
    suffixes = [0]
    for existing in dag.task_dict:
        match = re.match(rf"^{re.escape(prefix)}__(\d+)$", existing)
        if match:
            suffixes.append(int(match.group(1)))
    core = re.split(r"__\d+$", task_id)[0]
    return f"{core}__{max(suffixes) + 1}"


class DecoratedOperatorMixin:
    """What every `@task` operator shares: unique ids, argument checks, default_args into arguments."""

    custom_operator_name: ClassVar[str] = "@task"

    def _decorated_init(self, python_callable: Callable[..., Any], task_id: str, op_args: Sequence[Any],
                        op_kwargs: dict[str, Any], kwargs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        task_id = get_unique_task_id(task_id, kwargs.get("dag"), kwargs.get("task_group"))
        signature = inspect.signature(python_callable)
        faulty = [p.name for p in signature.parameters.values()
                  if p.name in KNOWN_CONTEXT_KEYS and p.default not in (None, inspect.Parameter.empty)]
        if faulty:
            raise ValueError(f"Context key parameter {faulty[0]} can't have a default other than None")
        default_args = kwargs.get("default_args") or {}
        op_kwargs = dict(op_kwargs)
        for name in signature.parameters:
            if name not in op_kwargs and name in default_args:
                op_kwargs[name] = default_args[name]
        parameters = [p.replace(default=None) if p.name in KNOWN_CONTEXT_KEYS else p
                      for p in signature.parameters.values()]
        # Context-key parameters are filled at run time, so they may be left out here.
        loose = inspect.Signature(parameters, __validate_parameters__=False)
        try:
            loose.bind(*op_args, **op_kwargs)
        except TypeError as error:
            raise TypeError(f"{python_callable.__name__}() {error}") from None
        return task_id, op_kwargs


class _PythonDecoratedOperator(DecoratedOperatorMixin, PythonOperator):
    template_fields: ClassVar[Sequence[str]] = ("templates_dict", "op_args", "op_kwargs")

    def __init__(self, *, python_callable: Callable[..., Any], task_id: str, op_args: Sequence[Any] = (),
                 op_kwargs: dict[str, Any] | None = None, **kwargs: Any) -> None:
        task_id, op_kwargs = self._decorated_init(python_callable, task_id, op_args, op_kwargs or {}, kwargs)
        super().__init__(python_callable=python_callable, task_id=task_id, op_args=op_args, op_kwargs=op_kwargs,
                         show_return_value_in_logs=kwargs.pop("show_return_value_in_logs", True), **kwargs)

    def determine_kwargs(self, context: Mapping[str, Any]) -> Mapping[str, Any]:
        return determine_kwargs(self.python_callable, self.op_args, context)


class _BranchPythonDecoratedOperator(DecoratedOperatorMixin, BranchPythonOperator):
    custom_operator_name = "@task.branch"

    def __init__(self, *, python_callable: Callable[..., Any], task_id: str, op_args: Sequence[Any] = (),
                 op_kwargs: dict[str, Any] | None = None, **kwargs: Any) -> None:
        task_id, op_kwargs = self._decorated_init(python_callable, task_id, op_args, op_kwargs or {}, kwargs)
        super().__init__(python_callable=python_callable, task_id=task_id, op_args=op_args, op_kwargs=op_kwargs, **kwargs)


class _ShortCircuitDecoratedOperator(DecoratedOperatorMixin, ShortCircuitOperator):
    custom_operator_name = "@task.short_circuit"

    def __init__(self, *, python_callable: Callable[..., Any], task_id: str, op_args: Sequence[Any] = (),
                 op_kwargs: dict[str, Any] | None = None, **kwargs: Any) -> None:
        task_id, op_kwargs = self._decorated_init(python_callable, task_id, op_args, op_kwargs or {}, kwargs)
        super().__init__(python_callable=python_callable, task_id=task_id, op_args=op_args, op_kwargs=op_kwargs, **kwargs)


class _BashDecoratedOperator(DecoratedOperatorMixin, BashOperator):
    """`@task.bash`: the function returns the command, which is then rendered and run."""

    template_fields: ClassVar[Sequence[str]] = ("templates_dict", "op_args", "op_kwargs", "bash_command", "env", "cwd")
    custom_operator_name = "@task.bash"
    runner_kind: ClassVar[str] = "fork"
    overwrite_rtif_after_execution: ClassVar[bool] = True  # record the command the function returned

    def __init__(self, *, python_callable: Callable[..., Any], task_id: str, op_args: Sequence[Any] = (),
                 op_kwargs: dict[str, Any] | None = None, **kwargs: Any) -> None:
        task_id, op_kwargs = self._decorated_init(python_callable, task_id, op_args, op_kwargs or {}, kwargs)
        super().__init__(bash_command="SET_DURING_EXECUTION", task_id=task_id, **kwargs)
        self.python_callable = python_callable
        self.op_args = op_args
        self.op_kwargs = op_kwargs
        self.templates_dict = None

    def execute(self, context: dict[str, Any]) -> Any:
        from migrator.runner.templating import render_template_fields

        context.update(self.op_kwargs)
        kwargs = determine_kwargs(self.python_callable, self.op_args, context)
        self.bash_command = self.python_callable(*self.op_args, **kwargs)
        if not isinstance(self.bash_command, str) or self.bash_command.strip() == "":
            raise TypeError("The returned value from the TaskFlow callable must be a non-empty string.")
        render_template_fields(self, context)
        return super().execute(context)


class _SensorDecoratedOperator(DecoratedOperatorMixin, PythonSensor):
    """`@task.sensor`: the function is the poke; True (or a PokeReturnValue) ends the wait."""

    template_fields: ClassVar[Sequence[str]] = ("op_args", "op_kwargs")
    custom_operator_name = "@task.sensor"

    def __init__(self, *, python_callable: Callable[..., Any], task_id: str, op_args: Sequence[Any] = (),
                 op_kwargs: dict[str, Any] | None = None, **kwargs: Any) -> None:
        task_id, op_kwargs = self._decorated_init(python_callable, task_id, op_args, op_kwargs or {}, kwargs)
        kwargs.pop("multiple_outputs", None)
        super().__init__(python_callable=python_callable, task_id=task_id, op_args=list(op_args), op_kwargs=op_kwargs,
                         **kwargs)


def _decorated(base: type, name: str) -> type:
    """A @task.<name> operator class over `base` (the function's arguments become op_args/op_kwargs)."""

    def __init__(self: Any, *, python_callable: Callable[..., Any], task_id: str, op_args: Sequence[Any] = (),
                 op_kwargs: dict[str, Any] | None = None, **kwargs: Any) -> None:
        task_id, op_kwargs = self._decorated_init(python_callable, task_id, op_args, op_kwargs or {}, kwargs)
        base.__init__(self, python_callable=python_callable, task_id=task_id, op_args=op_args, op_kwargs=op_kwargs,
                      **kwargs)

    namespace = {"__init__": __init__, "custom_operator_name": f"@task.{name}",
                 "template_fields": ("templates_dict", "op_args", "op_kwargs")}
    return type(f"_{base.__name__}Decorated", (DecoratedOperatorMixin, base), namespace)


def _infer_multiple_outputs(function: Callable[..., Any]) -> bool:
    if "return" not in getattr(function, "__annotations__", {}):
        return False
    try:
        def fake() -> None: ...

        fake.__annotations__ = {"return": function.__annotations__["return"]}
        return_type = typing.get_type_hints(fake, function.__globals__).get("return", Any)
    except (NameError, TypeError):
        return False
    origin = getattr(return_type, "__origin__", return_type)
    return isinstance(origin, type) and issubclass(origin, Mapping)


class _TaskDecorator:
    """A decorated function; calling it adds a task to the current DAG and returns its XComArg."""

    def __init__(self, function: Callable[..., Any], operator_class: type, kwargs: dict[str, Any]) -> None:
        if not callable(function):
            raise TypeError("@task needs a function")
        if "self" in inspect.signature(function).parameters:
            raise TypeError("@task does not support methods")
        self.function = function
        self.operator_class = operator_class
        self.kwargs = dict(kwargs)
        self.kwargs.setdefault("task_id", function.__name__)
        if "multiple_outputs" not in self.kwargs:
            self.multiple_outputs = _infer_multiple_outputs(function)
        else:
            self.multiple_outputs = bool(self.kwargs.pop("multiple_outputs"))
        self.is_setup = False
        self.is_teardown = False
        self.on_failure_fail_dagrun = False
        functools.update_wrapper(self, function)

    def _teardown_kwargs(self) -> dict[str, Any]:
        kwargs = dict(self.kwargs)
        if self.is_teardown:
            if "trigger_rule" in kwargs:
                raise ValueError("Trigger rule not configurable for teardown tasks.")
            kwargs["trigger_rule"] = TriggerRule.ALL_DONE_SETUP_SUCCESS
        return kwargs

    def __call__(self, *args: Any, **kwargs: Any) -> XComArg:
        options = self._teardown_kwargs()
        on_failure_fail_dagrun = options.pop("on_failure_fail_dagrun", self.on_failure_fail_dagrun)
        op = self.operator_class(python_callable=self.function, op_args=args, op_kwargs=kwargs,
                                 multiple_outputs=self.multiple_outputs, **options)
        op.is_setup = self.is_setup
        op.is_teardown = self.is_teardown
        op.on_failure_fail_dagrun = on_failure_fail_dagrun
        return XComArg(op)

    def _copy(self, kwargs: dict[str, Any]) -> _TaskDecorator:
        result = _TaskDecorator(self.function, self.operator_class, kwargs)
        result.is_setup, result.is_teardown = self.is_setup, self.is_teardown
        result.on_failure_fail_dagrun = self.on_failure_fail_dagrun
        return result

    def override(self, **kwargs: Any) -> _TaskDecorator:
        merged = {**self.kwargs, **kwargs}
        if "multiple_outputs" not in merged:
            merged["multiple_outputs"] = self.multiple_outputs
        return self._copy(merged)

    # -- dynamic task mapping (Airflow's _TaskDecorator.expand / expand_kwargs / partial) ----------------
    def _validate_arg_names(self, func: str, kwargs: dict[str, Any]) -> None:
        shadowed = KNOWN_CONTEXT_KEYS.intersection(kwargs)
        if len(shadowed) == 1:
            raise ValueError(f"cannot call {func}() on task context variable {next(iter(shadowed))!r}")
        if shadowed:
            raise ValueError(f"cannot call {func}() on task context variables {', '.join(repr(n) for n in shadowed)}")
        from migrator.runner.sdk.mapped import check_argument_names

        check_argument_names(self.function, func, kwargs)

    def partial(self, **kwargs: Any) -> _TaskDecorator:
        from migrator.runner.sdk.mapped import prevent_duplicates

        self._validate_arg_names("partial", kwargs)
        old = self.kwargs.get("op_kwargs", {})
        prevent_duplicates(old, kwargs, fail_reason="duplicate partial")
        merged = {**self.kwargs, "op_kwargs": {**kwargs, **old}, "multiple_outputs": self.multiple_outputs}
        return self._copy(merged)

    def expand(self, **map_kwargs: Any) -> XComArg:
        from migrator.runner.sdk.mapped import DictOfListsExpandInput, prevent_duplicates

        if self.kwargs.get("trigger_rule") == TriggerRule.ALWAYS and any(
                isinstance(value, XComArg) for value in map_kwargs.values()):
            raise ValueError("Task-generated mapping within a task using 'expand' is not allowed with trigger rule "
                             "'always'.")
        if not map_kwargs:
            raise TypeError("no arguments to expand against")
        self._validate_arg_names("expand", map_kwargs)
        prevent_duplicates(self.kwargs, map_kwargs, fail_reason="mapping already partial")
        return self._expand(DictOfListsExpandInput(map_kwargs), strict=False)

    def expand_kwargs(self, kwargs: Any, *, strict: bool = True) -> XComArg:
        from migrator.runner.sdk.mapped import ListOfDictsExpandInput, check_expand_kwargs_argument

        check_expand_kwargs_argument(kwargs)
        return self._expand(ListOfDictsExpandInput(kwargs), strict=strict)

    def _expand(self, expand_input: Any, *, strict: bool) -> XComArg:
        from migrator.runner.sdk.baseoperator import _merged_default_args
        from migrator.runner.sdk.mapped import DecoratedMappedOperator, base_parameter_names, ensure_xcomarg_return_value
        from migrator.runner.sdk.params import ParamsDict

        ensure_xcomarg_return_value(expand_input.value)
        task_kwargs = self._teardown_kwargs()
        dag = task_kwargs.pop("dag", None) or DagContext.get_current()
        task_group = task_kwargs.pop("task_group", None) or DagContext.current_group(dag)
        default_args = _merged_default_args(dag, task_group, task_kwargs.pop("default_args", None))
        params = ParamsDict(default_args.get("params") or {})
        params.update(task_kwargs.pop("params", None) or {})
        partial_kwargs: dict[str, Any] = {"is_setup": self.is_setup, "is_teardown": self.is_teardown,
                                          "on_failure_fail_dagrun": self.on_failure_fail_dagrun}
        keys = base_parameter_names() - {"default_args", "do_xcom_push", "multiple_outputs", "params"}
        partial_kwargs.update((k, v) for k, v in default_args.items() if k in keys)
        partial_kwargs.update(task_kwargs)
        task_id = get_unique_task_id(partial_kwargs.pop("task_id"), dag, task_group)
        if task_group is not None:
            task_id = task_group.child_id(task_id)
        partial_kwargs.setdefault("op_args", [])
        partial_kwargs.setdefault("op_kwargs", {})
        operator = DecoratedMappedOperator(
            operator_class=self.operator_class, partial_kwargs=partial_kwargs, task_id=task_id, params=params,
            dag=dag, task_group=task_group, disallow_kwargs_override=strict, python_callable=self.function,
            multiple_outputs=self.multiple_outputs, op_kwargs_expand_input=expand_input)
        return XComArg(operator)


def _factory(operator_class: type) -> Callable[..., Any]:
    def decorator(python_callable: Callable[..., Any] | None = None, **kwargs: Any) -> Any:
        if python_callable is not None:
            return _TaskDecorator(python_callable, operator_class, kwargs)
        return lambda function: _TaskDecorator(function, operator_class, kwargs)

    return decorator


class _TaskDecoratorCollection:
    """`task` as Airflow exposes it: callable, with `.python`, `.branch`, ... attributes."""

    python = staticmethod(_factory(_PythonDecoratedOperator))
    branch = staticmethod(_factory(_BranchPythonDecoratedOperator))
    short_circuit = staticmethod(_factory(_ShortCircuitDecoratedOperator))
    bash = staticmethod(_factory(_BashDecoratedOperator))
    sensor = staticmethod(_factory(_SensorDecoratedOperator))
    virtualenv = staticmethod(_factory(_decorated(PythonVirtualenvOperator, "virtualenv")))
    external_python = staticmethod(_factory(_decorated(ExternalPythonOperator, "external_python")))
    branch_virtualenv = staticmethod(_factory(_decorated(BranchPythonVirtualenvOperator, "branch_virtualenv")))
    branch_external_python = staticmethod(_factory(_decorated(BranchExternalPythonOperator, "branch_external_python")))

    def __call__(self, python_callable: Callable[..., Any] | None = None, **kwargs: Any) -> Any:
        return self.python(python_callable, **kwargs)

    def __getattr__(self, name: str) -> Any:
        raise NotSupportedByRunner(f"@task.{name} is not supported by the local runner (supported: @task, "
                                   f"{', '.join('@task.' + n for n in SUPPORTED_DECORATORS)})")


task = _TaskDecoratorCollection()
SUPPORTED_DECORATORS = sorted(name for name, value in vars(_TaskDecoratorCollection).items()
                              if isinstance(value, staticmethod))


def is_decorated_task(value: Any) -> bool:
    return isinstance(value, _TaskDecorator)


def _as_task(func: Any) -> _TaskDecorator:
    import types

    from migrator.runner.sdk.exceptions import AirflowException

    if isinstance(func, types.FunctionType):
        return task(func)
    if not isinstance(func, _TaskDecorator):
        raise AirflowException("Task groups cannot be marked as setup or teardown.")
    return func


def setup(func: Any) -> _TaskDecorator:
    """`@setup`: a task that prepares what the tasks after it use (see sdk/setup_teardown.py)."""
    decorated = _as_task(func)
    decorated.is_setup = True
    return decorated


def teardown(_func: Any = None, *, on_failure_fail_dagrun: bool = False) -> Any:
    """`@teardown` / `@teardown(on_failure_fail_dagrun=True)`: runs after its setups' work, whatever failed."""

    def mark(func: Any) -> _TaskDecorator:
        decorated = _as_task(func)
        decorated.is_teardown = True
        decorated.on_failure_fail_dagrun = on_failure_fail_dagrun
        return decorated

    return mark if _func is None else mark(_func)
