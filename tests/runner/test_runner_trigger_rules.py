"""Trigger rules as a table: upstream counts in, forced state / may-run out.

Rows are read off `airflow/ti_deps/deps/trigger_rule_dep.py` (Airflow 3.3); the airflow-marked test
`tests/integration/test_integration_runner_trigger_rules.py` checks every combination of up to three
upstreams against Airflow's own TriggerRuleDep.
"""

from __future__ import annotations

import itertools

import pytest

from migrator.runner.states import TaskInstanceState as S
from migrator.runner.trigger_rules import TriggerRule as R
from migrator.runner.trigger_rules import UpstreamCounts, evaluate

RUN, WAIT = "run", "wait"
SUCCESS, SKIPPED, FAILED, UPSTREAM_FAILED = S.SUCCESS, S.SKIPPED, S.FAILED, S.UPSTREAM_FAILED


def counts(*states: S | None) -> UpstreamCounts:
    return UpstreamCounts.from_states(states)


TABLE = [
    # rule, upstream states, expected (forced state or RUN/WAIT)
    (R.ALL_SUCCESS, (SUCCESS, SUCCESS), RUN),
    (R.ALL_SUCCESS, (SUCCESS, None), WAIT),
    (R.ALL_SUCCESS, (SUCCESS, FAILED), UPSTREAM_FAILED),
    (R.ALL_SUCCESS, (None, UPSTREAM_FAILED), UPSTREAM_FAILED),
    (R.ALL_SUCCESS, (SUCCESS, SKIPPED), SKIPPED),
    (R.ALL_SUCCESS, (SKIPPED, FAILED), UPSTREAM_FAILED),  # failure wins over skip
    (R.ALL_FAILED, (FAILED, UPSTREAM_FAILED), RUN),
    (R.ALL_FAILED, (FAILED, None), WAIT),
    (R.ALL_FAILED, (FAILED, SUCCESS), SKIPPED),
    (R.ALL_FAILED, (SKIPPED,), SKIPPED),
    (R.ALL_DONE, (SUCCESS, FAILED, SKIPPED, UPSTREAM_FAILED), RUN),
    (R.ALL_DONE, (SUCCESS, None), WAIT),
    (R.ALL_DONE_MIN_ONE_SUCCESS, (SUCCESS, FAILED), RUN),
    (R.ALL_DONE_MIN_ONE_SUCCESS, (FAILED, UPSTREAM_FAILED), UPSTREAM_FAILED),
    (R.ALL_DONE_MIN_ONE_SUCCESS, (SUCCESS, SKIPPED), SKIPPED),
    (R.ALL_DONE_MIN_ONE_SUCCESS, (SUCCESS, None), WAIT),
    (R.ALL_DONE_SETUP_SUCCESS, (FAILED, SKIPPED), RUN),  # no setup tasks: like all_done
    (R.ALL_DONE_SETUP_SUCCESS, (FAILED, None), WAIT),
    (R.ONE_SUCCESS, (SUCCESS, None), RUN),
    (R.ONE_SUCCESS, (FAILED, None), WAIT),
    (R.ONE_SUCCESS, (FAILED, SKIPPED), UPSTREAM_FAILED),
    (R.ONE_SUCCESS, (SKIPPED, SKIPPED), SKIPPED),
    (R.ONE_FAILED, (FAILED, None), RUN),
    (R.ONE_FAILED, (UPSTREAM_FAILED, None), RUN),
    (R.ONE_FAILED, (SUCCESS, None), WAIT),
    (R.ONE_FAILED, (SUCCESS, SKIPPED), SKIPPED),
    (R.ONE_DONE, (FAILED, None), RUN),
    (R.ONE_DONE, (SKIPPED, None), WAIT),
    (R.ONE_DONE, (SKIPPED, UPSTREAM_FAILED), SKIPPED),
    (R.NONE_FAILED, (SUCCESS, SKIPPED), RUN),
    (R.NONE_FAILED, (SKIPPED, SKIPPED), RUN),
    (R.NONE_FAILED, (SUCCESS, FAILED), UPSTREAM_FAILED),
    (R.NONE_FAILED, (SUCCESS, None), WAIT),
    (R.NONE_FAILED_MIN_ONE_SUCCESS, (SUCCESS, SKIPPED), RUN),
    (R.NONE_FAILED_MIN_ONE_SUCCESS, (SKIPPED, SKIPPED), SKIPPED),
    (R.NONE_FAILED_MIN_ONE_SUCCESS, (SKIPPED, None), WAIT),
    (R.NONE_FAILED_MIN_ONE_SUCCESS, (UPSTREAM_FAILED, SUCCESS), UPSTREAM_FAILED),
    (R.NONE_SKIPPED, (SUCCESS, FAILED), RUN),
    (R.NONE_SKIPPED, (SUCCESS, SKIPPED), SKIPPED),
    (R.NONE_SKIPPED, (SUCCESS, None), WAIT),
    (R.ALL_SKIPPED, (SKIPPED, SKIPPED), RUN),
    (R.ALL_SKIPPED, (SKIPPED, SUCCESS), SKIPPED),
    (R.ALL_SKIPPED, (SKIPPED, None), WAIT),
    (R.ALWAYS, (None, None), RUN),
    (R.ALWAYS, (FAILED,), RUN),
]


def outcome(rule: R, states: tuple[S | None, ...]) -> object:
    decision = evaluate(rule, counts(*states))
    if decision.new_state is not None:
        return decision.new_state
    return RUN if decision.runnable else WAIT


@pytest.mark.parametrize(("rule", "states", "want"), TABLE, ids=[f"{r}-{'-'.join(map(str, s))}" for r, s, _ in TABLE])
def test_table(rule: R, states: tuple[S | None, ...], want: object) -> None:
    assert outcome(rule, states) == want


def test_no_upstream_always_runs() -> None:
    for rule in R:
        assert evaluate(rule, counts()).runnable


@pytest.mark.parametrize("rule", list(R))
def test_forced_state_and_running_exclude_each_other(rule: R) -> None:
    choices = (None, SUCCESS, SKIPPED, FAILED, UPSTREAM_FAILED)
    for size in range(1, 4):
        for states in itertools.product(choices, repeat=size):
            decision = evaluate(rule, counts(*states))
            assert not (decision.runnable and decision.new_state is not None), (rule, states)
            assert decision.reason


def test_every_rule_resolves_once_all_upstreams_are_done() -> None:
    """With every upstream finished, each rule either runs or is given a final state (no deadlock)."""
    choices = (SUCCESS, SKIPPED, FAILED, UPSTREAM_FAILED)
    for rule in R:
        for size in range(1, 4):
            for states in itertools.product(choices, repeat=size):
                assert outcome(rule, states) != WAIT, (rule, states)


def test_unknown_rule_fails_loudly() -> None:
    with pytest.raises(ValueError):
        evaluate("sometimes", counts(SUCCESS))


def test_values_are_airflow_names() -> None:
    assert {r.value for r in R} == {
        "all_success", "all_failed", "all_done", "all_done_min_one_success", "all_done_setup_success",
        "one_success", "one_failed", "one_done", "none_failed", "none_skipped", "always",
        "none_failed_min_one_success", "all_skipped",
    }
    assert str(R.ALL_SUCCESS) == "all_success"
