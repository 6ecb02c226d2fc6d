"""Dynamic task mapping, at definition time: `.partial().expand()`, `expand_kwargs`, mapped task groups.

As in Airflow (`airflow.sdk.definitions.mappedoperator`, `_internal/expandinput.py`): `partial()`
collects the fixed arguments, `expand()` / `expand_kwargs()` the mapped ones, and the result is a
`MappedOperator`, one node of the DAG. At run time each of its instances is "unmapped" into an
ordinary operator built from the partial arguments plus that instance's mapped values; a task inside a
mapped task group reads its instance's values through `MappedArgument` stand-ins.
"""

from __future__ import annotations

import copy
import functools
import inspect
import operator
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence, Sized
from typing import TYPE_CHECKING, Any

from migrator.runner.sdk.baseoperator import TaskNode
from migrator.runner.sdk.xcom_arg import NOTSET, XCOM_RETURN_KEY, XComArg, iter_references

if TYPE_CHECKING:
    from migrator.runner.sdk.baseoperator import BaseOperator
    from migrator.runner.sdk.dag import DAG
    from migrator.runner.sdk.taskgroup import TaskGroup

MAX_MAP_LENGTH = 1024  # Airflow's [core] max_map_length


class NotFullyPopulated(RuntimeError):
    """A mapped length cannot be known yet: an upstream XCom it depends on is not there."""

    def __init__(self, missing: set[str]) -> None:
        self.missing = missing

    def __str__(self) -> str:
        return "Failed to populate all mapping metadata; missing: " + ", ".join(repr(k) for k in sorted(self.missing))


# -- what can be mapped over ------------------------------------------------------------------------------
def is_mappable(value: Any) -> bool:
    return isinstance(value, (MappedArgument, XComArg, Mapping, Sequence)) and not isinstance(value, str)


def is_mappable_value(value: Any) -> bool:
    """A pushed value a downstream task can map over: a list/tuple or a dict, not a string."""
    return isinstance(value, (Sequence, dict)) and not isinstance(value, (str, bytes, bytearray))


def _needs_run_time_resolution(value: Any) -> bool:
    return isinstance(value, (MappedArgument, XComArg))


class MappedArgument:
    """Stand-in for a mapped task group's argument inside the group: its instance's value at run time."""

    def __init__(self, *, input: ExpandInput, key: str) -> None:
        self._input = input
        self._key = key

    def iter_references(self) -> Iterator[tuple[Any, str]]:
        yield from self._input.iter_references()

    def resolve(self, context: Mapping[str, Any]) -> Any:
        data, _ = self._input.resolve(context)
        return data[self._key]

    def __repr__(self) -> str:
        return f"MappedArgument({self._key!r})"


class DictOfListsExpandInput:
    """`expand(a=[...], b=xcom)`: the cross product of every argument's values."""

    EXPAND_INPUT_TYPE = "dict-of-lists"

    def __init__(self, value: dict[str, Any]) -> None:
        for item in value.values():
            if isinstance(item, MappedArgument):
                raise ValueError("Nested Mapped TaskGroups are not yet supported")
        self.value = value

    def iter_references(self) -> Iterator[tuple[Any, str]]:
        for item in self.value.values():
            if isinstance(item, XComArg):
                yield from item.iter_references()

    def parse_time_length(self) -> int:
        """The number of instances from literals alone (NotFullyPopulated if an XCom is involved)."""
        if not self.value:
            return 0
        pending = {k for k, v in self.value.items() if _needs_run_time_resolution(v)}
        if pending:
            raise NotFullyPopulated(pending)
        return functools.reduce(operator.mul, (len(v) for v in self.value.values()), 1)

    def run_time_length(self, length_of: Callable[[XComArg], int | None]) -> int:
        if not self.value:
            return 0
        lengths = {k: (length_of(v) if isinstance(v, XComArg) else len(v)) for k, v in self.value.items()}
        missing = {k for k, length in lengths.items() if length is None}
        if missing:
            raise NotFullyPopulated(missing)
        return functools.reduce(operator.mul, lengths.values(), 1)  # type: ignore[arg-type]

    def _expand_mapped_field(self, key: str, value: Any, map_index: int, lengths: dict[str, int]) -> Any:
        index = map_index
        found = -1
        for mapped_key in reversed(self.value):  # the last argument varies fastest, as in Airflow
            length = lengths[mapped_key]
            if length < 1:
                raise RuntimeError(f"cannot expand field mapped to length {length!r}")
            if mapped_key == key:
                found = index % length
                break
            index //= length
        if found < 0:
            return value
        if isinstance(value, Sequence):
            return value[found]
        if not isinstance(value, dict):
            raise TypeError(f"can't map over value of type {type(value)}")
        for position, (k, v) in enumerate(value.items()):
            if position == found:
                return k, v
        raise IndexError(f"index {map_index} is over mapped length")

    def resolve(self, context: Mapping[str, Any]) -> tuple[dict[str, Any], set[int]]:
        map_index = context["ti"].map_index
        if map_index is None or map_index < 0:
            raise RuntimeError("can't resolve task-mapping argument without expanding")
        resolved = {k: v.resolve(context) if _needs_run_time_resolution(v) else v for k, v in self.value.items()}
        lengths = {k: len(v) for k, v in resolved.items() if isinstance(v, Sized)}
        missing = set(self.value) - set(lengths)
        if missing:
            raise NotFullyPopulated(missing)
        data = {k: self._expand_mapped_field(k, v, map_index, lengths) for k, v in resolved.items()}
        literal = {k for k, v in self.value.items() if not _needs_run_time_resolution(v)}
        return data, {id(v) for k, v in data.items() if k not in literal}


def _describe_type(value: Any) -> str:
    return "None" if value is None else type(value).__name__


class ListOfDictsExpandInput:
    """`expand_kwargs([...] or xcom)`: one instance per dict of arguments."""

    EXPAND_INPUT_TYPE = "list-of-dicts"

    def __init__(self, value: Any) -> None:
        self.value = value

    def iter_references(self) -> Iterator[tuple[Any, str]]:
        if isinstance(self.value, XComArg):
            yield from self.value.iter_references()
        else:
            for item in self.value:
                if isinstance(item, XComArg):
                    yield from item.iter_references()

    def parse_time_length(self) -> int:
        if isinstance(self.value, Sized) and not isinstance(self.value, XComArg):
            return len(self.value)
        raise NotFullyPopulated({"expand_kwargs() argument"})

    def run_time_length(self, length_of: Callable[[XComArg], int | None]) -> int:
        if isinstance(self.value, Sized) and not isinstance(self.value, XComArg):
            return len(self.value)
        length = length_of(self.value)
        if length is None:
            raise NotFullyPopulated({"expand_kwargs() argument"})
        return length

    def resolve(self, context: Mapping[str, Any]) -> tuple[Mapping[str, Any], set[int]]:
        map_index = context["ti"].map_index
        if map_index < 0:
            raise RuntimeError("can't resolve task-mapping argument without expanding")
        if isinstance(self.value, Sized) and not isinstance(self.value, XComArg):
            mapping = self.value[map_index]
            if not isinstance(mapping, Mapping):
                mapping = mapping.resolve(context)
        else:
            mappings = self.value.resolve(context)
            if not isinstance(mappings, Sequence):
                raise ValueError(f"expand_kwargs() expects a list[dict], not {_describe_type(mappings)}")
            mapping = mappings[map_index]
        if not isinstance(mapping, Mapping):
            raise ValueError(f"expand_kwargs() expects a list[dict], not list[{_describe_type(mapping)}]")
        for key in mapping:
            if not isinstance(key, str):
                raise ValueError(f"expand_kwargs() input dict keys must all be str, but {key!r} is of type "
                                 f"{_describe_type(key)}")
        return mapping, {id(v) for v in mapping.values() if _needs_run_time_resolution(v)}


ExpandInput = DictOfListsExpandInput | ListOfDictsExpandInput
EXPAND_INPUT_EMPTY = DictOfListsExpandInput({})


# -- checks shared by partial(), expand() and the decorators -----------------------------------------------
def _init_parameter_names(operator_class: type) -> list[set[str]]:
    """The named parameters of each `__init__` in the class's MRO (Airflow validates against these)."""
    from migrator.runner.sdk.baseoperator import BaseOperator

    found = []
    for klass in operator_class.__mro__:
        if not (isinstance(klass, type) and issubclass(klass, BaseOperator)) or "__init__" not in klass.__dict__:
            continue
        signature = inspect.signature(klass.__dict__["__init__"])
        found.append({p.name for p in signature.parameters.values()
                      if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)})
    return found


def validate_mapping_kwargs(operator_class: type, func: str, value: dict[str, Any]) -> None:
    unknown = dict(value)
    for names in _init_parameter_names(operator_class):
        for name in names:
            item = unknown.pop(name, NOTSET)
            if func == "expand" and item is not NOTSET and not is_mappable(item):
                raise ValueError(f"{operator_class.__name__}.expand() got an unexpected type "
                                 f"{type(item).__name__!r} for keyword argument {name}")
        if not unknown:
            return
    if len(unknown) == 1:
        error = f"an unexpected keyword argument {next(iter(unknown))!r}"
    else:
        error = "unexpected keyword arguments " + ", ".join(repr(n) for n in unknown)
    raise TypeError(f"{operator_class.__name__}.{func}() got {error}")


def prevent_duplicates(first: Mapping[str, Any], second: Mapping[str, Any], *, fail_reason: str) -> None:
    duplicated = set(first) & set(second)
    if not duplicated:
        return
    if len(duplicated) == 1:
        raise TypeError(f"{fail_reason} argument: {duplicated.pop()}")
    raise TypeError(f"{fail_reason} arguments: {', '.join(sorted(duplicated))}")


def check_argument_names(function: Callable[..., Any], func: str, kwargs: Mapping[str, Any]) -> None:
    """`partial()`/`expand()` of a decorated function name its parameters (unless it takes **kwargs)."""
    parameters = inspect.signature(function).parameters
    if any(p.kind == p.VAR_KEYWORD for p in parameters.values()):
        return
    unknown = [name for name in kwargs if name not in parameters]
    if len(unknown) == 1:
        raise TypeError(f"{func}() got an unexpected keyword argument {unknown[0]!r}")
    if unknown:
        raise TypeError(f"{func}() got unexpected keyword arguments {', '.join(repr(n) for n in unknown)}")


def ensure_xcomarg_return_value(value: Any) -> None:
    if isinstance(value, XComArg):
        for operator_, key in value.iter_references():
            if key != XCOM_RETURN_KEY:
                raise ValueError(f"cannot map over XCom with custom key {key!r} from {operator_}")
    elif isinstance(value, Mapping):
        for item in value.values():
            ensure_xcomarg_return_value(item)
    elif isinstance(value, Iterable) and not isinstance(value, str):
        for item in value:
            ensure_xcomarg_return_value(item)


# -- partial() and the mapped operator ------------------------------------------------------------------
def base_parameter_names() -> frozenset[str]:
    from migrator.runner.sdk.baseoperator import BaseOperator

    return frozenset(_init_parameter_names(BaseOperator)[0])


class OperatorPartial:
    """What `Operator.partial(...)` returns: call `.expand(...)` or `.expand_kwargs(...)` on it."""

    def __init__(self, operator_class: type[BaseOperator], kwargs: dict[str, Any], params: Any) -> None:
        validate_mapping_kwargs(operator_class, "partial", {k: v for k, v in kwargs.items()
                                                            if k not in ("task_id", "dag", "task_group")})
        self.operator_class = operator_class
        self.kwargs = kwargs
        self.params = params

    def __repr__(self) -> str:
        return f"{self.operator_class.__name__}.partial({', '.join(f'{k}={v!r}' for k, v in self.kwargs.items())})"

    def expand(self, **mapped_kwargs: Any) -> MappedOperator:
        if not mapped_kwargs:
            raise TypeError("no arguments to expand against")
        validate_mapping_kwargs(self.operator_class, "expand", mapped_kwargs)
        prevent_duplicates(self.kwargs, mapped_kwargs, fail_reason="unmappable or already specified")
        return self._expand(DictOfListsExpandInput(mapped_kwargs), strict=False)

    def expand_kwargs(self, kwargs: Any, *, strict: bool = True) -> MappedOperator:
        check_expand_kwargs_argument(kwargs)
        return self._expand(ListOfDictsExpandInput(kwargs), strict=strict)

    def _expand(self, expand_input: ExpandInput, *, strict: bool) -> MappedOperator:
        ensure_xcomarg_return_value(expand_input.value)
        partial_kwargs = dict(self.kwargs)
        return MappedOperator(
            operator_class=self.operator_class, expand_input=expand_input, partial_kwargs=partial_kwargs,
            task_id=partial_kwargs.pop("task_id"), params=self.params, dag=partial_kwargs.pop("dag"),
            task_group=partial_kwargs.pop("task_group"), disallow_kwargs_override=strict,
        )


def check_expand_kwargs_argument(kwargs: Any) -> None:
    if isinstance(kwargs, Sequence) and not isinstance(kwargs, str):
        for item in kwargs:
            if not isinstance(item, (XComArg, Mapping)):
                raise TypeError(f"expected XComArg or list[dict], not {type(kwargs).__name__}")
    elif not isinstance(kwargs, XComArg):
        raise TypeError(f"expected XComArg or list[dict], not {type(kwargs).__name__}")


def make_partial(operator_class: type[BaseOperator], *, task_id: str, dag: DAG | None = None,
                 task_group: TaskGroup | None = None, params: Any = None, **kwargs: Any) -> OperatorPartial:
    """`Operator.partial(...)` (Airflow's BaseOperatorMeta.partial): defaults of the DAG and groups merged."""
    from migrator.runner.sdk.baseoperator import _merged_default_args
    from migrator.runner.sdk.context import DagContext
    from migrator.runner.sdk.params import ParamsDict

    validate_mapping_kwargs(operator_class, "partial", kwargs)
    dag = dag or DagContext.get_current()
    if dag is not None:
        task_group = task_group or DagContext.current_group(dag)
    if task_group is not None:
        task_id = task_group.child_id(task_id)
    default_args = _merged_default_args(dag, task_group, kwargs.pop("default_args", None))
    merged_params = ParamsDict(default_args.get("params") or {})
    merged_params.update(params or {})
    partial_kwargs: dict[str, Any] = {"task_id": task_id, "dag": dag, "task_group": task_group, **kwargs}
    base = base_parameter_names()
    partial_kwargs.update((k, v) for k, v in default_args.items() if k not in partial_kwargs and k in base)
    if partial_kwargs.get("pool_slots", 1) < 1:
        where = f" in dag {dag.dag_id}" if dag is not None else ""
        raise ValueError(f"pool slots for {task_id}{where} cannot be less than 1")
    return OperatorPartial(operator_class, partial_kwargs, merged_params)


class MappedOperator(TaskNode):
    """One mapped task of a DAG: scheduling attributes from the partial arguments, run as unmapped copies."""

    is_mapped = True

    def __init__(self, *, operator_class: type[BaseOperator], expand_input: ExpandInput,
                 partial_kwargs: dict[str, Any], task_id: str, params: Any, dag: DAG | None,
                 task_group: TaskGroup | None, disallow_kwargs_override: bool,
                 expand_input_attr: str = "expand_input") -> None:
        from migrator.runner.sdk.baseoperator import BaseOperator

        self.operator_class = operator_class
        self.expand_input = expand_input
        self.partial_kwargs = partial_kwargs
        self.task_id = task_id
        self.params = params
        self.task_group = task_group
        self._dag: DAG | None = None
        self.upstream_task_ids: set[str] = set()
        self.downstream_task_ids: set[str] = set()
        self._disallow_kwargs_override = disallow_kwargs_override
        self._expand_input_attr = expand_input_attr
        self.is_setup = bool(partial_kwargs.pop("is_setup", False))
        self.is_teardown = bool(partial_kwargs.pop("is_teardown", False))
        self.on_failure_fail_dagrun = bool(partial_kwargs.pop("on_failure_fail_dagrun", False))
        # The scheduling attributes (retries, trigger rule, ...) as BaseOperator computes them; the
        # operator itself is only built per instance, when its mapped values are known.
        base = base_parameter_names()
        self._base = BaseOperator.__new__(BaseOperator)
        BaseOperator.__init__.__wrapped__(  # type: ignore[attr-defined]
            self._base, task_id=task_id, _airflow_from_mapped=True,
            **{k: v for k, v in partial_kwargs.items() if k in base and k not in ("dag", "task_group", "params")})
        if closest_mapped_group(self) is not None:
            raise NotImplementedError("operator expansion in an expanded task group is not yet supported")
        if task_group is not None:
            task_group.add(self)
        if dag is not None:
            dag.add_task(self)
        for referenced, _ in iter_references(self._get_specified_expand_input().value):
            referenced._add_edge(self)
        for name, value in partial_kwargs.items():
            if name in self.template_fields:
                for referenced, _ in iter_references(value):
                    referenced._add_edge(self)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in ("_base", "operator_class"):
            raise AttributeError(name)
        return getattr(self._base, name)

    def __repr__(self) -> str:
        return f"<Mapped({self.operator_class.__name__}): {self.task_id}>"

    def __hash__(self) -> int:
        return id(self)

    # -- what the class says about its instances -----------------------------------------------------
    @property
    def template_fields(self) -> Sequence[str]:
        return self.operator_class.template_fields

    @property
    def task_type(self) -> str:
        return self.operator_class.__name__

    @property
    def operator_name(self) -> str:
        return getattr(self.operator_class, "custom_operator_name", self.operator_class.__name__)

    @property
    def multiple_outputs(self) -> bool:
        return bool(self.partial_kwargs.get("multiple_outputs", False))

    @property
    def _is_sensor(self) -> bool:
        return bool(getattr(self.operator_class, "_is_sensor", False))

    # -- expansion --------------------------------------------------------------------------------------
    def _get_specified_expand_input(self) -> ExpandInput:
        return getattr(self, self._expand_input_attr)

    def iter_mapped_dependencies(self) -> Iterator[Any]:
        for referenced, _ in self._get_specified_expand_input().iter_references():
            yield referenced

    def parse_time_length(self) -> int:
        return self._get_specified_expand_input().parse_time_length()

    def run_time_length(self, length_of: Callable[[XComArg], int | None]) -> int:
        return self._get_specified_expand_input().run_time_length(length_of)

    def _expand_mapped_kwargs(self, context: Mapping[str, Any]) -> tuple[Mapping[str, Any], set[int]]:
        return self._get_specified_expand_input().resolve(context)

    def _get_unmap_kwargs(self, mapped_kwargs: Mapping[str, Any], *, strict: bool) -> dict[str, Any]:
        if strict:
            prevent_duplicates(self.partial_kwargs, mapped_kwargs, fail_reason="unmappable or already specified")
        params = copy.copy(self.params)
        if "params" in mapped_kwargs:
            params.update(mapped_kwargs["params"])
        return {"task_id": self.task_id, "dag": self._dag, "task_group": self.task_group,
                **self.partial_kwargs, **mapped_kwargs, "params": params}

    def unmap(self, context: Mapping[str, Any]) -> BaseOperator:
        """The operator one instance runs: partial plus this instance's mapped arguments (rendering skips
        values that came from XComs, as Airflow's seen_oids)."""
        mapped_kwargs, resolved_ids = self._expand_mapped_kwargs(context)
        kwargs = self._get_unmap_kwargs(mapped_kwargs, strict=self._disallow_kwargs_override)
        for name in ("is_setup", "is_teardown", "on_failure_fail_dagrun"):
            kwargs.pop(name, None)
        task = self.operator_class(**kwargs, _airflow_from_mapped=True)
        task.is_setup, task.is_teardown = self.is_setup, self.is_teardown
        task.on_failure_fail_dagrun = self.on_failure_fail_dagrun
        task.upstream_task_ids = self.upstream_task_ids
        task.downstream_task_ids = self.downstream_task_ids
        task._render_skip_ids = resolved_ids
        return task


class DecoratedMappedOperator(MappedOperator):
    """A mapped @task: the mapped values become the function's keyword arguments (op_kwargs)."""

    def __init__(self, *, python_callable: Callable[..., Any], multiple_outputs: bool,
                 op_kwargs_expand_input: ExpandInput, **kwargs: Any) -> None:
        self.python_callable = python_callable
        self._multiple_outputs = multiple_outputs
        self.op_kwargs_expand_input = op_kwargs_expand_input
        super().__init__(expand_input=EXPAND_INPUT_EMPTY, expand_input_attr="op_kwargs_expand_input", **kwargs)

    @property
    def multiple_outputs(self) -> bool:
        return self._multiple_outputs

    def _expand_mapped_kwargs(self, context: Mapping[str, Any]) -> tuple[Mapping[str, Any], set[int]]:
        op_kwargs, resolved_ids = super()._expand_mapped_kwargs(context)
        return {"op_kwargs": op_kwargs}, resolved_ids

    def _get_unmap_kwargs(self, mapped_kwargs: Mapping[str, Any], *, strict: bool) -> dict[str, Any]:
        partial_op_kwargs = self.partial_kwargs.get("op_kwargs", {})
        mapped_op_kwargs = mapped_kwargs["op_kwargs"]
        if strict:
            prevent_duplicates(partial_op_kwargs, mapped_op_kwargs, fail_reason="mapping already partial")
        kwargs = {"multiple_outputs": self._multiple_outputs, "python_callable": self.python_callable,
                  "op_kwargs": {**partial_op_kwargs, **mapped_op_kwargs}}
        return super()._get_unmap_kwargs(kwargs, strict=False)


# -- questions the runner asks about mapping ----------------------------------------------------------
def is_mapped(task: Any) -> bool:
    return isinstance(task, MappedOperator)


def closest_mapped_group(node: Any) -> Any:
    from migrator.runner.sdk.taskgroup import MappedTaskGroup

    group = getattr(node, "task_group", None)
    while group is not None:
        if isinstance(group, MappedTaskGroup):
            return group
        group = group.parent_group
    return None


def needs_expansion(task: Any) -> bool:
    """Whether the task has one instance per mapped value (mapped itself, or inside a mapped group)."""
    return is_mapped(task) or closest_mapped_group(task) is not None


def parse_time_length(task: Any) -> int:
    """The number of instances known from literals; NotFullyPopulated when XComs decide it."""
    if is_mapped(task):
        return task.parse_time_length()
    return closest_mapped_group(task).expand_input.parse_time_length()


def run_time_length(task: Any, length_of: Callable[[XComArg], int | None]) -> int:
    if is_mapped(task):
        return task.run_time_length(length_of)
    return closest_mapped_group(task).expand_input.run_time_length(length_of)


def expansion_dependencies(task: Any) -> set[str]:
    """Ids of the tasks whose XComs a task's mapping reads (its own expand input, its group's)."""
    found = set()
    if is_mapped(task):
        found.update(op.task_id for op in task.iter_mapped_dependencies())
    group = closest_mapped_group(task)
    if group is not None:
        found.update(op.task_id for op, _ in group.expand_input.iter_references())
    return found


def relevant_map_index(task: Any, map_index: int, upstream: Any) -> Any:
    """Which instance of `upstream` an instance of `task` reads (Airflow's _get_relevant_map_indexes):
    None for any (upstream not in a mapped group), the same index inside a shared mapped group,
    NOTSET for all of them (the group is not shared)."""
    upstream_group = closest_mapped_group(upstream)
    if upstream_group is None:
        return None
    if closest_mapped_group(task) is not upstream_group or map_index < 0:
        return NOTSET
    return map_index


def mapping_sources(dag: DAG) -> frozenset[str]:
    """Tasks whose return value some mapped task or mapped group expands over (their pushes are checked)."""
    cached = getattr(dag, "_mapping_sources", None)
    if cached is not None:
        return cached
    from migrator.runner.sdk.taskgroup import MappedTaskGroup

    found: set[str] = set()
    for task in dag.tasks:
        if is_mapped(task):
            found.update(op.task_id for op in task.iter_mapped_dependencies())
    for group in dag.task_group_dict.values():
        if isinstance(group, MappedTaskGroup):
            found.update(op.task_id for op, _ in group.expand_input.iter_references())
    result = frozenset(found)
    dag._mapping_sources = result  # type: ignore[attr-defined]
    return result
