"""Graph: the shape of each DAG's dependency graph, extracted statically."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from migrator.analysis.branches import compatible
from migrator.analysis.ids import is_placeholder
from migrator.lint.finding import Severity, Violation
from migrator.lint.project import ProjectModel
from migrator.lint.rule import Rule, Target

if TYPE_CHECKING:
    from migrator.analysis.model import EdgeRecord, FileModel


class DependencyCycle(Rule):
    """## What it does
    Flags a cycle in a DAG's dependencies and prints the path that closes it.

    ## Why is this bad?
    A DAG must be acyclic: Airflow refuses to load a DAG with a cycle (`AirflowDagCycleException`),
    so none of its tasks run, and the error only shows up once the file reaches the scheduler.

    ## Example
    ```python
    extract >> transform >> load
    load >> extract
    ```

    Use instead:
    ```python
    extract >> transform >> load
    ```
    """

    code = "DAG001"
    name = "dependency-cycle"
    family = "graph"
    severity = Severity.ERROR

    def check(self, model: FileModel, settings: Mapping[str, Any]) -> Iterator[Violation]:
        for dag in model.dags:
            if not dag.has_cycle():
                continue
            from migrator.analysis.graph import (
                cycles,  # networkx: only when there is a cycle to show
            )

            graph = dag.graph
            for path in cycles(graph):
                if len(path) == 2 and path[0] == path[1]:
                    continue  # a self-dependency: DAG002
                edges: list[EdgeRecord] = [graph.edges[u, v]["evidence"][0] for u, v in zip(path, path[1:])]
                if not all(compatible(a.branch, b.branch) for a in edges for b in edges):
                    continue  # the edges sit on exclusive branches of an `if`: never all at once
                closing = max(edges, key=lambda e: (e.span.line, e.span.column))
                route = " -> ".join(str(node) for node in path)
                yield self.violation(closing.span, f"Cycle in DAG `{dag.dag_id}`: {route}")


class SelfDependency(Rule):
    """## What it does
    Flags a task set upstream or downstream of itself.

    ## Why is this bad?
    A task cannot wait for itself: Airflow rejects the DAG as cyclic. It is usually a typo for
    another task's variable.

    ## Example
    ```python
    load >> load
    ```

    Use instead:
    ```python
    transform >> load
    ```
    """

    code = "DAG002"
    name = "self-dependency"
    family = "graph"
    severity = Severity.ERROR

    def check(self, model: FileModel, settings: Mapping[str, Any]) -> Iterator[Violation]:
        for dag in model.dags:
            seen: set[tuple[int, int]] = set()
            for edge in dag.edges:
                if edge.upstream != edge.downstream:
                    continue
                key = (edge.span.line, edge.span.column)
                if key not in seen:
                    seen.add(key)
                    yield self.violation(edge.span, f"Task `{edge.upstream}` depends on itself")


class DuplicateTaskId(Rule):
    """## What it does
    Flags two tasks with the same `task_id` in one DAG (TaskGroup prefixes included).

    ## Why is this bad?
    Airflow raises `DuplicateTaskIdFound` when the second task is added, so the whole file fails
    to import. (TaskFlow tasks are renamed `name__1`, `name__2`, ... instead, and are not flagged.)

    ## Example
    ```python
    BashOperator(task_id="load", bash_command="load.sh orders")
    BashOperator(task_id="load", bash_command="load.sh customers")
    ```

    Use instead:
    ```python
    BashOperator(task_id="load_orders", bash_command="load.sh orders")
    BashOperator(task_id="load_customers", bash_command="load.sh customers")
    ```
    """

    code = "DAG003"
    name = "duplicate-task-id"
    family = "graph"
    severity = Severity.ERROR

    def check(self, model: FileModel, settings: Mapping[str, Any]) -> Iterator[Violation]:
        for dag in model.dags:
            seen: dict[str, list[Any]] = {}
            for task in dag.tasks:
                if task.uncertain:
                    continue
                same = seen.get(task.task_id)
                if same is None:  # the usual case: a new id
                    seen[task.task_id] = [task]
                    continue
                earlier = [t for t in same if compatible(t.branch, task.branch)]
                if earlier:
                    first = earlier[0]
                    yield self.violation(
                        task.span,
                        f"Task id `{task.task_id}` is already used in DAG `{dag.dag_id}` (line {first.span.line})",
                    )
                same.append(task)


class DuplicateDependency(Rule):
    """## What it does
    Flags a dependency that is set twice between the same two tasks.

    ## Why is this bad?
    The second declaration does nothing (Airflow logs "Dependency already registered"), and it often
    hides a mistake: the author meant another task on one side.

    ## Example
    ```python
    extract >> transform
    transform << extract
    ```

    Use instead:
    ```python
    extract >> transform
    ```
    """

    code = "DAG004"
    name = "duplicate-dependency"
    family = "graph"

    def check(self, model: FileModel, settings: Mapping[str, Any]) -> Iterator[Violation]:
        # here, not at the top: DAG007 shares this module and runs on cached runs, which load no model
        from migrator.analysis.model import EdgeKind

        explicit = {EdgeKind.BITSHIFT, EdgeKind.METHOD, EdgeKind.CHAIN, EdgeKind.CROSS}
        for dag in model.dags:
            seen: dict[tuple[str, str], list[EdgeRecord]] = {}
            for edge in dag.edges:
                if edge.kind not in explicit or edge.upstream == edge.downstream:
                    continue
                key = (edge.upstream, edge.downstream)
                same = seen.get(key)
                if same is None:  # the usual case: a new pair
                    seen[key] = [edge]
                    continue
                earlier = [e for e in same if e.span != edge.span and compatible(e.branch, edge.branch)]
                if earlier:
                    yield self.violation(
                        edge.span,
                        f"Dependency `{edge.upstream}` >> `{edge.downstream}` is already set on line {earlier[0].span.line}",
                    )
                same.append(edge)


class TaskWithoutDag(Rule):
    """## What it does
    Flags a task that is created outside any DAG: not in a `with DAG(...)` block, not in a `@dag`
    function, without `dag=`, and never connected to a task that has a DAG.

    ## Why is this bad?
    A task that belongs to no DAG is never scheduled. The code looks like part of the pipeline, but
    the step silently never runs.

    ## Example
    ```python
    with DAG("etl", schedule="@daily") as dag:
        extract = BashOperator(task_id="extract", bash_command="extract.sh")

    load = BashOperator(task_id="load", bash_command="load.sh")
    ```

    Use instead:
    ```python
    with DAG("etl", schedule="@daily") as dag:
        extract = BashOperator(task_id="extract", bash_command="extract.sh")
        load = BashOperator(task_id="load", bash_command="load.sh")
        extract >> load
    ```
    """

    code = "DAG005"
    name = "task-without-dag"
    family = "graph"

    def check(self, model: FileModel, settings: Mapping[str, Any]) -> Iterator[Violation]:
        for task in model.unbound_tasks:
            if task.escaped or task.uncertain:
                continue
            yield self.violation(task.span, f"Task `{task.task_id}` is not bound to any DAG and never runs")


class CrossDagDependency(Rule):
    """## What it does
    Flags `>>`, `set_downstream`, `chain` or a TaskFlow argument that connects tasks of two
    different DAGs.

    ## Why is this bad?
    Dependencies only exist inside one DAG: Airflow raises "Tried to set relationships between tasks
    in more than one DAG" and the file fails to import.

    ## Example
    ```python
    daily_load >> weekly_report  # tasks of DAGs `daily` and `weekly`
    ```

    Use instead:
    an Asset that `daily_load` updates and the `weekly` DAG is scheduled on, or an
    `ExternalTaskSensor` in `weekly` that waits for `daily.daily_load`.
    """

    code = "DAG006"
    name = "cross-dag-dependency"
    family = "graph"
    severity = Severity.ERROR

    def check(self, model: FileModel, settings: Mapping[str, Any]) -> Iterator[Violation]:
        for edge in model.cross_dag_edges:
            if edge.upstream_dag and edge.downstream_dag and edge.upstream_dag != edge.downstream_dag:
                yield self.violation(
                    edge.span,
                    f"Dependency between tasks of different DAGs: `{edge.upstream_dag}.{edge.upstream}` >> "
                    f"`{edge.downstream_dag}.{edge.downstream}`",
                )


class DuplicateDagId(Rule):
    """## What it does
    Flags a `dag_id` defined more than once across the files linted together (or twice in one file).

    ## Why is this bad?
    Airflow keeps one DAG per id: the files overwrite each other in the scheduler, which one wins
    depends on parse order, and runs, logs and history mix the two pipelines.

    ## Example
    ```python
    # dags/sales.py
    with DAG("daily_etl", schedule="@daily"): ...
    # dags/marketing.py
    with DAG("daily_etl", schedule="@daily"): ...
    ```

    Use instead:
    one id per pipeline (`sales_daily_etl`, `marketing_daily_etl`).

    Only the files given to one `cron2dag lint` run are compared: lint the whole DAGs folder in CI
    to catch collisions between files that pre-commit checks one at a time.
    """

    code = "DAG007"
    name = "duplicate-dag-id"
    family = "graph"
    target = Target.PROJECT
    severity = Severity.ERROR

    def check(self, model: ProjectModel, settings: Mapping[str, Any]) -> Iterator[Any]:
        by_id: dict[str, list[Any]] = defaultdict(list)
        for ref in model.dags:
            if not is_placeholder(ref.dag_id):  # `<f"{name}_daily">` stands for ids unknown here
                by_id[ref.dag_id].append(ref)
        for dag_id, refs in by_id.items():
            first = refs[0]
            for ref in refs[1:]:
                if ref.path == first.path and not compatible(ref.branch, first.branch):
                    continue
                place = f"line {first.span.line}" if ref.path == first.path else f"{first.path}:{first.span.line}"
                yield ref.path, self.violation(ref.span, f"DAG id `{dag_id}` is already defined at {place}")
