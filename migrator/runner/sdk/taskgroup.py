"""`TaskGroup` and `@task_group`: grouping with id prefixes, group-level default_args and dependencies."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from migrator.runner.sdk.context import DagContext
from migrator.runner.sdk.exceptions import AirflowException, DuplicateTaskIdFound
from migrator.runner.sdk.nodes import DependencyMixin

if TYPE_CHECKING:
    from migrator.runner.sdk.baseoperator import BaseOperator
    from migrator.runner.sdk.dag import DAG


class TaskGroup(DependencyMixin):
    def __init__(
        self,
        group_id: str | None,
        prefix_group_id: bool = True,
        parent_group: TaskGroup | None = None,
        dag: DAG | None = None,
        default_args: dict[str, Any] | None = None,
        tooltip: str = "",
        ui_color: str = "CornflowerBlue",
        ui_fgcolor: str = "#000",
        add_suffix_on_collision: bool = False,
        group_display_name: str = "",
    ) -> None:
        from migrator.runner.sdk.baseoperator import validate_key

        self.prefix_group_id = prefix_group_id
        self.default_args = dict(default_args or {})
        self.tooltip = tooltip
        self.children: dict[str, Any] = {}
        self.used_group_ids: set[str | None] = set()
        if group_id is None:  # the root group of a DAG
            if parent_group is not None:
                raise AirflowException("Root TaskGroup cannot have parent_group")
            self._group_id: str | None = None
            self.parent_group: TaskGroup | None = None
            self.dag = dag
            self.used_group_ids.add(None)
            return
        validate_key(group_id, "group_id")
        dag = dag or DagContext.get_current()
        if parent_group is None:
            parent_group = DagContext.current_group(dag)
        if parent_group is None:
            raise AirflowException(f"TaskGroup {group_id!r} must be created inside a DAG (with DAG(...) or dag=)")
        self.parent_group = parent_group
        self.dag = dag or parent_group.dag
        self._group_id = group_id
        root = self.dag.task_group if self.dag is not None else parent_group
        if self.group_id in root.used_group_ids:
            if not add_suffix_on_collision:
                raise DuplicateTaskIdFound(f"group_id {self._group_id!r} has already been added to the DAG")
            base = re.split(r"__\d+$", group_id)[0]
            suffixes = sorted(
                int(re.split(r"^.+__", used)[1]) for used in root.used_group_ids
                if used is not None and re.match(rf"^{re.escape(self._parent_prefix() + base)}__\d+$", used)
            )
            self._group_id = f"{base}__{suffixes[-1] + 1 if suffixes else 1}"
        root.used_group_ids.add(self.group_id)
        if self.dag is not None:
            self.dag.task_group_dict[self.group_id] = self  # type: ignore[index]
        parent_group.add(self)

    def _parent_prefix(self) -> str:
        parent = self.parent_group
        if parent is not None and parent.prefix_group_id and parent.group_id:
            return parent.group_id + "."
        return ""

    @property
    def group_id(self) -> str | None:
        if self._group_id is None:
            return None
        if self.parent_group is not None:
            return self.parent_group.child_id(self._group_id)
        return self._group_id

    @property
    def label(self) -> str | None:
        return self._group_id

    def child_id(self, label: str) -> str:
        if self.prefix_group_id and self.group_id:
            return f"{self.group_id}.{label}"
        return label

    def add(self, node: Any) -> None:
        key = node.group_id if isinstance(node, TaskGroup) else node.task_id
        if key in self.children:
            raise DuplicateTaskIdFound(f"{'group_id' if isinstance(node, TaskGroup) else 'Task id'} {key!r} has already been added to the DAG")
        self.children[key] = node

    def __iter__(self) -> Iterator[BaseOperator]:
        for child in self.children.values():
            if isinstance(child, TaskGroup):
                yield from child
            else:
                yield child

    def has_task(self, task: BaseOperator) -> bool:
        return any(t is task for t in self)

    @property
    def roots(self) -> list[BaseOperator]:
        ids = {t.task_id for t in self}
        return [t for t in self if not (t.upstream_task_ids & ids)]

    @property
    def leaves(self) -> list[BaseOperator]:
        ids = {t.task_id for t in self}
        return [t for t in self if not (t.downstream_task_ids & ids)]

    def _upstream_ends(self) -> list[BaseOperator]:
        return self.leaves

    def _downstream_ends(self) -> list[BaseOperator]:
        return self.roots

    def __enter__(self) -> TaskGroup:
        DagContext.push_group(self)
        return self

    def __exit__(self, *exc: object) -> None:
        DagContext.pop_group(self)

    def __repr__(self) -> str:
        return f"<TaskGroup: {self.group_id}>"

    def iter_tasks(self) -> Iterator[BaseOperator]:
        return iter(self)


class MappedTaskGroup(TaskGroup):
    """A task group expanded over values: every task in it has one instance per value (`@task_group` +
    `.expand()`); a task in the group reads its instance's values through MappedArgument stand-ins."""

    def __init__(self, group_id: str | None = None, *, expand_input: Any, **kwargs: Any) -> None:
        super().__init__(group_id, **kwargs)
        parent = self.parent_group
        while parent is not None and not isinstance(parent, MappedTaskGroup):
            parent = parent.parent_group
        if parent is not None:
            from migrator.runner.sdk.exceptions import NotSupportedByRunner

            raise NotSupportedByRunner("a mapped task group inside another mapped task group is not supported by "
                                       "the local runner")
        self.expand_input = expand_input

    def __repr__(self) -> str:
        return f"<MappedTaskGroup: {self.group_id}>"


def task_group(python_callable: Callable[..., Any] | None = None, **tg_kwargs: Any) -> Any:
    """`@task_group`: calling the function builds its tasks inside a new group (ids get suffixes)."""

    def decorator(func: Callable[..., Any]) -> _TaskGroupFactory:
        return _TaskGroupFactory(func, dict(tg_kwargs), {})

    if python_callable is not None:
        return decorator(python_callable)
    return decorator


class _TaskGroupFactory:
    """A `@task_group` function: calling it builds its tasks in a new group; `.expand()` maps the group."""

    def __init__(self, function: Callable[..., Any], tg_kwargs: dict[str, Any], partial_kwargs: dict[str, Any]) -> None:
        self.function = function
        self.tg_kwargs = tg_kwargs
        self.partial_kwargs = partial_kwargs
        functools.update_wrapper(self, function)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._create(TaskGroup, *args, **kwargs)

    def _create(self, group_class: Callable[..., TaskGroup], *args: Any, **kwargs: Any) -> Any:
        options = dict(self.tg_kwargs)
        options.setdefault("group_id", self.function.__name__)
        options.setdefault("add_suffix_on_collision", True)
        with group_class(**options) as group:
            if self.function.__doc__ and not group.tooltip:
                group.tooltip = self.function.__doc__
            result = self.function(*args, **kwargs)
        # As in Airflow: a group function returning a task (or XComArg) makes that the group's handle
        # only for wiring the result; `group >> x` wires from the group's leaves.
        return result if result is not None else group

    def override(self, **more: Any) -> _TaskGroupFactory:
        return _TaskGroupFactory(self.function, {**self.tg_kwargs, **more}, self.partial_kwargs)

    def _validate_arg_names(self, func: str, kwargs: dict[str, Any]) -> None:
        from migrator.runner.sdk.mapped import check_argument_names

        check_argument_names(self.function, func, kwargs)

    def partial(self, **kwargs: Any) -> _TaskGroupFactory:
        from migrator.runner.sdk.mapped import prevent_duplicates

        self._validate_arg_names("partial", kwargs)
        prevent_duplicates(self.partial_kwargs, kwargs, fail_reason="duplicate partial")
        return _TaskGroupFactory(self.function, self.tg_kwargs, {**kwargs, **self.partial_kwargs})

    def expand(self, **kwargs: Any) -> Any:
        from migrator.runner.sdk.mapped import (
            DictOfListsExpandInput,
            MappedArgument,
            ensure_xcomarg_return_value,
            prevent_duplicates,
        )

        if not kwargs:
            raise TypeError("no arguments to expand against")
        self._validate_arg_names("expand", kwargs)
        prevent_duplicates(self.partial_kwargs, kwargs, fail_reason="mapping already partial")
        expand_input = DictOfListsExpandInput(kwargs)
        ensure_xcomarg_return_value(expand_input.value)
        return self._create(functools.partial(MappedTaskGroup, expand_input=expand_input), **self.partial_kwargs,
                            **{k: MappedArgument(input=expand_input, key=k) for k in kwargs})

    def expand_kwargs(self, kwargs: Any) -> Any:
        import inspect

        from migrator.runner.sdk.mapped import (
            ListOfDictsExpandInput,
            MappedArgument,
            check_expand_kwargs_argument,
            ensure_xcomarg_return_value,
        )

        check_expand_kwargs_argument(kwargs)
        signature = inspect.signature(self.function)
        if any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in signature.parameters.values()):
            raise TypeError("calling expand_kwargs() on task group function with * or ** is not supported")
        expand_input = ListOfDictsExpandInput(kwargs)
        ensure_xcomarg_return_value(expand_input.value)
        names = [name for name in signature.parameters if name not in self.partial_kwargs]
        return self._create(functools.partial(MappedTaskGroup, expand_input=expand_input), **self.partial_kwargs,
                            **{k: MappedArgument(input=expand_input, key=k) for k in names})
