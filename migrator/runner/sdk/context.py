"""Module-level state while a DAG file is defined and while a task executes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from migrator.runner.sdk.dag import DAG
    from migrator.runner.sdk.taskgroup import TaskGroup


class DagContext:
    """The DAG (and task group) a `with` block makes current; DAGs it registers for the loader."""

    _stack: list[DAG] = []
    _group_stack: dict[str, list[TaskGroup]] = {}
    autoregistered: list[DAG] = []

    @classmethod
    def push(cls, dag: DAG) -> None:
        cls._stack.append(dag)

    @classmethod
    def pop(cls) -> DAG | None:
        dag = cls._stack.pop() if cls._stack else None
        if dag is not None and dag.auto_register and dag not in cls.autoregistered:
            cls.autoregistered.append(dag)
        return dag

    @classmethod
    def get_current(cls) -> DAG | None:
        return cls._stack[-1] if cls._stack else None

    @classmethod
    def push_group(cls, group: TaskGroup) -> None:
        cls._group_stack.setdefault(group.dag.dag_id if group.dag else "", []).append(group)

    @classmethod
    def pop_group(cls, group: TaskGroup) -> None:
        stack = cls._group_stack.get(group.dag.dag_id if group.dag else "", [])
        if stack and stack[-1] is group:
            stack.pop()

    @classmethod
    def current_group(cls, dag: DAG | None) -> TaskGroup | None:
        if dag is None:
            return None
        stack = cls._group_stack.get(dag.dag_id, [])
        return stack[-1] if stack else dag.task_group

    @classmethod
    def reset(cls) -> None:
        from migrator.runner.sdk.setup_teardown import SetupTeardownContext

        cls._stack = []
        cls._group_stack = {}
        cls.autoregistered = []
        SetupTeardownContext.reset()


_CURRENT_CONTEXT: list[dict[str, Any]] = []


def get_current_context() -> dict[str, Any]:
    """The running task's context (`airflow.sdk.get_current_context`)."""
    if not _CURRENT_CONTEXT:
        from migrator.runner.sdk.exceptions import AirflowException

        raise AirflowException("Current context was requested but no context was found! Are you running within an Airflow task?")
    return _CURRENT_CONTEXT[-1]


class set_current_context:
    def __init__(self, context: dict[str, Any]) -> None:
        self.context = context

    def __enter__(self) -> dict[str, Any]:
        _CURRENT_CONTEXT.append(self.context)
        return self.context

    def __exit__(self, *exc: object) -> None:
        _CURRENT_CONTEXT.pop()


class Context(dict):
    """`airflow.sdk.Context` is a TypedDict; for type hints in DAG files a dict does."""
