"""Runs inside an Airflow venv: Airflow's own TriggerRuleDep on every small mix of upstream states.

Usage: python runner_trigger_rule_probe.py  (prints JSON: [{"rule", "states", "new_state", "passed"}])
Only the standard library and Airflow are imported; task instances are stand-ins with the attributes
`TriggerRuleDep._evaluate_direct_relatives` reads (no mapping, no setup/teardown, flag_upstream_failed).
"""

from __future__ import annotations

import itertools
import json
import sys
from types import SimpleNamespace


def main() -> None:
    from airflow.task.trigger_rule import TriggerRule
    from airflow.ti_deps.deps.trigger_rule_dep import TriggerRuleDep

    choices = [None, "success", "skipped", "failed", "upstream_failed"]
    out = []
    for rule in TriggerRule:
        for size in (1, 2, 3):
            for states in itertools.product(choices, repeat=size):
                upstream_tasks = [
                    SimpleNamespace(task_id=f"u{i}", is_setup=False, get_needs_expansion=lambda: False)
                    for i in range(size)
                ]
                task = SimpleNamespace(
                    upstream_task_ids={t.task_id for t in upstream_tasks},
                    upstream_list=upstream_tasks,
                    trigger_rule=rule,
                    is_teardown=False,
                    get_closest_mapped_task_group=lambda: None,
                    get_upstreams_only_setups=list,
                    task_group=None,
                )
                finished = [
                    SimpleNamespace(task_id=f"u{i}", state=state, map_index=-1, task=upstream_tasks[i])
                    for i, state in enumerate(states) if state is not None
                ]
                forced: list[str] = []

                def set_state(new_state, session=None, _forced=forced):
                    _forced.append(str(new_state.value if hasattr(new_state, "value") else new_state))
                    return True

                ti = SimpleNamespace(task=task, map_index=-1, set_state=set_state, get_dagrun=lambda session=None: None,
                                     dag_id="d", run_id="r", task_id="t")
                context = SimpleNamespace(flag_upstream_failed=True, wait_for_past_depends_before_skipping=False,
                                          have_changed_ti_states=False, upstream_task_id_counts={},
                                          ensure_finished_tis=lambda dagrun, session=None, _f=finished: _f)
                statuses = list(TriggerRuleDep()._get_dep_statuses(ti, context, session=None))
                out.append({
                    "rule": rule.value,
                    "states": list(states),
                    "new_state": forced[-1] if forced else None,
                    "passed": all(status.passed for status in statuses),
                })
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
