"""Dependencies between tasks: `>>`, `<<`, `set_upstream`, `chain`, `cross_downstream`, labels.

Operators, task groups, XComArgs and edge labels all take part; whatever side they are on, a group
stands for its roots (when downstream) or its leaves (when upstream), as in Airflow.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from migrator.runner.sdk.baseoperator import BaseOperator


class DependencyMixin:
    """Shared `>>`/`<<` behaviour; subclasses define which operators stand at each end."""

    def _upstream_ends(self) -> list[BaseOperator]:
        """Operators that become upstream when this node is on the left of `>>`."""
        raise NotImplementedError

    def _downstream_ends(self) -> list[BaseOperator]:
        """Operators that become downstream when this node is on the right of `>>`."""
        raise NotImplementedError

    def set_downstream(self, other: Any, edge_modifier: Any = None) -> None:
        link(self, other)

    def set_upstream(self, other: Any, edge_modifier: Any = None) -> None:
        link(other, self)

    def __rshift__(self, other: Any) -> Any:
        link(self, other)
        return other

    def __lshift__(self, other: Any) -> Any:
        link(other, self)
        return other

    def __rrshift__(self, other: Any) -> Any:
        link(other, self)
        return self

    def __rlshift__(self, other: Any) -> Any:
        link(self, other)
        return self


class EdgeModifier(DependencyMixin):
    """`a >> Label("why") >> b`: a label on the edges it passes through (kept for display)."""

    def __init__(self, label: str | None = None) -> None:
        self.label = label
        self._upstreams: list[BaseOperator] = []
        self._downstreams: list[BaseOperator] = []

    def _upstream_ends(self) -> list[BaseOperator]:
        return list(self._upstreams)

    def _downstream_ends(self) -> list[BaseOperator]:
        return list(self._downstreams)


def Label(label: str) -> EdgeModifier:
    return EdgeModifier(label)


def _flatten(value: Any) -> list[Any]:
    """One level, as Airflow: `a >> [b, c]` is fine, `a >> [b, [c, d]]` is an error there and here."""
    if isinstance(value, (list, tuple, set, frozenset)):
        return list(value)
    return [value]


def _check_node(value: Any) -> DependencyMixin:
    if not isinstance(value, DependencyMixin):
        raise TypeError(f"Relationships can only be set between operators, task groups and XComArgs; got {value!r}")
    return value


def link(upstream: Any, downstream: Any) -> None:
    """Make every operator at the upstream side an upstream of every one at the downstream side."""
    ups = [_check_node(u) for u in _flatten(upstream)]
    downs = [_check_node(d) for d in _flatten(downstream)]
    for down in downs:
        if isinstance(down, EdgeModifier):
            for up in ups:
                down._upstreams.extend(up._upstream_ends())
    for up in ups:
        if isinstance(up, EdgeModifier):
            for down in downs:
                if not isinstance(down, EdgeModifier):
                    up._downstreams.extend(down._downstream_ends())
    up_ops = [op for up in ups for op in up._upstream_ends()]
    down_ops = [op for down in downs if not isinstance(down, EdgeModifier) for op in down._downstream_ends()]
    for up_op in up_ops:
        for down_op in down_ops:
            up_op._add_edge(down_op)


def chain(*elements: Any) -> None:
    """`chain(a, [b, c], d)`; two lists side by side are linked pairwise (they must match in length)."""
    for up, down in itertools.pairwise(elements):
        if isinstance(up, Sequence) and not isinstance(up, str) and isinstance(down, Sequence) and not isinstance(down, str):
            if len(up) != len(down):
                raise ValueError(f"Chain not supported for different length Iterable. Got {len(up)} and {len(down)}.")
            for u, d in zip(up, down):
                link(u, d)
        else:
            link(up, down)


def chain_linear(*elements: Any) -> None:
    """Every element of each group upstream of every element of the next."""
    if len(elements) < 2:
        raise ValueError("chain_linear must have at least two arguments")
    for up, down in itertools.pairwise(elements):
        link(up, down)


def cross_downstream(from_tasks: Iterable[Any], to_tasks: Any) -> None:
    for task in from_tasks:
        link(task, to_tasks)
