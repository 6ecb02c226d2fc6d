"""`XComArg`: a reference to another task's XCom, resolved when the consuming task runs.

`XComArg(op)` is Airflow's PlainXComArg; `.map(f)`, `.zip(...)` and `.concat(...)` build the derived
references Airflow has (MapXComArg, ZipXComArg, ConcatXComArg), resolved lazily as sequences.
Resolving a reference to a mapped task gives the values of all its instances, in map index order; a
reference between two tasks of the same mapped task group gives the value of the same instance.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from migrator.runner.sdk.nodes import DependencyMixin

if TYPE_CHECKING:
    from migrator.runner.sdk.baseoperator import BaseOperator

XCOM_RETURN_KEY = "return_value"


class _NotSet:
    def __repr__(self) -> str:
        return "NOTSET"


NOTSET: Any = _NotSet()


class XComArg(DependencyMixin):
    """A plain reference: one key of one task's XComs (`task.output`, the result of a @task call)."""

    def __init__(self, operator: BaseOperator, key: str = XCOM_RETURN_KEY) -> None:
        self.operator = operator
        self.key = key

    # -- references and dependencies ---------------------------------------------------------------
    def iter_references(self) -> Iterator[tuple[Any, str]]:
        yield self.operator, self.key

    def _upstream_ends(self) -> list[BaseOperator]:
        return [operator for operator, _ in self.iter_references()]

    def _downstream_ends(self) -> list[BaseOperator]:
        return [operator for operator, _ in self.iter_references()]

    def __getitem__(self, key: str) -> XComArg:
        if not isinstance(key, str):
            raise ValueError(f"XComArg only supports str lookup, received {type(key).__name__}")
        return XComArg(self.operator, key)

    def __iter__(self) -> Iterator[Any]:
        raise TypeError("'XComArg' object is not iterable")

    def __repr__(self) -> str:
        return f"XComArg({self.operator!r}, {self.key!r})" if self.key != XCOM_RETURN_KEY else f"XComArg({self.operator!r})"

    def __str__(self) -> str:
        # Used inside templates: `"{{ " + str(xcom_arg) + " }}"`, as Airflow renders it.
        return (
            f"{{{{ task_instance.xcom_pull(task_ids='{self.operator.task_id}', "
            f"dag_id='{self.operator.dag_id}', key='{self.key}') }}}}"
        )

    def __bool__(self) -> bool:
        return True

    def __eq__(self, other: object) -> bool:
        return type(other) is XComArg and (self.operator, self.key) == (other.operator, other.key)  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((id(self.operator), self.key))

    @property
    def output(self) -> XComArg:
        return self

    # -- setup / teardown (delegated to the operator) ------------------------------------------------
    @property
    def is_setup(self) -> bool:
        return self.operator.is_setup

    @is_setup.setter
    def is_setup(self, value: bool) -> None:
        self.operator.is_setup = value

    @property
    def is_teardown(self) -> bool:
        return self.operator.is_teardown

    @is_teardown.setter
    def is_teardown(self, value: bool) -> None:
        self.operator.is_teardown = value

    @property
    def on_failure_fail_dagrun(self) -> bool:
        return self.operator.on_failure_fail_dagrun

    @on_failure_fail_dagrun.setter
    def on_failure_fail_dagrun(self, value: bool) -> None:
        self.operator.on_failure_fail_dagrun = value

    def as_setup(self) -> DependencyMixin:
        for operator, _ in self.iter_references():
            operator.is_setup = True
        return self

    def as_teardown(self, *, setups: Any = None, on_failure_fail_dagrun: bool | None = None) -> DependencyMixin:
        for operator, _ in self.iter_references():
            operator.as_teardown(setups=setups, on_failure_fail_dagrun=on_failure_fail_dagrun)
        return self

    def __enter__(self) -> Any:
        from migrator.runner.sdk.setup_teardown import SetupTeardownContext

        return SetupTeardownContext.enter(self.operator)

    def __exit__(self, *exc: object) -> None:
        from migrator.runner.sdk.setup_teardown import SetupTeardownContext

        SetupTeardownContext.exit()

    # -- derived references ------------------------------------------------------------------------
    def map(self, f: Callable[[Any], Any]) -> MapXComArg:
        if self.key != XCOM_RETURN_KEY:
            raise ValueError("cannot map against non-return XCom")
        return MapXComArg(self, [f])

    def zip(self, *others: XComArg, fillvalue: Any = NOTSET) -> ZipXComArg:
        if self.key != XCOM_RETURN_KEY:
            raise ValueError("cannot map against non-return XCom")
        return ZipXComArg([self, *others], fillvalue=fillvalue)

    def concat(self, *others: XComArg) -> ConcatXComArg:
        if self.key != XCOM_RETURN_KEY:
            raise ValueError("cannot concatenate non-return XCom")
        return ConcatXComArg([self, *others])

    # -- resolution ------------------------------------------------------------------------------------
    def resolve(self, context: Mapping[str, Any]) -> Any:
        from migrator.runner.sdk.mapped import is_mapped, relevant_map_index

        ti = context["ti"]
        task_id = self.operator.task_id
        if is_mapped(self.operator):
            # Every instance's value; instances that pushed nothing are left out.
            return LazyXComSequence(lambda: ti.xcoms.get_all(ti.dag_id, ti.run_id, task_id, self.key))
        index = relevant_map_index(ti.task, ti.map_index, self.operator)
        if index is NOTSET:  # in a mapped group the consumer is not part of: the whole result
            value = ti.xcom_pull(task_ids=task_id, key=self.key)
            value = _MISSING if value is None else value
        else:
            value = ti.xcom_pull(task_ids=task_id, key=self.key, default=_MISSING, map_indexes=index)
        if value is not _MISSING:
            return value
        # A missing return value (or multiple-outputs key) of a task that did not push is None.
        if self.key == XCOM_RETURN_KEY or getattr(self.operator, "multiple_outputs", False):
            return None
        from migrator.runner.sdk.exceptions import AirflowException

        raise AirflowException(
            f"XComArg result from {task_id} at {ti.dag_id} with key={self.key!r} is not found!"
        )


class LazyXComSequence(Sequence):
    """The values of a mapped task's instances, fetched when first read (Airflow's LazyXComSequence; its
    text, which Airflow records as the rendered field, says whether they were read yet)."""

    def __init__(self, load: Callable[[], list[Any]]) -> None:
        self._load = load
        self._values: list[Any] | None = None

    @property
    def _items(self) -> list[Any]:
        if self._values is None:
            self._values = list(self._load())
        return self._values

    def __getitem__(self, index: Any) -> Any:
        return self._items[index]

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._items)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        if self._values is None:
            return "LazyXComSequence(<unevaluated length>)"
        return f"LazyXComSequence([{len(self._values)} items])"

    __str__ = __repr__

    def __getstate__(self) -> dict[str, Any]:  # a task process may hand it on (an XCom, a pickle)
        return {"_load": None, "_values": self._items}


class _MapResult(Sequence):
    def __init__(self, value: Sequence | dict, callables: list[Callable[[Any], Any]]) -> None:
        self.value = value
        self.callables = callables

    def __getitem__(self, index: Any) -> Any:
        value = self.value[index]
        for f in self.callables:
            value = f(value)
        return value

    def __len__(self) -> int:
        return len(self.value)


class _DerivedXComArg(XComArg):
    """What map, zip and concat share: the references they combine, identity equality, checked values."""

    args: list[XComArg]
    verb: str

    def iter_references(self) -> Iterator[tuple[Any, str]]:
        for arg in self.args:
            yield from arg.iter_references()

    def __eq__(self, other: object) -> bool:
        return self is other

    def __hash__(self) -> int:
        return id(self)

    def _values(self, context: Mapping[str, Any]) -> list[Sequence | dict]:
        values = [arg.resolve(context) for arg in self.args]
        for value in values:
            if not isinstance(value, (Sequence, dict)):
                raise ValueError(f"XCom {self.verb} expects sequence or dict, not {type(value).__name__}")
        return values


class MapXComArg(_DerivedXComArg):
    """`arg.map(f)`: the pulled value with `f` applied to each item when it is read."""

    verb = "map"

    def __init__(self, arg: XComArg, callables: list[Callable[[Any], Any]]) -> None:
        from migrator.runner.sdk.decorators import is_decorated_task

        for f in callables:
            if is_decorated_task(f):
                raise ValueError("map() argument must be a plain function, not a @task operator")
        self.arg = arg
        self.args = [arg]
        self.callables = callables
        self.operator = arg.operator
        self.key = arg.key

    def __repr__(self) -> str:
        return f"{self.arg!r}" + "".join(f".map({getattr(f, '__name__', '<function>')})" for f in self.callables)

    def map(self, f: Callable[[Any], Any]) -> MapXComArg:
        return MapXComArg(self.arg, [*self.callables, f])

    def resolve(self, context: Mapping[str, Any]) -> Any:
        return _MapResult(self._values(context)[0], self.callables)


class _ZipResult(Sequence):
    def __init__(self, values: list[Sequence | dict], fillvalue: Any) -> None:
        self.values = values
        self.fillvalue = fillvalue

    def __getitem__(self, index: Any) -> Any:
        if index >= len(self):
            raise IndexError(index)
        return tuple(_get_or_fill(value, index, self.fillvalue) for value in self.values)

    def __len__(self) -> int:
        lengths = [len(v) for v in self.values]
        return max(lengths) if self.fillvalue is not NOTSET else min(lengths)


def _get_or_fill(container: Sequence | dict, index: Any, fillvalue: Any) -> Any:
    try:
        return container[index]
    except (IndexError, KeyError):
        return fillvalue


class _CombinedXComArg(_DerivedXComArg):
    def __init__(self, args: list[XComArg]) -> None:
        if not args:
            raise ValueError(f"{self.verb}() needs at least one argument")
        self.args = args
        self.operator = args[0].operator
        self.key = XCOM_RETURN_KEY

    def __repr__(self) -> str:
        first, *rest = self.args
        return f"{first!r}.{self.verb}({', '.join(repr(a) for a in rest)})"


class ZipXComArg(_CombinedXComArg):
    """`a.zip(b, ...)`: tuples of the items at each index (zip_longest with `fillvalue`)."""

    verb = "zip"

    def __init__(self, args: list[XComArg], *, fillvalue: Any = NOTSET) -> None:
        super().__init__(args)
        self.fillvalue = fillvalue

    def resolve(self, context: Mapping[str, Any]) -> Any:
        return _ZipResult(self._values(context), self.fillvalue)


class _ConcatResult(Sequence):
    def __init__(self, values: list[Sequence | dict]) -> None:
        self.values = values

    def __getitem__(self, index: Any) -> Any:
        i = index if index >= 0 else len(self) + index
        for value in self.values:
            if i < 0:
                break
            if i >= (length := len(value)):
                i -= length
            elif isinstance(value, Sequence):
                return value[i]
            else:
                return next(itertools.islice(iter(value), i, None))
        raise IndexError("list index out of range")

    def __len__(self) -> int:
        return sum(len(v) for v in self.values)


class ConcatXComArg(_CombinedXComArg):
    """`a.concat(b, ...)`: the items of each, one after the other."""

    verb = "concat"

    def resolve(self, context: Mapping[str, Any]) -> Any:
        return _ConcatResult(self._values(context))


_MISSING = object()


def iter_references(value: Any) -> Iterator[tuple[Any, str]]:
    """The (operator, key) every reference inside a value points at (mapped arguments included)."""
    if hasattr(value, "iter_references") and not isinstance(value, type):
        yield from value.iter_references()
    elif isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            yield from iter_references(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from iter_references(item)
