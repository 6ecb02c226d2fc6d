"""Dependencies as the extractor records them: `>>`/`<<`, `set_upstream`, `chain`, TaskGroups on one
side, TaskFlow data hand-offs; and values that escape to code it cannot follow.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from typing import Any

from migrator.analysis.model import (
    EdgeKind,
    EdgeRecord,
    PendingSpan,
)
from migrator.analysis.values import (
    BITSHIFT,
    DATA,
    DATA_VALUES,
    UNKNOWN_DAG,
    DictVal,
    GroupState,
    GroupVal,
    LabelVal,
    ListVal,
    Scope,
    TaskState,
    TaskVal,
    XComVal,
    new_object,
)


class Dependencies:
    """Records the edges between tasks."""

    def tasks_of(self, value: Any) -> list[TaskState]:
        if isinstance(value, (TaskVal, XComVal)):
            return [value.task]
        if isinstance(value, ListVal):
            found: list[TaskState] = []
            for item in value.items:
                found.extend(self.tasks_of(item))
            return found
        return []

    def escape(self, value: Any) -> None:
        for task in self.tasks_of(value):
            task.escaped = True
        if isinstance(value, DictVal):
            for _, inner in value.entries.values():
                self.escape(inner)

    def escape_all(self, values: Iterable[Any]) -> None:
        for value in values:
            self.escape(value)

    def data_edges(self, value: Any, task: TaskState, node: ast.AST) -> None:
        if type(value) is XComVal:  # `load(extract())`: one upstream, no need for the generator
            self.add_edge(value.task, task, DATA, node)
            return
        if not isinstance(value, DATA_VALUES):
            return
        for upstream in self.xcom_refs(value):
            self.add_edge(upstream, task, DATA, node)

    def xcom_refs(self, value: Any) -> Iterator[TaskState]:
        if isinstance(value, XComVal):
            yield value.task
        elif isinstance(value, ListVal):
            for item in value.items:
                yield from self.xcom_refs(item)
        elif isinstance(value, DictVal):
            for _, inner in value.entries.values():
                yield from self.xcom_refs(inner)

    def endpoints(self, value: Any, upstream: bool) -> list[TaskState] | None:
        """Tasks on one side of `>>`: None when the side cannot be resolved."""
        if isinstance(value, (TaskVal, XComVal)):
            return [value.task]
        if isinstance(value, GroupVal):
            return self.group_ends(value.group, leaves=upstream)
        if isinstance(value, ListVal):
            found: list[TaskState] = []
            for item in value.items:
                inner = self.endpoints(item, upstream)
                if inner is not None:
                    found.extend(inner)
            return found
        return None

    def group_ends(self, group: GroupState, leaves: bool) -> list[TaskState]:
        """The group's leaves (no edge to another member) or roots (no edge from one). One pass over
        the edges, not one per member."""
        members = {id(t) for t in group.tasks}
        if leaves:
            inner = {id(u) for u, d in self.known_edges() if id(d) in members}
        else:
            inner = {id(d) for u, d in self.known_edges() if id(u) in members}
        return [task for task in group.tasks if id(task) not in inner]

    def known_edges(self) -> list[tuple[TaskState, TaskState]]:
        pairs: list[tuple[TaskState, TaskState]] = []
        for dag in self.dags:
            pairs.extend(dag.task_edges)
        pairs.extend((u, d) for u, d, _, _ in self.unbound_edges)
        return pairs

    def shift(self, left: Any, right: Any, op: ast.operator, node: ast.AST) -> Any:
        if isinstance(op, ast.LShift):
            self.connect(right, left, BITSHIFT, node)
        else:
            if isinstance(right, LabelVal):
                return LabelVal((left,))
            self.connect(left, right, BITSHIFT, node)
        return right

    def connect(self, upstream: Any, downstream: Any, kind: EdgeKind, node: ast.AST) -> None:
        up_kind = type(upstream)
        down_kind = type(downstream)
        if (up_kind is TaskVal or up_kind is XComVal) and (down_kind is TaskVal or down_kind is XComVal):
            self.add_edge(upstream.task, downstream.task, kind, node)  # `a >> b`: the common case
            return
        if isinstance(upstream, LabelVal):
            for inner in upstream.upstream:
                self.connect(inner, downstream, kind, node)
            return
        if isinstance(downstream, LabelVal):
            return
        if isinstance(upstream, ListVal) and isinstance(downstream, ListVal):
            self.note(node, "a list on both sides of `>>` is a TypeError in Airflow: not followed")
            return
        group_kind = EdgeKind.GROUP if isinstance(upstream, GroupVal) or isinstance(downstream, GroupVal) else kind
        ups = self.endpoints(upstream, upstream=True)
        downs = self.endpoints(downstream, upstream=False)
        if ups is None or downs is None:
            if upstream is not None or downstream is not None:
                self.note(node, "dependency with a side that cannot be resolved: not followed")
            # `helper_task() >> load`: Airflow binds `load` to the DAG of the task on the other side,
            # which the extractor cannot see
            self.escape(upstream)
            self.escape(downstream)
            return
        for u in ups:
            for d in downs:
                self.add_edge(u, d, group_kind, node)

    def add_edge(self, upstream: TaskState, downstream: TaskState, kind: EdgeKind, node: ast.AST) -> None:
        # Airflow binds a DAG-less task to the DAG of the task it is connected to.
        up_dag = upstream.dag
        down_dag = downstream.dag
        if up_dag is None:
            if down_dag is None:
                self.unbound_edges.append((upstream, downstream, kind, node))
                return
            self.assign_dag(upstream, down_dag)
            up_dag = down_dag
        elif down_dag is None:
            self.assign_dag(downstream, up_dag)
            down_dag = up_dag
        record = new_object(EdgeRecord)  # `migrator.frozen.build`, inlined: edges are made by the thousand
        record.__dict__.update(
            upstream=upstream.task_id,
            downstream=downstream.task_id,
            kind=kind,
            span=PendingSpan(node, None if self.ascii else self.lines),  # computed when first read
            upstream_dag=None if up_dag is UNKNOWN_DAG else up_dag.dag_id,  # type: ignore[union-attr]
            downstream_dag=None if down_dag is UNKNOWN_DAG else down_dag.dag_id,  # type: ignore[union-attr]
            branch=self.branch,
        )
        if up_dag is down_dag and up_dag is not UNKNOWN_DAG:
            up_dag.edges.append(record)  # type: ignore[union-attr]
            up_dag.task_edges.append((upstream, downstream))  # type: ignore[union-attr]
        elif up_dag is not UNKNOWN_DAG and down_dag is not UNKNOWN_DAG:
            self.cross_edges.append(record)

    def ev_chain(self, kind: str, node: ast.Call, scope: Scope) -> Any:
        args = []
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                expanded = self.iteration_values(self.ev(arg.value, scope))
                if expanded is None:
                    self.note(node, f"{kind}(*...) over a value that is not a literal: not followed")
                    return None
                args.extend(expanded)
            else:
                args.append(self.ev(arg, scope))
        for keyword in node.keywords:
            self.ev(keyword.value, scope)
        edge_kind = EdgeKind.CROSS if kind == "cross_downstream" else EdgeKind.CHAIN
        if kind == "cross_downstream":
            if len(args) == 2:
                self.connect_all(args[0], args[1], edge_kind, node)
            return None
        for up, down in zip(args, args[1:]):
            if kind == "chain" and isinstance(up, ListVal) and isinstance(down, ListVal):
                if len(up.items) != len(down.items):
                    self.note(node, "chain() with lists of different lengths fails in Airflow: not followed")
                    continue
                for a, b in zip(up.items, down.items):
                    self.connect(a, b, edge_kind, node)
            else:
                self.connect_all(up, down, edge_kind, node)
        return None

    def connect_all(self, ups: Any, downs: Any, kind: EdgeKind, node: ast.AST) -> None:
        up_items = ups.items if isinstance(ups, ListVal) else [ups]
        down_items = downs.items if isinstance(downs, ListVal) else [downs]
        for up in up_items:
            for down in down_items:
                self.connect(up, down, kind, node)
