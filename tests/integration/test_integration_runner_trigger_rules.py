"""The runner's trigger-rule function against Airflow's own TriggerRuleDep, exhaustively.

Every trigger rule, every mix of one to three upstream task instances in {no state, success, skipped,
failed, upstream_failed}: Airflow's dep (run in the Airflow 3 venv by runner_trigger_rule_probe.py)
and `migrator.runner.trigger_rules.evaluate` must agree on the state forced without running and on
whether the task may run.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from airflow_harness import AirflowEnv

from migrator.runner.trigger_rules import UpstreamCounts, evaluate

pytestmark = pytest.mark.airflow


def test_every_small_combination_matches_airflow(airflow3: AirflowEnv, tmp_path: Path) -> None:
    probe = Path(__file__).with_name("runner_trigger_rule_probe.py")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env["AIRFLOW_HOME"] = str(tmp_path)
    env["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
    done = subprocess.run([str(airflow3.python), str(probe)], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    rows = json.loads(done.stdout)
    assert len(rows) == 13 * (5 + 25 + 125)
    mismatches = []
    for row in rows:
        decision = evaluate(row["rule"], UpstreamCounts.from_states(row["states"]))
        ours = (str(decision.new_state) if decision.new_state else None, decision.runnable)
        theirs = (row["new_state"], row["passed"] and row["new_state"] is None)
        if ours != theirs:
            mismatches.append(f"{row['rule']} {row['states']}: runner {ours}, airflow {theirs}")
    assert not mismatches, "\n".join(mismatches[:50])
