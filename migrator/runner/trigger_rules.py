"""Trigger rules: one pure function from upstream counts to a decision.

This is `airflow/ti_deps/deps/trigger_rule_dep.py` (`_evaluate_direct_relatives`, with the scheduler's
`flag_upstream_failed=True`) reduced to its arithmetic: the counts of the direct upstream task
instances by finished state go in; out comes the state to force on the task without running it
(`upstream_failed` / `skipped`), or whether it may run now, with a reason naming the rule and counts.
No SQLite, no clock. `tests/runner/test_runner_trigger_rules.py` checks it as a table, and the
airflow-marked test compares every combination of small counts with Airflow's own dep.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from migrator.compat import StrEnum
from migrator.runner.states import FINISHED, TaskInstanceState


class TriggerRule(StrEnum):
    ALL_SUCCESS = "all_success"
    ALL_FAILED = "all_failed"
    ALL_DONE = "all_done"
    ALL_DONE_MIN_ONE_SUCCESS = "all_done_min_one_success"
    ALL_DONE_SETUP_SUCCESS = "all_done_setup_success"
    ONE_SUCCESS = "one_success"
    ONE_FAILED = "one_failed"
    ONE_DONE = "one_done"
    NONE_FAILED = "none_failed"
    NONE_SKIPPED = "none_skipped"
    ALWAYS = "always"
    NONE_FAILED_MIN_ONE_SUCCESS = "none_failed_min_one_success"
    ALL_SKIPPED = "all_skipped"

    @classmethod
    def is_valid(cls, value: str) -> bool:
        return value in cls._value2member_map_

    @classmethod
    def all_triggers(cls) -> set[str]:
        return {member.value for member in cls}


@dataclass(frozen=True)
class UpstreamCounts:
    """How the direct upstreams of one task instance stand (Airflow's `_UpstreamTIStates` + totals)."""

    upstream: int  # number of direct upstream tasks, finished or not
    success: int = 0
    skipped: int = 0
    failed: int = 0
    upstream_failed: int = 0
    removed: int = 0
    upstream_setup: int = 0
    success_setup: int = 0
    skipped_setup: int = 0

    @property
    def done(self) -> int:
        return self.success + self.skipped + self.failed + self.upstream_failed + self.removed

    @classmethod
    def from_states(cls, states: Iterable[TaskInstanceState | None]) -> UpstreamCounts:
        states = list(states)
        counter = Counter(s for s in states if s in FINISHED)
        return cls(
            upstream=len(states),
            success=counter[TaskInstanceState.SUCCESS],
            skipped=counter[TaskInstanceState.SKIPPED],
            failed=counter[TaskInstanceState.FAILED],
            upstream_failed=counter[TaskInstanceState.UPSTREAM_FAILED],
            removed=counter[TaskInstanceState.REMOVED],
        )

    @classmethod
    def of(cls, instances: Iterable[tuple[TaskInstanceState | None, bool]]) -> UpstreamCounts:
        """From (state, is the task a setup) per upstream instance: the setup counts too."""
        instances = list(instances)
        base = cls.from_states(state for state, _ in instances)
        setups = [state for state, is_setup in instances if is_setup]
        return cls(base.upstream, base.success, base.skipped, base.failed, base.upstream_failed, base.removed,
                   upstream_setup=len(setups),
                   success_setup=sum(1 for s in setups if s == TaskInstanceState.SUCCESS),
                   skipped_setup=sum(1 for s in setups if s == TaskInstanceState.SKIPPED))

    def describe(self) -> str:
        return (
            f"upstream={self.upstream} success={self.success} skipped={self.skipped} "
            f"failed={self.failed} upstream_failed={self.upstream_failed} done={self.done}"
        )


@dataclass(frozen=True)
class Decision:
    """`new_state` is forced without running; `runnable` says the task may start now."""

    new_state: TaskInstanceState | None
    runnable: bool
    reason: str


def evaluate(rule: TriggerRule | str, up: UpstreamCounts) -> Decision:
    """Decide for one task instance from its direct upstreams' counts (see module docstring)."""
    rule = TriggerRule(rule)  # an unknown rule fails loudly, as in Airflow
    if up.upstream == 0:
        return Decision(None, True, "the task has no upstream tasks")
    if rule is TriggerRule.ALWAYS:
        return Decision(None, True, "trigger rule 'always'")
    new_state = _forced_state(rule, up)
    failure = _unmet(rule, up)
    if failure is None:
        return Decision(new_state, new_state is None, f"trigger rule '{rule}' met ({up.describe()})")
    return Decision(new_state, False, f"trigger rule '{rule}' {failure} ({up.describe()})")


def _forced_state(rule: TriggerRule, up: UpstreamCounts) -> TaskInstanceState | None:
    """The `flag_upstream_failed` branch: a state to set without running the task."""
    success, skipped, failed, upstream_failed = up.success, up.skipped, up.failed, up.upstream_failed
    upstream_done = up.done >= up.upstream
    TIS = TaskInstanceState
    if rule is TriggerRule.ALL_SUCCESS:
        if upstream_failed or failed:
            return TIS.UPSTREAM_FAILED
        if skipped:
            return TIS.SKIPPED
    elif rule is TriggerRule.ALL_FAILED:
        if success or skipped:
            return TIS.SKIPPED
    elif rule is TriggerRule.ONE_SUCCESS:
        if upstream_done and up.done == skipped:
            return TIS.SKIPPED
        if upstream_done and success <= 0:
            return TIS.UPSTREAM_FAILED
    elif rule is TriggerRule.ONE_FAILED:
        if upstream_done and not (failed or upstream_failed):
            return TIS.SKIPPED
    elif rule is TriggerRule.ONE_DONE:
        if upstream_done and not (failed or success):
            return TIS.SKIPPED
    elif rule is TriggerRule.NONE_FAILED:
        if upstream_failed or failed:
            return TIS.UPSTREAM_FAILED
    elif rule is TriggerRule.NONE_FAILED_MIN_ONE_SUCCESS:
        if upstream_failed or failed:
            return TIS.UPSTREAM_FAILED
        if skipped == up.upstream:
            return TIS.SKIPPED
        if upstream_done and success == 0:
            return TIS.UPSTREAM_FAILED
    elif rule is TriggerRule.NONE_SKIPPED:
        if skipped:
            return TIS.SKIPPED
    elif rule is TriggerRule.ALL_SKIPPED:
        if success or failed or upstream_failed:
            return TIS.SKIPPED
    elif rule is TriggerRule.ALL_DONE_MIN_ONE_SUCCESS:
        non_skipped_done = success + failed + upstream_failed + up.removed
        if skipped > 0:
            return TIS.SKIPPED
        if non_skipped_done >= up.upstream - skipped and success == 0:
            return TIS.UPSTREAM_FAILED
    elif rule is TriggerRule.ALL_DONE_SETUP_SUCCESS:
        if upstream_done and up.upstream_setup and up.skipped_setup >= up.upstream_setup:
            return TIS.SKIPPED
        if upstream_done and up.upstream_setup and up.success_setup == 0:
            return TIS.UPSTREAM_FAILED
    return None


def _unmet(rule: TriggerRule, up: UpstreamCounts) -> str | None:
    """Why the task may not run yet, or None when the rule is met."""
    success, skipped, failed, upstream_failed, removed = (
        up.success, up.skipped, up.failed, up.upstream_failed, up.removed,
    )
    upstream_done = up.done >= up.upstream
    if rule is TriggerRule.ONE_SUCCESS:
        return None if success > 0 else "requires one upstream success"
    if rule is TriggerRule.ONE_FAILED:
        return None if (failed or upstream_failed) else "requires one upstream failure"
    if rule is TriggerRule.ONE_DONE:
        return None if success + failed > 0 else "requires one upstream success or failure"
    if rule is TriggerRule.ALL_SUCCESS:
        bad = up.upstream - success - removed
        return None if bad <= 0 else f"requires all upstreams to succeed, {bad} did not (yet)"
    if rule is TriggerRule.ALL_FAILED:
        bad = up.upstream - failed - upstream_failed - removed
        return None if bad <= 0 else f"requires all upstreams to fail, {bad} did not (yet)"
    if rule is TriggerRule.ALL_DONE:
        return None if upstream_done else f"requires all upstreams done, {up.upstream - up.done} are not"
    if rule in (TriggerRule.NONE_FAILED, TriggerRule.NONE_FAILED_MIN_ONE_SUCCESS):
        bad = up.upstream - success - skipped - removed
        if bad > 0:
            return f"requires all upstreams to succeed or skip, {bad} did not (yet)"
        if rule is TriggerRule.NONE_FAILED_MIN_ONE_SUCCESS and success <= 0:
            return "requires at least one upstream success"
        return None
    if rule is TriggerRule.NONE_SKIPPED:
        if not upstream_done or skipped > 0:
            return f"requires all upstreams done and none skipped, {skipped} skipped"
        return None
    if rule is TriggerRule.ALL_SKIPPED:
        bad = up.upstream - skipped
        return None if bad <= 0 else f"requires all upstreams skipped, {bad} are not"
    if rule is TriggerRule.ALL_DONE_SETUP_SUCCESS:
        if not upstream_done:
            return f"requires all upstreams done, {up.upstream - up.done} are not"
        if up.upstream_setup and not up.success_setup:
            return "requires at least one upstream setup task to succeed"
        return None
    if rule is TriggerRule.ALL_DONE_MIN_ONE_SUCCESS:
        if skipped > 0:
            return f"requires no skipped upstreams, {skipped} skipped"
        if success + failed + upstream_failed < up.upstream - skipped - removed:
            return "requires all non-skipped upstreams done"
        if success == 0:
            return "requires at least one upstream success"
        return None
    raise ValueError(f"no strategy to evaluate trigger rule {rule!r}")  # pragma: no cover


def evaluate_setups(up: UpstreamCounts) -> Decision:
    """The setup constraint of a task that is not a teardown, over its indirect setups (Airflow's
    `_evaluate_setup_constraint`): a failed one fails it, a skipped one skips it, and it runs only once
    all of them succeeded."""
    TIS = TaskInstanceState
    if up.upstream_failed or up.failed:
        return Decision(TIS.UPSTREAM_FAILED, False, f"a setup task failed ({up.describe()})")
    if up.skipped:
        return Decision(TIS.SKIPPED, False, f"a setup task was skipped ({up.describe()})")
    if up.upstream - up.success > 0:
        return Decision(None, False, f"all setup tasks must complete successfully ({up.describe()})")
    return Decision(None, True, "setup tasks succeeded")
