"""`XComArg`: a reference to another task's XCom, resolved when the consuming task runs."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from migrator.runner.sdk.nodes import DependencyMixin

if TYPE_CHECKING:
    from migrator.runner.sdk.baseoperator import BaseOperator

XCOM_RETURN_KEY = "return_value"


class XComArg(DependencyMixin):
    def __init__(self, operator: BaseOperator, key: str = XCOM_RETURN_KEY) -> None:
        self.operator = operator
        self.key = key

    def _upstream_ends(self) -> list[BaseOperator]:
        return [self.operator]

    def _downstream_ends(self) -> list[BaseOperator]:
        return [self.operator]

    def __getitem__(self, key: str) -> XComArg:
        return XComArg(self.operator, key)

    def __iter__(self) -> Iterator[Any]:
        raise TypeError("'XComArg' object is not iterable")

    def __repr__(self) -> str:
        return f"XComArg({self.operator.task_id!r}, {self.key!r})"

    def __str__(self) -> str:
        # Used inside templates: `"{{ " + str(xcom_arg) + " }}"`, as Airflow renders it.
        return (
            f"{{{{ task_instance.xcom_pull(task_ids='{self.operator.task_id}', "
            f"dag_id='{self.operator.dag_id}', key='{self.key}') }}}}"
        )

    def __bool__(self) -> bool:
        return True

    def __eq__(self, other: object) -> bool:
        return isinstance(other, XComArg) and (self.operator, self.key) == (other.operator, other.key)

    def __hash__(self) -> int:
        return hash((id(self.operator), self.key))

    @property
    def output(self) -> XComArg:
        return self

    def map(self, f: Any) -> Any:
        from migrator.runner.sdk.exceptions import NotSupportedByRunner

        raise NotSupportedByRunner("XComArg.map() (dynamic task mapping) is not supported by the local runner")

    zip = map
    concat = map

    def resolve(self, context: Mapping[str, Any]) -> Any:
        ti = context["ti"]
        value = ti.xcom_pull(task_ids=self.operator.task_id, key=self.key, default=_MISSING)
        if value is not _MISSING:
            return value
        # A missing return value (or multiple-outputs key) of a task that did not push is None.
        if self.key == XCOM_RETURN_KEY or getattr(self.operator, "multiple_outputs", False):
            return None
        from migrator.runner.sdk.exceptions import AirflowException

        raise AirflowException(
            f"XComArg result from {self.operator.task_id} at {ti.dag_id} with key={self.key!r} is not found!"
        )


_MISSING = object()


def iter_xcom_args(value: Any) -> Iterator[XComArg]:
    """Every XComArg inside a value (lists, tuples, sets, dicts), for implicit dependencies."""
    if isinstance(value, XComArg):
        yield value
    elif isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            yield from iter_xcom_args(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from iter_xcom_args(item)
