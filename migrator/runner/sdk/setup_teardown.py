"""`with teardown_task:` / `with setup >> teardown:`: tasks created inside run between a setup and a teardown.

Semantics of Airflow's SetupTeardownContext: while the block is open, every task created (other than
setup and teardown tasks) is remembered; when it closes, those without upstream tasks become downstream
of the block's setups, those without downstream tasks upstream of its teardowns. A block opened with a
teardown takes the setups found upstream of it, one opened with a setup the teardowns found downstream.
Nested blocks chain: the outer setup before the inner one, the inner teardown before the outer one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


def _operators(node: Any) -> list[Any]:
    if isinstance(node, (list, tuple)):
        return [item for entry in node for item in _operators(entry)]
    return [getattr(node, "operator", node)]


def _search(start: list[Any], wanted: str, exclude: list[Any]) -> list[Any]:
    """Breadth-first over relatives until a level holds tasks with `wanted` set (is_setup/is_teardown)."""
    level = start
    seen: set[int] = {id(item) for item in exclude}
    while level:
        found = [task for task in level if getattr(task, wanted)]
        if found:
            return found
        seen.update(id(task) for task in level)
        level = [other for task in level for other in (*task.downstream_list, *task.upstream_list)
                 if id(other) not in seen]
    return []


@dataclass
class _Block:
    setups: list[Any]
    teardowns: list[Any]
    tasks: list[Any] = field(default_factory=list)


class SetupTeardownContext:
    _blocks: list[_Block] = []

    @classmethod
    def enter(cls, node: Any) -> type[SetupTeardownContext]:
        operators = _operators(node)
        if not operators or not all(op.is_setup or op.is_teardown for op in operators):
            from migrator.runner.sdk.exceptions import AirflowException

            raise AirflowException("Only setup/teardown tasks can be used as context managers.")
        if any(op.is_setup != operators[0].is_setup for op in operators):
            raise ValueError("All tasks in the list must be either setup or teardown tasks")
        if operators[0].is_teardown:
            block = _Block(_search(operators[0].upstream_list, "is_setup", operators), operators)
        else:
            block = _Block(operators, _search(operators[0].downstream_list, "is_teardown", operators))
        cls._blocks.append(block)
        return cls

    @classmethod
    def record(cls, task: Any) -> None:
        """Called for each task as it is created."""
        if cls._blocks:
            cls._blocks[-1].tasks.append(task)

    @classmethod
    def exit(cls) -> None:
        from migrator.runner.sdk.nodes import link

        block = cls._blocks.pop()
        work = [task for task in block.tasks if not task.is_setup and not task.is_teardown]
        if work:
            roots = [task for task in work if not task.upstream_task_ids] or [work[0]]
            leaves = [task for task in work if not task.downstream_task_ids] or [work[-1]]
            if block.setups:
                link(block.setups, roots)
            if block.teardowns:
                link(leaves, block.teardowns)
        if cls._blocks:
            outer = cls._blocks[-1]
            if outer.setups and block.setups:
                link(outer.setups, block.setups)
            if outer.teardowns and block.teardowns:
                link(block.teardowns, outer.teardowns)

    @classmethod
    def reset(cls) -> None:
        cls._blocks = []
